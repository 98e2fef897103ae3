"""Near-duplicate detection for VOC texts: copy-paste complaints and spam, linked to the earliest copy.

How two texts are compared:

* Both are reduced to a *duplicate key*: ``model_text`` (case, full-width forms, ㅋㅋㅋㅋ repeats), then
  everything that is not a letter or digit is dropped (spaces, punctuation, emoji, and ㅋㅋ/ㅠㅠ) and
  every run of digits becomes ``0``. "주문번호 2026-1234 환불 언제 돼요?? 😡" and "주문번호2026-9876 환불 언제 돼요"
  get the same key: spacing, emoji and a changed order number or amount do not make a text new.
* Similarity is the Jaccard index of the keys' character 3-grams (a Hangul syllable is a dense
  unit, so three of them are about a word). A changed name or a few appended words keep a copied
  complaint above the default threshold of 0.8; two customers' own words about the same topic share
  far fewer 3-grams.
* To avoid comparing each text with all of history, every key gets a MinHash signature (numpy,
  fixed seed, so signatures are the same in every process and can be stored), and LSH banding on the
  signature proposes candidates. Candidates are then verified with the exact Jaccard index, so the
  threshold is exact: a pair below it is never reported.

Keys shorter than ``MIN_CHARS`` (e.g. "좋아요", "thanks", "배송 빨라요") are never flagged, not even
when identical: such texts are common because many customers say the same short thing, not because
one was copied. Linking thousands of independent "감사합니다" to the first one would bury real
copy-paste waves. Nothing is ever dropped; a match only links an item to its original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from cxloop.text.normalize import model_text

__all__ = ["MIN_CHARS", "DuplicateIndex", "DuplicateMatch", "duplicate_key", "find_duplicates"]

#: Keys shorter than this (letters and digits only) are never reported as duplicates.
MIN_CHARS = 10
#: Only the start of a long text is compared; a pasted wall of text is recognised by its beginning.
MAX_CHARS = 2000
SHINGLE = 3

Signature = npt.NDArray[np.uint32]

# Besides punctuation and emoji, Hangul compatibility jamo go: ㅋㅋ, ㅠㅠ and ㅡㅡ are tone, not content.
_NOT_WORD = re.compile(r"[\W_\u3131-\u318e]+")
_DIGITS = re.compile(r"\d+")
# Changing the seed changes every signature; stored signatures would have to be recomputed.
_SEED = 20260811
# Probability that a pair exactly at the threshold becomes a candidate; banding is chosen to reach it.
_CANDIDATE_RECALL = 0.99
# Texts hashed per numpy chunk: bounds the (shingles x permutations) working array to a few MB.
_CHUNK_SHINGLES = 32_768
# Candidates whose signatures agree on fewer than (threshold - margin) of the permutations are not
# verified. The estimate's standard error is at most 0.5 / sqrt(num_perm) (0.0625 at 64), so a pair at
# the threshold is dropped with probability below 1e-3; verifying only likely pairs keeps templated
# history (thousands of texts sharing a sentence) from making each lookup slow.
_ESTIMATE_MARGIN = 0.2


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """Text ``index`` of the query is a near-duplicate of the earlier item ``original_id``."""

    index: int
    original_id: str
    similarity: float  # Jaccard index of character 3-grams of the duplicate keys, in [threshold, 1]


def duplicate_key(text: str) -> str:
    """The form texts are compared in: letters and digits of ``model_text``, digit runs as ``0``."""
    key = _NOT_WORD.sub("", model_text(text[: MAX_CHARS * 4]))
    return _DIGITS.sub("0", key)[:MAX_CHARS]


def _shingles(key: str) -> set[str]:
    return {key[i : i + SHINGLE] for i in range(len(key) - SHINGLE + 1)}


def _banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most selective banding that still proposes pairs at the threshold."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= _CANDIDATE_RECALL:
            return bands, rows
    return num_perm, 1


class DuplicateIndex:
    """Items seen so far (history and new), searchable for near-duplicates of new texts.

    Not thread-safe. Memory is about 1.2 KB per distinct key (signature, LSH buckets, the key and
    id: ~35 MB for 50,000 texts); an exact copy of an indexed key costs nothing, because the first
    copy answers for all of them.
    """

    def __init__(self, threshold: float = 0.8, num_perm: int = 64, *, min_chars: int = MIN_CHARS) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if num_perm < 8:
            raise ValueError("num_perm must be at least 8")
        self.threshold = threshold
        self.num_perm = num_perm
        self.min_chars = max(min_chars, SHINGLE)
        rng = np.random.default_rng(_SEED)
        self._mul = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._add = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
        self._bands, self._rows = _banding(threshold, num_perm)
        self._band_mix = rng.integers(0, 1 << 63, size=self._rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._ids: list[str] = []  # per distinct key, the first item that had it
        self._keys: list[str] = []
        self._sigs = np.empty((1024, num_perm), dtype=np.uint32)
        self._by_key: dict[str, int] = {}
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(self._bands)]
        self._count = 0

    def __len__(self) -> int:
        """Items added (short texts excluded, exact copies included)."""
        return self._count

    def signature(self, text: str) -> Signature:
        """MinHash signature of ``text`` (``num_perm`` uint32), the same in every process and machine.

        A text with fewer than three key characters gets all ones; ``add`` ignores short texts anyway.
        """
        row: Signature = self.signatures([text])[0]
        return row

    def signatures(self, texts: Sequence[str]) -> npt.NDArray[np.uint32]:
        """Signatures of many texts at once, shape ``(len(texts), num_perm)``; much faster than one by one."""
        return self._key_signatures([duplicate_key(text) for text in texts])

    def add(self, item_id: str, text: str, *, signature: Signature | None = None) -> None:
        """Index an item; pass its stored ``signature`` to skip recomputing it."""
        sigs = None if signature is None else np.asarray(signature, dtype=np.uint32).reshape(1, -1)
        self.add_many([(item_id, text)], signatures=sigs)

    def add_many(self, items: Iterable[tuple[str, str]], *, signatures: npt.NDArray[np.uint32] | None = None) -> None:
        """Index items in order; ``signatures`` (one row per item, as from ``signatures``) is optional."""
        pairs = list(items)
        if signatures is not None and signatures.shape != (len(pairs), self.num_perm):
            raise ValueError(f"signatures must have shape ({len(pairs)}, {self.num_perm})")
        for entry in self._prepare(pairs, signatures):
            self._insert(entry)

    def find(self, texts: Sequence[str]) -> list[DuplicateMatch | None]:
        """For each text, its most similar indexed item at or above the threshold, or None.

        Texts are not compared with each other and are not added; see ``find_and_add`` for that.
        Ties go to the item indexed first, so every exact copy points to the same original.
        """
        entries = self._prepare([("", text) for text in texts])
        return [self._best(index, entry) for index, entry in enumerate(entries)]

    def find_and_add(self, items: Sequence[tuple[str, str]]) -> list[DuplicateMatch | None]:
        """Check each item against everything indexed before it (earlier batch items too), then add it.

        This is the per-batch call of a long-lived index: within-batch copies link to the earliest.
        """
        matches: list[DuplicateMatch | None] = []
        for index, entry in enumerate(self._prepare(items)):
            matches.append(self._best(index, entry))
            self._insert(entry)
        return matches

    # -- internals ------------------------------------------------------------------------------

    def _prepare(
        self, items: Sequence[tuple[str, str]], signatures: npt.NDArray[np.uint32] | None = None
    ) -> list[_Entry]:
        """Key, signature and band keys per item, computed for the whole batch at once."""
        keys = [duplicate_key(text) for _, text in items]
        long = [i for i, key in enumerate(keys) if len(key) >= self.min_chars]
        sigs = self._key_signatures([keys[i] for i in long]) if signatures is None else signatures[long]
        entries = [_Entry(item_id, key, None, None) for (item_id, _), key in zip(items, keys, strict=True)]
        for row, (i, bands) in enumerate(zip(long, self._band_keys(sigs), strict=True)):
            entries[i] = _Entry(entries[i].item_id, keys[i], sigs[row], bands)
        return entries

    def _key_signatures(self, keys: list[str]) -> npt.NDArray[np.uint32]:
        out = np.full((len(keys), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        usable = [i for i, key in enumerate(keys) if len(key) >= SHINGLE]
        start = 0
        while start < len(usable):
            # Grow the chunk until it holds enough shingles, so memory stays bounded for long texts.
            stop, total = start, 0
            while stop < len(usable) and (total == 0 or total < _CHUNK_SHINGLES):
                total += len(keys[usable[stop]]) - SHINGLE + 1
                stop += 1
            chunk = usable[start:stop]
            out[chunk] = self._minhash([keys[i] for i in chunk])
            start = stop
        return out

    def _minhash(self, keys: list[str]) -> npt.NDArray[np.uint32]:
        """MinHash of keys that each have at least one shingle."""
        codes = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes64 = codes.astype(np.uint64)
        n = len(codes64) - SHINGLE + 1
        # Code points fit in 21 bits, so three of them pack into one 63-bit integer without collision.
        shingle = (codes64[:n] << np.uint64(42)) | (codes64[1 : n + 1] << np.uint64(21)) | codes64[2 : n + 2]
        shingle = _mix64(shingle)
        lengths = np.fromiter((len(key) for key in keys), dtype=np.int64, count=len(keys))
        counts = lengths - (SHINGLE - 1)
        text_starts = np.cumsum(lengths) - lengths
        seg_starts = np.cumsum(counts) - counts
        # Keep only shingles that lie inside one text, not across the seam to the next.
        positions = np.repeat(text_starts - seg_starts, counts) + np.arange(int(counts.sum()))
        # Permutations along rows, shingles along columns: the min-reduction then runs over contiguous
        # memory, which is many times faster than reducing down columns.
        hashed = self._mul[:, None] * shingle[positions][None, :]
        hashed += self._add[:, None]
        lowest = np.minimum.reduceat(hashed, seg_starts, axis=1).T
        return (lowest >> np.uint64(32)).astype(np.uint32)

    def _band_keys(self, sigs: npt.NDArray[np.uint32]) -> list[list[int]]:
        used = sigs[:, : self._bands * self._rows].astype(np.uint64)
        banded = used.reshape(len(sigs), self._bands, self._rows) * self._band_mix[None, None, :]
        keys: list[list[int]] = banded.sum(axis=2, dtype=np.uint64).tolist()
        return keys

    def _insert(self, entry: _Entry) -> None:
        if entry.signature is None or entry.bands is None:
            return  # a short text: never flagged, so never an original either
        self._count += 1
        if entry.key in self._by_key:
            return  # an exact copy: the first item with this key already answers for it
        position = len(self._ids)
        if position == len(self._sigs):
            self._sigs = np.concatenate([self._sigs, np.empty_like(self._sigs)])
        self._sigs[position] = entry.signature
        self._ids.append(entry.item_id)
        self._keys.append(entry.key)
        self._by_key[entry.key] = position
        for bucket, band in zip(self._buckets, entry.bands, strict=True):
            bucket.setdefault(band, []).append(position)

    def _best(self, index: int, entry: _Entry) -> DuplicateMatch | None:
        if entry.signature is None or entry.bands is None:
            return None
        exact = self._by_key.get(entry.key)
        if exact is not None:
            return DuplicateMatch(index, self._ids[exact], 1.0)
        found: set[int] = set()
        for bucket, band in zip(self._buckets, entry.bands, strict=True):
            hits = bucket.get(band)
            if hits is not None:
                found.update(hits)
        if not found:
            return None
        candidates = np.fromiter(found, dtype=np.int64, count=len(found))
        candidates.sort()
        agreement = np.count_nonzero(self._sigs[candidates] == entry.signature, axis=1)
        likely = candidates[agreement >= (self.threshold - _ESTIMATE_MARGIN) * self.num_perm]
        if not len(likely):
            return None
        query = _shingles(entry.key)
        best_position, best_similarity = -1, 0.0
        for position in likely.tolist():
            other = _shingles(self._keys[position])
            shared = len(query & other)
            similarity = shared / (len(query) + len(other) - shared)
            # Strictly greater: among equally similar items the earliest stays the original.
            if similarity >= self.threshold and similarity > best_similarity:
                best_position, best_similarity = position, similarity
        if best_position < 0:
            return None
        return DuplicateMatch(index, self._ids[best_position], round(best_similarity, 6))


class _Entry(NamedTuple):
    item_id: str
    key: str
    signature: Signature | None  # None for keys shorter than min_chars
    bands: list[int] | None


def _mix64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finalizer: spreads packed code points over all 64 bits before multiply-shift."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values ^= values >> np.uint64(27)
    values = values * np.uint64(0x94D049BB133111EB)
    values ^= values >> np.uint64(31)
    return values


def find_duplicates(
    new: Sequence[tuple[str, str]], history: Iterable[tuple[str, str]], threshold: float = 0.8
) -> dict[str, DuplicateMatch]:
    """Map each new item id that duplicates an earlier item to its match (``index`` is into ``new``).

    Earlier means history, or an item before it in ``new``: copies within the batch link to the
    earliest copy. History items that reappear in ``new`` (a re-run) are ignored as history.
    """
    index = DuplicateIndex(threshold)
    new_ids = {item_id for item_id, _ in new}
    index.add_many((item_id, text) for item_id, text in history if item_id not in new_ids)
    matches = index.find_and_add(new)
    return {new[m.index][0]: m for m in matches if m is not None}
