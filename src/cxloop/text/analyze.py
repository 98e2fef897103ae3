"""One pass over a batch of texts: language, PII masking, sentiment, topics, keywords, flags, priority.

The pipeline stage, `cxloop analyze` and `POST /api/v1/analyze` all call `TextAnalyzer.analyze_batch`,
so a text gets the same reading wherever it comes from. Models load lazily, once per process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxloop.domain import Language
from cxloop.text.language import detect_language
from cxloop.text.normalize import model_text, normalize_text
from cxloop.text.pii import PiiKind, PiiSpan, find_pii, mask_pii
from cxloop.text.topics import Taxonomy

#: Models read at most this many characters; longer texts are analyzed on their beginning.
MODEL_CHARS = 20_000
# Masking placeholders are not what the customer talked about: keep them out of the keywords.
_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(kind.value.upper() for kind in PiiKind) + r")\]")


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """What the profile says about the author, for the VIP and repeated-contact flags."""

    tier: str | None = None
    lifetime_value: float | None = None
    recent_contacts: int = 0


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    language: Language
    masked_text: str
    pii: list[PiiSpan]
    sentiment_label: str | None
    sentiment_score: float | None
    topics: list[dict[str, Any]]
    keywords: list[str]
    flags: list[str]
    priority: int
    content_hash: str | None
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language.value,
            "sentiment": None
            if self.sentiment_label is None
            else {"label": self.sentiment_label, "score": round(self.sentiment_score or 0.0, 4)},
            "topics": self.topics,
            "keywords": self.keywords,
            "pii": [{"kind": s.kind.value, "start": s.start, "end": s.end} for s in self.pii],
            "masked_text": self.masked_text,
            "flags": self.flags,
            "priority": self.priority,
            "truncated": self.truncated,
        }


def content_hash(masked: str) -> str | None:
    """Identical complaints pasted twice hash the same: case, spacing and repeats are ignored."""
    key = "".join(model_text(masked).split())
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest() if key else None  # noqa: S324


class TextAnalyzer:
    """Holds the loaded models; cheap to call, expensive to build (build once per process)."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        from cxloop.text.sentiment import load_sentiment_model
        from cxloop.text.topics import load_taxonomy

        self.sentiment = load_sentiment_model()
        self.taxonomy = taxonomy or load_taxonomy()

    def analyze_batch(
        self, texts: Sequence[str], contexts: Sequence[CustomerContext | None] | None = None
    ) -> list[TextAnalysis]:
        from cxloop.text.flags import detect_flags, priority_score
        from cxloop.text.keywords import extract_keywords_batch
        from cxloop.text.topics import tag_topics_batch

        normalized = [normalize_text(t) if isinstance(t, str) else "" for t in texts]
        languages = [detect_language(t) for t in normalized]
        pii = [find_pii(t) for t in normalized]
        masked = [mask_pii(t, spans) for t, spans in zip(normalized, pii, strict=True)]
        for_models = [m[:MODEL_CHARS] for m in masked]
        has_text = [bool(m.strip()) for m in for_models]
        scored = iter(self.sentiment.score_texts([m for m, ok in zip(for_models, has_text, strict=True) if ok]))
        topics = tag_topics_batch(for_models, self.taxonomy, self.sentiment)
        keywords = extract_keywords_batch([_PLACEHOLDER.sub(" ", m) for m in for_models], languages)
        results = []
        for i, text in enumerate(for_models):
            context = (contexts[i] if contexts else None) or CustomerContext()
            sentiment = next(scored) if has_text[i] else None
            flags = detect_flags(
                text,
                customer_tier=context.tier,
                lifetime_value=context.lifetime_value,
                recent_contacts=context.recent_contacts,
            )
            priority = priority_score(flags, sentiment.score if sentiment else None, context.tier)
            results.append(
                TextAnalysis(
                    language=languages[i],
                    masked_text=masked[i],
                    pii=pii[i],
                    sentiment_label=sentiment.label if sentiment else None,
                    sentiment_score=sentiment.score if sentiment else None,
                    topics=[
                        {
                            "topic": m.topic,
                            "sentiment": m.sentiment,
                            "score": round(m.score, 4),
                            "start": m.start,
                            "end": m.end,
                        }
                        for m in topics[i]
                    ],
                    keywords=keywords[i],
                    flags=sorted(flag.value for flag in flags),
                    priority=priority,
                    content_hash=content_hash(masked[i]),
                    truncated=len(masked[i]) > MODEL_CHARS,
                )
            )
        return results
