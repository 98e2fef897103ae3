"""Score near-duplicate detection on a synthetic set and measure its throughput.

The set is built from the demo's Korean and English complaint sentences. An *original* is two or
three complaint sentences about one topic with the slots filled (product, order id, days, amount),
sometimes with an opener or a signed name. The queries are:

* copies of an original, each changed in one way (spacing, order number and amounts, name, emoji
  and punctuation, appended words, a typo, case) or in several at once: these should link to it;
* distinct complaints on the same topics, built from sentence combinations no original uses (they
  may share one sentence with an original, as real complaints share phrases): these should not.

Precision counts links to the right original among all links; recall counts copies linked to
their original. Throughput is measured against a history of 50,000 such texts (median of repeats).

Run: .venv/bin/python benchmarks/bench_duplicates.py [--history N] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from _common import Table, markdown_table, write_results

from cxloop.demo import phrases_en, phrases_ko
from cxloop.demo.catalog import PRODUCTS
from cxloop.demo.names import AGENTS_EN, AGENTS_KO, CARRIERS_EN, CARRIERS_KO
from cxloop.text.duplicates import DuplicateIndex, DuplicateMatch

TITLE = "Near-duplicate detection"
SEEDS = 5
NAMES_KO = ("김민수", "이영희", "박지훈", "최수진", "정우성", "한예슬", "오세훈", "윤아름")
NAMES_EN = ("Kim Minsu", "Lee Younghee", "Park Jihoon", "Choi Sujin", "Jung Woo", "Han Yeseul")
EMOJI = ("😡", "😭", "💢", "🤬", "🙏", "ㅠㅠ", "!!", "??", "...")
APPEND_KO = ("빨리 처리해 주세요", "답변 부탁드립니다", "진짜 너무하네요", "확인 좀 해주세요")
APPEND_EN = ("please fix this asap", "waiting for your reply", "this is unacceptable", "please check")

Combo = tuple[str, str, tuple[int, ...]]  # language, topic, sentence indices


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    product = rng.choice(PRODUCTS)
    carrier = rng.randrange(len(CARRIERS_KO))
    return {
        "product": product.name if lang == "ko" else product.name_en,
        "order": f"O2026{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}-{rng.randrange(1, 999_999):06d}",
        "days": str(rng.randint(2, 14)),
        "date": f"{rng.randint(1, 12)}월 {rng.randint(1, 28)}일" if lang == "ko" else f"May {rng.randint(1, 28)}",
        "amount": f"{rng.randrange(5, 300) * 1000:,}",
        "carrier": CARRIERS_KO[carrier] if lang == "ko" else CARRIERS_EN[carrier],
        "wait": str(rng.randint(8, 55)),
        "agent": rng.choice(AGENTS_KO) if lang == "ko" else rng.choice(AGENTS_EN),
        "version": f"5.{rng.randint(0, 3)}.{rng.randint(0, 9)}",
        "coupon": rng.choice(("SUMMER15", "WELCOME10", "APP3000")),
        "brand": "루프마켓" if lang == "ko" else "LoopMarket",
    }


def _sentences(lang: str, topic: str) -> tuple[str, ...]:
    table = phrases_ko.SENTENCES if lang == "ko" else phrases_en.SENTENCES
    return table[topic]["neg"]


def all_combos(size: int) -> list[Combo]:
    combos: list[Combo] = []
    for lang, table in (("ko", phrases_ko.SENTENCES), ("en", phrases_en.SENTENCES)):
        for topic, by_polarity in table.items():
            count = len(by_polarity.get("neg", ()))
            combos += [(lang, topic, c) for c in itertools.combinations(range(count), size)]
    return combos


def compose(rng: random.Random, combo: Combo, *, name: str | None = None) -> str:
    lang, topic, indices = combo
    sentences = [_sentences(lang, topic)[i] for i in indices]
    rng.shuffle(sentences)
    opener = phrases_ko.OPENERS if lang == "ko" else phrases_en.OPENERS
    text = (" " if lang == "ko" else ". ").join(sentences)
    if rng.random() < 0.4:
        text = f"{rng.choice(opener)} {text}"
    if name:
        text = f"{text} {name}" + (" 드림" if lang == "ko" else "")
    return text.format(**_slots(rng, lang))


# -- the ways a pasted complaint changes ----------------------------------------------------------


def _respace(rng: random.Random, text: str) -> str:
    out = []
    for ch in text:
        if ch == " " and rng.random() < 0.5:
            continue
        out.append(ch)
        if ch != " " and rng.random() < 0.08:
            out.append(" ")
    return "".join(out)


def _renumber(rng: random.Random, text: str) -> str:
    return "".join(str(rng.randrange(10)) if ch.isdigit() else ch for ch in text)


def _emoji(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(EMOJI))
    return " ".join(words) + rng.choice(("!!", "?!", " 😡😡", ""))


def _append(rng: random.Random, text: str) -> str:
    return f"{text} {rng.choice(APPEND_KO if not text.isascii() else APPEND_EN)}"


def _typo(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(2):
        position = rng.randrange(len(chars))
        if not chars[position].isspace():
            chars[position] = chars[position - 1]
    return "".join(chars)


def _case(rng: random.Random, text: str) -> str:
    return text.upper() if rng.random() < 0.5 else text.lower()


def _combined(rng: random.Random, text: str) -> str:
    return _emoji(rng, _renumber(rng, _respace(rng, text)))


VARIANTS: dict[str, Callable[[random.Random, str], str]] = {
    "spacing": _respace,
    "order number / amounts": _renumber,
    "emoji / punctuation": _emoji,
    "appended words": _append,
    "typo (2 chars)": _typo,
    "case": _case,
    "spacing + number + emoji": _combined,
}


def _halves(lang: str, topic: str) -> tuple[list[int], list[int]]:
    """Originals are written from the first half of a topic's sentences, distinct complaints mostly
    from the second, so a distinct complaint shares at most one sentence with any original."""
    count = len(_sentences(lang, topic))
    return list(range(0, count, 2)), list(range(1, count, 2))


def build_set(seed: int = 7) -> tuple[list[tuple[str, str]], list[tuple[str, str, str | None]]]:
    """History (id, text) and queries (kind, text, id of the original it copies or None)."""
    rng = random.Random(seed)
    originals: list[Combo] = []
    distinct: list[Combo] = []
    overlapping: list[Combo] = []
    for lang, table in (("ko", phrases_ko.SENTENCES), ("en", phrases_en.SENTENCES)):
        for topic in table:
            first, second = _halves(lang, topic)
            own = [(lang, topic, c) for size in (2, 3) for c in itertools.combinations(first, size)]
            rng.shuffle(own)
            # Three quarters become originals; the rest share two sentences with some original.
            cut = max(1, len(own) * 3 // 4)
            originals += own[:cut]
            overlapping += own[cut:]
            distinct += [(lang, topic, (a, *more)) for a in first for more in itertools.combinations(second, 2)]
    rng.shuffle(distinct)
    history: list[tuple[str, str]] = []
    queries: list[tuple[str, str, str | None]] = []
    kinds = list(VARIANTS)
    for n, combo in enumerate(originals):
        lang = combo[0]
        names = NAMES_KO if lang == "ko" else NAMES_EN
        name = rng.choice(names) if rng.random() < 0.3 else None
        text = compose(rng, combo, name=name)
        item_id = f"H{n:05d}"
        history.append((item_id, text))
        if name:
            other = rng.choice([x for x in names if x != name])
            queries.append(("name", text.replace(name, other), item_id))
        kind = kinds[n % len(kinds)]
        queries.append((kind, VARIANTS[kind](rng, text), item_id))
    queries += [("distinct complaint", compose(rng, combo), None) for combo in distinct[: len(originals)]]
    queries += [("overlapping complaint", compose(rng, combo), None) for combo in overlapping]
    return history, queries


def accuracy_table(threshold: float) -> Table:
    # Each seed fills the slots anew; one index per seed, so originals of the same sentences never meet.
    history_size = 0
    queries: list[tuple[str, str, str | None]] = []
    found: list[DuplicateMatch | None] = []
    for seed in range(SEEDS):
        history, seed_queries = build_set(seed)
        index = DuplicateIndex(threshold)
        index.add_many(history)
        found += index.find([text for _, text, _ in seed_queries])
        queries += seed_queries
        history_size += len(history)
    table = Table(
        f"Accuracy at threshold {threshold} ({history_size} originals, {SEEDS} seeds)",
        ["query kind", "queries", "linked", "linked to the right original", "recall", "precision"],
        section="accuracy",
    )
    copies = copies_right = links = links_right = 0
    for kind in [*VARIANTS, "name", "distinct complaint", "overlapping complaint"]:
        rows = [(q, m) for q, m in zip(queries, found, strict=True) if q[0] == kind]
        linked = sum(m is not None for _, m in rows)
        right = sum(m is not None and m.original_id == q[2] for q, m in rows)
        if kind == "overlapping complaint":
            table.add(kind, len(rows), linked, None, None, None)
            continue
        is_copy = kind != "distinct complaint"
        table.add(
            kind, len(rows), linked, right, right / len(rows) if is_copy else None, right / linked if linked else None
        )
        copies += len(rows) if is_copy else 0
        copies_right += right
        links += linked
        links_right += right
    table.add(
        "copies + distinct", None, links, links_right, copies_right / copies, links_right / links if links else None
    )
    table.notes.append(
        "Overlapping complaints share two sentences with an original (a subset, superset or reordering);"
        " whether they are duplicates is a judgement call, so they count in neither precision nor recall."
    )
    return table


def throughput_table(history_size: int, repeats: int) -> Table:
    rng = random.Random(11)
    combos = all_combos(2) + all_combos(3)
    history = [(f"H{n:06d}", compose(rng, rng.choice(combos))) for n in range(history_size)]
    batch = [(f"N{n:05d}", compose(rng, rng.choice(combos))) for n in range(2000)]
    table = Table(
        f"Throughput against {history_size:,} history texts (1 core, median of {repeats})",
        ["operation", "texts", "CPU seconds", "texts/s", "target", "met?"],
        section="throughput",
    )
    timings: dict[str, list[float]] = {"signatures": [], "add_many": [], "find": [], "find_and_add": []}
    for _ in range(repeats):
        index = DuplicateIndex()
        # CPU time of this process: on a shared machine, wall time measures the neighbours too.
        started = time.process_time()
        index.signatures([text for _, text in history[:10_000]])
        timings["signatures"].append(time.process_time() - started)
        started = time.process_time()
        index.add_many(history)
        timings["add_many"].append(time.process_time() - started)
        started = time.process_time()
        index.find([text for _, text in batch])
        timings["find"].append(time.process_time() - started)
        started = time.process_time()
        index.find_and_add(batch)
        timings["find_and_add"].append(time.process_time() - started)
    table.notes.append(
        "CPU seconds of this process, so neighbours on a shared machine do not count; find and find_and_add"
        " include normalising the texts and are per batch of 2,000 new texts."
    )
    sizes = {"signatures": 10_000, "add_many": history_size, "find": len(batch), "find_and_add": len(batch)}
    for name, seconds in timings.items():
        elapsed = statistics.median(seconds)
        rate = sizes[name] / elapsed
        target = 2000 if name in ("find", "find_and_add") else None
        table.add(name, sizes[name], elapsed, rate, target, None if target is None else rate >= target)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", type=int, default=50_000, help="history size for the throughput run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    tables = [accuracy_table(0.8), accuracy_table(0.7), throughput_table(args.history, args.repeats)]
    for table in tables:
        print(f"\n### {table.title}\n")
        print(markdown_table(table.columns, table.rows))
    if args.json:
        write_results(args.json, title=TITLE, mode="full", tables=tables)


if __name__ == "__main__":
    main()
