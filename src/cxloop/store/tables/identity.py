"""Identity resolution: the merge history (with everything needed to undo a merge) and the review queue."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

# Append-only in spirit: a merge row is never deleted; unmerging stamps `unmerged_at`/`unmerged_by`.
# `snapshot` holds the merged customer row as it was, the ids of every row moved to the survivor
# (per table), and the survivor attributes the merge overwrote, so an unmerge restores exactly.
customer_merges = sa.Table(
    "customer_merges",
    metadata,
    id_column(primary_key=True),
    id_column("survivor_id", nullable=False),
    id_column("merged_id", nullable=False),
    sa.Column("merged_by", sa.String(200), nullable=False),  # a user id, or "auto" for the matcher
    sa.Column("rule", sa.String(32), nullable=False),  # manual | review | probabilistic | deterministic
    sa.Column("note", sa.Text),
    sa.Column("score", sa.Float),  # match probability, when a matcher proposed the pair
    sa.Column("reasons", sa.JSON, nullable=False),  # why the two were judged the same person
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("merged_at", sa.DateTime, nullable=False),
    sa.Column("unmerged_at", sa.DateTime),
    sa.Column("unmerged_by", sa.String(200)),
)
pg_index(customer_merges.c.survivor_id)
pg_index(customer_merges.c.merged_id)

# The review queue: pairs the probabilistic matcher was unsure about. The pair is stored ordered
# (left < right) and unique, so a rejected pair is remembered and never proposed again.
match_candidates = sa.Table(
    "match_candidates",
    metadata,
    id_column(primary_key=True),
    id_column("left_customer_id", nullable=False),
    id_column("right_customer_id", nullable=False),
    sa.Column("probability", sa.Float),  # NULL when a person flagged the pair by hand
    sa.Column("reasons", sa.JSON, nullable=False),  # ["same phone", "similar name (0.92)", ...]
    sa.Column("status", sa.String(16), nullable=False),  # open | accepted | rejected
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", sa.DateTime),
    id_column("merge_id"),  # the merge an accepted pair became
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("left_customer_id", "right_customer_id"),
)
pg_index(match_candidates.c.status, match_candidates.c.probability)
