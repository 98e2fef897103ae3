"""May cxloop contact this customer about what their feedback led to?

Governance owns consent: its `consents` table holds one appended decision per row (customer_id,
purpose, granted, recorded_at). A customer may be contacted only when their newest decision for a
contact purpose (`marketing_contact`, or the aliases below) grants it. Where that table does not exist
(a store migrated before governance), nobody may be contacted: a follow-up without recorded consent
is never queued or sent.
"""

from __future__ import annotations

import sqlalchemy as sa

CONTACT_PURPOSES = ("marketing_contact", "marketing", "contact", "follow_up", "feedback_followup")


def customer_may_be_contacted(conn: sa.Connection, customer_id: str) -> bool:
    """True only when the customer's newest contact-purpose decision grants it."""
    try:
        from cxloop.store.tables import consents  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return False
    if not sa.inspect(conn).has_table("consents"):
        return False
    query = (
        sa.select(consents.c.granted)
        .where(consents.c.customer_id == customer_id, consents.c.purpose.in_(CONTACT_PURPOSES))
        .order_by(consents.c.recorded_at.desc(), consents.c.id.desc())
        .limit(1)
    )
    return bool(conn.execute(query).scalar())
