"""Special operations: ``riskgraph operations add|list|end|show``.

Proposals go through the rules' pending changes: ``riskgraph rules approve ID --by NAME`` puts them in force.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph.config import settings
from riskgraph.scoring_cli import print_proposed, read_items

__all__ = ["register"]

console = Console(stderr=True)
operations_app = typer.Typer(
    help="Special operations: a share of one scope sent to physical inspection for a period.", no_args_is_help=True
)


def _home() -> Path:
    return settings().home


def _proposed(change: dict) -> None:
    print_proposed(change, f"{change['action']} {change['rule_id']}")


@operations_app.command("add")
def operations_add(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file holding one operation or a list of them")],
    by: Annotated[str, typer.Option("--by", help="who proposes it")],
) -> None:
    """Propose special operations (name, target, owner, start, end, inspection_rate, scope); each runs once
    someone else approves it. An invalid operation is refused with the reason, and nothing is proposed."""
    from scoring.operations import parse_operation
    from scoring.rule_store import RuleStore

    items = read_items(file)
    for item in items:  # all or nothing
        parse_operation(item, by)
    store = RuleStore(_home())
    for item in items:
        _proposed(store.propose("add_operation", by, operation=item))


@operations_app.command("list")
def operations_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The approved operations with their status today."""
    from scoring.operations import OperationStore

    today = date.today()
    operations = OperationStore(_home()).all()
    if as_json:
        print(json.dumps([{**o.model_dump(mode="json"), "status": o.status_on(today)} for o in operations]))
        return
    if not operations:
        console.print("no operations yet: propose one with `riskgraph operations add FILE --by NAME`")
    for o in operations:
        console.print(
            f"{o.id:<12} {o.status_on(today):<9} {o.target:<8} {o.inspection_rate:>4.0%} {o.owner:<12} "
            f"{o.start}..{o.last_day}  {o.name}",
            highlight=False,
            soft_wrap=True,
        )


@operations_app.command("end")
def operations_end(
    operation_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="who proposes to end it")],
    acting_for: Annotated[str | None, typer.Option("--as", help="your sub-centre code (default: the owner)")] = None,
) -> None:
    """Propose to end an operation today (in force once someone else approves it)."""
    from scoring.rule_store import RuleStore

    _proposed(RuleStore(_home()).propose("end_operation", by, rule_id=operation_id, acting_for=acting_for))


@operations_app.command("show")
def operations_show(operation_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """What the operation selected, inspected and found, its interim review and the scope's earlier hit rate (JSON)."""
    from columnar.store import DeclarationStore
    from graph.connection import check, database
    from scoring.decision_log import DecisionLog
    from scoring.operation_results import operation_results
    from scoring.operations import OperationStore, Tally

    home = _home()
    operation = OperationStore(home).get(operation_id)
    tally = Tally(home)
    tally.sync()
    log = DecisionLog(home)
    try:
        results = operation_results(check(), database(), log, DeclarationStore(home), None, tally, operation)
    finally:
        log.close()
    print(json.dumps(results))


def register(app: typer.Typer) -> None:
    app.add_typer(operations_app, name="operations")
