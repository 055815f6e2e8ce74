"""Reference data commands: ``offices load|list`` (the organisation), ``rates load|list`` (money) and
``targets load|list`` (which risk target each violation type belongs to).

All are files under ``$RISKGRAPH_HOME`` (``offices.json``, ``rates.csv``, ``targets.csv``): they work with the
database stopped, and a running API picks them up by itself. ``offices load`` also writes the
hierarchy into the graph when Neo4j answers (else the next command that connects does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["register"]

console = Console(stderr=True)
offices_app = typer.Typer(help="The customs organisation: offices, sub-centres, the department.", no_args_is_help=True)
rates_app = typer.Typer(
    help="Reference exchange rates (units per US dollar), with their history.", no_args_is_help=True
)
targets_app = typer.Typer(
    help="Risk targets (tax, security, ipr, drugs, your own): which target each violation type belongs to.",
    no_args_is_help=True,
)


@offices_app.command("load")
def offices_load(
    path: Annotated[
        Path, typer.Argument(help="CSV or YAML: code, name, kind (department/sub-centre/district), parent")
    ],
    replace: Annotated[
        bool, typer.Option("--replace/--extend", help="replace the hierarchy in force, or add to it")
    ] = True,
) -> None:
    """Make your organisation the hierarchy for jurisdictions, rule owners, capacity and performance."""
    from graph.connection import DatabaseUnavailable
    from graph.reference import LEVELS, load_offices

    hierarchy = load_offices(path, replace=replace)  # OfficesError: one line, from main()
    counts = {level: sum(o.level == level for o in hierarchy) for level in LEVELS}
    unassigned = [o.code for o in hierarchy if o.unassigned]
    console.print(
        f"{len(hierarchy)} offices in force: {counts['department']} department, {counts['sub-centre']} sub-centres, "
        f"{counts['district']} districts"
        + (f", {counts['post']} posts" if counts["post"] else "")
        + (f" ({len(unassigned)} unassigned: {', '.join(unassigned[:10])})" if unassigned else ""),
        highlight=False,
    )
    try:
        from riskgraph.cli import _connect

        _connect()
    except DatabaseUnavailable:
        console.print("Neo4j is not running: the graph takes the hierarchy at the next command", highlight=False)


@offices_app.command("list")
def offices_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The hierarchy in force (the seed's unless one was loaded)."""
    from dataclasses import asdict

    from graph.reference import offices

    items = offices()
    if as_json:
        print(json.dumps([asdict(o) | {"unassigned": o.unassigned} for o in items], ensure_ascii=False))
        return
    for o in items:
        parent = o.parent or ("unassigned" if o.unassigned else "-")
        print(f"{o.code:<14} {o.level:<11} {parent:<14} {o.name}")


@rates_app.command("load")
def rates_load(
    path: Annotated[Path, typer.Argument(help="CSV: currency, per_usd (units per US dollar), valid_from")],
) -> None:
    """Add reference rates to the history; the rate valid today is used, the built-in table only by default."""
    from graph.currency import load_rates

    added = load_rates(path)  # RatesError: one line, from main()
    console.print(f"added {len(added)} rates for {', '.join(sorted(set(added['currency'])))}", highlight=False)


@rates_app.command("list")
def rates_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The rates in force today (loaded or built-in), then the loaded history."""
    from graph.currency import CURRENCY_PER_USD, read_rate_history, reference_rates

    history = read_rate_history()
    loaded = set(history["currency"])
    current = reference_rates()
    if as_json:
        print(json.dumps({"in_force": current, "history": history.to_dict("records")}))
        return
    for currency, rate in sorted(current.items()):
        source = "loaded" if currency in loaded else "built-in" if currency in CURRENCY_PER_USD else ""
        print(f"{currency}  {rate:>14,.6g}  {source}")
    if len(history):
        print("history:")
        for row in history.to_dict("records"):
            print(
                f"  {row['currency']}  {row['per_usd']:>14,.6g}  from {row['valid_from']}  (loaded {row['loaded_at']})"
            )


@targets_app.command("load")
def targets_load(
    path: Annotated[Path, typer.Argument(help="CSV: violation_type, target (tax, security, ipr, drugs, other, ...)")],
    replace: Annotated[
        bool,
        typer.Option("--replace/--extend", help="replace the loaded table, or add to it (the built-in wording stays)"),
    ] = False,
) -> None:
    """Map your violation types to risk targets; a bad row is refused with its row number and nothing changes."""
    from graph.targets import load_targets, read_targets

    given = read_targets(path)  # TargetsError: one line, from main()
    table = load_targets(path, replace=replace)
    per_target = {t: sum(v == t for v in given.values()) for t in dict.fromkeys(given.values())}
    console.print(
        f"loaded {len(given)} violation types ("
        + ", ".join(f"{t} {n}" for t, n in per_target.items())
        + f"); {len(table.loaded)} in the loaded table; targets in force: {', '.join(table.targets())}",
        highlight=False,
        soft_wrap=True,
    )


@targets_app.command("list")
def targets_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The targets in force and the violation types mapped to them: the loaded table, then the built-in wording."""
    from graph.targets import DEFAULT_KEYWORDS, DEFAULT_TYPES, normalise_type, target_table

    table = target_table()
    built_in = {normalise_type(k): v for k, v in DEFAULT_TYPES.items() if normalise_type(k) not in table.loaded}
    if as_json:
        print(
            json.dumps(
                {
                    "targets": list(table.targets()),
                    "loaded": [{"violation_type": k, "target": v} for k, v in sorted(table.loaded.items())],
                    "built_in": [{"violation_type": k, "target": v} for k, v in built_in.items()],
                    "keywords": {t: list(words) for t, words in DEFAULT_KEYWORDS},
                },
                ensure_ascii=False,
            )
        )
        return
    print(f"targets in force: {', '.join(table.targets())} (unknown types count as other)")
    for source, rows in (("loaded", sorted(table.loaded.items())), ("built-in", list(built_in.items()))):
        for violation_type, target in rows:
            print(f"{target:<10} {source:<9} {violation_type}")


def register(app: typer.Typer) -> None:
    """Add the reference data commands to the main ``riskgraph`` app."""
    app.add_typer(offices_app, name="offices")
    app.add_typer(rates_app, name="rates")
    app.add_typer(targets_app, name="targets")
