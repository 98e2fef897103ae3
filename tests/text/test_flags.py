"""detect_flags, the abusive-language model and priority_score: positives, hard negatives, ordering."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from cxloop.domain import CasePriority
from cxloop.text import _abuse
from cxloop.text.flags import (
    HIGH_LIFETIME_VALUE,
    Flag,
    detect_flags,
    has_profanity,
    priority_label,
    priority_score,
)
from support.helpers import require_shared_data

REPO = Path(__file__).resolve().parents[2]

POSITIVES: dict[Flag, list[str]] = {
    Flag.CHURN_INTENT: [
        "해지할게요", "해지 할께요", "탈퇴하겠습니다", "탈퇴 하겠슴다", "회원 탈퇴 해주세요", "다른데로 갈아탈래요",
        "다른 데로 갈아 탈래요", "KT로 갈아탑니다", "다른 곳에서 살게요", "다시는 여기서 안 삽니다", "구독 끊을게요",
        "해지하고 싶은데 방법이 뭔가요",  # stated intent, then a question
        "I want to cancel my account", "cancel my account", "I'm switching to another provider",
        "If this isn't fixed I will cancel my subscription.", "I'll take my business elsewhere",
    ],
    Flag.LEGAL_THREAT: [
        "소비자원에 신고하겠습니다", "소비자 원에 신고", "공정위에 신고할게요", "고소하겠습니다", "고소 할 거예요",
        "변호사 선임했습니다", "법적 조치 하겠습니다", "금감원에 민원 넣을게요", "신고합니다",
        "I will contact my lawyer", "I'm going to sue you", "reporting this to the BBB",
    ],
    Flag.SAFETY_ISSUE: [
        "충전 중에 화재가 났어요", "배터리가 부풀었어요", "아이가 다쳤어요", "다쳤어요ㅠㅠ", "배터리가 터졌어요",
        "음식에서 이물질이 나왔어요", "먹고 식중독 걸렸어요", "타는 냄새가 나요", "충전기에서 연기가 났어요",
        "The charger caught fire", "my son got hurt", "the battery exploded", "glass in my salad",
    ],
    Flag.REPEATED_CONTACT: [
        "몇 번째 전화인지 모르겠네요", "몇번째 연락인지", "또 연락드립니다", "벌써 세 번째예요",
        "여러 번 문의했는데 답이 없어요",
        "다시 문의 드립니다", "매번 같은 답변만 하시네요", "this is the third time I'm calling",
        "I've called you several times", "again and again the same problem", "I already emailed about this",
    ],
    Flag.ABUSIVE: [
        "이 개새끼들아", "씨발 환불해", "ㅅㅂ 언제 와", "병신같은 회사", "꺼져라", "너네 회사 망해라 쓰레기들",
        "what the fuck is this", "you are idiots", "f*ck this app",
    ],
}  # fmt: skip

HARD_NEGATIVES: list[tuple[str, Flag, str]] = [
    ("해지 방법이 궁금해서요", Flag.CHURN_INTENT, "a question about the procedure is routed by topic, not flagged"),
    ("해지하면 위약금 있나요?", Flag.CHURN_INTENT, "a question about terms"),
    ("해지하고 싶지 않아요", Flag.CHURN_INTENT, "negated intent"),
    ("알림 해지해주세요", Flag.CHURN_INTENT, "turning off a feature"),
    ("자동이체 해지 부탁드립니다", Flag.CHURN_INTENT, "changing the payment method"),
    ("요금제 갈아타고 싶어요", Flag.CHURN_INTENT, "switching plans with us"),
    ("How do I cancel my subscription?", Flag.CHURN_INTENT, "a how-to question"),
    ("If I cancel my plan, do I get a refund?", Flag.CHURN_INTENT, "a question about terms"),
    ("I don't want to cancel my account", Flag.CHURN_INTENT, "negated"),
    ("카드 분실 신고합니다", Flag.LEGAL_THREAT, "a lost-card report"),
    ("분실 신고 했어요", Flag.LEGAL_THREAT, "a lost-card report"),
    ("도난신고 하려면 어떻게 하나요", Flag.LEGAL_THREAT, "a theft report"),
    ("고소하고 맛있어요", Flag.LEGAL_THREAT, "고소하다 = nutty"),
    ("맛이 고소합니다", Flag.LEGAL_THREAT, "고소하다 = nutty"),
    ("Sue from accounting helped me", Flag.LEGAL_THREAT, "a name"),
    ("포장 박스가 터져서 왔어요", Flag.SAFETY_ISSUE, "a burst parcel box"),
    ("화상 통화가 안 돼요", Flag.SAFETY_ISSUE, "화상 통화 = video call"),
    ("불이 안 들어와요", Flag.SAFETY_ISSUE, "a light that does not turn on"),
    ("it hurt my feelings", Flag.SAFETY_ISSUE, "not an injury"),
    ("I don't recall ordering this", Flag.SAFETY_ISSUE, "recall as remember"),
    ("세 번째 주문이에요", Flag.REPEATED_CONTACT, "a third order, not a third contact"),
    ("다시 연락 주세요", Flag.REPEATED_CONTACT, "asking for a call back"),
    ("시발점이 어디죠", Flag.ABUSIVE, "시발점 = starting point"),
    ("전원이 자꾸 꺼져요", Flag.ABUSIVE, "the device turns off"),
    ("새끼 고양이 용품 문의", Flag.ABUSIVE, "a kitten"),
    ("배송이 너무 늦어요 짜증나요", Flag.ABUSIVE, "an angry complaint is not abuse"),
    ("최악이에요 다시는 안 삽니다", Flag.ABUSIVE, "an angry complaint is not abuse"),
    ("This is ridiculous, the worst service ever", Flag.ABUSIVE, "an angry complaint is not abuse"),
]


@pytest.mark.parametrize(
    ("flag", "text"), [(flag, text) for flag, texts in POSITIVES.items() for text in texts], ids=lambda v: str(v)
)
def test_positive(flag: Flag, text: str) -> None:
    assert flag in detect_flags(text)


@pytest.mark.parametrize(("text", "flag", "why"), HARD_NEGATIVES, ids=[t for t, _, _ in HARD_NEGATIVES])
def test_hard_negative(text: str, flag: Flag, why: str) -> None:
    assert flag not in detect_flags(text), why


def test_neutral_text_raises_no_flags() -> None:
    for text in ["배송 빨라서 좋았어요", "Great app, thanks!", "주문 상태 확인 부탁드립니다", "ㅋㅋㅋ 감사합니다"]:
        assert detect_flags(text) == set()


def test_profile_flags() -> None:
    assert detect_flags("", customer_tier="VIP") == {Flag.VIP}
    assert detect_flags("배송 문의", customer_tier=" platinum ") == {Flag.VIP}
    assert detect_flags("x", customer_tier="gold") == set()  # gold is a tenth of customers: not VIP
    assert detect_flags("x", lifetime_value=HIGH_LIFETIME_VALUE) == {Flag.VIP}
    assert detect_flags("x", lifetime_value=float("nan")) == set()
    assert detect_flags("x", recent_contacts=2) == {Flag.REPEATED_CONTACT}
    assert detect_flags("x", recent_contacts=1) == set()
    assert detect_flags("x", lifetime_value=Decimal("5000000.00")) == {Flag.VIP}  # a database NUMERIC


def test_bad_profile_values_never_raise() -> None:
    assert detect_flags("x", customer_tier=3, lifetime_value="lots", recent_contacts=None) == set()  # type: ignore[arg-type]
    assert priority_score(["no_such_flag"], "bad", 7) == priority_score(set(), None, None)  # type: ignore[arg-type]


BAD_INPUTS = [
    "",
    "   \n\t ",
    "\x00\x01\x02",
    "\ud83d broken surrogate \udcff",
    "!!!???...",
    "소비자원" * 300_000,  # over a megabyte
    "a" * 1_000_000,
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_never_raises(text: str) -> None:
    started = time.perf_counter()
    assert isinstance(detect_flags(text), set)
    assert time.perf_counter() - started < 5


def test_binary_garbage_and_non_strings_never_raise() -> None:
    rng = random.Random(11)
    for _ in range(100):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 500))).decode("utf-8", "surrogateescape")
        detect_flags(garbage)
        has_profanity(garbage)
    assert detect_flags(None) == set()  # type: ignore[arg-type]


def test_priority_ordering_legal_over_churn_over_neutral() -> None:
    legal = priority_score({Flag.LEGAL_THREAT}, 0.0, None)
    churn = priority_score({Flag.CHURN_INTENT}, 0.0, None)
    neutral = priority_score(set(), 0.0, None)
    assert legal > churn > neutral
    assert priority_score({Flag.SAFETY_ISSUE}, None, None) == legal
    assert (priority_label(legal), priority_label(churn), priority_label(neutral)) == (
        CasePriority.P1,
        CasePriority.P2,
        CasePriority.P4,
    )


def test_priority_sentiment_tier_and_bounds() -> None:
    assert priority_score(set(), -1.0, None) > priority_score(set(), 0.0, None) == priority_score(set(), 0.9, None)
    assert priority_score(set(), -5.0, None) == priority_score(set(), -1.0, None)  # clamped
    assert priority_score(set(), float("nan"), None) == priority_score(set(), None, None)
    assert priority_score(set(), None, "vip") == priority_score({Flag.VIP}, None, None)
    assert priority_score({Flag.VIP}, None, "vip") == priority_score({Flag.VIP}, None, None)  # counted once
    assert priority_score(["churn_intent"], None, None) == priority_score({Flag.CHURN_INTENT}, None, None)
    assert priority_score(set(Flag), -1.0, "vip") == 100
    assert priority_label(0) is CasePriority.P4
    assert priority_label(100) is CasePriority.P1


def test_shipped_abuse_model_is_safe_and_loads_fast() -> None:
    directory = REPO / "src" / "cxloop" / "models" / "abuse"
    assert sorted(p.name for p in directory.iterdir() if p.is_file()) == ["abuse_ko.json", "abuse_ko.npz"]
    code = (
        # CPU time, so that a busy shared machine does not fail the test
        "import time; t = time.process_time(); from cxloop.text._abuse import load_abuse_model; "
        "m = load_abuse_model(); m.probability('테스트'); print(time.process_time() - t)"
    )
    seconds = float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
    assert seconds < 1.0
    model = _abuse.load_abuse_model()
    assert 0 < model.threshold < 1
    assert model.is_abusive("이 개새끼들아 환불해")
    assert not model.is_abusive("배송이 늦어서 아쉬워요 다음엔 빨리 보내주세요")
    assert model.probability("") == pytest.approx(1 / (1 + 2.718281828**-model.bias), rel=1e-6)


def test_scoring_features_equal_training_features() -> None:
    model = _abuse.load_abuse_model()
    for text in ["배송이 너무 늦어요", "이 개새끼들아", "  공백   많은  글  ", "ㅋㅋㅋㅋ 진짜?!"]:
        known = [model.weights[g] for g in _abuse.text_ngrams(text) if g in model.weights]
        assert len(known) == sum(1 for g in _abuse._raw_ngrams(text, False) if g in model.weights)


# The majority class of dev.tsv is 66.0%. The shipped threshold trades recall for precision on
# ordinary customer text (see scripts/train_abuse.py), so the floor is set above the majority
# baseline by more than one standard error on 471 items (~2.1 points), with precision and AUC floors.
DEV_ACCURACY_FLOOR = 0.68
DEV_PRECISION_FLOOR = 0.85
DEV_AUC_FLOOR = 0.80
EVERYDAY_FLAGGED_CEILING = 0.03


@pytest.mark.shared_data
def test_shipped_abuse_model_on_dev() -> None:
    path = require_shared_data("korean_hate_speech", "dev.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    model = _abuse.load_abuse_model()
    labels = [row["hate"] != "none" for row in rows]
    predicted = [model.is_abusive(row["comments"]) for row in rows]
    accuracy = sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(rows)
    precision = sum(p and y for p, y in zip(predicted, labels, strict=True)) / max(sum(predicted), 1)
    majority = max(sum(labels), len(labels) - sum(labels)) / len(labels)
    assert accuracy >= DEV_ACCURACY_FLOOR > majority
    assert precision >= DEV_PRECISION_FLOOR
    assert model.meta["evaluation"]["dev_auc"] >= DEV_AUC_FLOOR
    assert model.meta["evaluation"]["dev_accuracy"] == pytest.approx(accuracy, abs=1e-4)


@pytest.mark.shared_data
def test_shipped_abuse_model_rarely_flags_everyday_questions() -> None:
    path = require_shared_data("korean_chatbot", "ChatbotData.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        questions = [row["Q"] for row in csv.DictReader(handle)]
    model = _abuse.load_abuse_model()
    flagged = sum(map(model.is_abusive, questions)) / len(questions)
    assert flagged <= EVERYDAY_FLAGGED_CEILING


@pytest.mark.shared_data
@pytest.mark.slow
def test_training_is_deterministic_and_reproduces_the_shipped_model(tmp_path: Path) -> None:
    data = require_shared_data("korean_hate_speech").parent
    out = tmp_path / "abuse"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_abuse.py"), "--data", str(data), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    shipped = REPO / "src" / "cxloop" / "models" / "abuse"
    for name in ("abuse_ko.npz", "abuse_ko.json"):
        assert (out / name).read_bytes() == (shipped / name).read_bytes(), name
