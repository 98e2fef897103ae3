"""Compose one feedback text from aspects, in the voice of a channel (call, chat, e-mail, review, ...)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cxloop.demo import phrases_en as en
from cxloop.demo import phrases_ko as ko

Aspect = tuple[str, str]  # (topic, polarity); polarity is "pos", "neg" or "mid"

# Lead-ins talk about buying something, so they only open texts about the order itself.
_LEAD_TOPICS = frozenset({"delivery", "quality", "price", "packaging", "refund", "general", "coupon"})
_ENDINGS_KO = ("", "", ".", "..", "!", "~")
_ENDINGS_EN = (".", ".", "", "!", "...")


@dataclass(frozen=True)
class Voice:
    """What a customer wants to say and where; `compose` turns it into text."""

    channel: str  # FeedbackChannel value
    language: str  # ko, en or mixed
    aspects: tuple[Aspect, ...]  # the first one is what the text is mainly about
    slots: Mapping[str, str]  # template values; keys ending in _en are used for English
    escalate: bool = False  # add a churn or legal threat
    pii: str | None = None  # which PII the customer pastes: phone, email, card or rrn
    resolved: bool = True  # how the agent's last turn in a call goes


def compose(rng: random.Random, voice: Voice) -> str:
    """A varied, noisy text; the wording, noise and framing are all drawn from `rng`."""
    english = voice.language == "en"
    fmt = dict(voice.slots)
    if english:
        fmt.update({key[:-3]: value for key, value in voice.slots.items() if key.endswith("_en")})
    mood = _mood(voice.aspects)
    lines = _customer_sentences(rng, voice, mood)
    lines = [_fill(line, fmt) for line in lines]
    framer = _FRAMES.get(voice.channel, _plain)
    return framer(rng, voice, lines, fmt, mood).strip()


def _mood(aspects: tuple[Aspect, ...]) -> str:
    """pos or neg when all aspects agree; mid for mixed feelings, which get neutral closers and tails."""
    polarities = {polarity for _, polarity in aspects}
    return polarities.pop() if len(polarities) == 1 else "mid"


def _subject_topic(voice: Voice) -> str:
    """What a form category or e-mail subject names: the first complaint, else the first aspect."""
    return next((topic for topic, polarity in voice.aspects if polarity == "neg"), voice.aspects[0][0])


def _fill(template: str, fmt: Mapping[str, str]) -> str:
    return template.format_map(fmt)


def _sentence_languages(rng: random.Random, language: str, count: int) -> list[str]:
    if language != "mixed":
        return [language] * count
    picks = [rng.choice(("mixed", "mixed", "ko", "en")) for _ in range(count)]
    if count > 1 and all(p == "ko" for p in picks):
        picks[-1] = "en"
    elif count > 1 and all(p == "en" for p in picks):
        picks[0] = "ko"
    return picks


def _table(language: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {"ko": ko.SENTENCES, "en": en.SENTENCES, "mixed": en.MIXED}[language]


def _pick(rng: random.Random, language: str, topic: str, polarity: str) -> str:
    table = _table(language)
    options = table.get(topic, {})
    if polarity == "mid" and "mid" not in options:
        polarity = rng.choice(("pos", "neg"))
    choices = options.get(polarity) or _table("ko" if language == "mixed" else language)[topic].get(polarity)
    if not choices:
        choices = _table("en" if language == "en" else "ko")["general"][polarity]
    return rng.choice(choices)


def _customer_sentences(rng: random.Random, voice: Voice, mood: str) -> list[str]:
    """The customer's own words: aspect sentences joined by contrast heads or connectors, plus noise."""
    aspects = voice.aspects[:2] if voice.channel in ("app_review", "survey") else voice.aspects
    if len(aspects) == 1 and aspects[0][0] != "general" and rng.random() < 0.35:
        aspects += (("general", aspects[0][1]),)  # a verdict after the point: "... 추천은 못 하겠어요"
    languages = _sentence_languages(rng, voice.language, len(aspects) + 1)
    sentences: list[str] = []
    previous: Aspect | None = None
    for (topic, polarity), language in zip(aspects, languages, strict=False):
        text = _pick(rng, language, topic, polarity)
        base = "en" if language == "en" else "ko"
        module = en if base == "en" else ko
        contrast = previous and {previous[1], polarity} == {"pos", "neg"} and language != "mixed"
        if previous and contrast and rng.random() < 0.6 and sentences:
            head = rng.choice(module.HEADS[previous[0]][previous[1]])
            sentences[-1] = f"{head} {text[0].lower() + text[1:] if base == 'en' else text}"
        elif previous and rng.random() < 0.3:
            joiners = module.CONNECTORS["same" if previous[1] == polarity else "turn"]
            sentences.append(f"{rng.choice(joiners)} {text[0].lower() + text[1:] if base == 'en' else text}")
        else:
            sentences.append(text)
        previous = (topic, polarity)
    if rng.random() < 0.45 and sentences and aspects[0][0] in _LEAD_TOPICS:
        lead_module = en if languages[0] == "en" else ko
        lead = rng.choice(lead_module.LEADS)
        sentences[0] = f"{lead} {sentences[0]}"
    if "score" in voice.slots and rng.random() < 0.35:
        remark_module = en if languages[0] == "en" else ko
        sentences.append(rng.choice(remark_module.SCORE_REMARKS))
    if voice.channel in ("chat", "web_form", "sns") and rng.random() < 0.2:
        sentences.insert(0, rng.choice((en if languages[0] == "en" else ko).OPENERS))
    closing_language = languages[-1]
    closer_module = en if closing_language == "en" else ko
    short = voice.channel in ("app_review", "survey")
    if voice.escalate:
        sentences.append(rng.choice(closer_module.ESCALATIONS))
    elif not short and rng.random() < 0.55:
        sentences.append(rng.choice(closer_module.CLOSERS[mood]))
    if voice.pii:
        templates = [t for t in closer_module.PII if "{" + voice.pii + "}" in t]
        sentences.insert(rng.randrange(1, len(sentences) + 1), rng.choice(templates))
    return [_noisy(rng, s, mood, english=_is_english(s)) for s in sentences]


def _is_english(text: str) -> bool:
    return not any("가" <= char <= "힣" for char in text)


def _noisy(rng: random.Random, sentence: str, mood: str, english: bool) -> str:
    """Typos, slang, spacing slips and emoticons, the way people actually type."""
    if english:
        if rng.random() < 0.2:
            sentence = _swap_one(rng, sentence, en.TYPOS)
        if rng.random() < 0.25:
            sentence = sentence.lower()
        tail = rng.choice(en.TAILS[mood]) if rng.random() < 0.3 else rng.choice(_ENDINGS_EN)
        return sentence + tail
    if rng.random() < 0.2:
        sentence = _swap_one(rng, sentence, ko.TYPOS)
    if rng.random() < 0.12:
        sentence = _swap_one(rng, sentence, ko.SLANG)
    if rng.random() < 0.06:
        sentence = _swap_english(rng, sentence)
    if rng.random() < 0.22:
        # 띄어쓰기 slips: drop some of the spaces.
        sentence = "".join(c for c in sentence if c != " " or rng.random() < 0.55)
    roll = rng.random()
    if roll < 0.3:
        tail = rng.choice(ko.TAILS[mood])
        if tail[0] in "ㅋㅎㅠㅜ":
            tail = tail[0] * rng.randint(2, 5)
        return f"{sentence} {tail}" if rng.random() < 0.5 else sentence + tail
    return sentence + rng.choice(_ENDINGS_KO if not sentence.endswith("?") else ("",))


def _swap_one(rng: random.Random, sentence: str, table: Mapping[str, str]) -> str:
    present = [key for key in table if key in sentence]
    if not present:
        return sentence
    key = rng.choice(present)
    return sentence.replace(key, table[key], 1)


def _swap_english(rng: random.Random, sentence: str) -> str:
    """Konglish: a bare noun typed in English; only where no particle follows, or "price이" would appear."""
    present = [key for key in ko.ENGLISH_SWAPS if f"{key} " in sentence or sentence.endswith(key)]
    if not present:
        return sentence
    key = rng.choice(present)
    return re.sub(f"{key}(?= |$)", ko.ENGLISH_SWAPS[key], sentence, count=1)


def _join(sentences: list[str]) -> str:
    return " ".join(sentences)


def _plain(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    return _join(lines)


def _call(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    """A call-centre transcript: the agent greets and probes, the customer's sentences come in turns."""
    module = en if voice.language == "en" else ko
    agent, customer = ("Agent", "Customer") if module is en else ("상담사", "고객")
    turns = [f"{agent}: {_fill(rng.choice(module.CALL_GREETINGS), fmt)}"]
    split = max(1, len(lines) // 2)
    turns.append(f"{customer}: {_join(lines[:split])}")
    turns.append(f"{agent}: {rng.choice(module.CALL_PROBES)}")
    rest = lines[split:]
    if voice.slots.get("has_order") == "1" and rng.random() < 0.6:
        order_line = f"Order number {fmt['order']}." if module is en else f"주문번호 {fmt['order']} 이요."
        rest = [order_line, *rest]
    turns.append(f"{customer}: {_join(rest) if rest else rng.choice(module.CALL_FILLERS)}")
    outcome = "resolved" if voice.resolved else "unresolved"
    turns.append(f"{agent}: {rng.choice(module.CALL_REPLIES[outcome])}")
    turns.append(f"{customer}: {rng.choice(module.CALL_ENDINGS[outcome])}")
    return "\n".join(turns)


def _chat(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    """Chat: short bursts, one per line, sometimes with the agent's probe in between."""
    if len(lines) > 1 and rng.random() < 0.3:
        module = en if voice.language == "en" else ko
        label = "Agent" if module is en else "상담원"
        customer = "Me" if module is en else "고객"
        probe = rng.choice(module.CALL_PROBES)
        return "\n".join([f"{customer}: {lines[0]}", f"{label}: {probe}", *(f"{customer}: {x}" for x in lines[1:])])
    return "\n".join(lines)


def _email(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    """E-mail: subject, greeting, body, sign-off with the customer's name."""
    topic = _subject_topic(voice)
    name = fmt.get("name_en" if voice.language == "en" else "name") or ""
    has_order = voice.slots.get("has_order") == "1"
    if voice.language == "en":
        subject = f"Subject: {topic.replace('_', ' ').capitalize()} issue"
        if mood == "pos":
            subject = rng.choice(en.PRAISE_SUBJECTS)
        subject += f" - order {fmt['order']}" if has_order else ""
        signoff = _fill(rng.choice(en.EMAIL_SIGNOFFS), {"name": name}) if name else "Regards"
        return f"{subject}\n\n{rng.choice(('Hi,', 'Hello,', 'Dear team,'))}\n\n{_join(lines)}\n\n{signoff}"
    subject = f"제목: {rng.choice(ko.EMAIL_PRAISE_SUBJECTS) if mood == 'pos' else ko.EMAIL_SUBJECTS[topic]}"
    subject += f" ({fmt['order']})" if has_order else ""
    greeting = f"안녕하세요. {name}입니다." if name and rng.random() < 0.7 else "안녕하세요."
    signoff = _fill(rng.choice(ko.EMAIL_SIGNOFFS), {"name": name}) if name else "감사합니다."
    return f"{subject}\n\n{greeting}\n{_join(lines)}\n\n{signoff}"


def _web_form(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    if rng.random() < 0.5:
        return _join(lines)
    topic = _subject_topic(voice)
    if voice.language == "en":
        header = f"[Category] {topic.replace('_', ' ')}"
        order = f"\nOrder: {fmt['order']}" if voice.slots.get("has_order") == "1" else ""
        return f"{header}{order}\nMessage: {_join(lines)}"
    header = f"[문의유형] {ko.FORM_LABELS[topic]}"
    order = f"\n주문번호: {fmt['order']}" if voice.slots.get("has_order") == "1" else ""
    return f"{header}{order}\n문의내용: {_join(lines)}"


def _sns(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    text = _join(lines)
    if rng.random() < 0.3:
        text = f"@{rng.choice(('loopmarket_official', 'loopmarket', 'loopmarket_cs'))} {text}"
    if rng.random() < 0.6:
        topic = _subject_topic(voice)
        if voice.language == "en":
            tags = list(en.TAGS[mood])
        else:
            tags = list(ko.HASHTAGS["praise" if mood == "pos" else topic])
        text += (
            " "
            + " ".join(rng.sample(tags, k=min(len(tags), rng.randint(1, 3))))
            + " #루프마켓" * (voice.language != "en" and rng.random() < 0.5)
        )
    return text


def _app_review(rng: random.Random, voice: Voice, lines: list[str], fmt: Mapping[str, str], mood: str) -> str:
    """Short star-review style: a verdict, one or two sentences."""
    if voice.language != "en" and rng.random() < 0.35:
        return f"{rng.choice(ko.STAR_REVIEW_OPENERS[mood])} {_join(lines)}"
    return _join(lines)


_FRAMES = {
    "call": _call,
    "chat": _chat,
    "email": _email,
    "web_form": _web_form,
    "sns": _sns,
    "app_review": _app_review,
    "survey": _plain,
}
