"""The `cxloop` command line: thin commands over the same functions the API calls."""

from __future__ import annotations

import getpass
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from cxloop.config import Settings, load_settings
from cxloop.domain import RecordKind, Role
from cxloop.errors import CxloopError

F = TypeVar("F", bound=Callable[..., Any])
_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output as a readable table or as JSON.",
)


def configure_logging(verbose: bool = False) -> None:
    """The one place logging is set up."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic announces each of its plugins at INFO when it loads: noise in front of every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _emit(value: Any, output_format: str, table: Callable[[Any], str]) -> None:
    if output_format == "json":
        # NON_STR_KEYS: rows read from the store are keyed by SQLAlchemy's `quoted_name`, a str subclass.
        options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        click.echo(orjson.dumps(value, option=options, default=str).decode())
    else:
        click.echo(table(value))


def _kv_table(rows: Sequence[tuple[str, Any]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


class _Group(click.Group):
    """Turns cxloop's own errors into one clear line and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxloopError as exc:
            click.echo(f"error: {exc.message}", err=True)
            details = exc.details
            if isinstance(details, dict) and details.get("unknown_columns"):
                click.echo(f"hint: map them with --map COLUMN=FIELD; fields: {', '.join(details['fields'])}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Overrides CXLOOP_DATA_DIR.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="cxloop")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """cxloop: every customer voice in one place, linked to one profile, closed in a loop."""
    configure_logging(verbose)
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = load_settings(**overrides)


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the schema to the newest revision (DuckDB or PostgreSQL)."""
    from cxloop.client import running_server
    from cxloop.store import migrate
    from cxloop.store.engine import Store

    settings = _settings(ctx)
    server = running_server(settings)
    if server is not None:
        click.echo(f"the server at {server['url']} owns the store and upgraded it when it started")
        return
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    click.echo(f"schema at revision {migrate.current_revision(store)}")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice([k.value for k in RecordKind]), required=True)
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=FIELD", help="Map a file column to a field.")
@click.option("--mapping", "mapping_file", type=click.Path(path_type=Path), help="Saved mapping (JSON or lines).")
@click.option("--source", help="Source for rows without a source column, e.g. crm or callcenter.")
@_FORMAT
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    kind: str,
    pairs: tuple[str, ...],
    mapping_file: Path | None,
    source: str | None,
    output_format: str,
) -> None:
    """Import a CSV, TSV, JSONL or XLSX FILE (UTF-8 or CP949). Bad rows are reported, good rows kept."""
    from cxloop.client import open_gateway
    from cxloop.ingest.files import load_mapping_file, parse_mapping

    record_kind = RecordKind(kind)
    mapping = load_mapping_file(mapping_file, record_kind) if mapping_file else {}
    mapping.update(parse_mapping(list(pairs), record_kind))
    report = open_gateway(_settings(ctx)).import_file(file, record_kind, mapping, source)

    def table(r: dict[str, Any]) -> str:
        lines = [
            _kv_table(
                [
                    ("file", r["file_name"]),
                    ("format", f"{r['format']} {r['encoding'] or ''}".strip()),
                    ("rows", r["rows"]),
                    ("stored", r["accepted"]),
                    ("duplicates", r["duplicates"]),
                    ("rejected", r["rejected"]),
                ]
            )
        ]
        lines += [f"  row {x['row']}: {x['field'] or '-'}: {x['reason']}" for x in r["rejections"][:50]]
        if len(r["rejections"]) > 50:
            lines.append(f"  … {len(r['rejections']) - 50} more (use --format json)")
        return "\n".join(lines)

    _emit(report, output_format, table)
    if report["rows"] and report["accepted"] + report["duplicates"] == 0:
        ctx.exit(1)


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True)
@click.option("--scopes", default="ingest,read", show_default=True, help="Comma-separated: ingest, read, admin.")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@click.pass_context
def token_create(ctx: click.Context, name: str, scopes: str, expires_days: int | None) -> None:
    """Create a token. It is printed once; only its hash is stored."""
    from cxloop.access import parse_scopes
    from cxloop.client import open_gateway

    secret = open_gateway(_settings(ctx)).create_token(name, parse_scopes(scopes), expires_days)
    click.echo(secret)
    click.echo("store it now: it cannot be shown again", err=True)


@token.command("list")
@_FORMAT
@click.pass_context
def token_list(ctx: click.Context, output_format: str) -> None:
    """List tokens (never their secrets)."""
    from cxloop.client import open_gateway

    tokens = open_gateway(_settings(ctx)).list_tokens()
    _emit(
        tokens,
        output_format,
        lambda rows: (
            "\n".join(
                f"{r['name']:<24} {r['prefix']}…  {r['scopes']:<20} {'revoked' if r['revoked_at'] else 'active'}"
                for r in rows
            )
            or "no tokens"
        ),
    )


@token.command("revoke")
@click.argument("name")
@click.pass_context
def token_revoke(ctx: click.Context, name: str) -> None:
    """Revoke every active token called NAME."""
    from cxloop.client import open_gateway

    click.echo(f"revoked {open_gateway(_settings(ctx)).revoke_token(name)} token(s)")


@main.group()
def user() -> None:
    """Users of the web UI."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--admin", is_flag=True, help="Shorthand for --role admin.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value, show_default=True)
@click.option("--password", envvar="CXLOOP_NEW_PASSWORD", help="Or set CXLOOP_NEW_PASSWORD; prompted if absent.")
@click.pass_context
def user_add(ctx: click.Context, email: str, name: str, admin: bool, role: str, password: str | None) -> None:
    """Add a user; the first admin is created this way."""
    from cxloop.client import open_gateway

    if not password:
        if not sys.stdin.isatty():
            raise click.UsageError("no password given: pass --password or set CXLOOP_NEW_PASSWORD")
        password = getpass.getpass("password: ")
    chosen = Role.ADMIN if admin else Role(role)
    user_id = open_gateway(_settings(ctx)).add_user(email, name, password, chosen)
    click.echo(f"added {chosen.value} {email.strip().lower()} ({user_id})")


@main.command()
@_FORMAT
@click.pass_context
def status(ctx: click.Context, output_format: str) -> None:
    """Processing status: records per kind and state, the oldest waiting record, recent errors."""
    from cxloop.client import open_gateway

    gateway = open_gateway(_settings(ctx))
    summary = gateway.status()

    def table(s: dict[str, Any]) -> str:
        lines = [f"via {gateway.description}"]
        for kind, counts in sorted(s["by_kind"].items()):
            lines.append(f"{kind:<10} " + "  ".join(f"{k}={v:,}" for k, v in sorted(counts.items())))
        lines.append(f"oldest waiting: {s['oldest_pending_received_at'] or '-'}")
        lines += [
            f"error {e['kind']} {e['source']}/{e['external_id']} ({e['status']}, {e['attempts']} tries): "
            f"{e['last_error']}"
            for e in s["recent_errors"]
        ]
        return "\n".join(lines)

    _emit(summary, output_format, table)


@main.command()
@click.option("--host", default=None, help="Default CXLOOP_HOST or 127.0.0.1.")
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--no-worker", is_flag=True, help="Do not run the pipeline worker inside the server.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, no_worker: bool) -> None:
    """Serve the web UI and the API."""
    from cxloop.web.serve import serve_forever

    settings = _settings(ctx)
    serve_forever(settings, host or settings.host, port or settings.port, run_worker=False if no_worker else None)


@main.command()
@click.option("--until-idle", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker(ctx: click.Context, until_idle: bool) -> None:
    """Run a pipeline worker. With PostgreSQL, run as many as you like."""
    from cxloop.client import running_server
    from cxloop.jobs.worker import Worker
    from cxloop.store.engine import Store

    settings = _settings(ctx)
    if running_server(settings) is not None:
        raise click.UsageError("the running server already processes the embedded store's queue")
    store = Store(settings.resolved_database_url)
    store.check_available()
    runner = Worker(store, settings)
    if until_idle:
        click.echo(f"processed {runner.run_until_idle():,} records")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.run_forever(stop)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", default="text", show_default=True)
@click.option("--id-column", default="id", show_default=True, help="Copied to the output when present.")
@click.option("--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output.")
@click.pass_context
def analyze(
    ctx: click.Context, file: Path, text_column: str, id_column: str, output_format: str, output: Path | None
) -> None:
    """Analyze the texts of a CSV, TSV, JSONL or XLSX FILE: one JSON object per row, in input order."""
    from cxloop.client import read_file
    from cxloop.errors import InvalidInput
    from cxloop.ingest.files import read_table
    from cxloop.jobs.taxonomy import current_taxonomy
    from cxloop.jobs.text_stages import text_analyzer

    columns, rows = read_table(read_file(file), file.name)
    if text_column not in columns:
        raise InvalidInput(f"no column {text_column!r}; the columns are: {', '.join(c for c in columns if c)}")
    analyzer = text_analyzer(current_taxonomy(_settings(ctx)))
    sink = output.open("w", encoding="utf-8") if output else None
    try:
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            texts = [
                value if isinstance(value := row.get(text_column), str) else "" if value is None else str(value)
                for row in chunk
            ]
            for row, analysis in zip(chunk, analyzer.analyze_batch(texts), strict=True):
                record = {"id": row[id_column]} if row.get(id_column) not in (None, "") else {}
                record.update(analysis.to_dict())
                line = orjson.dumps(record, default=str).decode()
                click.echo(line, file=sink)
    finally:
        if sink:
            sink.close()


@main.group()
def classify() -> None:
    """Supervised text classifiers trained on your own labelled history."""


@classify.command("train")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option("--label-column", required=True)
@click.option("--model", "name", required=True, help="Name to save the model under (letters, digits, - and _).")
@_FORMAT
@click.pass_context
def classify_train(
    ctx: click.Context, file: Path, text_column: str, label_column: str, name: str, output_format: str
) -> None:
    """Train on FILE, report per-label precision and recall on a held-out split, and save the model."""
    from cxloop.client import read_file
    from cxloop.jobs.classifiers import model_directory, read_labelled, save_model
    from cxloop.text.classifier import train_classifier

    settings = _settings(ctx)
    model_directory(settings.data_dir, name)  # refuse a bad name before spending time on training
    rows = read_labelled(read_file(file), file.name, text_column, label_column)
    model, report = train_classifier(rows.texts, rows.labels)
    where = save_model(model, settings.data_dir, name)

    def table(r: dict[str, Any]) -> str:
        lines = [
            f"model {name!r} saved in {where}",
            f"held-out accuracy {r['accuracy']:.3f} on {r['n_test']:,} rows (trained on {r['n_train']:,}), "
            f"{r['seconds']:.1f} s",
            f"{'label':<32} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}",
        ]
        for label, m in sorted(r["per_label"].items()):
            lines.append(
                f"{label[:32]:<32} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {int(m['support']):>8}"
            )
        return "\n".join(lines)

    _emit(report.to_dict(), output_format, table)


@classify.command("predict")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option("--model", "name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output.")
@click.pass_context
def classify_predict(ctx: click.Context, file: Path, text_column: str, name: str, output: Path | None) -> None:
    """Write one JSON line per row of FILE, in input order: {"label", "score", "top"}."""
    from cxloop.client import read_file
    from cxloop.jobs.classifiers import load_model, read_texts, write_predictions

    model = load_model(_settings(ctx).data_dir, name)
    predictions = model.predict(read_texts(read_file(file), file.name, text_column))
    if output is None:
        write_predictions(predictions, sys.stdout.buffer)
    else:
        with output.open("wb") as handle:
            write_predictions(predictions, handle)


@classify.command("list")
@_FORMAT
@click.pass_context
def classify_list(ctx: click.Context, output_format: str) -> None:
    """Saved classifiers."""
    from dataclasses import asdict as as_dict

    from cxloop.jobs.classifiers import list_models

    models = [as_dict(m) for m in list_models(_settings(ctx).data_dir)]
    _emit(models, output_format, lambda rows: "\n".join(str(r) for r in rows) or "no classifiers yet")


@main.group()
def trends() -> None:
    """Topic trends and emerging issues."""


@trends.command("detect")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First local day to check.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last local day (default: newest data).")
@click.pass_context
def trends_detect(ctx: click.Context, since: Any, until: Any) -> None:
    """Detect topic and keyword spikes and new phrases, day by day, and record them."""
    from datetime import timedelta

    from cxloop.client import running_server
    from cxloop.jobs.emerging import detect_days, detect_recent, newest_local_day
    from cxloop.store.engine import Store

    settings = _settings(ctx)
    if running_server(settings) is not None:
        raise click.UsageError("the running server detects emerging issues itself; stop it to backfill")
    store = Store(settings.resolved_database_url)
    store.check_available()
    offset = settings.business_utc_offset_minutes
    if since is None:
        found = detect_recent(store, offset_minutes=offset)
    else:
        first = since.date()
        last = until.date() if until else (newest_local_day(store, offset_minutes=offset) or first)
        found = detect_days(
            store, [first + timedelta(days=i) for i in range((last - first).days + 1)], offset_minutes=offset
        )
    for issue in found:
        click.echo(
            f"{issue['day']} {issue['kind']:<14} {issue['subject']:<24} {issue['observed']} vs {issue['expected']:.1f}"
        )
    click.echo(f"{len(found)} emerging issue(s) recorded")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--customers", "customer_count", type=click.IntRange(100, 200_000), default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo store and exit.")
@click.option("--rebuild", is_flag=True, help="Rebuild even if a demo store with this seed exists.")
@click.pass_context
def demo(
    ctx: click.Context, host: str, port: int, seed: int, customer_count: int, no_serve: bool, rebuild: bool
) -> None:
    """Build a deterministic synthetic company, process it, and serve the UI."""
    from cxloop.demo.build import DEMO_LOGIN, build_demo
    from cxloop.web.serve import serve_forever

    settings = _settings(ctx)
    result = build_demo(settings, seed=seed, customers=customer_count, rebuild=rebuild)
    click.echo(result.summary())
    if no_serve:
        return
    click.echo(f"\n  cxloop demo: http://{host}:{port}/\n  login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}\n")
    serve_forever(settings, host, port, run_worker=None)


if __name__ == "__main__":  # pragma: no cover
    main()
