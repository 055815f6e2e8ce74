"""Network analysis commands: ``analyze``, ``networks`` and ``enterprise``.

Registered on the main app by :func:`register`. Failures a user can fix raise ``UserError`` (or
another ``RiskGraphError``), which ``riskgraph/cli.py`` prints as one line with exit status 1.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from graph.config import settings
from graph.scope import KINDS
from riskgraph.engine_option import DeclarationsEngine, checked_declarations_engine
from riskgraph.errors import UserError

__all__ = ["register", "STAGES"]

console = Console(stderr=True)

#: stages of ``riskgraph analyze`` in the order they run
STAGES = (
    "read",
    "projection",
    "communities",
    "centrality",
    "propagation",
    "peers",
    "recency",
    "networks",
    "enterprise_risk",
    "write_back",
    "snapshot",
)


def _connect():
    from graph.connection import check, database
    from graph.setup import ensure_schema

    drv = check()
    ensure_schema(drv, database())
    return drv, database()


def _engine(name: str, drv, db: str, stack: ExitStack):
    from analysis.engines import InProcessEngine
    from analysis.gds import GdsEngine

    if name == "inprocess":
        return InProcessEngine()
    return stack.enter_context(GdsEngine(drv, db))


def analyze(
    engine: Annotated[str, typer.Option(help="where whole-graph algorithms run: inprocess or gds")] = "inprocess",
    seed: Annotated[int, typer.Option(help="seed for community detection and sampled betweenness")] = 0,
    as_of: Annotated[str | None, typer.Option(help="reference date (default: the latest declaration)")] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="recompute everything (default: only what data loaded since the last run touched)"),
    ] = False,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve/--no-resolve",
            help="link probable same firms first: those new or changed since the last resolution (all on --full)",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
    declarations_engine: DeclarationsEngine = "duckdb",
) -> None:
    """Find suspicious networks: communities, centrality, risk propagation, peer and recency signals.

    After the first run, a run redoes only what declarations loaded since touched (their importers'
    communities and networks, propagation from new outcomes) and says so; ``--full`` recomputes everything.
    """
    from analysis.run import ENGINES, run_analysis
    from analysis.trends import watch_flow
    from investigate.alerts import raise_alerts
    from scoring.snapshot import refresh_analysis

    if engine not in ENGINES:
        hint = "; the declarations go to Spark with --declarations-engine spark" if engine == "spark" else ""
        raise UserError(f"--engine (where the graph algorithms run) must be one of {', '.join(ENGINES)}{hint}")
    checked_declarations_engine(declarations_engine)
    drv, db = _connect()
    resolutions = []

    def resolve_alongside(loads: dict[str, int], firms) -> tuple[str, ...]:  # while the declarations engine aggregates
        resolutions.append(_resolve_changed(drv, db, full, declarations_engine, loads, firms))
        return resolutions[0].linked

    with ExitStack() as stack:
        chosen = _engine(engine, drv, db, stack)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<16}"),
            TextColumn("{task.fields[took]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        tasks = {s: progress.add_task(s, total=1, start=False, took="") for s in STAGES}
        progress.start_task(tasks[STAGES[0]])

        def on_stage(stage: str, seconds: float) -> None:
            if stage in tasks:
                progress.update(tasks[stage], completed=1, took=f"{seconds:7.2f}s")
                progress.stop_task(tasks[stage])
                following = STAGES.index(stage) + 1
                if following < len(STAGES):
                    progress.start_task(tasks[STAGES[following]])
            if not console.is_terminal:
                console.print(f"{stage:<16} {seconds:8.2f}s", highlight=False)

        with progress:
            run = run_analysis(
                drv,
                db,
                settings().home,
                engine=chosen,
                seed=seed,
                as_of=as_of,
                full=full,
                on_stage=on_stage,
                declarations=declarations_engine,
                alongside=resolve_alongside if resolve else None,
            )
    resolution = resolutions[0] if resolutions else None
    # dynamic focus, what rose in the whole flow (riskgraph trends list): DuckDB's threads beside the refresh's Python
    with ThreadPoolExecutor(1, thread_name_prefix="trends") as aside:
        watching = aside.submit(watch_flow, settings().home)
        # a running API follows the new results without a restart (the scoring snapshot is republished with them)
        refresh_analysis(settings().home, run)
        raised = raise_alerts(drv, db, settings().intel_hops)  # firms newly linked to intelligence records
        trends = watching.result()
    networks = run.networks
    scope = (
        f"incrementally: {run.counts['touched_declarations']:,} new declarations touched "
        f"{run.counts['touched_importers']:,} importers, {run.counts['rescored_enterprises']:,} enterprises and "
        f"{run.counts['rescored_networks']:,} networks rescored; "
        if run.mode == "incremental"
        else "in full: "
    )
    console.print(
        f"analysed {scope}{run.counts['analysed']:,} enterprises as of {run.as_of} with {run.engine}: "
        f"{len(networks):,} networks, top score {networks[0]['score'] if networks else 0:.0f}; "
        f"{run.timings['total']:.1f}s; snapshot {run.snapshot}; {raised:,} new alerts; "
        f"{len(trends):,} new trend warnings",
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        summary = {
            "as_of": run.as_of,
            "engine": run.engine,
            "declarations_engine": run.metadata.get("declarations_engine"),
            "mode": run.mode,
            "counts": run.counts,
            "timings": run.timings,
            "snapshot": str(run.snapshot),
            "alerts": raised,
            "trend_warnings": [w["id"] for w in trends],
            "top_networks": [_network_json(n) for n in networks[:5]],
            "resolution": _resolution_json(resolution) if resolution else None,
        }
        print(json.dumps(summary, default=str))


def _resolve_changed(drv, db: str, full: bool, declarations: str, loads: dict[str, int], firms):
    """Probable same firms first, so the analysis weighs the candidates: the firms whose identity is new or
    changed since the last resolution (every firm on ``--full`` or the first time), with the model the last
    ``riskgraph resolve`` (or the first resolution) trained, so a full run finds what incremental runs found;
    ``loads`` as the analysis read them and brought the columnar copy in line with, ``firms`` their activity as
    its engine reads it (a future)."""
    from analysis.resolve import run_resolution

    run = run_resolution(
        drv,
        db,
        home=settings().home,
        full=full,
        retrain=False,
        declarations=declarations,
        loads=loads,
        activity=firms,
    )
    console.print(
        f"resolved {run.resolved:,} of {run.enterprises:,} enterprises ({run.mode}): "
        + (f"{run.candidates:,} probable same-firm candidates written" if run.candidates else run.message)
        + f"; {run.timings['total']:.1f}s",
        highlight=False,
        soft_wrap=True,
    )
    return run


def _resolution_json(run) -> dict:
    keys = ("mode", "enterprises", "read", "resolved", "candidates", "fields", "message", "timings")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in ((k, getattr(run, k)) for k in keys)}


def _network_json(net: dict) -> dict:
    return {k: net.get(k) for k in ("id", "score", "kind", "routing", "members", "reasons")}


def networks(
    top: Annotated[int, typer.Option(min=1, max=10_000, help="how many networks")] = 10,
    kind: Annotated[str | None, typer.Option(help="only audit or anti-smuggling leads")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ranked suspicious networks from the last analysis."""
    from investigate.queries import network_count, top_networks

    if kind is not None and kind not in KINDS:
        raise UserError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    drv, db = _connect()
    if network_count(drv, db) == 0:
        raise UserError("no analysed networks in the graph: run `riskgraph analyze` first")
    found = top_networks(drv, db, top, kind)
    if as_json:
        print(json.dumps([_network_json(n) for n in found]))
        return
    for rank, net in enumerate(found, 1):
        lead = net["reasons"][0]["detail"] if net["reasons"] else ""
        console.print(
            f"{rank:>3}. network {net['id']:<6} score {net['score']:5.1f}  {net['kind']:<14} "
            f"{len(net['members']):>3} firms  {lead}",
            highlight=False,
            soft_wrap=True,
        )


def enterprise(
    enterprise_id: Annotated[str, typer.Argument(metavar="ID", help="enterprise id (customs code)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """One enterprise: its risk, community, centralities, peers and reasons."""
    from analysis.snapshot import SnapshotMissing, load_snapshot
    from investigate.queries import enterprise_view

    drv, db = _connect()
    view = enterprise_view(drv, db, enterprise_id)
    if view is None:
        raise UserError(f"no enterprise with id {enterprise_id!r} in the graph")
    try:
        row = load_snapshot(settings().home).enterprise(enterprise_id) or {}
    except SnapshotMissing:
        row = {}
    view["peers"] = {
        k: _plain(row.get(k)) for k in ("peer_compared", "peer_share_below", "value_shortfall", "tax_at_stake")
    }
    if as_json:
        print(json.dumps(view, default=str))
        return
    risk = "not analysed" if view.get("risk") is None else f"{view['risk']:.2f}"
    console.print(f"[bold]{view['id']}[/bold] {view.get('name') or ''}  risk {risk}", highlight=False)
    net = view["network"]
    if net:
        console.print(f"  network {net['id']} ({net['size']} firms, score {net['score']:.0f}, {net['kind']})")
    console.print(
        f"  community {view.get('community')} ({view.get('community_size')} firms); pagerank "
        f"{view.get('pagerank') or 0:.2e}, betweenness {view.get('betweenness') or 0:.2e}, degree {view.get('degree')}",
        highlight=False,
    )
    peers = view["peers"]
    if peers["peer_compared"]:
        console.print(
            f"  peers: {peers['peer_share_below']:.0%} of {peers['peer_compared']:.0f} declarations strongly below "
            f"peer unit values (shortfall {peers['value_shortfall']:,.0f} USD)",
            highlight=False,
        )
    for reason in view["reasons"]:
        console.print(f"  - {reason['signal']} ({reason['strength']:.2f}): {reason['detail']}", highlight=False)
    for other in view["linked"]:
        console.print(f"  shares {', '.join(other['via'])} with {other['id']} {other.get('name') or ''}")


def resolve(
    threshold: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="keep pairs whose match probability is at least this")
    ] = 0.9,
    seed: Annotated[int, typer.Option(help="seed of the random sampling behind the model")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
) -> None:
    """Find probable same firms (phoenix firms, duplicate records) by probabilistic record linkage.

    Writes PROBABLY_SAME_FIRM candidates with their match weight for an investigator to confirm or reject;
    links already reviewed are kept as they are. ``analyze`` resolves new and changed firms itself; this is
    the forced full pass (it also retrains the model).
    """
    from analysis.resolve import run_resolution

    drv, db = _connect()
    run = run_resolution(drv, db, threshold=threshold, seed=seed, home=settings().home)
    if run.message and not run.candidates:
        console.print(f"{run.enterprises:,} enterprises: {run.message}", highlight=False, soft_wrap=True)
    else:
        console.print(
            f"{run.enterprises:,} enterprises linked on {', '.join(run.fields)}: {run.candidates:,} probable "
            f"same-firm candidates written; {run.timings['total']:.1f}s",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        print(json.dumps(_resolution_json(run)))


def _plain(value):
    """A JSON-ready scalar: numpy unwrapped, NaN and missing as None."""
    if value is None:
        return None
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the main ``riskgraph`` app."""
    app.command()(analyze)
    app.command()(resolve)
    app.command()(networks)
    app.command()(enterprise)
