"""``--declarations-engine``, one option for every command whose declaration-sized work may run on Spark
(``analyze``, ``model train``): the same name, help and check in each."""

from __future__ import annotations

from typing import Annotated

import typer

from riskgraph.errors import UserError

__all__ = ["DeclarationsEngine", "checked_declarations_engine"]

DeclarationsEngine = Annotated[
    str,
    typer.Option(
        "--declarations-engine",
        help="where the declarations are aggregated: duckdb (in this process) or spark "
        "(RISKGRAPH_SPARK_MASTER, else Spark's configuration, else local[*])",
    ),
]


def checked_declarations_engine(name: str) -> str:
    """``name`` when it is one of :data:`columnar.engines.DECLARATION_ENGINES`, else a clear error."""
    from columnar.engines import DECLARATION_ENGINES  # the command line starts without the engines

    if name not in DECLARATION_ENGINES:
        raise UserError(f"--declarations-engine must be one of {', '.join(DECLARATION_ENGINES)}, got {name!r}")
    return name
