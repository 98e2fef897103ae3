"""Case statuses, priorities and the transitions between statuses that the workflow allows."""

from __future__ import annotations

from enum import StrEnum

from cxloop.errors import Conflict, InvalidInput


class CaseState(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
OPEN_STATES = frozenset({CaseState.NEW, CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER})
DONE_STATES = frozenset({CaseState.RESOLVED, CaseState.CLOSED})

# Closing a new case directly is allowed: spam and duplicates need no work. Reopening (resolved or
# closed back to in_progress) is the only way out of the done states.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.NEW: frozenset({CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.RESOLVED, CaseState.CLOSED}),
    CaseState.ASSIGNED: frozenset(
        {CaseState.NEW, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER, CaseState.RESOLVED, CaseState.CLOSED}
    ),
    CaseState.IN_PROGRESS: frozenset(
        {CaseState.ASSIGNED, CaseState.WAITING_ON_CUSTOMER, CaseState.RESOLVED, CaseState.CLOSED}
    ),
    CaseState.WAITING_ON_CUSTOMER: frozenset({CaseState.IN_PROGRESS, CaseState.RESOLVED, CaseState.CLOSED}),
    CaseState.RESOLVED: frozenset({CaseState.CLOSED, CaseState.IN_PROGRESS}),
    CaseState.CLOSED: frozenset({CaseState.IN_PROGRESS}),
}


class InvalidTransition(Conflict):
    """The case is in a status from which the requested one cannot be reached."""

    code = "case.invalid_transition"


def parse_state(value: object, field: str = "status") -> CaseState:
    try:
        return CaseState(str(value))
    except ValueError:
        allowed = ", ".join(s.value for s in CaseState)
        raise InvalidInput(f"{field}: {value!r} is not a case status; use one of {allowed}") from None


def parse_priority(value: object, field: str = "priority") -> Priority:
    try:
        return Priority(str(value))
    except ValueError:
        allowed = ", ".join(p.value for p in Priority)
        raise InvalidInput(f"{field}: {value!r} is not a priority; use one of {allowed}") from None


def check_transition(current: CaseState, target: CaseState) -> None:
    """Raise `InvalidTransition` (409) naming what is allowed when `current → target` is not."""
    if target == current:
        return
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"a case that is {current.value} cannot become {target.value}; from {current.value} it can become: "
            f"{options}",
            details={"status": current.value, "requested": target.value, "allowed": sorted(s.value for s in allowed)},
        )


def is_reopen(current: CaseState, target: CaseState) -> bool:
    return current in DONE_STATES and target not in DONE_STATES


def raised(priority: Priority) -> Priority:
    """One step more urgent (urgent stays urgent): what an SLA breach escalates to."""
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[max(0, index - 1)]


def priority_from_score(score: int | None) -> Priority:
    """The text pipeline's 0-100 priority score in the same bands as `cxloop.text.flags.priority_label`
    (70 / 45 / 25), named the way cases name priorities."""
    value = score or 0
    if value >= 70:
        return Priority.URGENT
    if value >= 45:
        return Priority.HIGH
    if value >= 25:
        return Priority.NORMAL
    return Priority.LOW
