"""Outputs for people: ``leads`` (a spreadsheet of post-clearance leads) and ``report`` (the analysis report).

Registered on the main app by :func:`register`. Failures a user can fix raise ``UserError`` (or
another ``RiskGraphError``), which ``riskgraph/cli.py`` prints as one line with exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph.config import settings
from graph.scope import KINDS
from riskgraph.errors import UserError

__all__ = ["register"]

console = Console(stderr=True)


def _connect():
    from graph.connection import check, database

    return check(), database()


def leads(
    kind: Annotated[str, typer.Option(help="audit (importers) or anti-smuggling (networks)")],
    out: Annotated[Path, typer.Option(help="file to write: .csv or .xlsx")],
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="most leads written")] = 100,
    target: Annotated[str | None, typer.Option(help="only leads of this risk target (see `targets list`)")] = None,
) -> None:
    """Write the ranked post-clearance leads, with their figures and reasons, to a CSV or Excel file."""
    from graph.targets import OTHER, targets_in_force
    from investigate.leads import rank_leads
    from visualizations.lead_sheets import FORMATS, leads_csv, leads_xlsx

    if kind not in KINDS:
        raise UserError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"--out must end in .csv or .xlsx, got {out.name!r}")
    known = (*targets_in_force(), OTHER)
    if target is not None and target not in known:
        raise UserError(f"--target must be one of {', '.join(known)}, got {target!r}")
    found = rank_leads(*_connect(), kind, limit, home=settings().home, target=target)
    out.write_bytes((leads_csv if fmt == "csv" else leads_xlsx)(found, kind))
    console.print(f"wrote {len(found):,} {kind} leads to {out}", highlight=False, soft_wrap=True)


def report(
    out: Annotated[Path, typer.Option(help="HTML file to write")],
    months: Annotated[int, typer.Option(min=1, max=120, help="months of trends")] = 12,
    top: Annotated[int, typer.Option(min=1, max=20, help="networks shown with a chart")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="also print the figures as JSON")] = False,
) -> None:
    """The analysis report for decision makers: trends, hit rates, capacity, top networks, warnings, instructions."""
    from columnar.store import DeclarationStore
    from investigate.report import analysis_report
    from scoring.decision_log import DecisionLog
    from scoring.operation_results import operations_review
    from scoring.operations import OperationStore, Tally
    from visualizations.report import render_report

    home = settings().home
    log = DecisionLog(home)
    try:
        graph = _connect()
        tally = Tally(home)
        tally.sync()
        operations = operations_review(*graph, log, DeclarationStore(home), None, tally, OperationStore(home).all())
        figures = analysis_report(
            *graph, home, decisions=log.channel_mix(), months=months, top=top, operations=operations
        )
    finally:
        log.close()
    out.write_text(render_report(figures), encoding="utf-8")
    warnings = len(figures["warnings"]["items"])
    console.print(
        f"wrote the report to {out}: {len(figures['networks'])} networks, {warnings} warnings, "
        f"{len(figures['instructions'])} instructions",
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        print(json.dumps(figures, default=str))


def register(app: typer.Typer) -> None:
    """Add the ``leads`` and ``report`` commands to the main ``riskgraph`` app."""
    app.command()(leads)
    app.command()(report)
