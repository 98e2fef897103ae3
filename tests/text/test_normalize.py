"""normalize_text (storage/display form) and model_text (model input form)."""

from __future__ import annotations

import unicodedata
from random import Random

import pytest

from cxloop.text.normalize import model_text, normalize_text


def test_decomposed_hangul_from_macos_is_composed() -> None:
    composed = "배송이 너무 늦어요"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert len(decomposed) > len(composed)
    assert normalize_text(decomposed) == composed
    assert model_text(decomposed) == composed


def test_compatibility_jamo_survive() -> None:
    # NFKC would turn ㅋ into a conjoining jamo; NFC must leave chat laughter alone.
    assert normalize_text("ㅋㅋㅋ ㅠㅠ") == "ㅋㅋㅋ ㅠㅠ"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  배송이\t\t늦어요  ", "배송이 늦어요"),
        ("a\u00a0b\u3000c", "a b c"),
        ("line one  \r\nline two\rline three", "line one\nline two\nline three"),
        ("para one\n\n\n\n\npara two", "para one\n\npara two"),
        ("a\u2028b\u2029c\x85d", "a\nb\nc\nd"),
        ("fields\x1fsplit", "fields split"),
    ],
)
def test_whitespace_is_tidied_but_lines_are_kept(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0\u200b1\u200b0", "010"),  # zero-width space used to dodge filters
        ("\ufeffhello", "hello"),  # byte-order mark from a CSV export
        ("nul\x00byte", "nulbyte"),
        ("bell\x07 and escape\x1b", "bell and escape"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\u202eevil\u202c", "evil"),  # bidi override
    ],
)
def test_invisible_and_control_characters_are_removed(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_emoji_sequences_are_kept_for_display() -> None:
    family = "👨\u200d👩\u200d👧"
    heart = "❤\ufe0f"
    assert normalize_text(f"{family} {heart}") == f"{family} {heart}"
    assert model_text(f"{family} {heart}") == "👨👩👧 ❤"


def test_surrogates_become_characters_or_replacement() -> None:
    assert normalize_text("x\ud83d\ude00y") == "x😀y"
    assert normalize_text("lone \ud800 half") == "lone \ufffd half"
    normalize_text("lone \udfff").encode("utf-8")  # storable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ㅋㅋㅋㅋㅋ", "ㅋㅋ"),
        ("!!!!!", "!!"),
        ("좋아요오오오", "좋아요오"),
        ("좋아요오오", "좋아요오"),
        ("배송 빨라요ㅠㅠㅠㅠ 감사합니다~~~~", "배송 빨라요ㅠㅠ 감사합니다~~"),
        ("Sooooo GOOD", "soo good"),
        ("ＡＢＣ　１２３", "abc 123"),
        ("visit www.example.com", "visit www.example.com"),
        ("1000000원 결제", "1000000원 결제"),  # digits are amounts, never squeezed
        ("아아아 좋다", "아아 좋다"),
        ("line\n\nbreaks\tand  spaces", "line breaks and spaces"),
    ],
)
def test_model_text(raw: str, expected: str) -> None:
    assert model_text(raw) == expected


def test_model_text_keeps_the_original_untouched() -> None:
    original = "ㅋㅋㅋㅋ 대박!!!!"
    model_text(original)
    assert original == "ㅋㅋㅋㅋ 대박!!!!"
    assert normalize_text(original) == original


@pytest.mark.parametrize("raw", ["", " ", "\n\t \u3000", "\u200b\u200b", "\x00"])
def test_blank_input_gives_empty_string(raw: str) -> None:
    assert normalize_text(raw) == ""
    assert model_text(raw) == ""


def test_binary_garbage_does_not_raise() -> None:
    rng = Random(42)
    blob = bytes(rng.randrange(256) for _ in range(4096))
    for text in (blob.decode("latin-1"), blob.decode("utf-8", "surrogateescape"), blob.decode("utf-8", "replace")):
        normalize_text(text).encode("utf-8")
        model_text(text).encode("utf-8")


def test_random_code_points_do_not_raise_and_are_idempotent() -> None:
    rng = Random(42)
    for _ in range(300):
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 40)))
        once = normalize_text(text)
        once.encode("utf-8")
        assert normalize_text(once) == once
        modelled = model_text(text)
        assert model_text(modelled) == modelled


def test_megabyte_input() -> None:
    text = ("배송 ㅋㅋㅋㅋ\u200b 010-1234-5678 Sooo good!!!!\r\n" * 30_000)[:1_000_000]
    assert len(text) == 1_000_000
    stored = normalize_text(text)
    assert "\u200b" not in stored
    assert "\r" not in stored
    assert "ㅋㅋㅋ" not in model_text(text)
