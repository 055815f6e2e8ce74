"""Capacity commands: ``capacity set OFFICE --physical N [--documentary M] [--weekday D | --date D]``, ``list``.

Capacity is data under ``$RISKGRAPH_HOME`` (``scoring.capacity``); every running server of that home selects
within a changed capacity from its next declaration.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated

import typer

__all__ = ["register"]

capacity_app = typer.Typer(help="Inspection capacity per office and lodging day.", no_args_is_help=True)


@capacity_app.command("set")
def capacity_set(
    office: Annotated[str, typer.Argument(help="district office code or name")],
    physical: Annotated[int, typer.Option("--physical", min=0, help="physical inspections the office can do a day")],
    documentary: Annotated[
        int | None, typer.Option("--documentary", min=0, help="document checks a day (default: not limited)")
    ] = None,
    weekday: Annotated[str | None, typer.Option("--weekday", help="only on this weekday (mon..sun)")] = None,
    on: Annotated[str | None, typer.Option("--date", help="only on this date (YYYY-MM-DD)")] = None,
    by: Annotated[str, typer.Option("--by", help="who sets it")] = "",
) -> None:
    """Set how many examinations an office can do per lodging day (default, one weekday or one date)."""
    from graph.config import settings
    from riskgraph.errors import UserError
    from scoring.capacity import CapacityTable

    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise UserError(f"--date {on!r}: expected YYYY-MM-DD") from None
    code, entry = CapacityTable(settings().home).set(office, physical, documentary, weekday=weekday, on=day, by=by)
    when = f" on {weekday}" if weekday else f" on {on}" if on else ""
    print(f"{code}: {physical} physical inspections a day{when}, document checks {documentary or 'not limited'}")


@capacity_app.command("list")
def capacity_list(
    on: Annotated[str | None, typer.Option("--date", help="the lodging day (default today, UTC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per office")] = False,
) -> None:
    """Each office's capacity on a day and what the scorers used of it."""
    from graph.config import settings
    from riskgraph.errors import UserError
    from scoring.capacity import CapacityTable, DayUse, capacity_overview
    from scoring.roster import Rosters

    try:
        day = date.fromisoformat(on) if on else datetime.now(UTC).date()
    except ValueError:
        raise UserError(f"--date {on!r}: expected YYYY-MM-DD") from None
    use, rosters = DayUse(settings().home), Rosters(settings().home)
    try:
        rows = capacity_overview(CapacityTable(settings().home), use, day, rosters=rosters)
    finally:
        use.close()
        rosters.close()
    for row in rows:
        if as_json:
            print(json.dumps(row))
        else:
            docs = row["documentary_capacity"]
            print(
                f"{row['office']}  {row['day']}  physical {row['physical']}/{row['physical_capacity']} "
                f"({row['forced']} must-inspect, {row['random']} random)  document checks {row['documentary']}"
                f"/{'-' if docs is None else docs}  lodged {row['lodged']}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(capacity_app, name="capacity")
