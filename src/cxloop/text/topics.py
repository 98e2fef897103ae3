"""CX topics: the versioned taxonomy, and multi-label topic tagging with per-topic (aspect) sentiment.

``taxonomy.yaml`` beside this module is the one place topics and their seed terms live.
``Taxonomy.to_dict``/``from_dict`` let an API or a settings page show and replace it, with the same
validation as the file: every error names the topic and the field.

``tag_topics_batch`` reads texts in three steps:

1. **Clauses.** A text is cut at sentence ends, at contrastive connectives (Korean -는데/-ㄴ데/-지만,
   그런데/근데/하지만/반면; English but/however/although/though/while/whereas) and at weak joints
   (-고, 그리고, commas, "and"). A piece that names no topic is glued to the clause before it ("환불하고
   | 싶어요", "로켓배송인데 | 3일 걸림"), or else, unless a contrast separates them, to the one after it;
   so "배송은 빨랐는데 포장이 엉망이에요" becomes two clauses and "환불하고 싶어요" stays one.
2. **Seeds.** Korean seeds are found in the clause with every space removed, so 띄어쓰기 errors
   (배송이너무늦어요) still match; English seeds are found as whole words, with inflections, joined
   spellings (login for "log in") and one-letter typos of long words. Both run on structures compiled
   once per taxonomy: one trie-shaped regex and one phrase dictionary. Weak seeds count only when no
   other topic's seed is in the clause (see the file's header).
3. **Sentiment.** The clauses of the whole batch go to the sentiment model in ONE ``score_texts`` call
   (identical clauses are scored once). An aspect listed without an evaluation of its own ("배송, 포장
   모두 만족", "Delivery and packaging were great") takes the evaluation of the list it belongs to.

A topic named in several clauses of one text is reported once, with the clause whose sentiment is the
strongest (furthest from 0; a tie goes to the negative one). Strongest rather than averaged: "배송은
빨랐어요. 근데 배송 기사님이 너무 불친절했어요" averages to neutral, which hides what a CX team has to
act on. Spans index the text as given; a text that is not in NFC (``normalize_text`` output always is)
is read in its NFC form and the spans index that form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from cxloop.errors import InvalidInput
from cxloop.text._topic_match import HANGUL, Clause, Matcher, bits, seed_key

__all__ = [
    "MAX_CLAUSES_PER_TOPIC",
    "TAXONOMY_PATH",
    "SentimentScorer",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "TopicMention",
    "load_taxonomy",
    "tag_topics",
    "tag_topics_batch",
]

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
#: At most this many clauses per topic and text are scored, so a pasted megabyte log costs a bounded
#: number of model inputs; the first ones are kept.
MAX_CLAUSES_PER_TOPIC = 8
_SEED_FIELDS = ("seeds_ko", "seeds_en", "weak_seeds_ko", "weak_seeds_en")
_TOPIC_FIELDS = ("id", "name_ko", "name_en", "description", *_SEED_FIELDS)
_REQUIRED_FIELDS = ("id", "name_ko", "name_en", "seeds_ko", "seeds_en")
_TOPIC_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
# libyaml's safe loader reads the file ~15x faster than the pure-Python one; both build plain data only.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TaxonomyError(InvalidInput):
    """A taxonomy file or payload that cannot be used; the message names the topic and the field."""

    code = "taxonomy.invalid"


def _invalid(topic: str | None, field_name: str, problem: str) -> TaxonomyError:
    where = f"topic {topic!r}, field {field_name!r}" if topic else f"field {field_name!r}"
    return TaxonomyError(f"taxonomy {where}: {problem}", details={"topic": topic, "field": field_name})


class _Scored(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...


class SentimentScorer(Protocol):
    """What tagging needs from ``cxloop.text.sentiment.SentimentModel``: one batched call."""

    def score_texts(self, texts: Sequence[str], /) -> Sequence[_Scored]: ...


@dataclass(frozen=True, slots=True)
class TopicMention:
    """``topic`` is discussed in ``text[start:end]`` (the clause) with this sentiment (score in [-1, 1])."""

    topic: str
    sentiment: str
    score: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Topic:
    """One CX topic: names for people, seed terms for the tagger. Invalid values raise ``TaxonomyError``."""

    id: str
    name_ko: str
    name_en: str
    description: str
    seeds_ko: tuple[str, ...]
    seeds_en: tuple[str, ...]
    weak_seeds_ko: tuple[str, ...] = ()
    weak_seeds_en: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _TOPIC_ID.fullmatch(self.id):
            raise _invalid(str(self.id), "id", "must be lower_snake_case ASCII starting with a letter")
        for name in ("name_ko", "name_en"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise _invalid(self.id, name, "is missing or empty")
        if not isinstance(self.description, str):
            raise _invalid(self.id, "description", "must be a string")
        for name in _SEED_FIELDS:
            seeds = getattr(self, name)
            if not isinstance(seeds, tuple) or not all(isinstance(seed, str) for seed in seeds):
                raise _invalid(self.id, name, "must be a list of strings")
            for seed in seeds:
                key = seed_key(seed)
                if len(key) < (1 if HANGUL.search(key) else 2):
                    raise _invalid(self.id, name, f"seed {seed!r} is empty or too short to match safely")
        for name in ("seeds_ko", "seeds_en"):
            if not getattr(self, name):
                raise _invalid(self.id, name, "has no seed terms; list at least one")


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A versioned list of topics with unique ids; compiles its seed matcher once, on creation."""

    version: str
    topics: tuple[Topic, ...]
    _matcher: Matcher = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise _invalid(None, "version", "is missing or empty")
        if not isinstance(self.topics, tuple) or not self.topics:
            raise _invalid(None, "topics", "must list at least one topic")
        seen: set[str] = set()
        for topic in self.topics:
            if not isinstance(topic, Topic):
                raise _invalid(None, "topics", f"{topic!r} is not a Topic")
            if topic.id in seen:
                raise _invalid(topic.id, "id", "is used by more than one topic")
            seen.add(topic.id)
        seeds = [((*t.seeds_ko, *t.seeds_en), (*t.weak_seeds_ko, *t.weak_seeds_en)) for t in self.topics]
        object.__setattr__(self, "_matcher", Matcher(seeds))

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)

    def to_dict(self) -> dict[str, Any]:
        """The file's shape as plain JSON-able data; ``from_dict(to_dict())`` gives an equal taxonomy."""
        return {
            "version": self.version,
            "topics": [{name: _plain(getattr(topic, name)) for name in _TOPIC_FIELDS} for topic in self.topics],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Taxonomy:
        """Build and validate a taxonomy from the file's shape; raises ``TaxonomyError`` naming the problem."""
        if not isinstance(data, Mapping):
            raise _invalid(None, "taxonomy", "must be a mapping with 'version' and 'topics'")
        for key in data:
            if key not in ("version", "topics"):
                raise _invalid(None, str(key), "is not a taxonomy field (expected 'version' and 'topics')")
        version: Any = data.get("version")
        if isinstance(version, int | float) and not isinstance(version, bool):
            version = str(version)
        raw_topics = data.get("topics")
        if not isinstance(raw_topics, list | tuple) or not raw_topics:
            raise _invalid(None, "topics", "must list at least one topic")
        return cls(version=version, topics=tuple(_topic_from_dict(raw, n) for n, raw in enumerate(raw_topics, 1)))


def _plain(value: str | tuple[str, ...]) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value


def _topic_from_dict(raw: Any, position: int) -> Topic:
    name = raw.get("id") if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) else f"#{position}"
    if not isinstance(raw, Mapping):
        raise _invalid(name, "topic", "must be a mapping of topic fields")
    for key in raw:
        if key not in _TOPIC_FIELDS:
            raise _invalid(name, str(key), f"is not a topic field (expected {', '.join(_TOPIC_FIELDS)})")
    for key in _REQUIRED_FIELDS:
        if raw.get(key) is None:
            raise _invalid(name, key, "is missing")
    seeds: dict[str, tuple[str, ...]] = {}
    for key in _SEED_FIELDS:
        value = raw.get(key) or []
        if not isinstance(value, list | tuple):
            raise _invalid(name, key, "must be a list of strings")
        for seed in value:
            if not isinstance(seed, str):
                raise _invalid(name, key, f"seed {seed!r} is not a string (quote it in YAML)")
        seeds[key] = tuple(value)
    description = raw.get("description")
    return Topic(
        id=raw["id"],
        name_ko=raw["name_ko"],
        name_en=raw["name_en"],
        description="" if description is None else description,
        seeds_ko=seeds["seeds_ko"],
        seeds_en=seeds["seeds_en"],
        weak_seeds_ko=seeds["weak_seeds_ko"],
        weak_seeds_en=seeds["weak_seeds_en"],
    )


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy in ``path`` (default: the shipped ``taxonomy.yaml``), loaded once per version of
    the file: an edited file is read again, an unchanged one is not."""
    resolved = (TAXONOMY_PATH if path is None else Path(path)).resolve()
    try:
        modified = resolved.stat().st_mtime_ns
    except OSError as error:
        raise TaxonomyError(f"taxonomy file {resolved} cannot be read: {error.strerror or error}") from error
    return _load_taxonomy(resolved, modified)


@lru_cache(maxsize=16)
def _load_taxonomy(path: Path, modified_ns: int) -> Taxonomy:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except OSError as error:
        raise TaxonomyError(f"taxonomy file {path} cannot be read: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise TaxonomyError(f"taxonomy file {path} is not valid YAML: {error}") from error
    try:
        return Taxonomy.from_dict(data)
    except TaxonomyError as error:
        raise TaxonomyError(f"{path.name}: {error.message}", details=error.details) from error


# -- tagging ---------------------------------------------------------------------------------------


def tag_topics(text: str, taxonomy: Taxonomy, sentiment: SentimentScorer) -> list[TopicMention]:
    """The topics discussed in ``text``, each once, with its aspect sentiment; ordered by position."""
    return tag_topics_batch([text], taxonomy, sentiment)[0]


def tag_topics_batch(texts: Sequence[str], taxonomy: Taxonomy, sentiment: SentimentScorer) -> list[list[TopicMention]]:
    """``tag_topics`` for each text, with every clause of the batch scored in one ``score_texts`` call."""
    matcher = taxonomy._matcher
    plans = [_capped(matcher.clauses(text)) for text in texts]
    unique: dict[str, int] = {}
    for clauses in plans:
        for clause in clauses:
            clause.key = unique.setdefault(clause.text, len(unique))
    scored = list(sentiment.score_texts(list(unique))) if unique else []
    if len(scored) != len(unique):
        raise RuntimeError(f"the sentiment model returned {len(scored)} results for {len(unique)} clauses")
    ids = taxonomy.topic_ids
    return [_mentions(clauses, scored, ids) for clauses in plans]


def _mentions(clauses: list[Clause], scored: list[_Scored], ids: tuple[str, ...]) -> list[TopicMention]:
    readings = [(str(scored[c.key].label), float(scored[c.key].score)) for c in clauses]
    for i in range(len(clauses) - 2, -1, -1):  # right to left, so "가격, 배송, 포장 모두 만족" chains
        if clauses[i].list_next and readings[i][0] == "neutral" and readings[i + 1][0] != "neutral":
            readings[i] = readings[i + 1]
    best: dict[int, tuple[tuple[float, bool], TopicMention]] = {}
    for clause, (label, score) in zip(clauses, readings, strict=True):
        strength = (abs(score), score < 0)
        for index in bits(clause.mask):
            if index not in best or strength > best[index][0]:
                best[index] = (strength, TopicMention(ids[index], label, score, clause.start, clause.end))
    order = sorted(best, key=lambda index: (best[index][1].start, index))
    return [best[index][1] for index in order]


def _capped(clauses: list[Clause]) -> list[Clause]:
    counts: dict[int, int] = {}
    kept: list[Clause] = []
    for clause in clauses:
        indexes = list(bits(clause.mask))
        if any(counts.get(index, 0) < MAX_CLAUSES_PER_TOPIC for index in indexes):
            kept.append(clause)
            for index in indexes:
                counts[index] = counts.get(index, 0) + 1
        elif kept:
            kept[-1].list_next = False
    return kept
