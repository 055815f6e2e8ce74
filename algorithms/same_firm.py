"""Probably the same firm: probabilistic record linkage of enterprises (Fellegi-Sunter, with splink on DuckDB).

A firm caught in a violation may stop and re-register under a new customs code with the same legal
representative, a near-identical name and the same street (a "phoenix" firm). Exact keys miss it;
a linkage model weighs each kind of agreement by how much more often it happens between records of one
firm (m) than between records of different firms (u), learnt without labels by expectation
maximisation. Term-frequency adjustment makes agreement on a common value weigh little: a business
centre address shared by fifty honest firms, or a representative called Wang Wei, says less than a
rare one.

The result is evidence, never a merge: candidate pairs with their match weight (log2 Bayes factor)
and probability, for analysis to weigh and an investigator to confirm or reject. A pair whose names
are unrelated is never a candidate, however many identifiers it shares: a shell ring's fronts share
address, phone and representative under different names, and the shared identifiers already link them.

References
----------
.. [1] I. P. Fellegi, A. B. Sunter, "A theory for record linkage", JASA 64 (1969).
.. [2] R. Linacre et al., "Splink: free software for probabilistic record linkage at scale",
   International Journal of Population Data Science 7 (2022).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import pandas as pd

from ingest.normalize import building_key

__all__ = ["LINK_FIELDS", "SameFirmCandidates", "same_firm_candidates"]

#: the enterprise columns linkage reads; any may be missing or empty. ``building`` is the address
#: without its room or floor (``ingest.normalize.building_key``, derived from ``address`` when absent).
LINK_FIELDS = ("name", "address", "building", "phone", "legal_rep", "registered")
_OUT_COLUMNS = ("a", "b", "match_weight", "match_probability", "agreed")


@dataclass
class SameFirmCandidates:
    """Candidate pairs (``a`` < ``b``) with ``match_weight``, ``match_probability`` and ``agreed`` (the
    fields that agree exactly, comma-separated), strongest first; ``message`` says why there are none."""

    pairs: pd.DataFrame
    fields: tuple[str, ...] = ()
    message: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def _empty(message: str, fields: tuple[str, ...] = ()) -> SameFirmCandidates:
    return SameFirmCandidates(pd.DataFrame({c: [] for c in _OUT_COLUMNS}), fields, message)


def _prepared(enterprises: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"id": enterprises["id"].astype(str)})
    for name in LINK_FIELDS:
        if name in enterprises.columns:
            values = enterprises[name]
            if name == "registered":
                values = pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")
            else:
                values = values.astype("string").str.strip().replace("", pd.NA)
            frame[name] = values.astype(object).where(values.notna(), None)
        else:
            frame[name] = None
    frame = frame.drop_duplicates("id").reset_index(drop=True)
    if frame["building"].isna().all():
        frame["building"] = frame["address"].map(building_key)
    frame["name_token"] = _rarest_tokens(frame["name"])
    return frame


def _rarest_tokens(names: pd.Series) -> pd.Series:
    """Each name's least common word across all names: its most distinctive part (the brand, rarely the city
    or the trade), so "Shanghai New Xinda Trading" and "Shanghai Xinda Trading" meet on "xinda"."""
    tokens = names.dropna().str.split().explode()
    if tokens.empty:
        return pd.Series(None, index=names.index, dtype=object)
    frequency = tokens.value_counts()
    ranked = pd.DataFrame({"row": tokens.index, "token": tokens.to_numpy(), "n": tokens.map(frequency).to_numpy()})
    best = ranked.sort_values(["n", "token"], kind="stable").drop_duplicates("row").set_index("row")["token"]
    return best.reindex(names.index).astype(object).where(lambda s: s.notna(), None)


def _shared(frame: pd.DataFrame, name: str) -> bool:
    return bool(frame[name].dropna().duplicated().any())


def _comparisons(frame: pd.DataFrame) -> tuple[list, tuple[str, ...]]:
    """One comparison per field present: levels from the most to the least telling agreement.

    Names: identical, Jaro-Winkler >= 0.94, same rarest word (weighed by its frequency), >= 0.88.
    Addresses: identical, same building (both weighed by frequency). Phones and representatives:
    identical, weighed by frequency. Registration dates: within 30 days, within 2 years.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out, fields = [], []
    if frame["name"].notna().sum() >= 2:
        levels = [cll.NullLevel("name"), cll.ExactMatchLevel("name"), cll.JaroWinklerLevel("name", 0.94)]
        if _shared(frame, "name_token"):
            levels.append(cll.ExactMatchLevel("name_token").configure(tf_adjustment_column="name_token"))
        levels += [cll.JaroWinklerLevel("name", 0.88), cll.ElseLevel()]
        out.append(cl.CustomComparison(levels, output_column_name="name"))
        fields.append("name")
    if _shared(frame, "address") or _shared(frame, "building"):
        levels = [cll.NullLevel("address")]
        if _shared(frame, "address"):
            levels.append(cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"))
        if _shared(frame, "building"):
            levels.append(cll.ExactMatchLevel("building").configure(tf_adjustment_column="building"))
        out.append(cl.CustomComparison([*levels, cll.ElseLevel()], output_column_name="address"))
        fields.append("address")
    for name in ("phone", "legal_rep"):
        if _shared(frame, name):
            out.append(cl.ExactMatch(name).configure(term_frequency_adjustments=True))
            fields.append(name)
    if fields and frame["registered"].notna().sum() >= 2:
        out.append(
            cl.AbsoluteDateDifferenceAtThresholds(
                "registered", input_is_string=True, metrics=["day", "year"], thresholds=[30, 2]
            )
        )
    return out, tuple(fields)


#: EM training rules: pairs agreeing on both fields are mostly one firm
_TRAINING_PAIRS = (
    ("legal_rep", "building"),
    ("name_token", "legal_rep"),
    ("name_token", "building"),
    ("phone", "name_token"),
)
#: the values pairs are compared within (a pair must share one of them)
_BLOCKS = ("name", "name_token", "building", "phone", "legal_rep")


def same_firm_candidates(
    enterprises: pd.DataFrame,
    *,
    threshold: float = 0.9,
    max_block: int = 400,
    seed: int = 7,
) -> SameFirmCandidates:
    """Pairs of enterprises that are probably one firm, from an unsupervised Fellegi-Sunter model.

    Parameters
    ----------
    enterprises : DataFrame
        ``id`` and any of ``name`` (normalised name), ``address`` (address key), ``phone`` (phone key),
        ``legal_rep`` (representative key) and ``registered`` (date). Missing columns and values are
        allowed: a field nobody shares is left out of the model.
    threshold : float
        Keep pairs whose match probability is at least this.
    max_block : int
        Pairs are only compared within a shared representative, phone, address or name; a value held by
        more than this many enterprises (a business centre, a switchboard) opens no block of its own.
    seed : int
        Seed of the random sampling that estimates u (agreement among different firms).

    Returns
    -------
    SameFirmCandidates
        With ``message`` "nothing to link" when no identifying field is shared by two enterprises.
    """
    clock = time.perf_counter()
    frame = _prepared(enterprises)
    blocks_on = [b for b in _BLOCKS if _shared(frame, b)]
    comparisons, fields = _comparisons(frame)
    if len(frame) < 2 or not blocks_on or not comparisons:
        return _empty("nothing to link: no name, address, phone or representative is shared by two enterprises")

    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    for b in blocks_on:  # a value held by too many opens no block (it still counts, weighed by its frequency)
        frame[f"block_{b}"] = frame[b].where(frame[b].map(frame[b].value_counts()).fillna(0) <= max_block, None)
    blocks = [block_on(f"block_{b}") for b in blocks_on]
    settings = SettingsCreator(
        link_type="dedupe_only",
        # Prior: about one enterprise in fifty has a second record; EM re-estimates it within each block.
        probability_two_random_records_match=min(0.5, 0.04 / max(len(frame) - 1, 1)),
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocks,
        retain_intermediate_calculation_columns=True,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(frame), settings, log_level=logging.ERROR)
    timings = {"prepare": time.perf_counter() - clock}

    lap = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    from splink.internals.exceptions import EMTrainingException

    # EM learns m (agreement among records of one firm) where such pairs are common: pairs that agree on
    # two identifying fields. Each rule trains the fields it does not block on; a rule no pair satisfies
    # (minimal data) is skipped and those fields keep splink's starting values.
    for pair in _TRAINING_PAIRS:
        if not set(pair) <= set(blocks_on):
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*pair), estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            continue
    timings["train"] = time.perf_counter() - lap

    lap = time.perf_counter()
    predicted = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    if "gamma_name" in predicted:
        # Firms that share every identifier under unrelated names (a shell ring's fronts) are linked
        # already through those identifiers; "the same firm" also needs the name, or most of it: the
        # name's distinctive word or a Jaro-Winkler of 0.94 (levels 0 and 1 are "other" and ">= 0.88";
        # -1, a missing name, cannot tell).
        predicted = predicted[~predicted["gamma_name"].isin([0, 1])]
    timings["predict"] = time.perf_counter() - lap
    if predicted.empty:
        result = _empty("no pair reached the threshold", fields)
    else:
        names = [f for f in (*_BLOCKS[2:], "name", "address", "registered") if f"{f}_l" in predicted]
        agreed = [predicted[f"{f}_l"].notna() & (predicted[f"{f}_l"] == predicted[f"{f}_r"]) for f in names]
        pairs = pd.DataFrame(
            {
                "a": predicted[["id_l", "id_r"]].min(axis=1).astype(str),
                "b": predicted[["id_l", "id_r"]].max(axis=1).astype(str),
                "match_weight": predicted["match_weight"].astype(float),
                "match_probability": predicted["match_probability"].astype(float),
                "agreed": [
                    ",".join(n for n, hit in zip(names, row, strict=True) if hit) for row in zip(*agreed, strict=True)
                ],
            }
        )
        pairs = pairs.sort_values(["match_weight", "a", "b"], ascending=[False, True, True], kind="stable")
        result = SameFirmCandidates(pairs.reset_index(drop=True), fields)
    result.fields = fields
    result.timings = {k: round(v, 3) for k, v in timings.items()}
    result.seconds = round(time.perf_counter() - clock, 3)
    return result
