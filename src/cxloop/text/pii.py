"""Find and mask personal data in Korean and English text before it is analysed, indexed or shown.

Kinds and what counts (details and the reasoning live next to each pattern):

* ``email`` — ``name@domain.tld``, also ``name(at)domain.tld``; ASCII addresses only.
* ``phone`` — Korean mobile, landline, 070 and 050x numbers in any common writing, ``+82`` forms,
  ``+``-prefixed international numbers and North-American ``(415) 555-0100``. Company numbers
  (1588-xxxx style, 080 toll-free) are *not* personal and are left alone.
* ``rrn`` — 주민등록번호/외국인등록번호 with a real birth date and a valid check digit; numbers of
  people born since Oct 2020 have random digits and pass on the date alone.
* ``card`` — 13-19 digits that pass Luhn and fit an issuer's length.
* ``account`` — bank account numbers, only when a bank or account word labels them.
* ``address`` — Korean road-name, lot and apartment-unit addresses, English street addresses.

Numbers labelled as order, tracking, invoice or product ids ("주문번호 2026060312345") are skipped.
When two findings overlap the more specific kind wins (email > rrn > card > phone > account >
address), then the longer one.

Offsets are indices into the string passed in. Run this on ``normalize_text`` output: zero-width
characters inside a number ("010\\u200b1234...") are only removed by normalization.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cxloop.text._pii_address import find_addresses
from cxloop.text._pii_numbers import find_accounts, find_cards, find_phones, find_rrns

__all__ = ["PiiKind", "PiiSpan", "find_pii", "mask_pii"]


class PiiKind(StrEnum):
    """Kinds of personal data we detect; the value is also used in stored findings."""

    EMAIL = "email"
    PHONE = "phone"
    RRN = "rrn"
    CARD = "card"
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One finding: ``text[start:end]`` is personal data of ``kind``."""

    kind: PiiKind
    start: int
    end: int


# Higher wins an overlap: a validated or unambiguous shape beats a best-effort one.
_PRIORITY = {
    PiiKind.EMAIL: 6,
    PiiKind.RRN: 5,
    PiiKind.CARD: 4,
    PiiKind.PHONE: 3,
    PiiKind.ACCOUNT: 2,
    PiiKind.ADDRESS: 1,
}

# The detection view folds look-alike characters one-for-one, so offsets stay valid: full-width
# digits, letters and signs (IME full-width mode), dash variants, and exotic spaces.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD.update(dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), ord("-")))
_FOLD.update(dict.fromkeys(map(ord, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"), ord(" ")))
_FOLD.update(dict.fromkeys(map(ord, "\u2008\u2009\u200a\u202f\u205f\u3000"), ord(" ")))
_NEEDS_FOLD = re.compile("[\uff01-\uff5e\u2010-\u2015\u2212\ufe58\ufe63\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_HAS_DIGIT = re.compile("[0-9]")

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+'-])[A-Za-z0-9](?:[A-Za-z0-9._%+'-]{0,62}[A-Za-z0-9_%+-])?"
    r"(?:@|\s?[(\[]at[)\]]\s?)"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9-])",
    re.ASCII | re.IGNORECASE,
)


def find_pii(text: str) -> list[PiiSpan]:
    """Return the personal data in ``text`` as spans sorted by start and never overlapping.

    Never raises for any ``str``; text with neither a digit nor an "@"/"(at)" costs one scan.
    """
    view = text.translate(_FOLD) if not text.isascii() and _NEEDS_FOLD.search(text) else text
    candidates: list[PiiSpan] = []
    if "@" in view or "at)" in view or "at]" in view or "AT)" in view or "AT]" in view:
        candidates.extend(PiiSpan(PiiKind.EMAIL, *m.span()) for m in _EMAIL.finditer(view))
    # Every other kind contains a digit: phones, ids and cards are numbers, and addresses are
    # only accepted around a building, lot or unit number.
    if _HAS_DIGIT.search(view):
        candidates.extend(_spans(PiiKind.RRN, find_rrns(view)))
        candidates.extend(_spans(PiiKind.CARD, find_cards(view)))
        candidates.extend(_spans(PiiKind.PHONE, find_phones(view)))
        candidates.extend(_spans(PiiKind.ACCOUNT, find_accounts(view)))
        candidates.extend(_spans(PiiKind.ADDRESS, find_addresses(view)))
    return _resolve(candidates)


def mask_pii(text: str, spans: Sequence[PiiSpan] | None = None) -> str:
    """Replace each span with ``[EMAIL]``, ``[PHONE]``, ``[RRN]``, ``[CARD]``, ``[ACCOUNT]`` or ``[ADDRESS]``.

    Without ``spans`` the text is scanned with ``find_pii``. Given spans may come in any order; they
    are clipped to the text, and where two overlap the overlap is masked once (the later span's
    remainder still gets its own placeholder), so a caller's list can neither garble nor leak text.
    """
    if spans is None:
        spans = find_pii(text)
    parts: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(span.start, cursor, 0), min(span.end, len(text))
        if start >= end:
            continue
        parts.append(text[cursor:start])
        parts.append(f"[{span.kind.name}]")
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def _spans(kind: PiiKind, found: Iterable[tuple[int, int]]) -> Iterable[PiiSpan]:
    return (PiiSpan(kind, start, end) for start, end in found if end > start)


def _resolve(candidates: list[PiiSpan]) -> list[PiiSpan]:
    if len(candidates) <= 1:
        return candidates
    candidates.sort(key=lambda s: (-_PRIORITY[s.kind], s.start - s.end, s.start))
    starts: list[int] = []
    kept: list[PiiSpan] = []
    for span in candidates:
        i = bisect.bisect_left(starts, span.start)
        overlaps_next = i < len(kept) and kept[i].start < span.end
        overlaps_previous = i > 0 and kept[i - 1].end > span.start
        if not (overlaps_next or overlaps_previous):
            starts.insert(i, span.start)
            kept.insert(i, span)
    return kept
