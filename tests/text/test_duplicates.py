"""Near-duplicate detection: copy-paste variants are linked to the earliest copy, distinct complaints are not."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from cxloop.text.duplicates import MIN_CHARS, DuplicateIndex, DuplicateMatch, duplicate_key, find_duplicates

COMPLAINT_KO = (
    "주문번호 O20260811-123456 환불 신청한 지 10일이 지났는데 아직도 카드 취소가 안 됐어요. 빨리 처리해 주세요"
)
COMPLAINT_EN = "My order #A-558120 arrived damaged and nobody has answered my emails for five days. I want a refund."

COPIES_KO = [
    # spacing and numbers changed
    "주문번호O20260811-987654 환불신청한지 12일이 지났는데 아직도 카드취소가 안됐어요 빨리 처리해주세요",
    "주문번호 O20260811-123456 환불 신청한 지 10일이 지났는데 아직도 카드 취소가 안 됐어요😡😡 빨리 처리해 주세요!!!",
    "주문번호 O20260811-123456 환불 신청한 지 10일이 지났는데 아직도 카드 취소가 안 됐어요. 빨리 처리해 주세요 ㅠㅠ",
    "주문번호 O20260811-555555 환불 신청한 지 10일이 지났는데 아직도 카드 취소가 안 됐어요. 빨리 처리해 주세요 제발요",
]
COPIES_EN = [
    "my order #A-991002 arrived damaged and nobody has answered my emails for 6 days. i want a refund!!",
    "MY ORDER #A-558120 ARRIVED DAMAGED AND NOBODY HAS ANSWERED MY EMAILS FOR FIVE DAYS. I WANT A REFUND. 🤬",
    "My order #A-558120 arrived damaged and nobody has answered my emails for five days. I want a refund. Thanks",
]
# Same topic (refund, damaged delivery), the customer's own words: not duplicates.
DISTINCT = [
    "환불 신청했는데 일주일째 소식이 없네요 카드 취소는 언제 되는 건가요",
    "반품 접수했는데 회수 기사님이 안 오셔서 환불이 계속 밀리고 있어요",
    "카드 취소가 아니라 적립금으로 환불된다는 게 말이 되나요? 다시 처리해 주세요",
    "The package was crushed when it arrived and I still haven't heard back about a refund.",
    "Item arrived broken. Support keeps asking for photos I already sent. Refund please.",
]


@pytest.fixture
def index() -> DuplicateIndex:
    built = DuplicateIndex()
    built.add_many([("KO-1", COMPLAINT_KO), ("EN-1", COMPLAINT_EN)])
    return built


def test_copies_with_changed_numbers_spacing_and_emoji_are_found(index: DuplicateIndex) -> None:
    matches = index.find(COPIES_KO + COPIES_EN)
    expected = ["KO-1"] * len(COPIES_KO) + ["EN-1"] * len(COPIES_EN)
    assert [m.original_id if m else None for m in matches] == expected
    assert all(m is not None and 0.8 <= m.similarity <= 1.0 for m in matches)
    assert [m.index for m in matches if m] == list(range(len(expected)))


def test_distinct_complaints_on_the_same_topic_are_not_duplicates(index: DuplicateIndex) -> None:
    assert index.find(DISTINCT) == [None] * len(DISTINCT)
    assert find_duplicates([(f"D{i}", t) for i, t in enumerate(DISTINCT)], []) == {}


def test_key_ignores_spacing_case_emoji_and_number_values() -> None:
    assert duplicate_key("주문번호 2026-1234 환불 언제 돼요?? 😡") == duplicate_key("주문번호2026-98 환불언제돼요")
    assert duplicate_key("Refund ＰＬＥＡＳＥ!!! ㅠㅠㅠ") == duplicate_key("refund please")


def test_within_batch_copies_link_to_the_earliest_copy() -> None:
    new = [
        ("N1", COMPLAINT_KO),
        ("N2", DISTINCT[0]),
        ("N3", COPIES_KO[0]),
        ("N4", COMPLAINT_KO + " "),
        ("N5", COPIES_EN[0]),
    ]
    found = find_duplicates(new, history=[("H1", COMPLAINT_EN)])
    assert set(found) == {"N3", "N4", "N5"}
    assert found["N3"].original_id == "N1"
    assert found["N4"] == DuplicateMatch(index=3, original_id="N1", similarity=1.0)
    assert found["N5"].original_id == "H1"


def test_exact_copies_all_point_to_the_first_copy() -> None:
    index = DuplicateIndex()
    matches = index.find_and_add(
        [(f"S{i}", "광고) 지금 가입하면 5만원 즉시 지급!! 링크 클릭 👉 bit.ly/x1") for i in range(5)]
    )
    assert matches[0] is None
    assert {m.original_id for m in matches[1:] if m} == {"S0"}
    assert len(index) == 5


def test_the_most_similar_earlier_item_wins() -> None:
    index = DuplicateIndex(threshold=0.6)
    index.add("FAR", COMPLAINT_KO + " 진짜 너무하시네요 소비자원에 신고할게요")
    index.add("NEAR", COMPLAINT_KO + " 진짜 너무하시네요")
    match = index.find([COMPLAINT_KO])[0]
    assert match is not None
    assert match.original_id == "NEAR"


def test_history_items_reappearing_in_the_batch_do_not_match_themselves() -> None:
    found = find_duplicates([("A", COMPLAINT_KO)], history=[("A", COMPLAINT_KO), ("B", COMPLAINT_EN)])
    assert found == {}


@pytest.mark.parametrize("text", ["좋아요", "thanks", "감사합니다!!", "배송 빨라요 👍", "Good", "최고예요 ㅋㅋㅋㅋ"])
def test_short_texts_are_never_flagged_even_when_identical(text: str) -> None:
    assert len(duplicate_key(text)) < MIN_CHARS
    assert find_duplicates([("A", text), ("B", text)], history=[("H", text)]) == {}
    index = DuplicateIndex()
    index.add("H", text)
    assert len(index) == 0
    assert index.find([text]) == [None]


def test_odd_inputs_do_not_break_the_index() -> None:
    index = DuplicateIndex()
    texts = ["", "   ", "\ud83d broken surrogate 그리고 배송이 너무 늦어요", COMPLAINT_KO * 2000, "🙂" * 100]
    index.add_many((f"X{i}", t) for i, t in enumerate(texts))
    found = index.find(texts)
    assert found[2] == DuplicateMatch(2, "X2", 1.0)
    assert found[3] == DuplicateMatch(3, "X3", 1.0)  # long texts are compared on their beginning
    assert index.find([]) == []


def test_signatures_are_deterministic_across_processes() -> None:
    index = DuplicateIndex()
    here = index.signature(COMPLAINT_KO)
    assert here.dtype == np.uint32
    assert here.shape == (64,)
    assert np.array_equal(here, DuplicateIndex().signatures([COMPLAINT_KO])[0])
    code = (
        "import sys; from cxloop.text.duplicates import DuplicateIndex;"
        "sys.stdout.write(','.join(map(str, DuplicateIndex().signature(sys.argv[1]).tolist())))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, COMPLAINT_KO], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout == ",".join(map(str, here.tolist()))


def test_stored_signatures_reload_to_the_same_answers() -> None:
    history = [(f"H{i}", t) for i, t in enumerate([COMPLAINT_KO, COMPLAINT_EN, *DISTINCT])]
    fresh = DuplicateIndex()
    fresh.add_many(history)
    reloaded = DuplicateIndex()
    reloaded.add_many(history, signatures=fresh.signatures([t for _, t in history]))
    queries = COPIES_KO + COPIES_EN + DISTINCT
    assert reloaded.find(queries) == fresh.find(queries)
    single = DuplicateIndex()
    single.add("H0", COMPLAINT_KO, signature=fresh.signature(COMPLAINT_KO))
    assert single.find([COPIES_KO[0]])[0] is not None
    with pytest.raises(ValueError, match="shape"):
        reloaded.add_many(history, signatures=np.zeros((1, 64), dtype=np.uint32))


def test_results_do_not_depend_on_the_run() -> None:
    batch = [(f"N{i}", t) for i, t in enumerate([*COPIES_KO, *DISTINCT, COMPLAINT_EN, *COPIES_EN])]
    history = [("H1", COMPLAINT_KO)]
    assert find_duplicates(batch, history) == find_duplicates(batch, history)


def test_threshold_is_configurable_and_validated() -> None:
    loose = find_duplicates([("A", COMPLAINT_KO), ("B", DISTINCT[0])], [], threshold=0.05)
    assert "B" in loose
    with pytest.raises(ValueError, match="threshold"):
        DuplicateIndex(threshold=0.0)
    with pytest.raises(ValueError, match="num_perm"):
        DuplicateIndex(num_perm=4)
