"""The core pipeline stages: normalize, identify (exact linking), enrich (language) and store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cxloop.domain import RecordKind, new_id
from cxloop.governance.crypto import KeyRing, load_key_ring
from cxloop.identity.identifiers import LINK_STRENGTH, Identifier, identifiers_of
from cxloop.identity.link_keys import link_keys_of, sealed_fields
from cxloop.jobs.pipeline import PipelineItem, Stage, StageContext
from cxloop.store import customers as customer_repo
from cxloop.store import interactions as interaction_repo
from cxloop.store.customers import CUSTOMER_ATTRIBUTES

_INTERACTION_FIELDS = {
    RecordKind.EVENTS: ("type", "channel", "value", "currency", "journey_stage", "properties"),
    RecordKind.FEEDBACK: (
        "channel",
        "text",
        "rating",
        "survey_type",
        "score",
        "journey_stage",
        "product",
        "order_id",
    ),
}


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def normalize(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Decode the intake payload into a domain row and normalized identifiers."""
    for item in batch:
        payload = item.payload
        own_id = "external_id" if item.kind is RecordKind.CUSTOMERS else None
        item.identifiers = identifiers_of(payload, source=item.source, own_id_field=own_id)
        if item.kind is RecordKind.CUSTOMERS:
            item.row = {name: payload[name] for name in CUSTOMER_ATTRIBUTES if name in payload}
            if "birth_date" in item.row:
                item.row["birth_date"] = date.fromisoformat(item.row["birth_date"])
            if "customer_since" in item.row:
                item.row["customer_since"] = _datetime(item.row["customer_since"])
            continue
        item.record_id = new_id()
        item.row = {
            "id": item.record_id,
            "source": item.source,
            "external_id": item.external_id,
            "occurred_at": _datetime(payload["occurred_at"]),
            "occurred_utc_offset_minutes": payload["occurred_utc_offset_minutes"],
            "batch_id": item.batch_id,
            "ingested_at": item.received_at,
            **{name: payload.get(name) for name in _INTERACTION_FIELDS[item.kind]},
        }
    return batch


def _choose_customer(item: PipelineItem, known: dict[str, str]) -> str | None:
    """The customer the strongest matching identifier points at (external id > email > phone …).

    Identifiers pointing at different customers are left as they are; merging is identity
    resolution's decision, not intake's.
    """
    matches = sorted(
        (LINK_STRENGTH[i.kind], known[key])
        for i in item.identifiers
        if (key := i.link_key) is not None and key in known
    )
    return matches[0][1] if matches else None


def _identity_row(
    identifier: Identifier, customer_id: str, item: PipelineItem, ctx: StageContext, ring: KeyRing
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "customer_id": customer_id,
        "kind": identifier.kind.value,
        "namespace": identifier.namespace,
        **sealed_fields(ring, identifier),  # raw value sealed, value masked, link key a blind index
        "is_valid": identifier.is_valid,
        "created_at": ctx.now,
        "source": item.source,
        "batch_id": item.batch_id,
    }


def identify(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Link each record to a customer by exact normalized e-mail, phone or external id.

    A record whose valid identifiers are all unknown starts a new customer; customer records update
    the attributes of the customer they link to. Malformed identifiers are kept, flagged invalid,
    and never used for linking.
    """
    ring = load_key_ring(ctx.settings)
    # Linking below works on plaintext keys in memory; the store only ever sees their blind index.
    stored_key = link_keys_of(ring, [i for item in batch for i in item.identifiers])
    ctx.dialect.lock_identity_keys(ctx.conn, sorted(stored_key.values()))
    known = customer_repo.customers_by_identifier(ctx.conn, ring, [i for item in batch for i in item.identifiers])
    new_customers: list[dict[str, Any]] = []
    new_identities: list[dict[str, Any]] = []
    created: dict[str, dict[str, Any]] = {}
    for item in batch:
        customer_id = _choose_customer(item, known)
        has_valid = any(i.is_valid for i in item.identifiers)
        if customer_id is None and (has_valid or item.kind is RecordKind.CUSTOMERS):
            customer_id = new_id()
            row = {
                "id": customer_id,
                "created_at": ctx.now,
                "updated_at": ctx.now,
                "source": item.source,
                "batch_id": item.batch_id,
            }
            created[customer_id] = row
            new_customers.append(row)
        item.customer_id = customer_id
        if customer_id is None:
            continue  # anonymous feedback, or only malformed identifiers
        for identifier in item.identifiers:
            key = identifier.link_key
            if key is None:
                if item.kind is RecordKind.CUSTOMERS:
                    new_identities.append(_identity_row(identifier, customer_id, item, ctx, ring))
            elif key not in known:
                known[key] = customer_id
                new_identities.append(_identity_row(identifier, customer_id, item, ctx, ring))
        if item.kind is RecordKind.CUSTOMERS:
            item.record_id = customer_id
            attributes = {k: v for k, v in item.row.items() if v is not None}
            if customer_id in created:
                created[customer_id].update(attributes)
            elif attributes:
                customer_repo.update_attributes(ctx.conn, customer_id, {**attributes, "updated_at": ctx.now})
        else:
            item.row["customer_id"] = customer_id
    customer_repo.insert_customers(ctx.conn, ctx.dialect, new_customers)
    customer_repo.insert_identities(ctx.conn, ctx.dialect, new_identities)
    return batch


def store_records(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Write the event and feedback rows built by the earlier stages, and the per-topic and
    per-keyword rows that trends are counted from."""
    for kind, insert in (
        (RecordKind.EVENTS, interaction_repo.insert_events),
        (RecordKind.FEEDBACK, interaction_repo.insert_feedback),
    ):
        rows = [item.row for item in batch if item.kind is kind]
        insert(ctx.conn, ctx.dialect, rows)
    interaction_repo.insert_feedback_signals(
        ctx.conn, ctx.dialect, [item.row for item in batch if item.kind is RecordKind.FEEDBACK]
    )
    return batch


CORE_STAGES = (
    Stage("normalize", "normalize", normalize),
    Stage("identify.exact", "identify", identify),
    Stage("store", "store", store_records),
)

__all__ = ["CORE_STAGES"]
