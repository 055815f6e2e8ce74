"""Intelligence commands: ``intel load FILE``, ``intel list``, ``intel withdraw ID``.

Registered on the main app by :func:`register`; they write the graph directly and publish the active
lookouts into ``$RISKGRAPH_HOME``, which every running server of that home follows within a second.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from riskgraph.errors import UserError

__all__ = ["register"]

intel_app = typer.Typer(help="Lookouts, seizures and tip-offs, hit at lodging.", no_args_is_help=True)


def _by(name: str | None) -> str:
    return f"{name or getpass.getuser()} (command line)"


@intel_app.command("load")
def intel_load(
    path: Annotated[Path, typer.Argument(help="CSV or JSON lines (.jsonl), one record a row")],
    jurisdiction: Annotated[
        str | None, typer.Option(help="office the records are restricted to, where a row names none")
    ] = None,
    by: Annotated[str | None, typer.Option(help="who records them (default: the user running the command)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the summary as one JSON object")] = False,
) -> None:
    """Record every row of FILE (checked whole first: a bad row refuses the file, nothing is written)."""
    from graph.config import settings
    from graph.connection import check, database
    from graph.reference import resolve_office
    from investigate.intel import record_intel
    from investigate.intel_records import read_intel_file

    office = None
    if jurisdiction is not None:
        found = resolve_office(jurisdiction)
        if found is None:
            raise UserError(f"--jurisdiction {jurisdiction!r}: not a customs office of the hierarchy in force")
        office = found.code
    records = read_intel_file(path, office)
    ids = record_intel(check(), database(), settings().home, records, _by(by))
    kinds = {k: sum(r.kind == k for r in records) for k in sorted({r.kind for r in records})}
    if as_json:
        print(json.dumps({"read": len(records), "recorded": len(set(ids)), "kinds": kinds, "ids": ids}))
    else:
        print(f"recorded {len(set(ids))} records from {path} ({', '.join(f'{n} {k}' for k, n in kinds.items())})")


@intel_app.command("list")
def intel_list(
    kind: Annotated[str | None, typer.Option(help="lookout, seizure or tip")] = None,
    status: Annotated[str | None, typer.Option(help="active or withdrawn")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="most records shown")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Records newest first: id, kind, status, target, validity, grading and what they name."""
    from graph.connection import check, database
    from investigate.intel import list_intel
    from investigate.intel_records import KINDS

    if kind is not None and kind not in KINDS:
        raise UserError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    if status is not None and status not in ("active", "withdrawn"):
        raise UserError(f"--status {status!r}: choose active or withdrawn")
    for record in list_intel(check(), database(), None, kind, status, limit):
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        named = "; ".join(f"{e['type']}:{e['value']}" for e in record["entities"][:3])
        valid = f"{record['valid_from'] or '…'}..{record['valid_to'] or '…'}"
        grade = record["source_grade"] + record["info_grade"] + (record["handling"] or "")
        print(
            f"{record['id']}  {record['kind']:<8} {record['status']:<10} {record['target']:<9} {valid:<23} {grade:<4}"
            f" {record['summary'][:50]}  [{named}]"
        )


@intel_app.command("withdraw")
def intel_withdraw(
    record_id: Annotated[str, typer.Argument(help="the record's id")],
    by: Annotated[str | None, typer.Option(help="who withdraws it (default: the user running the command)")] = None,
) -> None:
    """Withdraw a record: a withdrawn lookout hits nothing (running servers follow within a second)."""
    from graph.config import settings
    from graph.connection import check, database
    from investigate.intel import withdraw_intel

    record = withdraw_intel(check(), database(), settings().home, record_id, _by(by))
    print(f"{record['id']} withdrawn by {record['withdrawn_by']} at {record['withdrawn']}")


def register(app: typer.Typer) -> None:
    """Add ``intel`` to the main ``riskgraph`` app."""
    app.add_typer(intel_app, name="intel")
