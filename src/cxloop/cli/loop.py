"""Closed-loop commands: routing rules (show, test, import), team staffing and the SLA check.

They open the store directly, so they refuse while a server owns the embedded DuckDB file; the web
UI and API do the same things through the running server.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click
import orjson

from cxloop.cli._common import FORMAT, emit, settings_of


def _store(ctx: click.Context, *, what: str) -> Any:
    from cxloop.client import running_server
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    if settings.is_embedded and running_server(settings) is not None:
        raise click.UsageError(f"a cxloop server owns the store; {what} through its web UI or API instead")
    store = Store(settings.resolved_database_url)
    store.check_available()
    return store


def _parse_rules(ctx: click.Context, path: Path) -> Any:
    """The rule set in PATH; on errors, every problem is printed (rule, field, line) and exit code 2."""
    from cxloop.jobs.taxonomy import current_taxonomy
    from cxloop.route.rules_yaml import RulesError, parse_rules_yaml

    topics = [t.id for t in current_taxonomy(settings_of(ctx)).topics]
    try:
        return parse_rules_yaml(path.read_text(encoding="utf-8"), known_topics=topics)
    except RulesError as exc:
        for problem in exc.details if isinstance(exc.details, list) else [{"text": exc.message}]:
            click.echo(f"error: {path.name}: {problem['text']}", err=True)
        ctx.exit(2)


def _read_feedback_file(path: Path) -> list[dict[str, Any]]:
    """Feedback rows from CSV or JSONL, enriched with the text pipeline when they carry no signals."""
    from cxloop.errors import InvalidInput
    from cxloop.jobs.text_stages import text_analyzer

    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rows.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise InvalidInput(f"{path.name} line {number}: not valid JSON ({exc})") from None
    elif path.suffix.lower() in {".csv", ".tsv"}:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    else:
        raise InvalidInput(f"{path.name}: give a .csv, .tsv or .jsonl file of feedback")
    if not all(isinstance(r, dict) for r in rows):
        raise InvalidInput(f"{path.name}: every line must be a JSON object")
    needs = [r for r in rows if "sentiment_label" not in r]
    for row, analysis in zip(
        needs, text_analyzer().analyze_batch([str(r.get("text") or "") for r in needs]), strict=True
    ):
        row.update(
            language=row.get("language") or analysis.language.value, topics=analysis.topics, flags=analysis.flags,
            sentiment_label=analysis.sentiment_label, sentiment_score=analysis.sentiment_score,
            priority=analysis.priority,
        )  # fmt: skip
    for index, row in enumerate(rows):
        row.setdefault("id", row.get("feedback_id") or f"row-{index + 1}")
        if any(row.get(k) for k in ("customer_id", "email", "phone", "external_id")):
            row["customer_id"] = row.get("customer_id") or f"file:{index}"
    return rows


def _dry_run_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['total']} feedback item(s); {result['cases']} would open a case",
        "",
        "team                 items",
    ]
    lines += [f"{team:<20} {count:>6}" for team, count in result["by_team"].items()]
    lines += ["", "rule                 items"] + [f"{rule:<20} {n:>6}" for rule, n in result["by_rule"].items()]
    lines += ["", "samples:"]
    lines += [
        f"  {s['team']:<14} {s['priority']:<7} {(s['rule_id'] or '(default)'):<16} "
        f"{'case' if s['create_case'] else '    '}  {s['text'][:70]}"
        for s in result["samples"]
    ]
    return "\n".join(lines)


@click.group()
def rules() -> None:
    """Routing rules: where feedback goes, with which priority and SLA."""


@rules.command("test")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--feedback", "feedback_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Replay a CSV/JSONL of feedback instead of the store's.")  # fmt: skip
@click.option("--limit", default=5000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Newest stored feedback items to replay.")  # fmt: skip
@FORMAT
@click.pass_context
def rules_test(
    ctx: click.Context, rules_file: Path, feedback_file: Path | None, limit: int, output_format: str
) -> None:
    """Dry-run RULES_FILE: where past feedback would have gone (counts per team, sample items)."""
    from cxloop.route.ruleset import dry_run, dry_run_over_store

    rule_set = _parse_rules(ctx, rules_file)
    if feedback_file is not None:
        rows = _read_feedback_file(feedback_file)
        customers = {
            r["customer_id"]: {"tier": r.get("tier"), "city": r.get("city")} for r in rows if r.get("customer_id")
        }
        result = dry_run(rule_set, rows, customers)
    else:
        store = _store(ctx, what="dry-run rules")
        with store.read() as conn:
            result = dry_run_over_store(conn, rule_set, limit=limit)
    emit(result, output_format, _dry_run_table)


@rules.command("show")
@click.pass_context
def rules_show(ctx: click.Context) -> None:
    """Print the rules in force as YAML (the shipped default until a version is saved)."""
    from cxloop.route.ruleset import current_rules_text

    store = _store(ctx, what="read the rules")
    with store.read() as conn:
        version, text = current_rules_text(conn)
    click.echo(f"# version {version}" if version else "# shipped default rules")
    click.echo(text.rstrip())


@rules.command("import")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def rules_import(ctx: click.Context, rules_file: Path) -> None:
    """Validate RULES_FILE and save it as the new version in force (older versions are kept)."""
    from cxloop.jobs.taxonomy import current_taxonomy
    from cxloop.route.ruleset import save_rules
    from cxloop.store.intake import utc_now

    _parse_rules(ctx, rules_file)  # every problem listed before anything is written
    topics = [t.id for t in current_taxonomy(settings_of(ctx)).topics]
    store = _store(ctx, what="save rules")
    with store.write() as conn:
        saved = save_rules(
            conn, rules_file.read_text(encoding="utf-8"), actor="cli", now=utc_now(), known_topics=topics
        )
    click.echo(
        f"saved rules version {saved.version}: {len(saved.rules)} rule(s), teams {', '.join(saved.team_names())}"
    )


@click.group()
def team() -> None:
    """Teams that work cases."""


@team.command("add-member")
@click.argument("team_name")
@click.argument("email")
@click.option("--languages", default="", help="Comma-separated languages the member handles, e.g. ko,en.")
@click.pass_context
def team_add_member(ctx: click.Context, team_name: str, email: str, languages: str) -> None:
    """Put the user with EMAIL on TEAM_NAME (created if new), with language skills for assignment."""
    from cxloop.store import cases as case_repo
    from cxloop.store.intake import utc_now

    store = _store(ctx, what="staff teams")
    with store.write() as conn:
        user_id = case_repo.user_id_by_email(conn, email.strip())
        if user_id is None:
            raise click.UsageError(f"no user with e-mail {email}; add one with `cxloop user add` first")
        spoken = [part.strip().lower() for part in languages.split(",") if part.strip()]
        case_repo.set_team_member(conn, team_name.strip(), user_id, spoken or None, utc_now())
    click.echo(f"{email} is on team {team_name}" + (f" ({', '.join(spoken)})" if spoken else ""))


@click.group()
def sla() -> None:
    """SLA clocks of open cases."""


@sla.command("check")
@click.pass_context
def sla_check(ctx: click.Context) -> None:
    """Record SLA warnings and breaches now (the server does this on its own schedule)."""
    from cxloop.jobs.routing import check_slas

    counts = check_slas(_store(ctx, what="check SLAs"), settings_of(ctx))
    click.echo(
        f"{counts['warnings']} warning(s), {counts['breaches']} breach(es), {counts['escalations']} escalation(s)"
    )


COMMANDS = (rules, team, sla)
