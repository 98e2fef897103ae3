"""Text cleanup for Korean and English VOC: one form for storage and display, one for models.

Two functions, two audiences:

* ``normalize_text`` is what we store and show. It only removes things nobody can see or mean
  (control characters, stray zero-width characters, broken surrogates) and puts text into one
  Unicode form, so that the same sentence typed on macOS (decomposed Hangul) and on Windows
  compares equal. Line structure is kept because agents read these texts.
* ``model_text`` is what tokenizers and classifiers consume. It goes further: one line, lower
  case, full-width ASCII folded, and expressive repeats (ㅋㅋㅋㅋ, !!!!!, 좋아요오오오) squeezed so
  that "ㅋㅋ" and "ㅋㅋㅋㅋㅋㅋ" become one vocabulary item. The original text is never replaced by
  this form.

Both accept any ``str`` (lone surrogates, NUL, megabyte strings) and never raise.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["model_text", "normalize_text"]

# A str can carry surrogate code points (from JSON "\ud83d" escapes or surrogateescape decoding).
# They cannot be encoded to UTF-8, so every later write to a database or HTTP body would fail.
_SURROGATE = re.compile("[\ud800-\udfff]")

# Invisible characters that carry no meaning in VOC text. Zero-width spaces, the BOM and bidi
# controls come from copy-paste and are also used to dodge filters ("0\u200b1\u200b0..."), so they
# are dropped rather than turned into spaces. C0/C1 controls that are not whitespace go too.
# ZWJ/ZWNJ and variation selectors stay here because they shape emoji (family, skin tone) that
# agents should see as sent; model_text drops them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\ufff9-\ufffb\ufffe\uffff]"
)
_JOINERS = re.compile("[\u200c\u200d\ufe00-\ufe0f\U000e0100-\U000e01ef]")

# Every way of ending a line becomes "\n"; the C0 separators \x1c-\x1f count as whitespace in
# Python, and as field separators they behave like spaces.
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")

# Full-width ASCII (U+FF01..U+FF5E) as typed in Korean/Japanese IME full-width mode.
_FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

# Expressive repeats. Digits are never squeezed: "1000000원" is an amount, not an emotion.
_REPEAT = re.compile(r"([^\d\s])\1{2,}")
# Korean vowel lengthening: a run of the same vowel-only syllable (onset ㅇ, no final consonant:
# 아 야 어 여 오 요 우 유 으 이 애 에 ...) right after another syllable is one drawn-out vowel, so
# "좋아요오오오" and "좋아요오오" both become "좋아요오". Outside that position (e.g. "아아아" at
# the start of a word) the general rule keeps two.
_VOWEL_SYLLABLES = "".join(chr(0xAC00 + 11 * 588 + vowel * 28) for vowel in range(21))
_LENGTHENING = re.compile(f"(?<=[\uac00-\ud7a3])([{_VOWEL_SYLLABLES}])\\1+")


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC with invisible characters removed and whitespace tidied.

    Runs of spaces and tabs become one space, line breaks become ``\\n``, at most one blank line is
    kept, and the ends are stripped. Lone surrogates become U+FFFD. Never raises for any ``str``.
    """
    if not text:
        return ""
    if _SURROGATE.search(text):
        # Re-pairs valid surrogate pairs into real characters and replaces lone halves.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    # NFC, not NFKC: NFKC maps compatibility jamo (ㅋ, ㅠ) to conjoining jamo and would destroy
    # "ㅋㅋ"; it also rewrites ①, ™ and full-width forms that agents should see as sent.
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _LINE_BREAK.sub("\n", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    if "\n" in text:
        text = _SPACE_AROUND_NEWLINE.sub("\n", text)
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def model_text(text: str) -> str:
    """Return the form models consume: ``normalize_text`` on one line, lower-cased, repeats squeezed.

    Full-width ASCII is folded to ASCII, emoji joiners and variation selectors are dropped, any
    non-digit character repeated three or more times is cut to two (ㅋㅋㅋㅋ → ㅋㅋ, !!!!! → !!),
    and a lengthened Korean vowel is cut to one (좋아요오오오 → 좋아요오). Never raises.
    """
    text = normalize_text(text)
    if not text:
        return ""
    text = _JOINERS.sub("", text)
    if not text.isascii():
        text = text.translate(_FULLWIDTH_TO_ASCII)
        text = _LENGTHENING.sub(r"\1", text)
    # str.lower also folds Greek and Cyrillic; Hangul has no case, so Korean is unaffected.
    text = _ANY_SPACE.sub(" ", text.lower()).strip()
    return _REPEAT.sub(_squeeze, text)


def _squeeze(match: re.Match[str]) -> str:
    # "www." is a host name, not a lengthened w.
    if match.group(0) == "www" and match.string.startswith(".", match.end()):
        return "www"
    return match.group(1) * 2
