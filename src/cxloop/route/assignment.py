"""Who gets a case: round-robin or least-loaded within the team, preferring agents whose skills cover
the case's language. Pure: the caller loads the team's members and their load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Candidate:
    """A team member as assignment sees them; `open_cases` and `last_assigned_at` are kept up to date
    by `choose_assignee` so one batch spreads its cases like a sequence of single assignments would."""

    user_id: str
    languages: frozenset[str] | None  # None: no language skills recorded, takes any language
    open_cases: int = 0
    last_assigned_at: datetime | None = None
    turn: int = 0  # breaks ties between members assigned at the same moment, in assignment order


def _speaks(candidate: Candidate, language: str | None) -> bool:
    if not language or candidate.languages is None:
        return True
    # Mixed Korean/English text needs someone who reads both; both lists make that explicit.
    needed = {"ko", "en"} if language == "mixed" else {language}
    return needed <= candidate.languages


def choose_assignee(
    candidates: list[Candidate], *, strategy: str, language: str | None, now: datetime
) -> Candidate | None:
    """The member to assign, or None for `manual` or an empty team.

    Skills narrow the choice only when someone has them: a case in a language nobody on the team
    lists still gets assigned rather than waiting unseen.
    """
    if strategy == "manual" or not candidates:
        return None
    pool = [c for c in candidates if _speaks(c, language)] or candidates
    never = datetime.min

    def round_robin_key(c: Candidate) -> tuple[datetime, int, str]:
        return (c.last_assigned_at or never, c.turn, c.user_id)

    if strategy == "least_loaded":
        chosen = min(pool, key=lambda c: (c.open_cases, *round_robin_key(c)))
    else:
        chosen = min(pool, key=round_robin_key)
    chosen.open_cases += 1
    chosen.turn = max(c.turn for c in candidates) + 1
    if chosen.last_assigned_at is None or now > chosen.last_assigned_at:
        chosen.last_assigned_at = now
    return chosen


def skills_languages(skills: object) -> frozenset[str] | None:
    """`team_members.skills` {"languages": [...]} as a set; None when absent or malformed."""
    if isinstance(skills, dict) and isinstance(skills.get("languages"), list):
        return frozenset(str(v).lower() for v in skills["languages"])
    return None
