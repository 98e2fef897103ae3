"""Clause splitting and seed matching behind ``cxloop.text.topics``: compiled once per taxonomy, run per text.

Clauses are cut on the lower-cased text by one regex whose every rule starts with a literal
character, so the regex engine jumps between candidate characters instead of trying each rule at
every position. Korean seeds are found by one trie-shaped regex on the clause with its spaces removed;
English seeds by a phrase dictionary over word tokens, with inflections, joined spellings and
one-letter typos of long words. Hits are two bitmasks over topic indexes, strong and weak.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cxloop.text.pii import PiiKind

__all__ = ["HANGUL", "Clause", "Matcher", "bits", "seed_key"]

# A listed aspect ("배송,", "The delivery and") is short; a longer neutral clause is a statement of its own.
_LIST_ITEM_MAX_WORDS = 3
# English seeds this long or longer also match one dropped, added or swapped letter. Shorter words
# have too many real neighbours (price/pride, study/sturdy).
_FUZZY_MIN_LETTERS = 6


def bits(mask: int) -> Iterable[int]:
    """The topic indexes set in ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


# -- clauses ---------------------------------------------------------------------------------------

_CONTRAST, _SENTENCE, _CLAUSE, _LIST = 3, 2, 1, 0  # boundary strength; the strongest of a run counts
_HANGUL_RANGE = "\uac00-\ud7a3"
# Hangul syllables ending in ㄴ (는 은 한 인 던 ...) and in ㅂ (합 입 됩 ...), for -ㄴ데 and -ㅂ니다.
_N_FINAL = "".join(chr(0xAC00 + 28 * i + 4) for i in range(399))
_B_FINAL = "".join(chr(0xAC00 + 28 * i + 17) for i in range(399))


def _boundary_rules() -> list[tuple[int, bool, str]]:
    """(strength, cut before the match?, regex) per boundary, on lower-cased text.

    Every regex starts with a literal character, so the joined pattern lets the regex engine skip
    straight to candidate characters; context is checked by lookbehinds placed after that character.
    """
    rules = [
        (_CONTRAST, True, word)
        for word in ("그런데", "근데", "그렇지만", "하지만", "그러나", "그치만", "그래도", "다만", "반면", "오히려")
    ]
    rules += [(_CLAUSE, True, word) for word in ("그리고", "또한")]
    for strength, words in (
        (_CONTRAST, "but however although though whereas while except nevertheless"),
        (_CLAUSE, "also plus"),
        (_LIST, "and"),
    ):
        rules += [(strength, True, f"{w[0]}(?<![a-z0-9]{w[0]}){w[1:]}(?![a-z0-9])") for w in words.split()]
    rules += [(_LIST, True, "및(?<=\\s및)(?=\\s)"), (_LIST, True, "&")]
    punctuation = ".!?。！？;…\n"
    rules += [
        (_SENTENCE, False, re.escape(c) + f"[{re.escape(punctuation)}]*" + ("(?![0-9a-z])" if c == "." else ""))
        for c in punctuation
    ]  # "3.5점" and "naver.com" are not sentence ends
    rules += [(_SENTENCE, False, f"{c}[ㅋㅎㅠㅜ]+") for c in "ㅋㅎㅠㅜ"]
    rules += [
        # -ㄴ데/-는데 and -지만 contrast; 가운데 ("middle") is a noun, -ㄴ데요 ends a sentence.
        (_CONTRAST, False, f"데(?<=[{_N_FINAL}]데)(?<!가운데)(?![요이])도?,?"),
        (_CONTRAST, False, "지만[은도]?,?"),
        (_SENTENCE, False, "요(?<=[어아여해워와봐줘돼져쳐셔려에예세네군데래대까]요)"),
        (_SENTENCE, False, "죠"),
        (_SENTENCE, False, f"니다(?<=[{_B_FINAL}습]니다)"),
        *((_SENTENCE, False, f"{c}(?<=[{_HANGUL_RANGE}]{c})(?=\\s|$)") for c in "다함임됨"),
        # -고 joins clauses ("빠르고 친절"); quoting -다고/-라고 does not.
        (_CLAUSE, False, f"고(?<=[{_HANGUL_RANGE}]고)(?<![다라냐자]고),?(?=\\s)"),
        *((_LIST, False, c) for c in ",，、"),
    ]
    return rules


_RULES = _boundary_rules()
# Each rule ends in an empty group, so match.lastindex names the rule that matched.
_BOUNDARY = re.compile("|".join(f"{regex}()" for _, _, regex in _RULES))


@dataclass(slots=True)
class Clause:
    """A span of the text that names the topics in ``mask``; ``key`` is its index in the scoring batch."""

    start: int
    end: int
    mask: int
    text: str = ""
    list_next: bool = False  # the next clause continues a list with this one ("배송, 포장 모두 만족")
    key: int = 0


def _pieces(low: str) -> Iterable[tuple[int, int, int]]:
    """(start, end, strength of the boundary before it) of each non-blank piece between boundaries."""
    cut, strength = 0, _LIST
    for match in _BOUNDARY.finditer(low):
        kind, before, _ = _RULES[(match.lastindex or 1) - 1]
        at = match.start() if before else match.end()
        if at > cut and not low[cut:at].isspace():
            yield cut, at, strength
            strength = kind
        else:
            strength = max(strength, kind)
        cut = max(cut, at)
    if cut < len(low) and not low[cut:].isspace():
        yield cut, len(low), strength


# -- seed matching ---------------------------------------------------------------------------------

HANGUL = re.compile(f"[{_HANGUL_RANGE}\u3131-\u318e]")
_WORD = re.compile(r"[a-z0-9]+")
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_NO_SPACE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH_CHARS = re.compile("[\uff01-\uff5e]")
# mask_pii placeholders ("[ACCOUNT]", "[CARD]") are not the customer's words.
_PII_PLACEHOLDER = re.compile("|".join(re.escape(f"[{kind.name.lower()}]") for kind in PiiKind))


def seed_key(seed: str) -> str:
    """The form a seed is matched in: Korean without spaces, English as space-joined word tokens."""
    low = unicodedata.normalize("NFC", seed).lower().translate(_FULLWIDTH)
    return _NO_SPACE.sub("", low) if HANGUL.search(low) else " ".join(_WORD.findall(low))


def _inflections(word: str) -> set[str]:
    """The word and its regular English inflections; impossible forms are harmless, they never occur."""
    forms = {word}
    if len(word) < 3 or not word.isalpha():
        return forms
    forms |= {word + "s", word + "es", word + "ed", word + "ing"}
    if word.endswith("e") and not word.endswith("ee"):  # not fee → feed
        forms |= {word + "d", word[:-1] + "ing"}
    if word.endswith("y") and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if word[-1] not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}  # ship → shipped, cancel → cancelled
    return forms


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_typo(token: str, seed: str) -> bool:
    """One letter dropped, added, or two neighbours swapped; a substitution (changed/charged) is not."""
    if len(token) == len(seed):
        diff = [i for i, (a, b) in enumerate(zip(token, seed, strict=True)) if a != b]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and (token[diff[0]], token[diff[1]]) == (seed[diff[1]], seed[diff[0]])
        )
    short, long = sorted((token, seed), key=len)
    i = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return len(long) - len(short) == 1 and short[i:] == long[i + 1 :]


def _trie_pattern(keys: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie so each position costs one branch per first character."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longest seed at a position wins

    return build(trie)


class Matcher:
    """Seeds compiled for speed. Hits are (strong, weak) bitmasks over the taxonomy's topic indexes."""

    __slots__ = ("english", "first_words", "fuzzy_cache", "fuzzy_index", "korean", "korean_hits", "longest")

    def __init__(self, seeds: Sequence[tuple[Iterable[str], Iterable[str]]]) -> None:
        """``seeds[i]`` is topic i's (strong seeds, weak seeds), in either language."""
        korean: dict[str, list[int]] = {}
        english: dict[str, list[int]] = {}
        inflected: dict[str, list[int]] = {}  # a form written in the file wins: packaging is not package+ing
        fuzzy_seeds: set[str] = set()
        for index, lists in enumerate(seeds):
            for slot, seed_list in enumerate(lists):
                for seed in seed_list:
                    key = seed_key(seed)
                    if HANGUL.search(key):
                        korean.setdefault(key, [0, 0])[slot] |= 1 << index
                        continue
                    english.setdefault(key, [0, 0])[slot] |= 1 << index
                    words = key.split(" ")
                    forms = {" ".join([*words[:-1], form]) for form in _inflections(words[-1])}
                    if len(words) > 1:
                        forms |= _inflections("".join(words))  # log in → login, sign up → signup
                    elif key.isalpha() and len(key) >= _FUZZY_MIN_LETTERS:
                        fuzzy_seeds.add(key)
                    for form in forms - {key}:
                        inflected.setdefault(form, [0, 0])[slot] |= 1 << index
        for form, masks in inflected.items():
            english.setdefault(form, masks)
        # The regex finds the longest seed at each position; every seed inside that match is present
        # too (답변이 없 also says 답변), so each match carries the hits of all seeds it contains.
        self.korean_hits: dict[str, tuple[int, int]] = {}
        for key in korean:
            strong = weak = 0
            for i in range(len(key)):
                for j in range(i + 1, len(key) + 1):
                    hit = korean.get(key[i:j])
                    if hit:
                        strong, weak = strong | hit[0], weak | hit[1]
            self.korean_hits[key] = (strong, weak)
        self.korean = re.compile(_trie_pattern(korean)) if korean else None
        self.english = {form: (hit[0], hit[1]) for form, hit in english.items()}
        self.first_words = frozenset(form.split(" ")[0] for form in english if " " in form)
        self.longest = max((form.count(" ") + 1 for form in english), default=1)
        self.fuzzy_index: dict[str, list[str]] = {}
        for seed in sorted(fuzzy_seeds):
            for variant in (seed, *_deletes(seed)):
                self.fuzzy_index.setdefault(variant, []).append(seed)
        self.fuzzy_cache: dict[str, tuple[int, int] | None] = {}

    def topics_in(self, low: str, korean: bool = True, latin: bool = True) -> int:
        """Bitmask of the topics a lower-cased piece names: its strong topics, else its weak ones."""
        if "[" in low:
            low = _PII_PLACEHOLDER.sub(" ", low)
        strong = weak = 0
        if korean and self.korean is not None:
            hits = self.korean_hits
            for match in self.korean.finditer(_NO_SPACE.sub("", low)):
                hit = hits[match.group()]
                strong, weak = strong | hit[0], weak | hit[1]
        if latin:
            tokens = _WORD.findall(low)
            english, first_words, n = self.english, self.first_words, len(tokens)
            for i, token in enumerate(tokens):
                found = english.get(token) or self._fuzzy(token)
                if found:
                    strong, weak = strong | found[0], weak | found[1]
                if token in first_words:
                    for size in range(2, min(self.longest, n - i) + 1):
                        found = english.get(" ".join(tokens[i : i + size]))
                        if found:
                            strong, weak = strong | found[0], weak | found[1]
        return strong or weak

    def _fuzzy(self, token: str) -> tuple[int, int] | None:
        if len(token) < _FUZZY_MIN_LETTERS or not token.isalpha():
            return None
        if token in self.fuzzy_cache:
            return self.fuzzy_cache[token]
        strong = weak = 0
        for seed in {seed for variant in (token, *_deletes(token)) for seed in self.fuzzy_index.get(variant, ())}:
            if seed[0] == token[0] and _one_typo(token, seed):
                strong, weak = strong | self.english[seed][0], weak | self.english[seed][1]
        if len(self.fuzzy_cache) > 100_000:  # unbounded vocabularies (IDs, URLs) must not grow memory
            self.fuzzy_cache.clear()
        found = self.fuzzy_cache[token] = (strong, weak) if strong or weak else None
        return found

    def clauses(self, text: str) -> list[Clause]:
        """The text's topic-bearing clauses in order, with topicless pieces glued on.

        A topicless piece joins the clause before it ("환불하고 | 싶어요", "로켓배송인데 | 3일 걸림"),
        or else, unless a contrast separates them, the one after it. Spans index the NFC form of ``text``.
        """
        if not text or text.isspace():
            return []
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        low = text.lower()
        if len(low) != len(text):  # a few characters (İ) grow when lower-cased; keep offsets exact
            low = "".join(char if len(char.lower()) != 1 else char.lower() for char in text)
        elif not low.isascii() and _FULLWIDTH_CHARS.search(low):
            low = low.translate(_FULLWIDTH)
        korean, latin = bool(HANGUL.search(low)), bool(_ASCII_ALNUM.search(low))
        clauses: list[Clause] = []
        attached = False  # the previous piece belongs to clauses[-1]
        pending = -1  # start of topicless pieces waiting for the next clause
        for start, end, strength in _pieces(low):
            piece = low[start:end]
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            if mask := self.topics_in(piece, korean, latin):
                if attached and strength == _LIST and len(clauses[-1].text.split()) <= _LIST_ITEM_MAX_WORDS:
                    clauses[-1].list_next = True
                glued = pending >= 0 and strength != _CONTRAST
                clauses.append(Clause(pending if glued else start, end, mask))
                attached, pending = True, -1
            elif attached:
                clauses[-1].end = end
            else:
                pending = pending if pending >= 0 and strength != _CONTRAST else start
            if clauses:
                clauses[-1].text = text[clauses[-1].start : clauses[-1].end]
        return clauses
