"""The network side of the graph as it stood before the validation window, for honest validation.

The final score mixes the model's probability with the importer's network risk from
``riskgraph analyze``. Validating it with today's analysis would let a violation found in the
validation window raise the network risk of the very declarations it is validated on. Here the
analysis is rerun on what was known the day before the split: declarations lodged before it,
and as known violators only importers with a violation on one of those declarations (a confirmed
case carries no date, so cases are left out). Communities and centralities come from the same
earlier graph, so the model's network features are as-of too.
"""

from __future__ import annotations

import pandas as pd

from analysis.graph_io import AnalysisInput
from analysis.pipeline import analyze_frames

__all__ = ["NETWORK_COLUMNS", "enterprises_as_of"]

#: enterprise columns the analysis computes and scoring reads (:mod:`scoring.graph_read`)
NETWORK_COLUMNS = ("risk", "community", "community_size", "degree", "pagerank")


def enterprises_as_of(data: AnalysisInput, enterprises: pd.DataFrame, split: pd.Timestamp, seed: int = 0):
    """``enterprises`` (as :func:`scoring.graph_read.read_enterprises` gives them) with their network
    columns recomputed from what was known before ``split``; firms unknown then get none."""
    split = pd.Timestamp(split)
    decl = data.declarations
    before = decl[decl["date"] < split]
    violation = pd.to_numeric(before["violation"], errors="coerce") == 1
    violators = set(before.loc[violation, "importer_id"].dropna().astype(str))
    out = enterprises.drop(columns=[c for c in NETWORK_COLUMNS if c in enterprises.columns])
    if before.empty:
        return out.assign(**{c: float("nan") for c in NETWORK_COLUMNS})
    result = analyze_frames(
        data.enterprises, before, data.links, violators, split - pd.Timedelta(days=1), seed=seed
    ).enterprises
    network = result.set_index("id")[list(NETWORK_COLUMNS)]
    return out.join(network, on="id")
