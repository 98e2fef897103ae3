"""Text normalization and hashed n-gram features shared by sentiment training and inference.

The training script and the run-time model both call these functions, so the features a model was
trained on are, by construction, the features it sees in production. Only numpy and the standard
library are used: nothing here may pull in scikit-learn.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURE_VERSION",
    "HASH_BITS",
    "MAX_SCORED_CHARS",
    "HashedFeatures",
    "Lexicon",
    "hash_features",
    "normalize_text",
    "word_tokens",
]

# Bump whenever normalization, tokenization or hashing changes: a model trained on other features
# must be refused at load time instead of silently scoring garbage.
FEATURE_VERSION = "ngram-hash-2"
# 2**21 buckets keep collisions rare for the ~10M distinct n-grams of ~270k training texts, and
# the float16 weight vector stays at 4 MB.
HASH_BITS = 21
# Reviews are short; a 1 MB paste is almost always a log or a template. Scoring its head and tail
# keeps the cost bounded and keeps the part where people usually state their verdict.
MAX_SCORED_CHARS = 4000
_HEAD_CHARS = 3000

CHAR_NGRAM_SIZES = (1, 2, 3, 4, 5)

_MASK64 = 0xFFFFFFFFFFFFFFFF
_MULT = np.uint64(0x100000001B3)  # FNV-64 prime: odd, so the polynomial hash is a bijection per step
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finalizer constants
_MIX2 = np.uint64(0x94D049BB133111EB)


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in range(0x20):
        table[cp] = " "  # control characters (including NUL, our batch separator) become spaces
    for cp in range(0x7F, 0xA0):
        table[cp] = " "
    for cp in range(0xFF01, 0xFF5F):
        table[cp] = chr(cp - 0xFEE0)  # full-width ASCII typed on Korean IMEs → ASCII
    table[0x3000] = " "  # ideographic space
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFE0E, 0xFE0F):
        table[cp] = None  # zero-width joiners and emoji variation selectors carry no meaning
    for cp in (0x2018, 0x2019, 0x201B, 0x2032, 0x0060, 0x00B4):
        table[cp] = "'"
    for cp in (0x201C, 0x201D, 0x201F, 0x2033):
        table[cp] = '"'
    table[0x2026] = "..."
    return table


_TRANSLATION = _build_translation()
_REPEAT_RE = re.compile(r"(.)\1{2,}", re.DOTALL)
_SPACE_RE = re.compile(r"\s+")
# SST-2 is pre-tokenized ("does n't", "ca n't"); real text is not ("doesn't", "can't"). Both must
# end up as the same tokens or negation learned on one never fires on the other.
_CONTRACTION_RES = (
    (re.compile(r"\b(?:wo\s?n't|won't)\b"), "will not"),
    (re.compile(r"\b(?:ca\s?n't|can't|cannot)\b"), "can not"),
    (re.compile(r"\s?n't\b"), " not"),
    (re.compile(r"\s?'(s|re|ve|ll|d|m)\b"), r" '\1"),
)
# Speech level is style, not sentiment: NSMC's angry reviewers write plain "-다" while product
# reviewers of both moods write polite "-요"/"-습니다", so a model fitted on movies learns "요" as
# praise. Polite endings are folded onto plain ones: "좋습니다"/"합니다" → "좋다"/"하다", and a
# word-final 요/용 is dropped ("늦어요" → "늦어"), except in nouns such as 필요 and 중요.
_FINAL_B_OFFSET = 17  # jongseong index of ㅂ inside a precomposed Hangul syllable
_B_FINAL_SYLLABLES = "".join(chr(0xAC00 + block * 28 + _FINAL_B_OFFSET) for block in range(19 * 21))
_FORMAL_ENDING_RE = re.compile("(습|[" + _B_FINAL_SYLLABLES + "])니[다까]")
_POLITE_YO_RE = re.compile(r"(?<=[가-힣])(?<![필중수주강개동소])[요용](?=[^가-힣]|$)")
_STEM_CHARS = 6
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_EN_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "nor", "neither", "nowhere"}
    | {"without", "hardly", "barely", "lack", "lacks", "lacking"}
)
_KO_NEGATORS = frozenset({"안", "못", "별로"})
_SCOPE_BREAKERS = frozenset({".", ",", "!", "?", ";", ":", "but", "however", "although", "though"})
_NEGATION_SCOPE = 4


def normalize_text(text: str) -> str:
    """Return the canonical form every feature is computed from (never raises on a str)."""
    if len(text) > MAX_SCORED_CHARS:
        text = text[:_HEAD_CHARS] + " " + text[-(MAX_SCORED_CHARS - _HEAD_CHARS) :]
    # Lone surrogates (from bad decoding upstream) would make encode() raise later.
    text = text.encode("utf-8", "replace").decode("utf-8")
    # NFC, not NFKC: NFKC rewrites ㅋ/ㅠ compatibility jamo into conjoining jamo and splits the
    # laughter/crying markers that carry sentiment in Korean reviews.
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION).lower()
    if "'" in text:
        for pattern, replacement in _CONTRACTION_RES:
            text = pattern.sub(replacement, text)
    # "ㅋㅋㅋㅋㅋ", "soooo", "!!!!!" → two repeats: intensity survives, the vocabulary does not explode.
    text = _REPEAT_RE.sub(r"\1\1", text)
    if "니" in text:
        text = _FORMAL_ENDING_RE.sub(_plain_formal_ending, text)
    if "요" in text or "용" in text:
        text = _POLITE_YO_RE.sub("", text)
    return _SPACE_RE.sub(" ", text).strip()


def _plain_formal_ending(match: re.Match[str]) -> str:
    stem = match.group(1)
    if stem == "습":
        return "다"
    return chr(ord(stem) - _FINAL_B_OFFSET) + "다"


def word_tokens(normalized: str) -> list[str]:
    """Split normalized text into word tokens, marking words inside a negation scope with '!'."""
    tokens = _TOKEN_RE.findall(normalized)
    marked: list[str] = []
    scope = 0
    for token in tokens:
        if token in _SCOPE_BREAKERS:
            scope = 0
            marked.append(token)
        elif token in _EN_NEGATORS:
            scope = _NEGATION_SCOPE
            marked.append(token)
        elif token in _KO_NEGATORS:
            scope = 1  # Korean 안/못 negate the one predicate that follows
            marked.append(token)
        elif scope > 0:
            scope -= 1
            marked.append("!" + token)
        else:
            marked.append(token)
    return marked


@dataclass(frozen=True, slots=True)
class HashedFeatures:
    """Sparse features of a batch in coordinate form: one row per (document, bucket) pair."""

    n_docs: int
    doc_ids: npt.NDArray[np.int64]
    buckets: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


def _finalize(hashes: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.int64]:
    """splitmix64's finalizer, then the top bits: every input bit moves every bucket bit."""
    h: npt.NDArray[np.uint64] = hashes ^ (hashes >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    h = h ^ (h >> np.uint64(31))
    buckets: npt.NDArray[np.int64] = (h >> np.uint64(64 - bits)).astype(np.int64)
    return buckets


def _char_ngram_hashes(
    normalized: Sequence[str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """Hash every character n-gram of every text at once, with spaces removed.

    Spaces are dropped because Korean reviewers space freely ("배송빠르고" vs "배송 빠르고"); word
    boundaries are still seen by the word features.
    """
    joined = "\x00".join(t.replace(" ", "") for t in normalized)
    if not joined:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    codepoints = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_sep = codepoints == 0
    doc_of_position = np.cumsum(is_sep, dtype=np.int64)
    seps_before = np.concatenate(([0], np.cumsum(is_sep, dtype=np.int64)))
    doc_parts: list[npt.NDArray[np.int64]] = []
    hash_parts: list[npt.NDArray[np.uint64]] = []
    with np.errstate(over="ignore"):
        for n in CHAR_NGRAM_SIZES:
            count = codepoints.size - n + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64((0x9E3779B97F4A7C15 * (n + 1)) & _MASK64), dtype=np.uint64)
            for offset in range(n):
                h = h * _MULT + codepoints[offset : offset + count]
            inside = seps_before[n : n + count] == seps_before[:count]
            doc_parts.append(doc_of_position[:count][inside])
            hash_parts.append(h[inside])
    return np.concatenate(doc_parts), np.concatenate(hash_parts)


def _word_ngram_hashes(
    normalized: Sequence[str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    docs: list[int] = []
    hashes: list[int] = []
    crc32 = zlib.crc32
    for doc, text in enumerate(normalized):
        tokens = word_tokens(text)
        for i, token in enumerate(tokens):
            encoded = token.encode("utf-8")
            hashes.append(crc32(encoded))
            docs.append(doc)
            if len(token) > _STEM_CHARS + 1 and token.isascii():
                # A crude stem shares evidence between "disappointing" and "disappointed".
                hashes.append(crc32(encoded[: _STEM_CHARS + token.startswith("!")] + b"~"))
                docs.append(doc)
            if i + 1 < len(tokens):
                # Bigrams use the unmarked next token; the marker already sits on unigrams.
                hashes.append(crc32(tokens[i + 1].lstrip("!").encode("utf-8"), crc32(encoded + b"\x01")))
                docs.append(doc)
    return np.asarray(docs, dtype=np.int64), np.asarray(hashes, dtype=np.uint64)


def hash_features(normalized: Sequence[str], bits: int = HASH_BITS) -> HashedFeatures:
    """Hashed binary char n-gram and word uni/bigram features of already-normalized texts.

    Each feature group is scaled by 1/sqrt(distinct features in the group), so short and long
    texts, and the character and word views, weigh the same.
    """
    n_docs = len(normalized)
    groups = (_char_ngram_hashes(normalized), _word_ngram_hashes(normalized))
    doc_parts: list[npt.NDArray[np.int64]] = []
    bucket_parts: list[npt.NDArray[np.int64]] = []
    value_parts: list[npt.NDArray[np.float64]] = []
    for group, (docs, hashes) in enumerate(groups):
        if docs.size == 0:
            continue
        with np.errstate(over="ignore"):
            buckets = _finalize(hashes + np.uint64(group * 0x632BE59BD9B4E019), bits)
        # Presence, not counts: a word repeated in one short review is emphasis, not new evidence.
        # Sort-based dedup: numpy's hash-based np.unique is several times slower on these arrays.
        keys = np.sort(docs << np.int64(bits) | buckets)
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        unique_docs = keys >> np.int64(bits)
        per_doc = np.bincount(unique_docs, minlength=n_docs).astype(np.float64)
        doc_parts.append(unique_docs)
        bucket_parts.append(keys & np.int64((1 << bits) - 1))
        value_parts.append(1.0 / np.sqrt(per_doc[unique_docs]))
    if not doc_parts:
        return HashedFeatures(n_docs, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return HashedFeatures(n_docs, np.concatenate(doc_parts), np.concatenate(bucket_parts), np.concatenate(value_parts))


# --- domain lexicon ---------------------------------------------------------------------------

# A verdict usually follows the contrast: "디자인은 예쁜데 너무 불편해요", "looks nice but broke in a week".
# Hangul syllables ending in ㄴ (final index 4), for the fused "-ㄴ데" of "예쁜데", "편한데".
_N_FINAL_SYLLABLES = "".join(chr(0xAC00 + block * 28 + 4) for block in range(19 * 21))
# ("although" is left out on purpose: the clause it opens is the concession, not the verdict.)
_CONTRAST_RE = re.compile(r"\b(?:but|however)\b|지만|는데|던데|[" + _N_FINAL_SYLLABLES + "]데")
_BEFORE_CONTRAST, _AFTER_CONTRAST = 0.5, 1.5
# "안 아파요", "못 써요": a Korean predicate negated by a preceding standalone 안/못 ...
_KO_PREFIX_NEGATION_RE = re.compile(r"(?:^|\s)(?:안|못)\s?$")
# ... or by a trailing "-지 않다" / "-지 못하다".
_KO_SUFFIX_NEGATION_RE = re.compile(r"\s?(?:지|진|지는|지도)\s?(?:않|못)")
# ... and a complaint word followed by "없다" is praise: "불량 없이", "잡내 하나도 없어요", "발열 거의 없음".
_KO_ABSENCE_RE = re.compile(
    r"\s?(?:이|가|은|는|도|이나|까지)?\s?(?:하나도|거의|전혀|별로|딱히|1도|일도|진짜|정말|완전)?\s?없"
)
_NEGATION_FLIP = -0.7  # "not great" is bad but milder than "terrible"


def _trie_pattern(patterns: Sequence[str]) -> str:
    """One regex that finds the longest listed pattern at each position, tolerating spaces.

    A trie keeps the alternation shallow, so matching stays linear in the text length, and the
    optional space between characters lets "배송빠르" match "배송 빠르고" and "배송빠르고" alike.
    """
    trie: dict[str, dict[str, object]] = {}
    for pattern in patterns:
        node = trie
        for char in pattern:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[""] = {}

    def build(node: dict[str, dict[str, object]]) -> str:
        alternatives = []
        for char in sorted(k for k in node if k):
            child: dict[str, dict[str, object]] = node[char]  # type: ignore[assignment]
            rest = ""
            if any(k for k in child):
                rest = r"(?:\s?" + build(child) + ")" + ("?" if "" in child else "")
            alternatives.append(re.escape(char) + rest)
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return build(trie) if trie else "(?!)"  # no patterns: a regex that never matches


class Lexicon:
    """Hand-curated sentiment priors, scored as a log-odds offset per text."""

    __slots__ = ("_char_re", "_char_weights", "_max_phrase", "_word_weights")

    def __init__(self, char_weights: dict[str, float], word_weights: dict[str, float]) -> None:
        self._char_weights = {k.replace(" ", ""): v for k, v in char_weights.items()}
        self._word_weights = word_weights
        self._char_re = re.compile(_trie_pattern(list(self._char_weights)))
        self._max_phrase = max((k.count(" ") + 1 for k in word_weights), default=1)

    @classmethod
    def from_json(cls, data: dict[str, dict[str, dict[str, float]]]) -> Lexicon:
        """Build from the lexicon file's structure: {"chars": {group: {...}}, "words": {group: {...}}}."""
        chars = {normalize_text(k): float(v) for group in data["chars"].values() for k, v in group.items()}
        words = {
            " ".join(_TOKEN_RE.findall(normalize_text(k))): float(v)
            for group in data["words"].values()
            for k, v in group.items()
        }
        return cls(chars, words)

    def score(self, normalized: str) -> float:
        """Sum of matched priors, flipped under negation and weighted around the last contrast."""
        if not normalized:
            return 0.0
        contrast_at = -1
        for contrast in _CONTRAST_RE.finditer(normalized):
            contrast_at = contrast.start()
        evidence: list[tuple[int, float]] = []
        for match in self._char_re.finditer(normalized):
            weight = self._char_weights.get(match.group().replace(" ", ""), 0.0)
            start, end = match.span()
            if (
                _KO_PREFIX_NEGATION_RE.search(normalized, max(0, start - 3), start)
                or _KO_SUFFIX_NEGATION_RE.match(normalized, end)
                or (weight < 0 and _KO_ABSENCE_RE.match(normalized, end))
            ):
                weight *= _NEGATION_FLIP
            evidence.append((start, weight))
        if self._word_weights:
            evidence.extend(self._word_evidence(normalized))
        # Re-weight only when something follows the contrast: a clause that merely ends in one
        # ("배송은 빨랐는데", as aspect tagging cuts it) keeps its full weight.
        if contrast_at < 0 or all(position < contrast_at for position, _ in evidence):
            return sum(weight for _, weight in evidence)
        return sum(weight * (_AFTER_CONTRAST if p >= contrast_at else _BEFORE_CONTRAST) for p, weight in evidence)

    def _word_evidence(self, normalized: str) -> list[tuple[int, float]]:
        matches = list(_TOKEN_RE.finditer(normalized))
        tokens = [m.group() for m in matches]
        evidence: list[tuple[int, float]] = []
        scope = 0
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in _SCOPE_BREAKERS:
                scope = 0
            elif token in _EN_NEGATORS:
                scope = _NEGATION_SCOPE + 1
            for length in range(min(self._max_phrase, len(tokens) - i), 0, -1):
                phrase = token if length == 1 else " ".join(tokens[i : i + length])
                weight = self._word_weights.get(phrase)
                if weight is None:
                    continue
                if _EN_NEGATORS.isdisjoint(tokens[i : i + length]):
                    if scope > 0:
                        weight *= _NEGATION_FLIP
                    scope = max(0, scope - length)
                else:
                    # A phrase that spells out its own negation ("will not be back") is already
                    # signed, and it uses the negation up.
                    scope = 0
                evidence.append((matches[i].start(), weight))
                i += length
                break
            else:
                scope = max(0, scope - 1)
                i += 1
        return evidence
