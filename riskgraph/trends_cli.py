"""Dynamic focus: ``riskgraph trends list|detect|submit`` (``analysis.trends``; ``analyze`` detects after each run)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph.config import settings
from riskgraph.errors import UserError
from riskgraph.scoring_cli import print_proposed

__all__ = ["register"]

console = Console(stderr=True)
trends_app = typer.Typer(help="Warnings on what rose in the whole flow, with a drafted response.", no_args_is_help=True)


def _home() -> Path:
    return settings().home


def _show(warnings: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(warnings))
        return
    if not warnings:
        console.print("no trend warning")
    for w in warnings:
        draft = "operation drafted" if w["draft_operation"] else "no operation scope: an audit lead"
        console.print(f"{w['id']}  {w['as_of']}  {w['detail']}  [{draft}]", highlight=False, soft_wrap=True)


@trends_app.command("list")
def trends_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The warnings raised so far, newest first, with their evidence."""
    from analysis.trends import read_warnings

    _show(read_warnings(_home()), as_json)


@trends_app.command("detect")
def trends_detect(
    as_of: Annotated[str | None, typer.Option(help="reference date (default: the latest declaration)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compare the last two weeks with the half year before, now (``analyze`` does it after every run); keeps and
    prints the new warnings."""
    from analysis.trends import watch_flow

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise UserError(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}") from None
    _show(watch_flow(_home(), day), as_json)


@trends_app.command("submit")
def trends_submit(
    warning_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="who proposes the operation")],
    owner: Annotated[str, typer.Option("--as", help="the sub-centre (or department) that runs it")],
) -> None:
    """Propose the warning's drafted operation as it stands (approve it with `riskgraph rules approve`)."""
    from analysis.trends import read_warnings
    from scoring.rule_store import RuleStore

    warning = next((w for w in read_warnings(_home()) if w["id"] == warning_id), None)
    if warning is None:
        raise UserError(f"no trend warning {warning_id!r} (riskgraph trends list)")
    if warning["draft_operation"] is None:
        raise UserError(f"{warning_id} names a {warning['dimension']}: no operation scope can name it")
    change = RuleStore(_home()).propose("add_operation", by, operation={**warning["draft_operation"], "owner": owner})
    print_proposed(change, f"operation {change['rule_id']}")


def register(app: typer.Typer) -> None:
    app.add_typer(trends_app, name="trends")
