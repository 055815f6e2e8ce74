"""The columnar copy of the declarations: ``store status`` and ``store rebuild``.

The copy (``$RISKGRAPH_HOME/declarations/``) is written by ``ingest`` and ``feedback`` and checked against the
graph before every analysis; ``rebuild`` reads it again whole from the graph (a home restored from elsewhere, a
copy deleted by hand).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["register"]

console = Console(stderr=True)
store_app = typer.Typer(help="The columnar copy of the declarations the analysis reads.", no_args_is_help=True)


@store_app.command("status")
def store_status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Declarations per load in the copy and in the graph, and whether they agree."""
    from columnar.store import DeclarationStore
    from columnar.sync import graph_load_counts
    from graph.connection import database
    from riskgraph.cli import _connect, settings

    kept = DeclarationStore(settings().home).load_counts()
    shown = graph_load_counts(_connect(), database())
    loads = sorted(set(kept) | set(shown))
    rows = [{"load": load or "(none)", "copy": kept.get(load, 0), "graph": shown.get(load, 0)} for load in loads]
    agree = all(r["copy"] == r["graph"] for r in rows)
    if as_json:
        print(json.dumps({"loads": rows, "agree": agree}))
        return
    for r in rows:
        mark = "" if r["copy"] == r["graph"] else "  (differs: the next analysis reads it again)"
        console.print(f"{r['load']}: copy {r['copy']:,}, graph {r['graph']:,}{mark}", highlight=False)
    console.print("the copy agrees with the graph" if agree else "the copy differs from the graph", highlight=False)


@store_app.command("rebuild")
def store_rebuild(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Read every declaration and outcome again from the graph into the copy."""
    from columnar.store import DeclarationStore
    from columnar.sync import rebuild_store
    from graph.connection import database
    from riskgraph.cli import _connect, settings

    report = rebuild_store(_connect(), database(), DeclarationStore(settings().home))
    rows = sum(report.reread.values())
    if as_json:
        print(json.dumps({"declarations": rows, "loads": len(report.reread), "outcomes": report.outcomes_reread or 0}))
        return
    console.print(f"{rows:,} declarations of {len(report.reread)} loads read from the graph", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``store`` commands to the main app."""
    app.add_typer(store_app, name="store")
