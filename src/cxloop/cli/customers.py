"""Data-subject request commands: `cxloop customer export|erase --email E | --id ID`.

They open the store directly (like the governance commands) and refuse while a server owns the
embedded DuckDB file; use `POST /api/v1/customers/{id}/export|erase` or the Governance page then.
"""

from __future__ import annotations

from pathlib import Path

import click

from cxloop.cli._common import FORMAT, emit, kv_table, settings_of
from cxloop.cli.governance import _store
from cxloop.config import Settings
from cxloop.store.engine import Store

_WHO = [
    click.option("--email", help="The customer's e-mail address (any capitalization)."),
    click.option("--id", "customer_id", help="The customer id (a merged id answers for its survivor)."),
]


def _who(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_WHO):
        func = option(func)
    return func


def _resolve(store: Store, settings: Settings, email: str | None, customer_id: str | None) -> str:
    from cxloop.governance.crypto import load_key_ring
    from cxloop.identity.identifiers import normalize_email
    from cxloop.store.customers import customers_by_identifier

    if bool(email) == bool(customer_id):
        raise click.UsageError("give exactly one of --email or --id")
    if customer_id:
        return customer_id
    identifier = normalize_email(email or "")
    key = identifier.link_key
    if key is None:
        raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="--email")
    with store.read() as conn:
        found = customers_by_identifier(conn, load_key_ring(settings), [identifier])
    if key not in found:
        raise click.BadParameter(f"no customer has the e-mail address {email}", param_hint="--email")
    return found[key]


@click.group("customer")
def customer() -> None:
    """Data-subject requests: export or erase everything about one customer."""


@customer.command("export")
@_who
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the ZIP here instead.")
@click.pass_context
def customer_export(ctx: click.Context, email: str | None, customer_id: str | None, out: Path | None) -> None:
    """Write a ZIP of JSON files (profile, identifiers, feedback, cases, …); the export is audited.
    By default it is kept under <data_dir>/exports/<customer id>/, which erasure removes."""
    from cxloop.governance.dsr import export_customer, write_export

    settings = settings_of(ctx)
    store = _store(ctx)
    live_id, data = export_customer(store, settings, _resolve(store, settings, email, customer_id), actor="cli")
    if out is None:
        out = write_export(settings, live_id, data)
    else:
        out.write_bytes(data)
    click.echo(f"exported customer {live_id} to {out} ({len(data):,} bytes)")


@customer.command("erase")
@_who
@click.option("--yes", is_flag=True, help="Confirm: erasure is irreversible.")
@FORMAT
@click.pass_context
def customer_erase(
    ctx: click.Context, email: str | None, customer_id: str | None, yes: bool, output_format: str
) -> None:
    """Delete or anonymize the customer (and profiles merged into them) in every table; audited."""
    from cxloop.governance.erasure import erase_customer

    store = _store(ctx)
    target = _resolve(store, settings_of(ctx), email, customer_id)
    if not yes:
        raise click.UsageError("erasure is irreversible: add --yes to confirm")
    result = erase_customer(store, settings_of(ctx), target, actor="cli")
    counts = result["counts"]["removed_or_anonymized"]
    rows = [
        ("customer", result["customer_id"]),
        ("tombstone", result["id"]),
        ("files removed", result["files_removed"]),
    ]
    emit(result, output_format, lambda r: kv_table(rows + sorted(counts.items())))


COMMANDS = (customer,)
