"""Roster commands: ``roster load FILE``, ``roster show OFFICE [--date D]``, ``roster utilisation``.

Rosters are kept beside the capacity's day use under ``$RISKGRAPH_HOME`` (``scoring.roster``); every running
server of that home assigns to a changed roster from its next declaration.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

roster_app = typer.Typer(help="Officers on duty per office and day, and their utilisation.", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    from riskgraph.errors import UserError

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise UserError(f"{option} {value!r}: expected YYYY-MM-DD") from None


@roster_app.command("load")
def roster_load(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="CSV: office, date, officer, [role], hours or start and end"),
    ],  # fmt: skip
) -> None:
    """Load a roster file: each office's day in it replaces what that day had; a bad row refuses the file."""
    from graph.config import settings
    from scoring.roster import Rosters, read_roster_file

    duties = read_roster_file(file)
    rosters = Rosters(settings().home)
    try:
        stored = rosters.replace(duties)
    finally:
        rosters.close()
    days = {(d.office, d.day) for d in duties}
    print(f"{stored} officers on duty loaded for {len(days)} office days from {file}")


@roster_app.command("show")
def roster_show(
    office: Annotated[str, typer.Argument(help="district office code or name")],
    on: Annotated[str | None, typer.Option("--date", help="the day (default today, UTC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per officer")] = False,
) -> None:
    """An office's roster of a day, with what each officer was assigned at lodging."""
    from graph.config import settings
    from graph.reference import resolve_office
    from riskgraph.errors import UserError
    from scoring.roster import Rosters

    found = resolve_office(office)
    if found is None:
        raise UserError(f"{office!r} is not a customs office code or name (riskgraph offices list)")
    day = _day(on, "--date") or datetime.now(UTC).date()
    rosters = Rosters(settings().home)
    try:
        duties = rosters.duties(found.code, day)
    finally:
        rosters.close()
    if not duties and not as_json:
        print(f"{found.code}: nobody on the roster of {day}")
    for d in duties:
        if as_json:
            print(json.dumps({"office": found.code, "day": day.isoformat(), **d}))
        else:
            shift = f" {d['start']}-{d['end']}" if d["start"] else ""
            print(
                f"{found.code}  {day}  {d['officer']}  {d['role']}  {d['hours']} h{shift}  "
                f"assigned {d['assigned']} ({d['assigned_minutes']:g} min)"
            )


@roster_app.command("utilisation")
def roster_utilisation(
    since: Annotated[str | None, typer.Option("--from", help="first day (default 30 days before --to)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="last day (default today, UTC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the figures as one JSON object")] = False,
) -> None:
    """Per office and officer: hours rostered, inspections assigned and done, hits per officer-hour, and the
    days capacity was short or idle."""
    from graph.config import settings
    from riskgraph.errors import UserError
    from scoring.utilisation import read_utilisation

    last = _day(until, "--to") or datetime.now(UTC).date()
    first = _day(since, "--from") or last - timedelta(days=30)
    if first > last:
        raise UserError("--from must be on or before --to")
    figures = read_utilisation(settings().home, first, last)
    if as_json:
        print(json.dumps(figures))
        return
    print(f"utilisation {first} to {last}")
    for o in figures["offices"]:
        rate = o["hits_per_officer_hour"]
        print(
            f"{o['office']}  officers {o['officers']}  hours {o['hours']}  assigned {o['assigned']}  done {o['done']}  "
            f"violations {o['violations']}  hits/officer-hour {'-' if rate is None else rate}  "
            f"short days {len(o['short_days'])}  idle days {len(o['idle_days'])} of {o['days']}"
        )
    for o in figures["officers"]:
        rate, load = o["hits_per_officer_hour"], o["load"]
        print(
            f"  {o['office']}  {o['officer']} ({o['role'] or 'no roster'})  {o['hours']} h  assigned {o['assigned']}"
            f"  load {'-' if load is None else f'{load:.0%}'}  done {o['done']}  violations {o['violations']}"
            f"  hits/officer-hour {'-' if rate is None else rate}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(roster_app, name="roster")
