"""The demo company's closed loop: staffed teams before the records are processed (so routing can
assign cases), and afterwards identity matching, SLA clocks, and two improvement actions measured
against the data: the login hotfix after the buggy app release (which worked) and a packaging change
(which did not move anything)."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, time, timedelta

from cxloop import access
from cxloop.config import Settings
from cxloop.demo.timeline import Timeline
from cxloop.domain import Role
from cxloop.errors import Conflict
from cxloop.store import cases as case_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

logger = logging.getLogger(__name__)

# (e-mail, name, team of the shipped routing rules, languages handled)
AGENTS = (
    ("legal.kim@cxloop.demo", "김법무", "legal-voc", ("ko",)),
    ("retention.lee@cxloop.demo", "이유지", "retention", ("ko", "en")),
    ("retention.park@cxloop.demo", "박지원", "retention", ("ko",)),
    ("digital.choi@cxloop.demo", "최디지", "digital", ("ko", "en")),
    ("logistics.jung@cxloop.demo", "정배송", "logistics", ("ko",)),
    ("support.han@cxloop.demo", "한상담", "cx-support", ("ko",)),
    ("support.smith@cxloop.demo", "Alex Smith", "cx-support", ("en", "ko")),
)


def staff_teams(store: Store, password: str) -> None:
    """Agent accounts (same demo password) on the teams the default routing rules name."""
    for email, name, _, _ in AGENTS:
        with contextlib.suppress(Conflict):  # a rebuilt demo keeps its users
            access.create_user(store, email, name, password, Role.AGENT, source="demo", locale=None)
    with store.write() as conn:
        for email, _, team, languages in AGENTS:
            user_id = case_repo.user_id_by_email(conn, email)
            if user_id is not None:
                case_repo.set_team_member(conn, team, user_id, list(languages), utc_now())


def close_the_loop(store: Store, settings: Settings, timeline: Timeline) -> None:
    """What a running server would have done by now, plus the actions a CX team would have taken."""
    from cxloop.jobs.identity_matching import run_identity_matching
    from cxloop.jobs.routing import check_slas

    logger.info("demo: identity matching %s", run_identity_matching(store, settings, now=utc_now()))
    logger.info("demo: SLA check %s", check_slas(store, settings))
    _improvement_actions(store, settings, timeline)


def _local_morning_utc(timeline: Timeline, day_index: int, offset_minutes: int) -> datetime:
    local = datetime.combine(timeline.start + timedelta(days=day_index), time(9, 0))
    return local - timedelta(minutes=offset_minutes)


def _improvement_actions(store: Store, settings: Settings, timeline: Timeline) -> None:
    from cxloop.notify.actions import create_action, link_feedback, ship_action

    offset = settings.business_utc_offset_minutes
    now = utc_now()
    stories = (
        (
            "앱 5.2.0 로그인 오류 핫픽스 (5.2.1) · Login hotfix after app 5.2.0",
            "account_login",
            timeline.release_day,
            timeline.hotfix_day,
        ),
        (
            "포장재 변경 · New packaging material",
            "packaging",
            timeline.hotfix_day + 20,
            timeline.hotfix_day + 30,
        ),
    )
    with store.write() as conn:
        for title, topic, since_day, shipped_day in stories:
            action = create_action(
                conn, store.dialect, title=title, topic=topic, now=now, created_by="demo", before_days=14, after_days=28
            )
            since = _local_morning_utc(timeline, since_day - 7, offset)
            until = _local_morning_utc(timeline, shipped_day, offset)
            link_feedback(conn, store.dialect, action["id"], now=now, topic=topic, since=since, until=until)
            shipped = ship_action(
                conn,
                action["id"],
                now=now,
                offset_minutes=offset,
                shipped_at=_local_morning_utc(timeline, shipped_day, offset),
            )
            logger.info("demo: action %r → %s", title, shipped["status"])
