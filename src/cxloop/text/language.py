"""Language identification for VOC text by script: Korean, English, mixed, or other.

The decision is made on letters only (digits, emoji and punctuation say nothing about language):

1. No letters at all → ``other`` (empty, whitespace, emoji-only, numbers-only).
2. Letters from other scripts (kana, Han, Cyrillic, Greek, Arabic, Thai, ...) outweigh Hangul and
   Latin together → ``other``.
3. Otherwise compare Hangul with Latin. A Hangul syllable block packs two or three letters of the
   Korean alphabet (consonant + vowel + optional final), so each syllable weighs
   ``HANGUL_SYLLABLE_WEIGHT`` = 2.5 Latin letters; a bare jamo (ㅋ, ㅠ) weighs 1. Han ideographs
   and kana weigh the same as a syllable block for the same reason. With ``latin_share`` =
   Latin / (Latin + weighted Hangul):

   * ``latin_share < KO_BELOW`` (0.2) → ``ko``; ``latin_share > EN_ABOVE`` (0.8) → ``en``.
     One language under a fifth of the letters is a quote or a loanword, not a second language.
   * In between, the text is ``mixed`` only if *both* languages show grammar, because Korean VOC
     is full of English nouns ("앱 로그인 error 나요", "iPhone 15 Pro 배터리가 빨리 닳아요") and
     English VOC borrows Korean nouns ("I ordered 떡볶이 and it was cold"). English grammar means
     at least one English function word (the, is, I, you, to, ...). Korean grammar means two or more
     Hangul words, or one word ending like a sentence (감사합니다, 좋아요, 별로임).
     With grammar on one side only, that side wins; with neither, the larger share wins.

Thresholds were set on hand-checked VOC lines (see tests/text/test_language.py); they are
constants so that a calibration run can move them in one place.
"""

from __future__ import annotations

import re

from cxloop.domain import Language

__all__ = ["EN_ABOVE", "HANGUL_SYLLABLE_WEIGHT", "KO_BELOW", "detect_language"]

HANGUL_SYLLABLE_WEIGHT = 2.5
KO_BELOW = 0.2
EN_ABOVE = 0.8

_HANGUL_SYLLABLES = re.compile("[\uac00-\ud7a3]+")
_HANGUL_JAMO = re.compile("[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\ud7b0-\ud7ff]+")
_LATIN = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a]+")
# Syllabic and logographic scripts: kana, Han (BMP and supplementary planes), half-width kana.
_CJK = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)
_ANY_LETTERS = re.compile(r"[^\W\d_]+")
_ASCII_LETTER = re.compile("[A-Za-z]")

_ENGLISH_WORD = re.compile("[A-Za-z]+")
# fmt: off
_ENGLISH_FUNCTION_WORDS = frozenset(
    (
        "a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "he", "she", "it", "its", "they",
        "them", "their", "this", "that", "these", "those", "is", "am", "are", "was", "were", "be", "been",
        "being", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could", "should", "to",
        "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "after", "before", "and",
        "but", "or", "so", "if", "because", "than", "not", "no", "very", "too", "just", "really", "please",
        "thank", "thanks", "what", "why", "how", "when", "where", "who", "there", "here", "all", "any",
        "some",
    )
)
# fmt: on
# Endings of a Korean sentence: polite/plain declaratives and questions, and the nominal style
# of reviews and chats (별로임, 배송 지연됨, 만족함).
_KOREAN_SENTENCE_END = re.compile("(?:요|다|죠|까|네|음|함|임|됨|셈|듯)$")


def detect_language(text: str) -> Language:
    """Return ``ko``, ``en``, ``mixed`` or ``other`` for ``text`` by its letters' scripts.

    Never raises; empty text and text without letters are ``other``.
    """
    if text.isascii():
        # Fast path for the common all-ASCII case: any letter means English.
        return Language.EN if _ASCII_LETTER.search(text) else Language.OTHER

    syllables = _run_length(_HANGUL_SYLLABLES, text)
    jamo = _run_length(_HANGUL_JAMO, text)
    latin_letters = _run_length(_LATIN, text)
    cjk = _run_length(_CJK, text)
    # Whatever letters are left belong to alphabets such as Cyrillic, Greek, Arabic or Thai.
    alphabetic_other = max(_run_length(_ANY_LETTERS, text) - syllables - jamo - latin_letters - cjk, 0)
    hangul = syllables * HANGUL_SYLLABLE_WEIGHT + jamo
    latin = float(latin_letters)
    other = cjk * HANGUL_SYLLABLE_WEIGHT + alphabetic_other

    if hangul + latin + other == 0 or other > hangul + latin:
        return Language.OTHER
    if latin == 0:
        return Language.KO
    if hangul == 0:
        return Language.EN

    latin_share = latin / (latin + hangul)
    if latin_share < KO_BELOW:
        return Language.KO
    if latin_share > EN_ABOVE:
        return Language.EN

    english_grammar = any(word.lower() in _ENGLISH_FUNCTION_WORDS for word in _ENGLISH_WORD.findall(text))
    korean_words = _HANGUL_SYLLABLES.findall(text)
    korean_grammar = len(korean_words) >= 2 or any(_KOREAN_SENTENCE_END.search(w) for w in korean_words)
    if english_grammar and korean_grammar:
        return Language.MIXED
    if english_grammar:
        return Language.EN
    if korean_grammar:
        return Language.KO
    return Language.EN if latin_share >= 0.5 else Language.KO


def _run_length(pattern: re.Pattern[str], text: str) -> int:
    # Summing run lengths creates one match object per run instead of one per character.
    return sum(match.end() - match.start() for match in pattern.finditer(text))
