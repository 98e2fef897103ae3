"""Key rotation on a real store: new key first, rows moved in batches, old key retired only when unused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import Conflict, InvalidInput
from cxloop.governance.consent import set_consents
from cxloop.governance.crypto import KeyRing, encode_key, generate_key, load_key_ring
from cxloop.governance.keys import (
    PLAINTEXT,
    add_new_key,
    encrypted_columns,
    key_usage,
    reencrypt,
    retire_old_keys,
)
from cxloop.store import notifications as webhook_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import consents, webhooks

from .seed import add_customer


def _evidence(store: Store) -> list[str]:
    with store.read() as conn:
        return [str(v) for v in conn.execute(sa.select(consents.c.evidence).order_by(consents.c.id)).scalars()]


def test_rotate_reencrypt_and_retire(store: Store, settings: Settings) -> None:
    customer = add_customer(store)
    for i in range(7):
        set_consents(
            store, settings, customer, {"analytics": i % 2 == 0}, source="web", actor="a", evidence=f"form-{i}"
        )
    old = load_key_ring(settings)
    with store.write() as conn:  # values written before encryption was switched on
        conn.execute(consents.update().where(consents.c.evidence == _evidence(store)[0]).values(evidence="legacy"))
        webhook_repo.insert_webhook(
            conn, id="HOOK1", name="legacy", url="http://127.0.0.1:9/", secret="whsec-plaintext-0123", kind="generic",
            events=["*"], enabled=True, created_at=utc_now(), updated_at=utc_now(),
        )  # fmt: skip

    ring = add_new_key(settings)
    assert ring.key_ids[1:] == old.key_ids
    assert ring.current_key_id != old.current_key_id
    with store.read() as conn:
        before = key_usage(conn, encrypted_columns())["consents.evidence"]
    assert before == {old.current_key_id: 6, PLAINTEXT: 1}
    with pytest.raises(Conflict, match="old keys still seal stored values"):
        retire_old_keys(settings, store)

    seen: list[int] = []
    changed = reencrypt(store, ring, encrypted_columns(), batch_size=3, progress=lambda _, n: seen.append(n))
    assert changed == {
        "consents.evidence": 7, "feedback.text_raw": 0, "customer_identities.raw_value": 0, "webhooks.secret": 1,
    }  # fmt: skip
    assert seen == [3, 6, 7, 1]  # progress per column: 7 consents in batches of 3, then the webhook
    assert all(KeyRing.key_id_of(v) == ring.current_key_id for v in _evidence(store))
    assert sorted(ring.decrypt(v) for v in _evidence(store)) == sorted(["legacy", *(f"form-{i}" for i in range(1, 7))])
    with store.read() as conn:  # the legacy webhook secret is sealed now, and opens to what it was
        sealed = conn.execute(sa.select(webhooks.c.secret)).scalar_one()
    assert KeyRing.key_id_of(sealed) == ring.current_key_id
    assert ring.decrypt(sealed) == "whsec-plaintext-0123"
    done = {"consents.evidence": 0, "feedback.text_raw": 0, "customer_identities.raw_value": 0, "webhooks.secret": 0}
    assert reencrypt(store, ring, encrypted_columns()) == done

    assert retire_old_keys(settings, store) == [old.current_key_id]
    assert load_key_ring(settings).key_ids == [ring.current_key_id]
    assert sorted(load_key_ring(settings).decrypt(v) for v in _evidence(store))[0] == "form-1"


def test_rotation_refuses_to_edit_environment_keys(store: Store, settings: Settings) -> None:
    pinned = settings.model_copy(update={"encryption_key": encode_key(generate_key())})
    with pytest.raises(InvalidInput, match="CXLOOP_ENCRYPTION_KEY"):
        add_new_key(pinned)
    with pytest.raises(InvalidInput, match="CXLOOP_ENCRYPTION_KEY"):
        retire_old_keys(pinned, store)
