"""The README documents every setting and canonical field; every UI text exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxloop.config import Settings
from cxloop.domain import EventChannel, FeedbackChannel, JourneyStage, Language, RecordKind
from cxloop.ingest.records import CANONICAL_FIELDS
from cxloop.web.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEMPLATES = ROOT / "src" / "cxloop" / "web" / "templates"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(name: str) -> None:
    assert f"`CXLOOP_{name.upper()}`" in README


@pytest.mark.parametrize("kind", list(RecordKind))
def test_every_canonical_field_is_documented(kind: RecordKind) -> None:
    row = next(line for line in README.splitlines() if line.startswith(f"| {kind.value} |"))
    for field in CANONICAL_FIELDS[kind]:
        assert f"`{field}`" in row, f"{kind.value}.{field} missing from the README table"


def test_quick_start_is_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        keys.update(re.findall(r"t\('([a-z_.]+)'[,)]", text))
    return keys


def _dynamic_keys() -> set[str]:
    """Keys built from enum values in templates (channel.<value>, language.<value>, ...)."""
    families = {
        "channel": FeedbackChannel, "language": Language, "stage": JourneyStage, "kind": RecordKind,
    }  # fmt: skip
    keys = {f"{prefix}.{member.value}" for prefix, enum in families.items() for member in enum}
    keys |= {f"channel.{c.value}" for c in EventChannel}
    keys |= {f"feedback.status.{s}" for s in ("pending", "done", "failed")}
    keys |= {"login.failed", "login.locked"}
    keys |= {f"sentiment.{s}" for s in ("positive", "neutral", "negative")}
    keys |= {f"trends.kind.{k}" for k in ("topic_spike", "keyword_spike", "new_phrase")}
    keys |= {f"pii.{k}" for k in ("email", "phone", "rrn", "card", "account", "address")}
    keys |= {
        f"flag.{f}" for f in ("churn_intent", "legal_threat", "safety_issue", "repeated_contact", "abusive", "vip")
    }
    keys |= {f"identity.{k}" for k in ("email", "phone", "external_id", "device_id", "social_handle")}
    return keys


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_every_ui_text_exists_in_both_languages(locale: str) -> None:
    messages = catalog(locale)
    missing = sorted((_template_keys() | _dynamic_keys()) - set(messages))
    assert not missing, f"{locale}.json lacks {missing}"


def test_catalogs_have_the_same_keys() -> None:
    assert set(catalog("ko")) == set(catalog("en"))


def test_event_channels_are_documented() -> None:
    for channel in EventChannel:
        assert f"`{channel.value}`" in README
