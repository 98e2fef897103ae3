"""Korean and English UI text: message catalogs and the choice of language per request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

LOCALES = ("ko", "en")
LANGUAGE_COOKIE = "cxloop_lang"
_CATALOG_DIR = Path(__file__).with_name("i18n")

Translator = Callable[..., str]


@functools.cache
def catalog(locale: str) -> dict[str, str]:
    """All messages of a locale. Each domain keeps its own file in `i18n/<locale>/`, so features
    add their texts without touching each other's; a key defined twice is a bug, caught here."""
    merged: dict[str, str] = {}
    for path in sorted((_CATALOG_DIR / locale).glob("*.json")):
        part: dict[str, str] = orjson.loads(path.read_bytes())
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"{path.name} redefines {', '.join(sorted(clash))} for locale {locale}")
        merged.update(part)
    return merged


def translator(locale: str) -> Translator:
    messages, fallback = catalog(locale), catalog("en")

    def translate(key: str, **values: Any) -> str:
        text = messages.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return translate


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The cookie wins, then the browser's preference, then the configured default."""
    if cookie in LOCALES:
        return str(cookie)
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.split("-")[0].lower()
        if language in LOCALES:
            ranked.append((quality, language))
    return max(ranked)[1] if ranked else default
