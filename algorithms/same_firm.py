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

Time is evidence too: a phoenix succeeds the firm it continues (set up while the old code trades, it starts
as the old one stops), whereas namesakes and neighbours trade alongside each other (``_succession``, on each
firm's first and last declaration).

References
----------
.. [1] I. P. Fellegi, A. B. Sunter, "A theory for record linkage", JASA 64 (1969).
.. [2] R. Linacre et al., "Splink: free software for probabilistic record linkage at scale",
   International Journal of Population Data Science 7 (2022).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms.identity_keys import (
    distinctive_tokens,
    floors,
    forget_names,
    joined_tags,
    key_frequency,
    name_tags,
    name_tags_each,
    name_words,
    person_keys,
    person_letters,
    place_keys,
    place_numbers,
    sorted_tokens,
    tags_joined,
)
from ingest.normalize import building_key

__all__ = ["LINK_FIELDS", "Prepared", "SameFirmCandidates", "same_firm_candidates"]

#: the enterprise columns linkage reads; any may be missing or empty. ``address``'s building (the address
#: without its room or floor, ``ingest.normalize.building_key``) is compared as a place
#: (``identity_keys.place_keys``); ``legal_rep`` is compared as a person name. ``first_seen`` and ``last_seen``
#: are the dates of the firm's first and last declaration.
LINK_FIELDS = ("name", "address", "phone", "legal_rep", "registered", "first_seen", "last_seen")
_DATES = ("registered", "first_seen", "last_seen")
#: what a firm's declarations move (each day for the firms that declared): taken afresh for every firm on each
#: pass, not part of the identity whose change prepares a firm again
_SEEN = ("first_seen", "last_seen")
_OUT_COLUMNS = ("a", "b", "match_weight", "match_probability", "agreed", "weights", "levels")


@dataclass
class Prepared:
    """What preparing the linkage columns learnt that an incremental pass reuses, so that it prepares the firms
    whose identity changed rather than every firm: each firm's linkage row (``rows``: the columns its identity
    alone gives, with ``source``, a hash of that identity; its building's place, its representative's name key)
    and the words rigour tags in the names."""

    rows: pd.DataFrame
    tags: tuple[frozenset[str], frozenset[str]]


@dataclass
class SameFirmCandidates:
    """Candidate pairs (``a`` < ``b``) with ``match_weight``, ``match_probability``, ``agreed`` (the
    fields that agree exactly, comma-separated), ``weights`` (JSON: the match weight each compared field
    added, its frequency adjustment included; with the prior they sum to ``match_weight``) and ``levels``
    (JSON: how each compared field agreed, by its level's label), strongest first; ``message`` says why
    there are none."""

    pairs: pd.DataFrame
    fields: tuple[str, ...] = ()
    message: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: the trained model (splink settings with m and u), to reuse in an incremental pass
    model: dict | None = None
    #: the firms' linkage rows and name tags, to reuse in an incremental pass
    prepared: Prepared | None = None


def _empty(message: str, fields: tuple[str, ...] = ()) -> SameFirmCandidates:
    return SameFirmCandidates(pd.DataFrame({c: [] for c in _OUT_COLUMNS}), fields, message)


def _source(given: pd.DataFrame) -> np.ndarray:
    """A hash of each firm's identity as given (its first and last declaration aside)."""
    text = pa.large_string()
    fields = [
        pa.array(given[name].astype("string[pyarrow]")).cast(text)
        if name in given.columns
        else pa.nulls(len(given), text)
        for name in LINK_FIELDS
        if name not in _SEEN
    ]
    # one text per identity (fields apart by a control character), a missing value told from an empty one
    mark, apart, empty = pa.scalar("=", text), pa.scalar("\x1f", text), pa.scalar("", text)
    marked = [pc.fill_null(pc.binary_join_element_wise(mark, f, empty), empty) for f in fields]
    text = pc.binary_join_element_wise(*marked, apart)
    return pd.util.hash_array(text.to_numpy(zero_copy_only=False), categorize=False)


def _own(enterprises: pd.DataFrame) -> pd.DataFrame:
    """The linkage columns each firm's identity alone gives (first row of an id)."""
    frame = pd.DataFrame({"id": enterprises["id"].astype(str).astype(object)})
    for name in LINK_FIELDS:
        if name not in _SEEN:
            frame[name] = _linkage_value(enterprises, name)
    frame = frame.drop_duplicates("id").reset_index(drop=True)
    frame["written"] = frame["address"].map(building_key).astype(object)
    frame["numbers"] = place_numbers(frame["written"])
    frame["name_sorted"] = sorted_tokens(frame["name"])
    frame["words"] = name_words(frame["name"])
    frame["floor"] = floors(frame["address"])
    frame["registered_day"] = _day(frame["registered"])
    frame["rep_letters"] = person_letters(frame["legal_rep"])
    frame["name_known"], frame["name_places"] = name_tags_each(frame["name"])
    return frame


#: each name's tags (:func:`algorithms.identity_keys.name_tags_each`): a full pass joins those of the firms it keeps
#: instead of tagging every name again (about 1 s at 88,871 firms)
_TAG_COLUMNS = ("name_known", "name_places")


def _joined_row_tags(rows: pd.DataFrame) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`name_tags` of the rows' names, from each row's own (a row kept from before they were, tagged now)."""
    untagged = rows["name_known"].isna() & rows["name"].notna()
    if untagged.any():
        rows.loc[untagged, "name_known"], rows.loc[untagged, "name_places"] = name_tags_each(rows.loc[untagged, "name"])
    return tags_joined(rows["name_known"], rows["name_places"])


def _linkage_value(enterprises: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as linkage compares it: dates as ISO text, text stripped, empty or missing as None."""
    if name not in enterprises.columns:
        return pd.Series(None, index=enterprises.index, dtype=object)
    values = enterprises[name]
    if name in _DATES:
        values = pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")
    else:
        values = values.astype("string").str.strip().replace("", pd.NA)
    return values.astype(object).where(values.notna(), None)


def _with_seen(rows: pd.DataFrame, given: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with every firm's first and last declaration (and their days) taken from ``given``, row for row: they
    are not of the identity :func:`_own` prepares, and move with every declaration."""
    for name in _SEEN:
        rows[name] = _linkage_value(given, name).set_axis(rows.index)
    rows["first_day"], rows["last_day"] = _day(rows["first_seen"]), _day(rows["last_seen"])
    return rows


def _prepared(
    enterprises: pd.DataFrame, before: Prepared | None = None, only: set[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, Prepared]:
    """The linkage columns, the representative name keys of every firm (their frequencies are estimated from
    them) and what an incremental pass reuses. With ``before`` (an earlier pass's), only the firms whose identity
    changed since are prepared again. An incremental pass (``only``) also keeps the places of buildings already
    placed and tags only the names of ``only`` again: a firm outside ``only`` may keep a distinctive word or place a
    full pass would now give it otherwise, until that pass, which works out every place, name key and tag again
    from the rows. What depends on every firm (each word's frequency, a name key among the names sharing its
    letters) is worked out again from the rows either way."""
    given = enterprises if enterprises["id"].is_unique else enterprises.drop_duplicates("id")
    given = given.reset_index(drop=True)
    source, ids = _source(given), given["id"].astype(str).to_numpy(dtype=object)
    if before is None or only is None:
        rows = _with_seen(_own_kept(given, source, before), given)
        rows["building"] = place_keys(rows["written"])
        rows["rep_key"] = person_keys(rows["legal_rep"])
        tags = _joined_row_tags(rows)
    else:
        then = before.rows.set_index("id")
        same = pd.Series(ids).map(then["source"]).to_numpy() == source
        fresh = _own(given[~same]).assign(source=source[~same])
        # the places the day's buildings are looked up in or compared with: those of their house numbers
        placed = then[then["written"].notna()]
        written = fresh["written"].isin(placed["written"].unique())
        near = placed["written"].isin(fresh.loc[written, "written"].unique()) | placed["numbers"].isin(
            fresh.loc[~written, "numbers"].dropna().unique()
        )
        known = dict(zip(placed.loc[near, "written"], placed.loc[near, "building"], strict=True))
        fresh["building"] = place_keys(fresh["written"], known)
        fresh["rep_key"] = then["rep_key"].reindex(fresh["id"]).to_numpy()
        rows = pd.concat([then.loc[ids[same]].reset_index(), fresh], ignore_index=True)
        rows = _with_seen(rows.set_index("id").loc[ids].reset_index(), given)
        # a name key changes only as the names sharing its letters come and go
        was = then["legal_rep"].reindex(fresh["id"]).fillna("\x00").to_numpy()
        moved = fresh[was != fresh["legal_rep"].fillna("\x00").to_numpy()]
        gone = then.index.isin(moved["id"]) | ~then.index.isin(ids)
        letters = {*then.loc[gone, "rep_letters"].dropna(), *moved["rep_letters"].dropna()}
        again = rows["rep_letters"].isin(list(letters)).to_numpy()
        rows["rep_key"] = rows["rep_key"].astype(object)
        rows.loc[again, "rep_key"] = person_keys(rows.loc[again, "legal_rep"]).to_numpy()
        tags = joined_tags(before.tags, name_tags(rows.loc[rows["id"].isin(only), "name"]))
    frame = rows.drop(columns=["source", "written", "numbers", "words", "rep_letters", *_TAG_COLUMNS])
    frame["name_token"] = distinctive_tokens(rows["name"], tags, rows["words"])
    return frame, frame["rep_key"], Prepared(rows, tags)


def _own_kept(given: pd.DataFrame, source: np.ndarray, before: Prepared | None) -> pd.DataFrame:
    """:func:`_own` of every firm with ``source``, the columns of a firm whose identity is unchanged since
    ``before`` taken from it: they are its identity's alone, so a full pass that keeps them prepares what one
    preparing every firm afresh does, and works out only what depends on every firm again."""
    if before is None:
        return _own(given).assign(source=source)
    then = before.rows.drop_duplicates("id").set_index("id")
    own = [c for c in _own(given.iloc[:0]).columns if c != "id"]
    if not set(own) <= set(then.columns):  # kept before a column was added: nothing to reuse
        return _own(given).assign(source=source)
    ids = given["id"].astype(str)
    same = ids.map(then["source"]).to_numpy() == source
    kept = then.loc[ids[same], own].reset_index().assign(source=source[same])
    fresh = _own(given[~same]).assign(source=source[~same])
    return pd.concat([kept, fresh], ignore_index=True).set_index("id").loc[ids.to_numpy()].reset_index()


def _day(dates: pd.Series) -> pd.Series:
    """ISO dates as days since 1970 (nullable integers: the duckdb arithmetic of the succession comparison)."""
    when = pd.to_datetime(dates, errors="coerce")
    days = (when - pd.Timestamp("1970-01-01")).dt.days
    return days.astype("Int64")


def _shared(frame: pd.DataFrame, name: str) -> bool:
    return bool(frame[name].dropna().duplicated().any())


def _comparisons(frame: pd.DataFrame) -> tuple[list, tuple[str, ...]]:
    """One comparison per field present: levels from the most to the least telling agreement.

    Names: the same words in any order and legal form (weighed by frequency), the same distinctive word
    (weighed by its frequency), that word with a syllable added. Addresses: the same room, a room within
    three floors of the same building, the same building (each weighed by the frequency of the room or
    building: a business centre says little). Representatives: one person name in any order and form
    (``identity_keys.person_name_keys``), weighed by its tokens' frequency. Phones: identical, weighed by
    frequency; a phoenix keeps its phone one time in two.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out, fields = [], []
    if frame["name"].notna().sum() >= 2:
        # No Jaro-Winkler on whole names: "Tianjin Hongao Logistics" and "Tianjin Chuangbo Logistics", two
        # fronts of one ring, score 0.94 on their shared city and trade.
        # Nor is it trained (every training rule blocks on the name): among pairs that share a representative
        # and a building, a shell ring's fronts with unrelated names outnumber the firms of one name, and EM
        # learnt unrelated names as the mark of one firm. m is set: how a firm's records' names agree.
        levels = [
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name_sorted").configure(tf_adjustment_column="name_sorted", m_probability=0.3),
        ]
        if _shared(frame, "name_token"):
            levels.append(
                cll.ExactMatchLevel("name_token").configure(tf_adjustment_column="name_token", m_probability=0.45)
            )
            # the distinctive word with a syllable added ("xinwei", "xinweitong"); Jaro-Winkler cannot tell
            # that from two brands that share a syllable ("longchuang", "longcheng": 0.94)
            grown = cll.CustomLevel(
                'starts_with("name_token_l", "name_token_r") OR starts_with("name_token_r", "name_token_l")',
                label_for_charts="distinctive word with a syllable added",
            )
            levels.append(grown.configure(m_probability=0.2))
        levels.append(cll.ElseLevel().configure(m_probability=0.05))
        out.append(cl.CustomComparison(levels, output_column_name="name"))
        fields.append("name")
    if _shared(frame, "address") or _shared(frame, "building"):
        levels = [cll.NullLevel("address")]
        if _shared(frame, "address"):
            levels.append(cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"))
        if _shared(frame, "building"):
            near = cll.CustomLevel(
                '"building_l" = "building_r" AND abs("floor_l" - "floor_r") <= 3',
                label_for_charts="a room within three floors of the same building",
            )
            levels.append(near.configure(tf_adjustment_column="building"))
            levels.append(cll.ExactMatchLevel("building").configure(tf_adjustment_column="building"))
        out.append(cl.CustomComparison([*levels, cll.ElseLevel()], output_column_name="address"))
        fields.append("address")
    if _shared(frame, "phone"):
        # Not trained either: a phoenix keeps its phone only sometimes, and EM, on a year whose few phoenixes had
        # all kept theirs, learnt a new phone as proof of another firm (a weight of -50: never linked). m is set.
        levels = [
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone").configure(
                tf_adjustment_column="phone", m_probability=0.5, fix_m_probability=True
            ),
            cll.ElseLevel().configure(m_probability=0.5, fix_m_probability=True),
        ]
        out.append(cl.CustomComparison(levels, output_column_name="phone"))
        fields.append("phone")
    if _shared(frame, "rep_key"):
        out.append(cl.ExactMatch("rep_key").configure(term_frequency_adjustments=True))
        fields.append("legal_rep")
    if frame["first_day"].notna().sum() >= 2:
        out.append(_succession())
        fields.append("succession")
    # Registration dates are not compared with each other (only with the other firm's trading, in succession): a
    # phoenix registers years after the firm it continues, a ring's fronts within months; EM, trained on pairs
    # sharing a representative and a building (rings among them), learnt "years apart" as evidence against.
    return out, tuple(fields)


#: how long an old code may still lodge (goods it shipped before it stopped) after its successor started
_IN_TRANSIT_DAYS = 30
#: days by which the later starter's first declaration comes after the earlier starter's last (negative: the two
#: traded side by side that long); a firm whose span lies within the other's trades beside it throughout
_GAP = (
    'CASE WHEN "first_day_l" <= "first_day_r" THEN "first_day_r" - "last_day_l" ELSE "first_day_l" - "last_day_r" END'
)


def _succession():
    """Did one firm take over from the other? A phoenix succeeds the firm it continues: the new code is set up
    while the old one trades, and starts trading as the old one stops (a few last declarations of goods in
    transit aside). A namesake next door or a business-centre neighbour trades beside the other; a shell
    ring's fronts, set up together before the ring trades, may trade one after another but none was set up
    while another traded. Compared on the two firms' first and last declarations and the later starter's
    registration (without one, a succession is at best "started as the other stopped").

    m is set, not trained (as for names and phones): it says what succession is, and EM, on blocks where a
    year's ring fronts (similar names, one representative) outnumber its phoenixes, learns their way of
    trading as the mark of one firm. u is learnt from random pairs: how often two unrelated firms happen to
    succeed each other (one starting or stopping within the period).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    succeeds = f"({_GAP}) >= -{_IN_TRANSIT_DAYS}"
    set_up_meanwhile = (
        'CASE WHEN "first_day_l" <= "first_day_r" THEN "registered_day_r" > "first_day_l" '
        'ELSE "registered_day_l" > "first_day_r" END'
    )
    levels = [
        cll.NullLevel("first_day"),
        cll.CustomLevel(
            f"{succeeds} AND {set_up_meanwhile}",
            label_for_charts="set up while the other traded, started as it stopped",
        ).configure(m_probability=0.8, fix_m_probability=True),
        cll.CustomLevel(succeeds, label_for_charts="started as the other stopped").configure(
            m_probability=0.15, fix_m_probability=True
        ),
        cll.ElseLevel().configure(m_probability=0.05, fix_m_probability=True),
    ]
    return cl.CustomComparison(levels, output_column_name="succession")


#: EM training rules: pairs agreeing on both fields are mostly one firm
_TRAINING_PAIRS = (
    ("name_token", "rep_key"),
    ("name_token", "building"),
    ("phone", "name_token"),
)
#: the values pairs are compared within (a pair must share one of them)
_BLOCKS = ("name_sorted", "name_token", "building", "phone", "rep_key")
#: the field each comparison stands for in ``weights``
_WEIGHED = {"rep_key": "legal_rep"}
#: the field each compared column stands for in ``agreed``
_AGREED = {
    "building": "building",
    "phone": "phone",
    "rep_key": "legal_rep",
    "name": "name",
    "address": "address",
}


def same_firm_candidates(
    enterprises: pd.DataFrame,
    *,
    threshold: float = 0.9,
    max_block: int = 400,
    seed: int = 7,
    only: set[str] | None = None,
    model: dict | None = None,
    prepared: Prepared | None = None,
) -> SameFirmCandidates:
    """Pairs of enterprises that are probably one firm, from an unsupervised Fellegi-Sunter model.

    Parameters
    ----------
    enterprises : DataFrame
        ``id`` and any of ``name`` (normalised name), ``address`` (address key), ``phone`` (phone key),
        ``legal_rep`` (representative key), ``registered`` (date, not compared), ``first_seen`` and
        ``last_seen`` (dates of the first and last declaration: does one firm succeed the other?). Missing
        columns and values are allowed: a field nobody shares is left out of the model.
    threshold : float
        Keep pairs whose match probability is at least this.
    max_block : int
        Pairs are only compared within a shared representative, phone, building or name; a value held by
        more than this many enterprises (a business centre, a switchboard) opens no block of its own.
    seed : int
        Seed of the random sampling that estimates u (agreement among different firms).
    only : set of str, optional
        Only pairs with at least one of these enterprises (an incremental pass over new or changed firms);
        every enterprise still counts in the frequencies.
    model : dict, optional
        A model an earlier call returned (``SameFirmCandidates.model``): used as it is, without training,
        when it compares the same fields.
    prepared : Prepared, optional
        What an earlier call prepared (``SameFirmCandidates.prepared``): with ``only``, reused for the firms
        outside it.

    Returns
    -------
    SameFirmCandidates
        With ``message`` "nothing to link" when no identifying field is shared by two enterprises.
    """
    clock = time.perf_counter()
    frame, rep_keys, kept = _prepared(enterprises, prepared, only)
    forget_names()  # every firm's name and key, cached while preparing: not needed by splink
    blocks_on = [b for b in _BLOCKS if _shared(frame, b)]
    comparisons, fields = _comparisons(frame)
    if len(frame) < 2 or not blocks_on or not comparisons:
        return _empty("nothing to link: no name, address, phone or representative is shared by two enterprises")

    from splink import DuckDBAPI, Linker, SettingsCreator

    frame["touched"] = frame["id"].isin(only) if only is not None else True
    blocks = [_block(b, only is not None) for b in blocks_on]
    settings = SettingsCreator(
        link_type="dedupe_only",
        # Prior: about one enterprise in fifty has a second record; EM re-estimates it within each block.
        probability_two_random_records_match=min(0.5, 0.04 / max(len(frame) - 1, 1)),
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocks,
        retain_intermediate_calculation_columns=True,
    )
    trained = model is not None and _compares(model) == _compares(settings.create_settings_dict("duckdb"))
    if trained:
        settings = {**model, "blocking_rules_to_generate_predictions": blocks}
    # A trained model compares only pairs with a touched firm: those pairs' firms are all it needs, with the
    # frequencies of every firm's values.
    near_touched = trained and only is not None
    linked = _blocked(frame, blocks_on, max_block, near_touched)
    db = DuckDBAPI()
    linker = Linker(db.register(linked), settings, log_level=logging.ERROR)
    tf_columns = [c.unquote().name for c in linker._settings_obj._term_frequency_columns]
    for column in tf_columns:
        if column == "rep_key":
            lookup = key_frequency(rep_keys, linked["rep_key"])
            lookup = lookup.rename(columns={"key": "rep_key", "tf_key": "tf_rep_key"})
        elif near_touched:
            lookup = _frequency(frame[column], linked[column])
        else:
            continue
        linker.table_management.register_term_frequency_lookup(db.register(lookup), column)
    timings = {"prepare": time.perf_counter() - clock}

    lap = time.perf_counter()
    if not trained:
        _train(linker, frame, blocks_on, seed)
    timings["train"] = time.perf_counter() - lap

    lap = time.perf_counter()
    predicted = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    if "gamma_name" in predicted:
        # Firms that share every identifier under unrelated names (a shell ring's fronts) are linked
        # already through those identifiers; "the same firm" also needs the name, or most of it: the
        # same words in any order, or the distinctive word, the same or with a syllable added (level 0 is
        # "other"; -1, a missing name, cannot tell).
        predicted = predicted[predicted["gamma_name"] != 0]
    timings["predict"] = time.perf_counter() - lap
    if predicted.empty:
        result = _empty("no pair reached the threshold", fields)
    else:
        result = _candidates(predicted, _labels(linker))
    result.fields = fields
    result.model = linker.misc.save_model_to_json()
    result.prepared = kept
    result.timings = {k: round(v, 3) for k, v in timings.items()}
    result.seconds = round(time.perf_counter() - clock, 3)
    return result


def _blocked(frame: pd.DataFrame, blocks_on: list[str], max_block: int, near_touched: bool) -> pd.DataFrame:
    """The firms splink is given, with a ``block_`` column per blocking field: a value held by more than
    ``max_block`` firms opens no block (it still counts, weighed by its frequency). With ``near_touched``, only the
    touched firms and those sharing a block with one (what a block of untouched firms holds is never compared)."""
    touched = frame["touched"].to_numpy(dtype=bool) if near_touched else np.ones(len(frame), dtype=bool)
    near, opened = touched.copy(), {}
    for b in blocks_on:
        held = frame[b]
        holders = held.isin(held[touched].dropna().unique()).to_numpy()
        counts = held[holders].value_counts()
        opened[b] = counts.index[counts <= max_block]
        near |= holders & held.isin(opened[b]).to_numpy()
    linked = frame[near].reset_index(drop=True)
    for b in blocks_on:
        linked[f"block_{b}"] = linked[b].where(linked[b].isin(opened[b]), None)
    return linked


def _frequency(values: pd.Series, wanted: pd.Series) -> pd.DataFrame:
    """splink's term-frequency lookup of ``values`` (each value's share of the values present), for the values in
    ``wanted``."""
    name = str(values.name)
    share = values[values.isin(wanted.dropna().unique())].value_counts() / values.notna().sum()
    return pd.DataFrame({name: share.index.to_numpy(dtype=object), f"tf_{name}": share.to_numpy(dtype=float)})


def _block(column: str, touched_only: bool) -> dict:
    """Compare within one shared value; in an incremental pass, only pairs with a touched enterprise."""
    rule = f'l."block_{column}" = r."block_{column}"'
    return {
        "blocking_rule": rule + (' AND (l."touched" OR r."touched")' if touched_only else ""),
        "sql_dialect": "duckdb",
    }


def _compares(settings: dict) -> list[tuple]:
    """What a model compares: each comparison's column and its levels' conditions."""
    return [
        (c["output_column_name"], tuple(level["sql_condition"] for level in c["comparison_levels"]))
        for c in settings["comparisons"]
    ]


def _train(linker, frame: pd.DataFrame, blocks_on: list[str], seed: int) -> None:
    """u from random pairs; m by expectation maximisation on pairs that agree on two identifying fields, which
    are mostly one firm. Each rule trains the fields it does not block on; a rule no pair satisfies (minimal
    data) is skipped and those fields keep splink's starting values."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    # 1e7 pairs: fewer leave the rarest levels (a room near another in one building) without a u
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    for pair in _TRAINING_PAIRS:
        # A rule no pair satisfies is skipped before splink sees it: splink's EM session leaves the model
        # without the comparisons it deactivated when it fails, and a model without names links anything.
        if not set(pair) <= set(blocks_on) or not frame[list(pair)].dropna().duplicated().any():
            continue
        kept = linker._settings_obj.core_model_settings.copy()  # the whole model, should EM fail after all
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*pair), estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            linker._settings_obj.core_model_settings = kept


def _labels(linker) -> dict[str, dict[int, str]]:
    """Each comparison's levels by comparison vector value: what each kind of agreement is called."""
    return {
        _WEIGHED.get(c.output_column_name, c.output_column_name): {
            level.comparison_vector_value: level.label_for_charts for level in c.comparison_levels
        }
        for c in linker._settings_obj.comparisons
    }


def _candidates(predicted: pd.DataFrame, labels: dict[str, dict[int, str]]) -> SameFirmCandidates:
    """Predicted pairs as candidates (``a`` < ``b``), strongest first, with the fields that agreed."""
    columns = [c for c in _AGREED if f"{c}_l" in predicted]
    names = [_AGREED[c] for c in columns]
    agreed = [predicted[f"{c}_l"].notna() & (predicted[f"{c}_l"] == predicted[f"{c}_r"]) for c in columns]
    compared = [c.removeprefix("mw_") for c in predicted.columns if c.startswith("mw_") and "tf_adj" not in c]
    weights = pd.DataFrame(
        {
            _WEIGHED.get(f, f): predicted[f"mw_{f}"].astype(float)
            + (predicted[f"mw_tf_adj_{f}"].astype(float) if f"mw_tf_adj_{f}" in predicted else 0.0)
            for f in compared
        }
    ).round(3)
    pairs = pd.DataFrame(
        {
            "a": predicted[["id_l", "id_r"]].min(axis=1).astype(str),
            "b": predicted[["id_l", "id_r"]].max(axis=1).astype(str),
            "match_weight": predicted["match_weight"].astype(float),
            "match_probability": predicted["match_probability"].astype(float),
            "agreed": [
                ",".join(n for n, hit in zip(names, row, strict=True) if hit) for row in zip(*agreed, strict=True)
            ],
            "weights": [json.dumps(row) for row in weights.to_dict("records")],
            "levels": [json.dumps(row) for row in _levels(predicted, compared, labels)],
        }
    )
    pairs = pairs.sort_values(["match_weight", "a", "b"], ascending=[False, True, True], kind="stable")
    return SameFirmCandidates(pairs.reset_index(drop=True))


def _levels(predicted: pd.DataFrame, compared: list[str], labels: dict[str, dict[int, str]]) -> list[dict]:
    """Per pair, the level each comparison reached, by its label ("Exact match on phone", "one stopped before
    the other started")."""
    named = {_WEIGHED.get(f, f): predicted[f"gamma_{f}"].astype(int) for f in compared if f"gamma_{f}" in predicted}
    return [
        {field: labels[field].get(int(gamma), str(gamma)) for field, gamma in zip(named, row, strict=True)}
        for row in zip(*named.values(), strict=True)
    ]
