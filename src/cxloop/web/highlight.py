"""Marks the clauses of a feedback text that mention a topic, coloured by the aspect's sentiment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape


def highlight_topics(text: str, mentions: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Markup:
    """The text with each mentioned clause wrapped in a <mark>; everything is escaped."""
    spans: dict[tuple[int, int], list[Mapping[str, Any]]] = {}
    for mention in mentions:
        start, end = int(mention.get("start", 0)), int(mention.get("end", 0))
        if 0 <= start < end <= len(text):
            spans.setdefault((start, end), []).append(mention)
    parts: list[str] = []
    cursor = 0
    for (start, end), found in sorted(spans.items()):
        if start < cursor:
            continue  # overlapping clauses: the first one wins, the text is never repeated
        worst = min(found, key=lambda m: float(m.get("score", 0.0)))
        labels = ", ".join(f"{names.get(m['topic'], m['topic'])} · {m['sentiment']}" for m in found)
        parts.append(str(escape(text[cursor:start])))
        parts.append(
            f'<mark class="aspect s-{escape(worst.get("sentiment", "neutral"))}" title="{escape(labels)}">'
            f"{escape(text[start:end])}</mark>"
        )
        cursor = end
    parts.append(str(escape(text[cursor:])))
    return Markup("".join(parts))  # noqa: S704 - every piece is escaped above
