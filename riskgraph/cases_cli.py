"""Case commands: ``cases list``, for a supervisor's look at the case load without the API.

Registered on the main app by :func:`register`; reads the graph directly (no API key: whoever runs
the command line already has the database).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from riskgraph.errors import UserError

__all__ = ["register"]

cases_app = typer.Typer(help="Audit and anti-smuggling cases.", no_args_is_help=True)


@cases_app.command("list")
def cases_list(
    status: Annotated[str | None, typer.Option(help="open, investigating, referred or closed")] = None,
    assignee: Annotated[str | None, typer.Option(help="only cases assigned to this person")] = None,
    target: Annotated[str | None, typer.Option(help="only cases of this risk target: tax, security, ipr ...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="most cases shown")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Cases newest first: id, status, kind, risk target, assignee, title and the enterprises concerned."""
    from graph.connection import check, database
    from graph.targets import OTHER, targets_in_force
    from investigate.cases import STATUSES, list_cases

    if status is not None and status not in STATUSES:
        raise UserError(f"--status {status!r}: choose one of {', '.join(STATUSES)}")
    if target is not None and target not in (*targets_in_force(), OTHER):
        raise UserError(f"--target {target!r}: choose one of {', '.join((*targets_in_force(), OTHER))}")
    for case in list_cases(check(), database(), status, assignee, limit, target=target):
        if as_json:
            print(json.dumps(case, ensure_ascii=False))
            continue
        concerns = ", ".join(case["concerns"][:3]) + (" ..." if len(case["concerns"]) > 3 else "")
        outcome = f" ({case['outcome']})" if case["outcome"] else ""
        print(
            f"{case['id']}  {case['status'] + outcome:<28} {case['kind']:<15} {case.get('target') or '-':<9} "
            f"{case['assignee'] or '-':<12} "
            f"{case['title']}  [{concerns}]"
        )


def register(app: typer.Typer) -> None:
    """Add ``cases`` to the main ``riskgraph`` app."""
    app.add_typer(cases_app, name="cases")
