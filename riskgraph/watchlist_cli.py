"""Watchlist commands: ``watchlist load FILE --list NAME``, ``watchlist list``, ``watchlist screen``.

Lists are reference data kept under ``$RISKGRAPH_HOME/watchlists/`` (``scoring.watchlists``); every running
server of that home screens declarations against a newly loaded list within a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

watchlist_app = typer.Typer(help="Sanctions and denied-party lists, screened at lodging.", no_args_is_help=True)


@watchlist_app.command("load")
def watchlist_load(
    path: Annotated[
        Path, typer.Argument(help="FollowTheMoney / OpenSanctions JSON lines, or a CSV (name, aliases, kind)")
    ],
    name: Annotated[str, typer.Option("--list", help="the list's name (loading it again replaces it)")],
    threshold: Annotated[float, typer.Option(help="name score a match needs (0.5-1)")] = 0.9,
    channel: Annotated[str, typer.Option(help="where a match sends a declaration")] = "physical inspection",
    as_json: Annotated[bool, typer.Option("--json", help="the summary as one JSON object")] = False,
) -> None:
    """Keep a list (checked whole first: a bad line refuses the file, nothing changes)."""
    from graph.config import settings
    from scoring.watchlists import read_watchlist_file, save_watchlist

    entries = read_watchlist_file(path)
    save_watchlist(settings().home, name, entries, threshold, channel)
    names = sum(len(e["keys"]) for e in entries)
    if as_json:
        print(json.dumps({"list": name, "entries": len(entries), "names": names, "threshold": threshold}))
    else:
        print(f"list {name}: {len(entries)} entries, {names} distinct names, threshold {threshold}")


@watchlist_app.command("list")
def watchlist_list() -> None:
    """The lists kept, with their entries."""
    from graph.config import settings
    from scoring.watchlists import read_watchlists

    for name, entries in sorted(read_watchlists(settings().home).lists.items()):
        print(f"{name}  {entries} entries")


@watchlist_app.command("screen")
def watchlist_screen(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per match")] = False,
) -> None:
    """The firms and legal representatives in the graph that a list names, best score first."""
    from graph.config import settings
    from graph.connection import check, database
    from investigate.watchlist_screen import screen_graph
    from scoring.watchlists import read_watchlists

    for match in screen_graph(check(), database(), read_watchlists(settings().home)):
        if as_json:
            print(json.dumps(match, ensure_ascii=False))
        else:
            print(
                f"{match['label']:<10} {match['id']:<24} {match['name'][:40]:<40} {match['list']}:{match['entry']}"
                f"  {match['score']:.2f}"
            )


def register(app: typer.Typer) -> None:
    """Add ``watchlist`` to the main ``riskgraph`` app."""
    app.add_typer(watchlist_app, name="watchlist")
