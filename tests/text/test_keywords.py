"""extract_keywords: Korean nouns, compounds and negated predicates via Kiwi, English lemmas, synonyms."""

from __future__ import annotations

import random
import time
from importlib import resources

import pytest
import yaml

from cxloop.domain import Language
from cxloop.text import keywords
from cxloop.text.keywords import extract_keywords, extract_keywords_batch, lemmatize, top_keywords


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("배송이 아직 안 왔어요", {"배송", "안 오다"}),
        ("환불을 못 받았어요", {"환불", "못 받다"}),
        ("결제가 되지 않아요", {"결제", "안 되다"}),  # long negation -지 않다 → the same "안" form
        ("오지 않았어요", {"안 오다"}),
        ("받지 못했어요", {"못 받다"}),
        ("로그인이 안되네요", {"로그인", "안 되다"}),
        ("마음에 안 들어요", {"마음", "안 들다"}),  # not 듣다: the negation is read with its neighbours
        ("환불 안 해줘요", {"환불", "안 환불하다"}),  # a negated 하다 verb keeps its noun
        ("배송이 너무 늦다", {"배송", "늦다"}),
        ("불친절한 상담원", {"불친절", "상담원"}),
    ],
)
def test_korean_nouns_and_negated_predicates(text: str, expected: set[str]) -> None:
    assert expected <= set(extract_keywords(text, Language.KO))


def test_light_verbs_only_count_when_negated() -> None:
    found = extract_keywords("주문했어요 배송이 됐어요 확인 부탁드립니다")
    assert "하다" not in found
    assert "되다" not in found
    assert "확인" not in found
    assert "안 되다" in extract_keywords("결제가 안 돼요")


@pytest.mark.parametrize("text", ["배송이아직안왔어요", "배송이 아직안 왔어요", "배송이  아직   안 왔어요"])
def test_spacing_errors_give_the_same_keywords(text: str) -> None:
    assert extract_keywords(text) == ["배송", "안 오다"]


def test_compound_nouns_join_across_spacing_and_come_before_their_parts() -> None:
    assert extract_keywords("배송 지연 때문에")[:3] == ["배송지연", "배송", "지연"]
    assert extract_keywords("배송지연 때문에")[:3] == ["배송지연", "배송", "지연"]
    # punctuation ends a compound
    assert "배송지연" not in extract_keywords("배송. 지연")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refunds were delayed", ["refund", "delay"]),
        ("The package never arrived", ["package", "not arrive"]),
        ("I haven't received my refund and the app keeps crashing", ["not receive", "refund", "app", "keep", "crash"]),
        ("no response from support after two emails", ["no response", "support", "email"]),
        ("Cancelled orders, charged twice for deliveries", ["cancel", "order", "charge", "twice", "delivery"]),
    ],
)
def test_english_lemmas_stopwords_and_negation(text: str, expected: list[str]) -> None:
    assert extract_keywords(text, Language.EN) == expected


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("refunds", "refund"), ("delayed", "delay"), ("charged", "charge"), ("received", "receive"),
        ("cancelled", "cancel"), ("canceled", "cancel"), ("shipped", "ship"), ("deliveries", "delivery"),
        ("replaced", "replace"), ("damaged", "damage"), ("updated", "update"), ("crashes", "crash"),
        ("tried", "try"), ("stopped", "stop"), ("subscribed", "subscribe"), ("paid", "pay"), ("broken", "break"),
        ("boxes", "box"), ("addresses", "address"), ("issues", "issue"), ("losing", "lose"), ("waiting", "wait"),
        ("emailed", "email"), ("happened", "happen"), ("answered", "answer"), ("deleted", "delete"),
        ("added", "add"), ("called", "call"), ("missed", "miss"), ("settings", "setting"), ("shipping", "shipping"),
        ("status", "status"), ("bonuses", "bonus"), ("used", "use"), ("children", "child"), ("required", "require"),
        ("quoted", "quote"),
    ],
)  # fmt: skip
def test_lemmatizer(word: str, lemma: str) -> None:
    assert lemmatize(word) == lemma


def test_mixed_text_yields_both_languages() -> None:
    found = extract_keywords("배송은 빨랐는데 the box was damaged", Language.MIXED)
    assert {"배송", "빠르다", "box", "damage"} <= set(found)
    assert found.index("배송") < found.index("box")  # Korean first for ko/mixed
    english_first = extract_keywords("I ordered 떡볶이 and the refund never came", Language.EN)
    assert english_first[0] == "order"
    assert "떡볶이" in english_first
    assert "not come" in english_first
    assert "앱로그인" in extract_keywords("앱 로그인 error 나요")
    assert "error" in extract_keywords("앱 로그인 error 나요")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("택배가 안 와요", "배송"),
        ("어플이 자꾸 꺼져요", "앱"),
        ("어플리케이션 업데이트", "앱"),
        ("환불신청했는데 소식이 없어요", "환불"),
        ("콜센터 연결이 안 돼요", "고객센터"),
        ("shipping takes forever", "delivery"),
        ("I want a reimbursement", "refund"),
    ],
)
def test_synonyms_are_applied(text: str, canonical: str) -> None:
    found = extract_keywords(text)
    assert canonical in found
    assert len(found) == len(set(found))


def test_synonym_file_is_consistent() -> None:
    raw = yaml.safe_load(resources.files("cxloop.text").joinpath("synonyms.yaml").read_text(encoding="utf-8"))
    variants = [v for vs in raw.values() for v in vs]
    assert len(variants) == len(set(variants)), "a variant maps to two canonical keywords"
    assert not set(raw) & set(variants), "a canonical keyword is also a variant"


def test_limit_and_order() -> None:
    text = "배송 지연, 포장 파손, 환불 요청, 상담원 불친절, 앱 오류, 쿠폰 미적용, 가격 인상, 품질 불량"
    assert len(extract_keywords(text, limit=3)) == 3
    assert extract_keywords(text, limit=3) == extract_keywords(text, limit=50)[:3]
    assert extract_keywords(text, limit=0) == []


def test_batch_matches_single_calls_and_is_independent_of_order() -> None:
    texts = ["배송이 아직 안 왔어요", "refunds were delayed", "환불을 못 받았어요", "", "앱이 또 꺼졌어요 ㅠㅠ"] * 3
    languages: list[Language | None] = [None] * len(texts)
    batch = extract_keywords_batch(texts, languages)
    assert batch == [extract_keywords(t) for t in texts]
    assert extract_keywords_batch(texts[::-1], languages) == batch[::-1]
    assert extract_keywords_batch(texts) == batch  # languages are optional


def test_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    small = keywords._MorphCache(limit=5)
    monkeypatch.setattr(keywords, "_cache", small)
    texts = [f"상품{i}번 배송이 늦어요" for i in range(40)]
    first = extract_keywords_batch(texts)
    assert len(small.young) <= 5
    assert len(small.old) <= 5
    assert extract_keywords_batch(texts) == first


BAD_INPUTS = [
    "",
    "   \n\t ",
    "\x00\x01\x02",
    "\ud83d broken surrogate \udcff",
    "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ",
    "!!!???...",
    "https://example.com/" + "a" * 5000,
    "배" * 100_000,
    "배송 지연 " * 100_000,  # a megabyte
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_never_raises(text: str) -> None:
    started = time.perf_counter()
    found = extract_keywords(text)
    assert isinstance(found, list)
    assert all(isinstance(k, str) for k in found)
    assert time.perf_counter() - started < 10


def test_binary_garbage_never_raises() -> None:
    rng = random.Random(7)
    for _ in range(50):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))).decode("utf-8", "surrogateescape")
        extract_keywords(garbage)
    assert extract_keywords_batch([None, 3, b"bytes"]) == [[], [], []]  # type: ignore[list-item]


def test_top_keywords_counts_rows_not_repeats() -> None:
    rows = [["배송", "안 오다"], ["배송", "환불"], ["환불"], ["배송"], ["환불", "환불"]]
    assert top_keywords(rows, 2) == [("배송", 3), ("환불", 3)]
    assert top_keywords([], 5) == []
    assert top_keywords(rows, 0) == []


def test_kiwi_is_loaded_once_and_load_time_is_recorded() -> None:
    extract_keywords("배송이 늦어요")
    first = keywords._get_kiwi()
    assert keywords._get_kiwi() is first
    seconds = keywords.kiwi_load_seconds()
    assert seconds is not None
    assert 0 < seconds < 60
