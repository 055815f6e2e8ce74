"""The ``riskgraph`` command line.

Every command that needs the database uses ``NEO4J_URI`` when set, else the local Neo4j;
only ``neo4j start`` and ``demo`` ever start anything. Expected failures (the
``RiskGraphError`` family) print one line and exit with their ``exit_code``, never a traceback.
Commands import the heavy libraries they need (pandas, networkx, LightGBM, the API) inside their
body, so ``riskgraph --help`` and the light commands start fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from graph import local_server
from graph.config import settings
from graph.connection import check, database
from graph.errors import RiskGraphError
from graph.home import QUARANTINE, SAMPLE
from riskgraph.access_cli import register as register_access_commands
from riskgraph.analysis_cli import register as register_analysis_commands
from riskgraph.capacity_cli import register as register_capacity_commands
from riskgraph.cases_cli import register as register_case_commands
from riskgraph.errors import UserError
from riskgraph.intel_cli import register as register_intel_commands
from riskgraph.operations_cli import register as register_operations_commands
from riskgraph.reference_cli import register as register_reference_commands
from riskgraph.reports_cli import register as register_report_commands
from riskgraph.roster_cli import register as register_roster_commands
from riskgraph.scoring_cli import register as register_scoring_commands
from riskgraph.store_cli import register as register_store_commands
from riskgraph.trends_cli import register as register_trends_commands
from riskgraph.watchlist_cli import register as register_watchlist_commands

app = typer.Typer(help="RiskGraph: graph intelligence for customs risk management.", no_args_is_help=True)
neo4j_app = typer.Typer(help="Run the local Neo4j (ignored when NEO4J_URI is set).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
register_analysis_commands(app)
register_case_commands(app)
register_capacity_commands(app)
register_roster_commands(app)
register_intel_commands(app)
register_watchlist_commands(app)
register_access_commands(app)
register_report_commands(app)
register_scoring_commands(app)
register_operations_commands(app)
register_trends_commands(app)
register_reference_commands(app)
register_store_commands(app)

console = Console(stderr=True)


def _connect():
    drv = check()
    from graph.setup import ensure_schema, load_reference_data

    ensure_schema(drv, database())
    load_reference_data(drv, database())
    return drv


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the local Neo4j; returns when it answers."""
    cfg = settings()
    if not cfg.local:
        console.print(f"NEO4J_URI is set ({cfg.uri}): using that server, nothing to start")
        return
    began = time.monotonic()
    state = local_server.start(cfg)
    _connect()
    console.print(
        f"neo4j running on {state.uri} (pid {state.pid}, {time.monotonic() - began:.1f}s, data in {state.home})"
    )


@app.command("backup")
def backup_command(folder: Annotated[Path, typer.Argument(help="a new or empty folder")]) -> None:
    """Back up the local graph (Neo4j's dump, the server stopped for it) and the state files (keys, rules,
    decisions, models, snapshots, audit log, offices, rates, violators) into FOLDER."""
    from riskgraph.backup import backup

    manifest = backup(settings(), folder)
    console.print(
        f"backed up the graph ({manifest['graph_bytes']:,} bytes) and {', '.join(manifest['state']) or 'no state'} "
        f"into {folder}",
        highlight=False,
    )


@app.command("restore")
def restore_command(folder: Annotated[Path, typer.Argument(help="a folder written by riskgraph backup")]) -> None:
    """Replace the local graph and the state files with a backup (the server is stopped for it)."""
    from riskgraph.backup import restore

    manifest = restore(settings(), folder)
    console.print(f"restored the backup of {manifest['created']} from {folder}", highlight=False)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j and leave no JVM behind."""
    cfg = settings()
    if not cfg.local:
        console.print(f"NEO4J_URI is set ({cfg.uri}): not stopping a server this project did not start")
        return
    local_server.stop(cfg)
    console.print("neo4j stopped")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the database answers; exit 1 when it does not."""
    cfg = settings()
    if cfg.local:
        state = local_server.status(cfg)
        console.print(f"neo4j {'running' if state.running else 'stopped'} on {state.uri} (data in {state.home})")
        if not state.running:
            raise typer.Exit(1)
    else:
        check(cfg)
        console.print(f"neo4j answering at {cfg.uri}")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Node counts per label and relationship counts per type."""
    from graph.stats import graph_stats

    counts = graph_stats(check(), database())
    if as_json:
        print(json.dumps(counts))
        return
    for kind, table in counts.items():
        console.print(f"[bold]{kind}[/bold]")
        for name, n in table.items():
            console.print(f"  {name:<16} {n:>12,}")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="folder to write the CSV files and truth/ into")],
    declarations: Annotated[
        int, typer.Option(min=200, help="number of declarations (500 or more; 200 or more for --profile minimal)")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="random seed; same seed, same files")] = 7,
    profile: Annotated[
        str,
        typer.Option(
            help="standard: a Chinese port's year in canonical columns; minimal: another administration's "
            "(own columns, office codes, currency and codes, a fraud flag only, with mapping.yaml)"
        ),
    ] = "standard",
) -> None:
    """Write a realistic, labelled sample year of import declarations with planted risks."""
    from sample.generator import generate as run_generator
    from sample.generator.minimal import generate_minimal

    profiles = {"standard": run_generator, "minimal": generate_minimal}
    if profile not in profiles:
        raise UserError(f"unknown profile {profile!r}; choose {' or '.join(profiles)}")
    if profile == "minimal" and declarations < 200:
        raise UserError("the minimal profile needs 200 declarations or more")
    began = time.monotonic()
    summary = profiles[profile](out, declarations, seed)
    console.print(f"wrote {declarations:,} declarations to {out} in {time.monotonic() - began:.1f}s")
    print(json.dumps(summary, default=str))


def _count_rows(paths: list[Path]) -> int | None:
    from ingest.readers import count_rows

    try:
        return count_rows(paths)
    except Exception:  # only for the ETA; never fail an ingest over it
        return None


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="CSV, Parquet or JSON-lines files, or a generated folder")],
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping of your columns to canonical fields")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="first load with Neo4j's importer (restarts the local Neo4j); default: when the local "
            "graph is empty and the input has RISKGRAPH_BULK_MIN_ROWS (100,000) rows or more",
        ),
    ] = None,
    unknown_offices: Annotated[
        str,
        typer.Option(
            help="a row whose office the hierarchy does not know: create (store it, add the office as an "
            "unassigned district, and say so) or quarantine"
        ),
    ] = "create",
) -> None:
    """Load declarations into the graph; bad rows go to a quarantine file, nothing is lost."""
    from columnar.store import DeclarationStore
    from ingest.bulk import bulk_ingest
    from ingest.mapping import load_mapping
    from ingest.normalize import warming_up
    from ingest.pipeline import ingest_files
    from ingest.readers import input_files
    from ingest.validate import UNKNOWN_OFFICES
    from ingest.writer import GraphWriter

    if unknown_offices not in UNKNOWN_OFFICES:
        raise UserError(f"--unknown-offices {unknown_offices!r}: choose {' or '.join(UNKNOWN_OFFICES)}")
    input_files(paths)  # a missing or unsupported input fails before any database work
    rules = load_mapping(mapping) if mapping else None
    cfg = settings()
    total = _count_rows(paths)
    use_bulk = _bulk_first_load(bulk, total)
    began = time.monotonic()
    with Progress(
        TextColumn("[bold]ingest[/bold]"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows" if total else "{task.completed:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TextColumn("[red]{task.fields[errors]:,} quarantined"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("ingest", total=total, rate=0.0, errors=0)

        def show(done: int, errors: int) -> None:
            bar.update(task, completed=done, errors=errors, rate=done / max(time.monotonic() - began, 1e-6))

        if use_bulk:
            report = bulk_ingest(paths, cfg, rules, show, stage=console.print, unknown_offices=unknown_offices)
        else:
            warming_up()  # this process validates: beside its connecting and schema checks
            writer = GraphWriter(_connect(), database())
            report = ingest_files(
                paths,
                writer,
                cfg.home / QUARANTINE,
                rules,
                cfg.batch_size,
                show,
                unknown_offices=unknown_offices,
                store=DeclarationStore(cfg.home),
            )
    elapsed = time.monotonic() - began
    console.print(
        f"read {report.read:,}, stored {report.stored:,} ({report.created:,} new), "
        f"quarantined {report.quarantined:,} in {elapsed:.1f}s ({report.read / max(elapsed, 1e-6):,.0f} rows/s)"
        + (f"; quarantine: {report.quarantine_file}" if report.quarantine_file else "")
    )
    if report.without_rate:
        console.print(
            f"[yellow]warning:[/yellow] {report.without_rate:,} stored rows have no currency, or one without a "
            f"reference rate to {report.money_unit}: they are left out of money sums and price comparisons; "
            "set a currency with `constants: {currency: ...}` in a mapping, rates with `riskgraph rates load`",
            highlight=False,
            soft_wrap=True,
        )
    elif report.money_unit != "USD":
        console.print(f"values are in {report.money_unit}: compared among themselves, no rate needed", highlight=False)
    if report.new_offices:
        console.print(
            f"[yellow]warning:[/yellow] {len(report.new_offices):,} office(s) not in the hierarchy were added as "
            f"unassigned districts: {', '.join(report.new_offices[:20])}"
            + (" ..." if len(report.new_offices) > 20 else "")
            + "; place them with `riskgraph offices load FILE`, or ingest with --unknown-offices quarantine",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        keys = ("read", "stored", "quarantined", "quarantine_file", "new_offices", "without_rate", "money_unit", "load")
        print(json.dumps({k: getattr(report, k) for k in keys}))


def _bulk_first_load(wanted: bool | None, total: int | None) -> bool:
    """Whether this ingest goes through the importer: only into the local Neo4j, only when the graph
    holds nothing but reference data (or a bulk import was interrupted and must be redone)."""
    from ingest.bulk import bulk_pending, only_reference_data

    cfg = settings()
    pending = cfg.local and bulk_pending(cfg)
    if wanted is False:
        if pending:
            raise UserError("a bulk import was interrupted and left the local graph incomplete; run without --no-bulk")
        return False
    if not cfg.local:
        if wanted:
            raise UserError(f"--bulk loads only the local Neo4j, and NEO4J_URI is set ({cfg.uri})")
        return False
    if pending:
        return True
    empty = only_reference_data(_connect(), database())
    if wanted and not empty:
        raise UserError("--bulk needs an empty graph and this one holds data already; load without --bulk")
    return empty and (bool(wanted) or (total or 0) >= cfg.bulk_min_rows)


@app.command()
def demo(
    declarations: Annotated[int, typer.Option(min=500, help="sample size")] = 20_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    port: Annotated[int, typer.Option(min=1, max=65535, help="API port")] = 8000,
) -> None:
    """Sample year → local Neo4j → ingest → network analysis → model → API; says what to open."""
    import subprocess

    cfg = settings()
    sample = cfg.home / SAMPLE
    steps = [["neo4j", "start"], ["ingest", str(sample)], ["analyze"], ["networks", "--top", "5"], ["model", "train"]]
    if not (sample / "truth" / "summary.json").exists():
        steps.insert(0, ["generate", "--out", str(sample), "--declarations", str(declarations), "--seed", str(seed)])
    if not cfg.local:
        steps = [step for step in steps if step[0] != "neo4j"]  # NEO4J_URI: a server we do not manage
    for step in steps:
        console.rule(f"riskgraph {' '.join(step)}")
        if subprocess.run([sys.executable, "-m", "riskgraph", *step]).returncode != 0:
            raise UserError(f"demo stopped: `riskgraph {' '.join(step)}` failed (see above)")
    base = f"http://127.0.0.1:{port}"
    secret = _demo_key(cfg.home)
    console.rule("open")
    console.print(
        f"investigator page  {base}/  (paste the API key below into it)\n"
        f"API key (admin)    {secret}\n"
        f"API docs           {base}/docs\n"
        f'top networks       curl -H "X-API-Key: {secret}" {base}/v1/networks\n'
        f"Neo4j (Bolt)       {cfg.uri}\n"
        f"ground truth       {sample / 'truth'}\n"
        "Ctrl-C stops the API; `.venv/bin/riskgraph neo4j stop` stops the database.",
        highlight=False,
        soft_wrap=True,  # the key and the curl line must stay whole to be copied
    )
    subprocess.run([sys.executable, "-m", "riskgraph", "serve", "--port", str(port)])


def _demo_key(home: Path) -> str:
    """A fresh admin key for this demo run; the previous run's demo key is revoked."""
    from api.keys import KeyStore

    store = KeyStore(home)
    for key in store.list():
        if key.name == "demo" and not key.revoked:
            store.revoke(key.id)
    return store.create("admin", name="demo")[1]


def main() -> None:
    """Entry point: turns expected failures into one line on stderr and exit status 1."""
    import click
    from neo4j import exceptions as neo4j_errors

    os.umask(local_server.PRIVATE_UMASK)  # every file and folder this command creates is its owner's only
    try:
        code = app(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except RiskGraphError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
        where = settings().uri
        console.print(
            f"[red]error:[/red] lost the connection to Neo4j at {where} ({type(exc).__name__}); "
            "once it is back up, run the same command again: it resumes where it stopped",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("interrupted; run the same command again to resume")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
