"""The network side of the graph as it stood before the validation window, for honest validation.

The final score mixes the model's probability with the importer's network risk from
``riskgraph analyze``. Validating it with today's analysis would let a violation found in the
validation window raise the network risk of the very declarations it is validated on. Here the
analysis is rerun on what was known the day before the split: declarations lodged before it,
and as known violators only importers with a violation on one of those declarations (a confirmed
case carries no date, so cases are left out). Communities and centralities come from the same
earlier graph, so the model's network features are as-of too. The declarations are aggregated by the
declarations engine over the columnar copy, as ``riskgraph analyze`` aggregates them: the year is never
a frame here.
"""

from __future__ import annotations

import neo4j
import pandas as pd

from analysis.aggregates import read_analysis_inputs
from analysis.pipeline import analyze_inputs
from columnar.store import DeclarationStore

__all__ = ["NETWORK_COLUMNS", "enterprises_as_of"]

#: enterprise columns the analysis computes and scoring reads (:mod:`scoring.graph_read`)
NETWORK_COLUMNS = ("risk", "community", "community_size", "degree", "pagerank")


def enterprises_as_of(
    driver: neo4j.Driver,
    database: str,
    store: DeclarationStore,
    enterprises: pd.DataFrame,
    split: pd.Timestamp,
    *,
    seed: int = 0,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """``enterprises`` (as :func:`scoring.graph_read.read_enterprises` gives them) with their network
    columns recomputed from what was known before ``split``; firms unknown then get none."""
    day_before = pd.Timestamp(split) - pd.Timedelta(days=1)
    inputs, _ = read_analysis_inputs(driver, database, store, day_before, engine=engine, known_then=True)
    out = enterprises.drop(columns=[c for c in NETWORK_COLUMNS if c in enterprises.columns])
    if inputs is None or inputs.activity.importers.empty:  # nothing was lodged before the split
        return out.assign(**{c: float("nan") for c in NETWORK_COLUMNS})
    network = analyze_inputs(inputs, seed=seed).enterprises.set_index("id")[list(NETWORK_COLUMNS)]
    return out.join(network, on="id")
