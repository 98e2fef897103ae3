"""detect_language: script-ratio language identification with the loanword rule."""

from __future__ import annotations

import unicodedata
from random import Random

import pytest

from cxloop.domain import Language
from cxloop.text.language import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "배송이 너무 늦어요",
        "ㅋㅋㅋㅋ",
        "앱 로그인 error 나요",  # English loanword inside a Korean sentence
        "iPhone 15 Pro 배터리가 너무 빨리 닳아요",
        "Apple Watch 스트랩 교환 가능한가요?",
        "AS 센터 연락이 안돼요",
        "CS팀 응대가 별로였어요",
        "login error 계속 떠요",
        "카카오페이 결제 오류 (error code E-1234) 해결해주세요",
        "韓國 제품 좋아요",  # a little Hanja in Korean
        "배송은 빨랐는데 포장이 엉망이었어요. 그래도 만족 so so",  # English under a fifth
    ],
)
def test_korean(text: str) -> None:
    assert detect_language(text) is Language.KO


@pytest.mark.parametrize(
    "text",
    [
        "The delivery was late and the box was damaged.",
        "Great app!",
        "Café crème was cold",
        "I ordered 떡볶이 and it was cold",  # Korean loanword inside an English sentence
        "good 👍",
        "The app keeps crashing after the latest update, and support never answered my emails. 감사",
    ],
)
def test_english(text: str) -> None:
    assert detect_language(text) is Language.EN


@pytest.mark.parametrize(
    "text",
    [
        "I love this app. 배송이 너무 느려요",
        "배송은 빨랐는데 the packaging was terrible",
        "Thank you so much! 정말 감사합니다",
        "감사합니다 thank you",
    ],
)
def test_mixed(text: str) -> None:
    assert detect_language(text) is Language.MIXED


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "😀😀🔥",
        "12345 !!! ???",
        "配送が遅いです",
        "快递太慢了",
        "доставка задерживается",
        "iPhoneの画面が割れた",
        "Привет hello",
        "\x00\x01\x02",
    ],
)
def test_other(text: str) -> None:
    assert detect_language(text) is Language.OTHER


def test_decomposed_hangul_is_still_korean() -> None:
    assert detect_language(unicodedata.normalize("NFD", "배송이 너무 늦어요")) is Language.KO


def test_bad_input_does_not_raise() -> None:
    rng = Random(42)
    for _ in range(300):
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(0, 40)))
        assert detect_language(text) in set(Language)
    assert detect_language("lone \ud800 surrogate") is Language.EN
    assert detect_language("가" * 1_000_000) is Language.KO
