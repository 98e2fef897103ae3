"""The demo company's agents at work: they answer and resolve the cases routing gives them, mostly in
time, some late.

The demo replays its history half a day at a time (`replay.replay_feedback`), and after each slot the
desk does the work that fell due, through the same casework calls the case page uses, at the
simulated moment.
So first-response and resolution times, SLA compliance, reopens after a recontact and first-contact
resolution all come out of the workflow itself, not out of numbers written into the store.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.errors import Conflict
from cxloop.route.casework import add_reply, change_case
from cxloop.store import cases as case_repo
from cxloop.store.engine import Store

#: Share of cases whose first reply / resolution lands after the SLA target.
LATE_REPLY = 0.1
LATE_RESOLUTION = 0.15
REPLIES = {
    "ko": "불편을 드려 죄송합니다. 확인해 보니 바로 조치할 수 있었습니다. 다시 문제가 있으면 알려 주세요.",
    "en": "Sorry for the trouble. We looked into it and have fixed it; let us know if anything else comes up.",
}


@dataclass(frozen=True, slots=True)
class _Plan:
    reply_at: datetime
    resolve_at: datetime


class AgentDesk:
    """Decides, once per case and work cycle, when its agent replies and resolves, and does it when due."""

    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self.seed = seed

    def work_until(self, now: datetime) -> dict[str, int]:
        """Every reply and resolution due by `now`, in one transaction."""
        done = {"replied": 0, "resolved": 0}
        with self.store.write() as conn:
            for case in case_repo.cases_to_work(conn):
                try:
                    self._work(conn, case, now, done)
                except Conflict:  # changed by routing in the same moment: the next cycle sees it again
                    continue
        return done

    def _work(self, conn: sa.Connection, case: dict[str, Any], now: datetime, done: dict[str, int]) -> None:
        plan = self._plan(case)
        agent, version = case["assignee_user_id"], case["version"]
        replied = case["first_response_at"] is not None
        if not replied and plan.reply_at <= now:
            text = REPLIES["en" if case["language"] == "en" else "ko"]
            add_reply(conn, self.store.dialect, case["id"], text, actor=agent, now=plan.reply_at)
            replied, version = True, version + 1  # the first reply moves the case to its next version
            done["replied"] += 1
        if replied and plan.resolve_at <= now:
            change_case(conn, self.store.dialect, case["id"], version=version,
                        changes={"status": "resolved"}, actor=agent, now=plan.resolve_at)  # fmt: skip
            done["resolved"] += 1

    def _plan(self, case: dict[str, Any]) -> _Plan:
        """When this work cycle's reply and resolution happen: a share of each SLA window (beyond it
        for the late ones). A reopened case starts a new cycle from the moment it was reopened."""
        started = case["updated_at"] if case["reopen_count"] else case["created_at"]
        # Seeded by what the replay reproduces (ids are new on every build), so a demo is the same each time.
        key = f"{self.seed}:{case['created_at']}:{case['subject']}:{case['reopen_count']}".encode()
        rng = random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
        reply_window = (case["first_response_due_at"] or started + timedelta(hours=8)) - case["created_at"]
        resolve_window = (case["resolution_due_at"] or started + timedelta(days=3)) - case["created_at"]
        # Late work is late by up to half its window again: a case forgotten for a month is another story.
        reply_share = rng.uniform(1.05, 1.5) if rng.random() < LATE_REPLY else rng.betavariate(2, 3)
        resolve_share = rng.uniform(1.05, 1.5) if rng.random() < LATE_RESOLUTION else rng.betavariate(3, 2)
        reply_at = started + max(reply_window * reply_share, timedelta(minutes=3))
        return _Plan(reply_at, max(started + resolve_window * resolve_share, reply_at + timedelta(minutes=10)))
