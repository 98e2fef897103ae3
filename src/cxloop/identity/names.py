"""Person names, Korean and romanized: one comparable writing per name, whatever the script or order.

* `romanize` writes Hangul in the Revised Romanization (syllable by syllable, no sound-change rules:
  names are read syllable by syllable anyway).
* `split_name` turns a full name into (first, last): a Hangul name without spaces starts with its
  surname (one syllable, or two for 남궁/제갈/...); in a romanized name a token that is a known Korean
  surname is the last name wherever it stands ("Kim Minsu" and "Minsu Kim" agree); otherwise the
  Western order (last token = last name) is assumed.
* `name_text` is the lower-case romanized form used for similarity; `name_key` folds the usual
  romanization variants (Park/Bak, Lee/Yi/Rhee, Minsoo/Minsu, Younghee/Yeonghui) onto one key.
"""

from __future__ import annotations

import re
import unicodedata

_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_MEDIALS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo",
    "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
)  # fmt: skip
_FINALS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l",
    "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
)  # fmt: skip
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3

#: Korean surnames in Hangul and their usual romanizations, all onto one canonical spelling.
_SURNAMES: dict[str, tuple[str, ...]] = {
    "kim": ("김", "gim", "kim"),
    "lee": ("이", "리", "lee", "yi", "i", "rhee", "ri", "rhie"),
    "park": ("박", "park", "bak", "pak", "bahk"),
    "choi": ("최", "choi", "choe", "chwe"),
    "jung": ("정", "jung", "jeong", "chung", "cheong", "joung"),
    "kang": ("강", "kang", "gang"),
    "cho": ("조", "cho", "jo", "joh"),
    "yoon": ("윤", "yoon", "yun"),
    "jang": ("장", "jang", "chang"),
    "lim": ("임", "림", "lim", "im", "rim", "yim"),
    "han": ("한", "han"),
    "oh": ("오", "oh", "o"),
    "seo": ("서", "seo", "suh", "so"),
    "shin": ("신", "shin", "sin"),
    "kwon": ("권", "kwon", "gwon"),
    "hwang": ("황", "hwang"),
    "ahn": ("안", "ahn", "an"),
    "song": ("송", "song"),
    "jeon": ("전", "jeon", "jun", "chun", "chon"),
    "hong": ("홍", "hong"),
    "yoo": ("유", "류", "yoo", "yu", "ryu", "ryoo", "you"),
    "ko": ("고", "ko", "go"),
    "moon": ("문", "moon", "mun"),
    "yang": ("양", "yang"),
    "son": ("손", "son", "sohn"),
    "bae": ("배", "bae", "pae"),
    "baek": ("백", "baek", "paik", "paek", "baik"),
    "heo": ("허", "heo", "hur", "huh"),
    "nam": ("남", "nam"),
    "noh": ("노", "노", "noh", "no", "roh"),
    "ha": ("하", "ha"),
    "kwak": ("곽", "kwak", "gwak"),
    "sung": ("성", "sung", "seong"),
    "cha": ("차", "cha"),
    "woo": ("우", "woo", "u"),
    "koo": ("구", "koo", "gu", "ku"),
    "min": ("민", "min"),
    "namgung": ("남궁", "namgung", "namkung"),
    "jegal": ("제갈", "jegal", "chegal"),
    "seonwoo": ("선우", "seonwoo", "sunwoo", "seonu"),
    "hwangbo": ("황보", "hwangbo"),
    "dokgo": ("독고", "dokgo"),
    "sagong": ("사공", "sagong"),
    "seomun": ("서문", "seomun"),
}
SURNAME_OF: dict[str, str] = {variant: canonical for canonical, vs in _SURNAMES.items() for variant in vs}
_RANK = {canonical: rank for rank, canonical in enumerate(_SURNAMES)}  # the table is ordered by frequency
_TWO_SYLLABLE = {s for s in SURNAME_OF if len(s) == 2 and _HANGUL_FIRST <= ord(s[0]) <= _HANGUL_LAST}
# A one-letter romanized surname ("i", "o", "u") is too common as an initial to count as a surname.
_ROMAN_SURNAMES = {s for s in SURNAME_OF if s.isascii() and len(s) >= 2}
_NOT_NAME = re.compile(r"[^\w\s]|_|\d")
_FOLDS = (
    ("oo", "u"), ("ee", "i"), ("eo", "u"), ("ou", "u"), ("eu", "u"), ("ui", "i"), ("ae", "e"),
    ("sh", "s"), ("ch", "j"), ("k", "g"), ("t", "d"), ("p", "b"), ("r", "l"),
)  # fmt: skip
_FINAL_H = re.compile(r"(?<=[aeiou])h$")  # Ahn/An, Oh/O, Suh/Seo
_DOUBLE = re.compile(r"(.)\1+")


def is_hangul(text: str) -> bool:
    return any(_HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST for ch in text)


def romanize(text: str) -> str:
    """Hangul syllables in the Revised Romanization; every other character unchanged."""
    out: list[str] = []
    for ch in text:
        code = ord(ch) - _HANGUL_FIRST
        if 0 <= code <= _HANGUL_LAST - _HANGUL_FIRST:
            out.append(_INITIALS[code // 588] + _MEDIALS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def clean_name(raw: str) -> str:
    """NFKC, lower case, punctuation and digits dropped, spaces collapsed ("KIM, Min-su" → "kim min su")."""
    text = unicodedata.normalize("NFKC", raw).lower().replace("-", "")
    return " ".join(_NOT_NAME.sub(" ", text).split())


def _hangul_surname(token: str) -> str:
    return token[:2] if token[:2] in _TWO_SYLLABLE else token[:1]


def split_name(full: str) -> tuple[str, str]:
    """(first, last) of a cleaned full name, in the writing given (Hangul stays Hangul)."""
    tokens = clean_name(full).split()
    if not tokens:
        return "", ""
    if len(tokens) == 1:
        token = tokens[0]
        if is_hangul(token) and len(token) >= 2:
            surname = _hangul_surname(token)
            return token[len(surname) :], surname
        return token, ""
    if all(is_hangul(t) for t in tokens):  # "김 민수": surname first, as Koreans write it
        return "".join(tokens[1:]), tokens[0]
    candidates = [i for i, t in enumerate(tokens) if t in _ROMAN_SURNAMES]
    if candidates:  # "Jun Park": both could be surnames; the more frequent one is taken
        index = min(candidates, key=lambda i: (_RANK[SURNAME_OF[tokens[i]]], i))
        return "".join(t for i, t in enumerate(tokens) if i != index), tokens[index]
    return "".join(tokens[:-1]), tokens[-1]


def name_text(raw: str) -> str:
    """The comparable writing of one name part: cleaned, romanized, without spaces ("Min Su" → "minsu")."""
    return romanize(clean_name(raw)).replace(" ", "")


def surname_text(raw: str) -> str:
    """A last name's comparable writing: Korean surnames and their romanizations become one spelling."""
    cleaned = clean_name(raw).replace(" ", "")
    canonical = SURNAME_OF.get(cleaned)
    return canonical if canonical else romanize(cleaned)


def name_key(text: str) -> str:
    """A loose key of a comparable writing, folding romanization variants; for exact comparison only."""
    key = SURNAME_OF.get(text, text)
    key = _FINAL_H.sub("", key)
    for old, new in _FOLDS:
        key = key.replace(old, new)
    return _DOUBLE.sub(r"\1", key)
