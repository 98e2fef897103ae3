"""Keywords and key phrases of VOC text: Korean nouns and negated predicates (Kiwi), English lemmas.

What a text yields, in order of appearance, deduplicated, synonyms applied (``synonyms.yaml``):

* Korean nouns (NNG/NNP; a 불/비/무/미 prefix stays on: 불친절) and compounds of 2-3 consecutive
  nouns joined without spaces, so "배송 지연" and "배송지연" give the same keyword; the compound
  comes before its parts, so counts of 배송 include 배송지연.
* Korean predicates as stem + 다 (늦다, 오다). Light verbs (하다, 되다, 있다, ...) are dropped unless
  negated. Negation is kept and one form is used for both Korean negations: "안 왔어요" and
  "오지 않았어요" give "안 오다"; "못 받았어요" and "받지 못했어요" give "못 받다". A negated
  noun+하다 verb keeps its noun ("결제가 안 돼요" → 결제, "안 되다"; "환불 안 해줘요" → "안 환불하다").
* English words lemmatized by rules (``_english``: plurals, -ed, -ing, irregular verbs), stopwords
  removed, and "not X" for a negated word ("didn't arrive" → "not arrive"). Latin words inside
  Korean text go the same way, so mixed text yields both.

Speed: Kiwi reads about 1,400 short texts/s per core, a large share of the pipeline's budget on
its own. VOC vocabulary repeats, so each distinct eojeol (space-separated word) is analysed once
and cached (two generations of ``CACHE_LIMIT`` words); new words of a batch go to Kiwi in one call.
A word read alone loses its neighbours, which matters mostly around negation ("안 들어요" alone is
듣다, "오지" alone a noun), so a negation is analysed together with the words on both sides
("마음에 안 들어요"). The cache holds context-free readings only, so a text's keywords never depend
on what was analysed before it. Text typed without spaces is one long word and gets a full reading.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any, Protocol

import yaml

from cxloop.domain import Language
from cxloop.text._english import LATIN_WORD, english_keywords, lemmatize
from cxloop.text.normalize import model_text

__all__ = ["extract_keywords", "extract_keywords_batch", "kiwi_load_seconds", "lemmatize", "top_keywords"]

logger = logging.getLogger(__name__)

#: Keywords are read from the first this many characters (after model_text).
MAX_CHARS = 5_000
#: Longer runs without spaces are cut before analysis (a pasted URL or log line is not VOC).
MAX_EOJEOL_CHARS = 300
#: Words per generation of the eojeol cache (two generations: about 50 MB when full).
CACHE_LIMIT = 100_000

Morphs = tuple[tuple[str, str], ...]


class _Kiwi(Protocol):
    # kiwipiepy ships no type information; this is the one method we use.
    def tokenize(self, text: Any) -> Any: ...


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_kiwi_lock = threading.Lock()
_kiwi: _Kiwi | None = None
_kiwi_seconds: float | None = None

# A word is a run of anything but spaces and punctuation; the gap between two words tells whether
# a noun compound may continue across it (a space) or not (punctuation).
_WORD = re.compile(r"[^\s!-/:-@\[-`{-~…·“”‘’「」『』《》〈〉【】]+")
_HANGUL = re.compile("[\uac00-\ud7a3]")

_NOUN_TAGS = frozenset(("NNG", "NNP"))
_PREDICATE_TAGS = frozenset(("VV", "VA"))
_DERIVED_PREDICATE_TAGS = frozenset(("XSV", "XSA"))
# Nouns too generic to be keywords; they also end a compound.
_KO_STOP_NOUNS = _words(
    "거 것 수 등 때 점 번 중 분 개 내 제 저 좀 뭐 왜 이번 저번 요번 오늘 어제 내일 지금 정도 생각 사람 부분 경우 "
    "하나 자체 이상 이후 이전 다음 처음 진짜 정말 완전 그냥 계속 자기 우리 감사 부탁 수고 안녕 고객님 "
    "문의 확인 답변 연락 요청 말씀 관련 해당 혹시 다시 또 이거 그거 저거 여기 거기 뭔가 안 ㅋㅋ ㅎㅎ ㅠㅠ"
)
# Light verbs: meaningful only when negated ("안 되다" is a keyword, "되다" is not).
_KO_LIGHT_PREDICATES = _words("하 되 있 없 같 이 아니 않 주 드리 싶 말 그렇 이렇 저렇 어떻 보 나 들 알")
_KO_STEM_SPELLING = {"돼": "되"}  # "안돼겠지": the common 돼/되 misspelling
_NEGATORS = {"안": "안", "못": "못"}
_LONG_NEGATION = {"않": "안", "못하": "못"}


def kiwi_load_seconds() -> float | None:
    """Seconds the one shared Kiwi took to load, or None if it has not been loaded yet."""
    return _kiwi_seconds


def _get_kiwi() -> _Kiwi:
    global _kiwi, _kiwi_seconds
    with _kiwi_lock:
        if _kiwi is None:
            started = time.perf_counter()
            kiwipiepy = importlib.import_module("kiwipiepy")
            # The typo and multi-word dictionaries double the load time and change little for the
            # nouns and predicates we keep; typos are handled by our patterns and synonyms.
            _kiwi = kiwipiepy.Kiwi(load_typo_dict=False, load_multi_dict=False)
            _kiwi_seconds = time.perf_counter() - started
            logger.info("Kiwi loaded in %.2f s", _kiwi_seconds)
        return _kiwi


def _simple_tag(tag: object) -> str:
    # Irregular conjugation marks ("VV-R", "VA-I") do not matter for what we keep.
    return str(tag).split("-", 1)[0]


class _MorphCache:
    """Kiwi's reading of each eojeol; two generations, so words in steady use survive a flush."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.young: dict[str, Morphs] = {}
        self.old: dict[str, Morphs] = {}
        # One tuple per distinct (form, tag): most entries then cost a key and a small tuple.
        self.pool: dict[tuple[str, str], tuple[str, str]] = {}

    def get(self, word: str) -> Morphs | None:
        morphs = self.young.get(word)
        if morphs is None:
            morphs = self.old.get(word)
            if morphs is not None:
                self.put(word, morphs)
        return morphs

    def put(self, word: str, morphs: Morphs) -> None:
        if len(self.young) >= self.limit:
            self.old, self.young = self.young, {}
            if len(self.pool) > self.limit:
                self.pool = {}
        self.young[word] = morphs

    def intern(self, tokens: Iterable[Any]) -> Morphs:
        return tuple(self.pool.setdefault(pair, pair) for pair in ((t.form, _simple_tag(t.tag)) for t in tokens))


_cache = _MorphCache(CACHE_LIMIT)


def _analyse_words(words: Iterable[str]) -> dict[str, Morphs]:
    """Kiwi's reading of each of ``words``: from the cache, else from one batched Kiwi call."""
    found: dict[str, Morphs] = {}
    missing: list[str] = []
    for word in dict.fromkeys(words):
        morphs = _cache.get(word)
        if morphs is not None:
            found[word] = morphs
        elif word in _NEGATORS:  # alone, 안 and 못 are the negation adverbs far more often than not
            found[word] = ((word, "MAG"),)
        else:
            missing.append(word)
    if missing:
        try:
            results = list(_get_kiwi().tokenize(missing))
        except Exception:  # a C++ extension; one bad word must not sink the batch
            logger.warning("Kiwi failed on %d words; analysing one by one", len(missing), exc_info=True)
            results = [_tokenize_one(word) for word in missing]
        for word, tokens in zip(missing, results, strict=True):
            found[word] = _cache.intern(tokens)
            _cache.put(word, found[word])
    return found


def _tokenize_one(word: str) -> Any:
    try:
        return _get_kiwi().tokenize(word)
    except Exception:
        logger.warning("Kiwi failed on a word of %d characters", len(word), exc_info=True)
        return []


def _korean_words(text: str) -> list[str | None]:
    """Words of ``text`` that contain Hangul; None marks a break a compound may not cross.

    A negation is kept with its neighbours ("마음에 안 들어요", "오지 않았어요") so that Kiwi reads
    them together: alone, "안 들어요" is read as 듣다 and "오지" as a noun.
    """
    words: list[str | None] = []
    end = 0
    for match in _WORD.finditer(text):
        word = match.group()[:MAX_EOJEOL_CHARS]
        spaced = text[end : match.start()].isspace()
        if end and not spaced:
            words.append(None)
        end = match.end()
        previous = words[-1] if words else None
        if not _HANGUL.search(word):
            words.append(None)
        elif (
            spaced
            and previous
            and len(previous) < MAX_EOJEOL_CHARS
            and (word in _NEGATORS or previous.rsplit(" ", 1)[-1] in _NEGATORS or _long_negated(previous, word))
        ):
            words[-1] = f"{previous} {word}"
        else:
            words.append(word)
    return words


def _long_negated(previous: str, word: str) -> bool:
    return previous[-1] == "지" and word[0] in "않못"


def _korean_keywords(words: Sequence[str | None], analysed: dict[str, Morphs]) -> list[str]:
    morphs: list[tuple[str, str]] = []
    for word in words:
        morphs.extend(analysed.get(word, ()) if word else (("", "BREAK"),))
    out: list[str] = []
    run: list[str] = []
    negation, negation_left, negated_noun, skip_to = "", 0, "", 0
    for i, (form, tag) in enumerate(morphs):
        if i < skip_to:
            continue
        if tag in _NOUN_TAGS and form and form not in _KO_STOP_NOUNS:
            prefix = morphs[i - 1][0] if i and morphs[i - 1][1] == "XPN" else ""
            run.append(prefix + form)
            continue
        if run:
            if 2 <= len(run) <= 3:
                out.append("".join(run))
            out.extend(run)
            run.clear()
        if tag == "MAG" and form in _NEGATORS:
            # "환불 안 해줘요": the noun before the negator is what is (not) done.
            noun_before = i and morphs[i - 1][1] in _NOUN_TAGS
            negation, negation_left = _NEGATORS[form], 4
            negated_noun = morphs[i - 1][0] if noun_before else ""
            continue
        if tag in _PREDICATE_TAGS:
            form = _KO_STEM_SPELLING.get(form, form)
            stem, light = form, form in _KO_LIGHT_PREDICATES
            if negation and negated_noun and form in ("하", "되"):
                stem = negated_noun + form
        elif tag in _DERIVED_PREDICATE_TAGS and i and morphs[i - 1][1] in _NOUN_TAGS:
            stem, light = morphs[i - 1][0] + form, True
        else:
            negation_left -= 1
            if negation_left <= 0 or tag[0] == "J":  # "안 청소를 했어요": 안 is not this verb's
                negation = ""
            continue
        long_negation, used = _long_negation(morphs, i)
        negated, skip_to = long_negation or negation, i + 1 + used
        if negated:
            out.append(f"{negated} {stem}다")
        elif not light:
            out.append(stem + "다")
        negation = ""
    if 2 <= len(run) <= 3:
        out.append("".join(run))
    out.extend(run)
    return out


def _long_negation(morphs: Sequence[tuple[str, str]], i: int) -> tuple[str, int]:
    """ "오지 않았어요", "받지 못했어요": the negation and how many morphs after ``i`` it used."""
    if i + 2 < len(morphs) and morphs[i + 1][0] == "지":  # a lone word "되지" is read as 지 EF
        form, tag = morphs[i + 2]
        if form in _LONG_NEGATION and tag in ("VX", "VV"):
            return _LONG_NEGATION[form], 2
        if form == "못" and i + 3 < len(morphs) and morphs[i + 3][0] == "하":  # a lone "못했어요": 못 + 하
            return "못", 3
    return "", 0


# -- Public API --------------------------------------------------------------------------------------


@cache
def _synonyms() -> dict[str, str]:
    raw = yaml.safe_load(resources.files("cxloop.text").joinpath("synonyms.yaml").read_text(encoding="utf-8"))
    return {str(variant): str(canonical) for canonical, variants in raw.items() for variant in variants}


def _prepare(text: object) -> str:
    return model_text(text[: MAX_CHARS * 2])[:MAX_CHARS] if isinstance(text, str) else ""


def _finish(korean: list[str], english: list[str], language: Language | None, limit: int) -> list[str]:
    ordered = english + korean if language is Language.EN else korean + english
    synonyms = _synonyms()
    seen = dict.fromkeys(synonyms.get(k, k) for k in ordered)
    return list(seen)[: max(limit, 0)]


def extract_keywords(text: str, language: Language | None = None, limit: int = 10) -> list[str]:
    """Up to ``limit`` keywords of ``text`` in order of appearance, synonyms applied. Never raises.

    ``language`` only decides which language's keywords come first when a text has both; Hangul is
    always read by Kiwi and Latin words by the English rules.
    """
    return extract_keywords_batch([text], [language], limit=limit)[0]


def extract_keywords_batch(
    texts: Sequence[str], languages: Sequence[Language | None] | None = None, limit: int = 10
) -> list[list[str]]:
    """``extract_keywords`` for many texts; new Korean words go to Kiwi in one batched call."""
    prepared = [_prepare(t) for t in texts]
    korean_words = [_korean_words(t) if _HANGUL.search(t) else [] for t in prepared]
    analysed = _analyse_words(w for words in korean_words for w in words if w)
    results = []
    for i, text in enumerate(prepared):
        language = languages[i] if languages is not None and i < len(languages) else None
        english = english_keywords(text) if LATIN_WORD.search(text) else []
        results.append(_finish(_korean_keywords(korean_words[i], analysed), english, language, limit))
    return results


def top_keywords(rows: Iterable[list[str]], limit: int = 20) -> list[tuple[str, int]]:
    """The ``limit`` keywords found in the most rows, with their row counts; ties in keyword order.

    A keyword counts once per row, so one long rant repeating a word does not outweigh many voices.
    """
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(set(row))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: max(limit, 0)]
