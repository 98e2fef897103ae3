"""The pipeline contract: items, context and ordered stages. New capabilities add a stage here.

A stage is a plain function `stage(batch, ctx) -> batch`. The worker runs the stages in order inside
one transaction per batch, so a batch is either processed completely or not at all.

Order: normalize → identify → enrich → store → route → notify. `store` writes the domain rows, so
routing can reference them and notifications only go out for committed work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.identity.identifiers import Identifier
from cxloop.store.dialects import StoreDialect

PHASES = ("normalize", "identify", "enrich", "store", "route", "notify")


@dataclass(slots=True)
class PipelineItem:
    """One intake record travelling through the stages."""

    intake_id: str
    batch_id: str
    kind: RecordKind
    source: str
    external_id: str
    payload: dict[str, Any]
    received_at: datetime
    record_id: str | None = None  # the domain row this item becomes
    customer_id: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)  # the domain row, built up by the stages


@dataclass(slots=True)
class StageContext:
    conn: sa.Connection
    dialect: StoreDialect
    settings: Settings
    now: datetime


StageFn = Callable[[list[PipelineItem], StageContext], list[PipelineItem]]


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    phase: str
    run: StageFn

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"unknown pipeline phase {self.phase!r}; phases are {', '.join(PHASES)}")


class Pipeline:
    """Stages sorted by phase; within a phase they keep the order they were added in."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = sorted(stages, key=lambda s: PHASES.index(s.phase))

    def run(self, batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
        for stage in self.stages:
            try:
                batch = stage.run(batch, ctx)
            except Exception as exc:
                raise StageFailed(stage.name, exc) from exc
        return batch

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]


class StageFailed(Exception):
    """A stage raised; carries the stage name so the record's error says where it failed."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"stage {stage!r} failed: {type(cause).__name__}: {cause}")
        self.stage = stage
