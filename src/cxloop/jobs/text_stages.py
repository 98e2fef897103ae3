"""Pipeline stages that read feedback text: analysis (PII, sentiment, topics, keywords, flags,
priority), the user-trained classifiers named in CXLOOP_CLASSIFIERS, and duplicate linking. They run
in the `enrich` phase, before the rows are stored."""

from __future__ import annotations

import functools
import logging
import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.domain import RecordKind
from cxloop.errors import InvalidInput, NotFound
from cxloop.governance.crypto import load_key_ring
from cxloop.jobs.classifiers import cached_model
from cxloop.jobs.pipeline import PipelineItem, Stage, StageContext
from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.store.tables import customers, feedback
from cxloop.text.analyze import CustomerContext, TextAnalyzer
from cxloop.text.topics import Taxonomy

logger = logging.getLogger(__name__)

#: How much history a worker's near-duplicate index starts from.
DUPLICATE_HISTORY = timedelta(days=90)
DUPLICATE_HISTORY_ROWS = 200_000


@functools.lru_cache(maxsize=4)
def text_analyzer(taxonomy: Taxonomy | None = None) -> TextAnalyzer:
    """Loaded once per process and taxonomy: the models are read-only and shared by worker threads,
    and an edited taxonomy gets a fresh analyzer on the next batch."""
    return TextAnalyzer(taxonomy)


def _feedback_with_text(batch: list[PipelineItem]) -> list[PipelineItem]:
    return [i for i in batch if i.kind is RecordKind.FEEDBACK and (i.row.get("text") or "").strip()]


def _customer_contexts(ctx: StageContext, items: list[PipelineItem]) -> list[CustomerContext | None]:
    ids = sorted({i.customer_id for i in items if i.customer_id})
    tiers: dict[str, str | None] = {}
    if ids:
        query = sa.select(customers.c.id, customers.c.tier).where(customers.c.id.in_(ids))
        tiers = {str(cid): tier for cid, tier in ctx.conn.execute(query)}
    return [CustomerContext(tier=tiers.get(i.customer_id)) if i.customer_id else None for i in items]


def analyze_texts(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Mask PII (the original goes to the protected column) and add the text signals."""
    items = _feedback_with_text(batch)
    if not items:
        return batch
    analyses = text_analyzer(current_taxonomy(ctx.settings)).analyze_batch(
        [i.row["text"] for i in items], _customer_contexts(ctx, items)
    )
    ring = load_key_ring(ctx.settings)  # the unmasked original is stored sealed (docs/security.md)
    for item, analysis in zip(items, analyses, strict=True):
        original = item.row["text"]
        item.row.update(
            text=analysis.masked_text,
            text_raw=ring.encrypt(original) if analysis.pii else None,
            language=analysis.language.value,
            pii_kinds=sorted({span.kind.value for span in analysis.pii}) or None,
            sentiment_label=analysis.sentiment_label,
            sentiment_score=analysis.sentiment_score,
            topics=analysis.topics,
            keywords=analysis.keywords,
            flags=analysis.flags,
            priority=analysis.priority,
            content_hash=analysis.content_hash,
        )
    return batch


@functools.lru_cache(maxsize=32)
def _warn_unusable(data_dir: str, name: str, reason: str) -> None:
    """Once per process, data directory and reason: a missing or unreadable model must not stop
    intake, but say so."""
    logger.warning("classifier %r in CXLOOP_CLASSIFIERS is skipped: %s", name, reason)


def classify_texts(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Label each feedback text with every configured classifier. It reads the masked text (this stage
    runs after analysis), so PII never reaches a model; an unusable model is skipped with a warning."""
    names = ctx.settings.classifier_names
    items = _feedback_with_text(batch) if names else []
    if not items:
        return batch
    texts = [i.row["text"] for i in items]
    for name in names:
        try:
            model = cached_model(ctx.settings.data_dir, name)
        except (NotFound, InvalidInput) as exc:
            _warn_unusable(str(ctx.settings.data_dir), name, str(exc))
            continue
        for item, prediction in zip(items, model.predict(texts, top_k=1), strict=True):
            item.row.setdefault("labels", []).append(
                {"model": name, "label": prediction.label, "score": prediction.score}
            )
    return batch


class _DuplicateIndexes:
    """One near-duplicate index per store URL, warmed from recent history on first use.

    With several PostgreSQL workers each keeps its own index and also sees what the others stored
    before it started; exact copies are always caught through `content_hash` in the store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[str, Any] = {}

    def get(self, ctx: StageContext) -> Any:
        from cxloop.text.duplicates import DuplicateIndex

        key = str(ctx.conn.engine.url)
        with self._lock:
            index = self._indexes.get(key)
            if index is None:
                index = DuplicateIndex()
                since = ctx.now - DUPLICATE_HISTORY
                history = ctx.conn.execute(
                    sa.select(feedback.c.id, feedback.c.text)
                    .where(feedback.c.occurred_at >= since, feedback.c.text.is_not(None))
                    .order_by(feedback.c.occurred_at)
                    .limit(DUPLICATE_HISTORY_ROWS)
                ).all()
                index.add_many((str(fid), str(text)) for fid, text in history)
                self._indexes[key] = index
            return index


_duplicate_indexes = _DuplicateIndexes()


def link_duplicates(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Point copies (exact or near) at the earlier item they repeat. Nothing is dropped."""
    items = [i for i in _feedback_with_text(batch) if i.record_id]
    if not items:
        return batch
    hashes = sorted({h for i in items if (h := i.row.get("content_hash"))})
    earliest: dict[str, str] = {}
    if hashes:
        query = (
            sa.select(feedback.c.content_hash, sa.func.min(feedback.c.id))
            .where(feedback.c.content_hash.in_(hashes))
            .group_by(feedback.c.content_hash)
        )
        earliest = {str(h): str(fid) for h, fid in ctx.conn.execute(query)}
    index = _duplicate_indexes.get(ctx)
    matches = index.find_and_add([(str(i.record_id), i.row["text"]) for i in items])
    for item, match in zip(items, matches, strict=True):
        exact = earliest.get(item.row.get("content_hash") or "")
        item.row["duplicate_of"] = exact or (match.original_id if match else None)
    return batch


TEXT_STAGES = (
    Stage("enrich.text", "enrich", analyze_texts),
    Stage("enrich.classify", "enrich", classify_texts),
    Stage("enrich.duplicates", "enrich", link_duplicates),
)
