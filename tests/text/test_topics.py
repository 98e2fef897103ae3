"""CX topic taxonomy and tagging: validation, detection in Korean, English and mixed text, aspect sentiment."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from cxloop.errors import InvalidInput
from cxloop.text.topics import (
    MAX_CLAUSES_PER_TOPIC,
    Taxonomy,
    TaxonomyError,
    TopicMention,
    load_taxonomy,
    tag_topics,
    tag_topics_batch,
)

TAXONOMY = load_taxonomy()
TOPIC_IDS = (
    "delivery", "refund_return", "price", "product_quality", "agent_service", "waiting_time",
    "app_errors", "payment", "account_login", "promotions", "packaging", "cancellation",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StubSentiment:
    label: str
    score: float


class LexiconScorer:
    """Deterministic stand-in for the sentiment model: counts polarity stems, longest stem first."""

    POSITIVE = (
        "빠르", "빨랐", "빨라", "빠른", "좋", "만족", "친절", "저렴", "꼼꼼", "괜찮", "최고", "훌륭", "편하",
        "편한", "편리", "간편", "신속", "깔끔", "예쁘", "great", "fast", "good", "love", "friendly", "quick",
        "excellent", "helpful", "nice", "easy", "perfect", "smooth", "beautiful", "painless", "cheap",
    )  # fmt: skip
    NEGATIVE = (
        "엉망", "늦", "별로", "불친절", "최악", "비싸", "오류", "튕", "안돼", "안됐", "짜증", "불량", "흠집",
        "느려", "먹통", "실망", "화나", "실패", "길어", "crash", "slow", "bad", "terrible", "rude", "broken",
        "expensive", "late", "awful", "worst", "poor", "crushed", "error", "failed", "forever", "stuck",
        "went up",
    )  # fmt: skip

    def __init__(self) -> None:
        stems = sorted({*self.POSITIVE, *self.NEGATIVE}, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(s.replace(" ", "")) for s in stems))
        self.calls: list[int] = []

    def score_texts(self, texts: Sequence[str]) -> list[StubSentiment]:
        self.calls.append(len(texts))
        results = []
        for text in texts:
            found = self.pattern.findall("".join(text.lower().split()))
            positive = sum(stem in self.POSITIVE for stem in found)
            negative = len(found) - positive
            score = (positive - negative) / len(found) if found else 0.0
            results.append(StubSentiment("positive" if score > 0 else "negative" if score < 0 else "neutral", score))
        return results


@pytest.fixture
def scorer() -> LexiconScorer:
    return LexiconScorer()


def topics_of(text: str, scorer: LexiconScorer) -> set[str]:
    return {mention.topic for mention in tag_topics(text, TAXONOMY, scorer)}


# -- the taxonomy --------------------------------------------------------------------------------


def test_shipped_taxonomy_has_the_twelve_topics_with_names_and_seeds() -> None:
    assert TAXONOMY.version
    assert TAXONOMY.topic_ids == TOPIC_IDS
    for topic in TAXONOMY.topics:
        assert topic.name_ko, topic.id
        assert topic.name_en, topic.id
        assert topic.description, topic.id
        assert len(topic.seeds_ko) >= 10, topic.id
        assert len(topic.seeds_en) >= 10, topic.id
    assert load_taxonomy() is TAXONOMY  # cached


def test_to_dict_round_trips_through_json() -> None:
    data = json.loads(json.dumps(TAXONOMY.to_dict(), ensure_ascii=False))
    assert Taxonomy.from_dict(data) == TAXONOMY
    assert data["topics"][0]["id"] == "delivery"
    assert "배송" in data["topics"][0]["seeds_ko"]


def _with_topic(**changes: object) -> dict[str, object]:
    data = TAXONOMY.to_dict()
    data["topics"][1] = {**data["topics"][1], **changes}
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with_topic(id="delivery"), "topic 'delivery', field 'id': is used by more than one topic"),
        (_with_topic(name_ko=""), "topic 'refund_return', field 'name_ko': is missing or empty"),
        (_with_topic(name_en=None), "topic 'refund_return', field 'name_en': is missing"),
        (_with_topic(seeds_en=[]), "topic 'refund_return', field 'seeds_en': has no seed terms"),
        (_with_topic(seeds_ko=["환불", "  "]), "topic 'refund_return', field 'seeds_ko': seed '  ' is empty"),
        (_with_topic(seeds_en=["refund", 404]), "field 'seeds_en': seed 404 is not a string (quote it in YAML)"),
        (_with_topic(seeds_en="refund"), "topic 'refund_return', field 'seeds_en': must be a list of strings"),
        (_with_topic(seed_ko=["환불"]), "topic 'refund_return', field 'seed_ko': is not a topic field"),
        (_with_topic(id="Refund Topic"), "topic 'Refund Topic', field 'id': must be lower_snake_case"),
        ({**TAXONOMY.to_dict(), "version": ""}, "field 'version': is missing or empty"),
        ({"version": "1", "topics": []}, "field 'topics': must list at least one topic"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_invalid_taxonomies_name_the_topic_and_field(data: object, message: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_dict(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.status_code == 422
    assert caught.value.code == "taxonomy.invalid"


def test_a_taxonomy_file_is_editable_and_its_errors_name_the_file(tmp_path: Path, scorer: LexiconScorer) -> None:
    custom = tmp_path / "custom.yaml"
    custom.write_text(
        'version: "2"\ntopics:\n  - {id: parking, name_ko: 주차, name_en: Parking, description: Car park,\n'
        "     seeds_ko: [주차, 주차장], seeds_en: [parking, car park]}\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(custom)
    assert [m.topic for m in tag_topics("주차장이너무좁아요", taxonomy, scorer)] == ["parking"]
    assert [m.topic for m in tag_topics("No car-park at all", taxonomy, scorer)] == ["parking"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntopics: [{id: x", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(broken)
    with pytest.raises(TaxonomyError, match="cannot be read"):
        load_taxonomy(tmp_path / "missing.yaml")
    incomplete = tmp_path / "incomplete.yaml"
    incomplete.write_text("version: 3\ntopics: [{id: parking, name_ko: 주차, name_en: P, seeds_ko: [주차]}]\n", "utf-8")
    with pytest.raises(
        TaxonomyError, match=r"incomplete\.yaml: taxonomy topic 'parking', field 'seeds_en': is missing"
    ):
        load_taxonomy(incomplete)


# -- detection -----------------------------------------------------------------------------------

# topic | text: Korean with spacing errors, slang and typos, English with typos, mixed.
DETECTION = [
    tuple(part.strip() for part in line.split("|"))
    for line in """
delivery        | 배송이너무늦어요
delivery        | 택배가 아직도 안 왔어요
delivery        | My package still hasn't arrived
delivery        | shiping took 2 weeks
refund_return   | 환불언제해주나요
refund_return   | 반품 접수했는데 회수를 안 해가요
refund_return   | I want a refund
refund_return   | returned it, no money back yet
price           | 가격이넘비싸요
price           | 가성비 최고
price           | Way too expensive for what it is
price           | OVERPRICED
product_quality | 제품이 불량이에요
product_quality | 하자있는물건보내심
product_quality | It broke after two days
product_quality | Poor quality, thin fabric
agent_service   | 상담원이 불친절해요
agent_service   | 고객센타 직원 태도가 별로
agent_service   | The customer service rep was rude
agent_service   | CS 응대 최악
waiting_time    | 연결까지 30분 기다렸어요
waiting_time    | 대기시간이너무길어요
waiting_time    | I was on hold for an hour
waiting_time    | no response in 3 days
app_errors      | 앱이 자꾸 튕겨요
app_errors      | 어플 업데이트 후 무한로딩
app_errors      | The app keeps crashing
app_errors      | website shows a blank screen
payment         | 결재가 안돼요
payment         | 카드 결제가 두번 됐어요
payment         | I was charged twice
payment         | paymnet failed
account_login   | 앱 login 에러
account_login   | 비번 찾기가 안 돼요
account_login   | Can't log-in to my acount
account_login   | password reset never works
promotions      | 쿠폰 적용이 안되네요
promotions      | 적립금이 사라졌어요
promotions      | promo code doesn't work
promotions      | where are my reward points
packaging       | 포장이 엉망이에요
packaging       | 뽁뽁이도없이 박스에 넣어 보냄
packaging       | The box was crushed
packaging       | no bubble wrap at all
cancellation    | 회원탈퇴 어떻게 하나요
cancellation    | 구독 해지하고 싶어요
cancellation    | How do I cancel my subscription?
cancellation    | I want to unsubscribe
""".strip().splitlines()
]


@pytest.mark.parametrize(("topic", "text"), DETECTION)
def test_each_topic_is_found_in_korean_english_misspelled_and_mixed_text(
    topic: str, text: str, scorer: LexiconScorer
) -> None:
    assert topic in topics_of(text, scorer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("배송도 늦고 상담원은 불친절하고 환불도 안 해줘요", {"delivery", "agent_service", "refund_return"}),
        ("Shipping was late, the box was torn and the refund took weeks", {"delivery", "packaging", "refund_return"}),
        ("앱 login 에러", {"app_errors", "account_login"}),
        ("쿠폰 적용이 안 되고 결재도 안돼요", {"promotions", "payment"}),
        ("고객센터 연결까지 30분 기다렸어요", {"agent_service", "waiting_time"}),
    ],
)
def test_tagging_is_multi_label(text: str, expected: set[str], scorer: LexiconScorer) -> None:
    assert topics_of(text, scorer) >= expected


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("기분이 상했어요", "product_quality"),  # 상했 is hurt feelings here, not spoiled food
        ("페이지가 안 열려요", "payment"),  # 페이지 contains 페이
        ("The packaging was lovely", "delivery"),  # packaging is not package+ing
        ("I changed my address", "payment"),  # changed is not a typo of charged
        ("[ACCOUNT]로 입금했어요", "account_login"),  # a PII placeholder is not the customer's word
        ("답변이 늦게 왔어요", "delivery"),  # a weak seed yields to another topic's seed
        ("Refund never arrived", "delivery"),
    ],
)
def test_known_traps_are_not_tagged(text: str, absent: str, scorer: LexiconScorer) -> None:
    assert absent not in topics_of(text, scorer)


@pytest.mark.parametrize(
    "text", ["안녕하세요", "thanks", "감사합니다 ㅎㅎ", "Hello there!", "오늘 날씨 좋네요", "ㅋㅋㅋㅋ", "👍"]
)
def test_unrelated_text_has_no_topics(text: str, scorer: LexiconScorer) -> None:
    assert tag_topics(text, TAXONOMY, scorer) == []


# -- aspect sentiment ----------------------------------------------------------------------------

# text | topic+ topic-: every sentence carries two aspects of opposite sentiment.
ASPECT_PAIRS: list[tuple[str, dict[str, str]]] = [
    (text.strip(), {aspect[:-1]: {"+": "positive", "-": "negative"}[aspect[-1]] for aspect in aspects.split()})
    for text, aspects in (
        line.split("|")
        for line in """
배송은 빨랐는데 포장이 엉망이에요 | delivery+ packaging-
가격은 저렴한데 품질이 별로예요 | price+ product_quality-
상담원은 친절했지만 대기시간이 너무 길어서 짜증났어요 | agent_service+ waiting_time-
쿠폰 혜택은 좋은데 결제가 자꾸 실패해요 | promotions+ payment-
배송이너무늦었지만 포장은 꼼꼼했어요 | delivery- packaging+
품질은 최고인데 가격이 너무 비싸요 | product_quality+ price-
로그인이 계속 안돼서 짜증났는데 상담사분이 친절하게 도와주셨어요 | account_login- agent_service+
환불은 빠르게 처리됐는데 고객센터 응대는 최악이었어요 | refund_return+ agent_service-
탈퇴는 간편했는데 적립금이 다 사라져서 화나요 | cancellation+ promotions-
포장은 꼼꼼했는데 제품에 흠집이 있어서 실망했어요 | packaging+ product_quality-
앱은 빠르고 편한데 배송 조회가 안돼요 | app_errors+ delivery-
가성비는 좋은데 배송이 일주일이나 늦었어요 | price+ delivery-
직원분들은 친절한데 대기 줄이 너무 길어요 | agent_service+ waiting_time-
배송은 fast했는데 앱 login이 계속 error나요 | delivery+ account_login-
customer service는 친절했는데 refund 처리가 너무 느려요 | agent_service+ refund_return-
The price is great but the app keeps crashing | price+ app_errors-
Delivery was super fast, however the box arrived crushed | delivery+ packaging-
The agent was really helpful, but I was stuck on hold for 40 minutes | agent_service+ waiting_time-
Great quality, although shipping took forever | product_quality+ delivery-
I love the rewards program, but payment failed twice | promotions+ payment-
The refund was quick, but customer service was rude | refund_return+ agent_service-
Login is easy, but the delivery was late | account_login+ delivery-
The packaging was beautiful, but the product arrived broken | packaging+ product_quality-
The website looks nice, but my coupon code failed | app_errors+ promotions-
Cheap prices, but terrible customer support | price+ agent_service-
""".strip().splitlines()
    )
]


def aspect_hits(pairs: Sequence[tuple[str, dict[str, str]]], results: list[list[TopicMention]]) -> list[str]:
    """One line per expected aspect that was missed or read with the wrong sentiment."""
    misses = []
    for (text, expected), mentions in zip(pairs, results, strict=True):
        found = {m.topic: m for m in mentions}
        for topic, label in expected.items():
            got = found.get(topic)
            if got is None or got.sentiment != label:
                clause = text[got.start : got.end] if got else ""
                misses.append(f"{text!r}: {topic} expected {label}, got {got.sentiment if got else None} {clause!r}")
    return misses


@pytest.mark.parametrize(("text", "expected"), ASPECT_PAIRS, ids=[text for text, _ in ASPECT_PAIRS])
def test_opposite_aspects_in_one_sentence_get_their_own_sentiment(
    text: str, expected: dict[str, str], scorer: LexiconScorer
) -> None:
    assert aspect_hits([(text, expected)], [tag_topics(text, TAXONOMY, scorer)]) == []


def test_aspect_sentiment_with_the_real_model() -> None:
    sentiment = pytest.importorskip("cxloop.text.sentiment", reason="cxloop.text.sentiment has not landed yet")
    model = sentiment.load_sentiment_model()
    misses = aspect_hits(ASPECT_PAIRS, tag_topics_batch([text for text, _ in ASPECT_PAIRS], TAXONOMY, model))
    total = sum(len(expected) for _, expected in ASPECT_PAIRS)
    accuracy = 1 - len(misses) / total
    print(f"aspect sentiment accuracy with the real model: {accuracy:.1%} of {total}")
    assert accuracy >= 0.8, "\n".join(misses)


def test_mention_spans_are_the_clauses(scorer: LexiconScorer) -> None:
    text = "배송은 빨랐는데 포장이 엉망이에요"
    spans = {m.topic: text[m.start : m.end] for m in tag_topics(text, TAXONOMY, scorer)}
    assert spans == {"delivery": "배송은 빨랐는데", "packaging": "포장이 엉망이에요"}


def test_listed_aspects_share_the_list_evaluation(scorer: LexiconScorer) -> None:
    for text in ("배송, 포장 모두 만족해요", "Delivery and packaging were great"):
        labels = {m.topic: m.sentiment for m in tag_topics(text, TAXONOMY, scorer)}
        assert labels == {"delivery": "positive", "packaging": "positive"}, text


def test_a_topic_in_several_clauses_keeps_its_strongest_reading(scorer: LexiconScorer) -> None:
    text = "배송 받았어요. 그런데 배송 기사님이 정말 최악이었어요."
    (mention,) = tag_topics(text, TAXONOMY, scorer)
    assert (mention.topic, mention.sentiment) == ("delivery", "negative")
    assert text[mention.start : mention.end].startswith("그런데 배송 기사님")


# -- batching, speed and robustness --------------------------------------------------------------


def test_a_batch_makes_one_sentiment_call_and_matches_single_calls(scorer: LexiconScorer) -> None:
    texts = [text for text, _ in ASPECT_PAIRS] * 4 + ["", "thanks"]
    batch = tag_topics_batch(texts, TAXONOMY, scorer)
    assert len(scorer.calls) == 1
    assert scorer.calls[0] <= 2 * len(ASPECT_PAIRS) + 5  # repeated clauses are scored once
    assert batch == [tag_topics(text, TAXONOMY, LexiconScorer()) for text in texts]
    assert tag_topics_batch([], TAXONOMY, scorer) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u3000", "....", "[EMAIL] [PHONE]", "\ud83d broken surrogate 배송"])
def test_empty_and_odd_text_does_not_raise(text: str, scorer: LexiconScorer) -> None:
    assert isinstance(tag_topics(text, TAXONOMY, scorer), list)


def test_a_megabyte_of_text_is_tagged_with_bounded_scoring(scorer: LexiconScorer) -> None:
    rng = random.Random(42)
    sentences = [text for text, _ in ASPECT_PAIRS] + ["아무 의미 없는 문장입니다", "lorem ipsum dolor"]
    text = " ".join(rng.choice(sentences) for _ in range(40_000))[:1_000_000]
    mentions = tag_topics(text, TAXONOMY, scorer)
    assert {m.topic for m in mentions} == set(TOPIC_IDS)
    assert scorer.calls[0] <= MAX_CLAUSES_PER_TOPIC * len(TOPIC_IDS)
    assert tag_topics("배송" * 500_000, TAXONOMY, scorer)[0].topic == "delivery"


def test_decomposed_hangul_is_read_like_composed(scorer: LexiconScorer) -> None:
    text = unicodedata.normalize("NFD", "배송은 빨랐는데 포장이 엉망이에요")
    labels = {m.topic: m.sentiment for m in tag_topics(text, TAXONOMY, scorer)}
    assert labels == {"delivery": "positive", "packaging": "negative"}
