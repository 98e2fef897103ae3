"""The metric catalog: KPI definitions loaded once from catalog.yaml and checked before use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cxloop.errors import InvalidInput, NotFound

#: Every dimension a KPI may be sliced or filtered by.
DIMENSIONS = ("channel", "topic", "segment", "team", "journey_stage", "language")
GRAINS = ("day", "week", "month")
UNITS = ("percent", "score", "share", "hours", "days", "per_1000", "currency")
SIGNIFICANCE_TESTS = ("nps_difference", "two_proportion_z", "welch_t", "mann_whitney", "rate_ratio_z", "none")
LANGUAGES = ("ko", "en")


class CatalogError(ValueError):
    """catalog.yaml breaks a rule; raised at load time so a bad catalog never reaches a page."""


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    id: str
    name: dict[str, str]
    formula: dict[str, str]
    unit: str
    higher_is_better: bool
    target: float | None
    dimensions: tuple[str, ...]
    description: dict[str, str]
    owner: str
    significance: str
    time_basis: str

    @property
    def has_significance(self) -> bool:
        return self.significance != "none"

    @property
    def time_columns(self) -> tuple[tuple[str, str], ...]:
        """(table, column) of each timestamp in `time_basis` ("feedback.occurred_at / events.occurred_at")."""
        return tuple(_time_column(part) for part in self.time_basis.split("/"))

    def localized(self, locale: str) -> dict[str, Any]:
        """The definition as the API and the catalog page show it, texts in one language."""
        lang = locale if locale in LANGUAGES else "en"
        return {
            "id": self.id,
            "name": self.name[lang],
            "formula": self.formula[lang],
            "description": self.description[lang],
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "target": self.target,
            "dimensions": list(self.dimensions),
            "owner": self.owner,
            "significance": self.significance,
            "time_basis": self.time_basis,
        }


def _bilingual(entry: dict[str, Any], field: str) -> dict[str, str]:
    value = entry.get(field)
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang] for lang in LANGUAGES
    ):
        raise CatalogError(f"KPI {entry.get('id')!r}: {field} needs non-empty ko and en texts")
    assert isinstance(value, dict)
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _definition(entry: dict[str, Any]) -> KpiDefinition:
    kpi_id = entry.get("id")
    if not isinstance(kpi_id, str) or not kpi_id.isidentifier():
        raise CatalogError(f"KPI id {kpi_id!r} must be a lower-case identifier")
    unknown = set(entry) - set(KpiDefinition.__dataclass_fields__)
    if unknown:
        raise CatalogError(f"KPI {kpi_id!r}: unknown fields {sorted(unknown)}")
    dims = tuple(entry.get("dimensions") or ())
    if bad := [d for d in dims if d not in DIMENSIONS]:
        raise CatalogError(f"KPI {kpi_id!r}: unknown dimensions {bad}; known: {', '.join(DIMENSIONS)}")
    if entry.get("unit") not in UNITS:
        raise CatalogError(f"KPI {kpi_id!r}: unit must be one of {', '.join(UNITS)}")
    if entry.get("significance") not in SIGNIFICANCE_TESTS:
        raise CatalogError(f"KPI {kpi_id!r}: significance must be one of {', '.join(SIGNIFICANCE_TESTS)}")
    if not isinstance(entry.get("higher_is_better"), bool):
        raise CatalogError(f"KPI {kpi_id!r}: higher_is_better must be true or false")
    target = entry.get("target")
    if target is not None and not isinstance(target, int | float):
        raise CatalogError(f"KPI {kpi_id!r}: target must be a number")
    for field in ("owner", "time_basis"):
        if not isinstance(entry.get(field), str) or not entry[field]:
            raise CatalogError(f"KPI {kpi_id!r}: {field} is required")
    for part in str(entry["time_basis"]).split("/"):
        if not _TIME_COLUMN.fullmatch(part.strip()):
            raise CatalogError(
                f"KPI {kpi_id!r}: time_basis names table.column timestamps joined by ' / ', not {part!r}"
            )
    return KpiDefinition(
        id=kpi_id,
        name=_bilingual(entry, "name"),
        formula=_bilingual(entry, "formula"),
        unit=str(entry["unit"]),
        higher_is_better=bool(entry["higher_is_better"]),
        target=None if target is None else float(target),
        dimensions=dims,
        description=_bilingual(entry, "description"),
        owner=str(entry["owner"]),
        significance=str(entry["significance"]),
        time_basis=str(entry["time_basis"]),
    )


_TIME_COLUMN = re.compile(r"[a-z_]+\.[a-z_]+")


def _time_column(part: str) -> tuple[str, str]:
    table, _, column = part.strip().partition(".")
    return table, column


def parse_catalog(text: str) -> dict[str, KpiDefinition]:
    """Definitions by id, in catalog order; raises CatalogError naming the first broken rule."""
    document = yaml.safe_load(text)
    entries = document.get("kpis") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogError("the catalog needs a non-empty `kpis` list")
    catalog: dict[str, KpiDefinition] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise CatalogError("each KPI must be a mapping")
        definition = _definition(entry)
        if definition.id in catalog:
            raise CatalogError(f"KPI {definition.id!r} is defined twice")
        catalog[definition.id] = definition
    return catalog


@cache
def load_catalog() -> dict[str, KpiDefinition]:
    text = resources.files("cxloop.analytics").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return parse_catalog(text)


def get_kpi(kpi_id: str) -> KpiDefinition:
    catalog = load_catalog()
    if kpi_id not in catalog:
        raise NotFound(f"unknown KPI {kpi_id!r}; known: {', '.join(catalog)}")
    return catalog[kpi_id]


def check_dimension(definition: KpiDefinition, dimension: str | None, what: str = "by") -> None:
    """A clear 4xx for a dimension the KPI cannot be sliced by (e.g. complaint rate by channel)."""
    if dimension is None:
        return
    if dimension not in definition.dimensions:
        allowed = ", ".join(definition.dimensions) or "none"
        raise InvalidInput(f"{what}: {definition.id} cannot be sliced by {dimension!r}; allowed: {allowed}")
