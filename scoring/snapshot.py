"""The scoring snapshot: model, feature state (history, peers, enterprises) and thresholds, in one folder.

Built from Neo4j by ``riskgraph model train`` (or ``riskgraph model snapshot`` after new data), loaded
into memory by the API and ``riskgraph score``: clearance never queries the graph. Layout under
``$RISKGRAPH_HOME/scoring/``: ``<version>/`` (the published model's files, ``state.pkl``, ``config.json``)
and ``latest``; the state carries the identifier index for links at lodging (``scoring.links``), brought up
to date on loading with the violators recorded since (``scoring.violator_journal``). Versions are written
through :class:`graph.home.VersionedStore` (staged, renamed, ``latest`` swapped atomically), so a running API
picks up a new version without ever reading half of one. ``state.pkl``
is a pickle of this project's own dataclass, written and read only under ``$RISKGRAPH_HOME``.

Thresholds come from inspection capacity: with ``physical`` = 3 % an office's "high" threshold is
the score its top 3 % of recent declarations reach (same for document checks below it), so the
channel shares match what the office can handle; an office with a capacity per day (``riskgraph capacity
set``) gets the share that capacity is of its mean day. The snapshot also keeps each office's recent score
distribution and mean volume per weekday, which the selection within capacity at lodging reads
(``scoring.capacity``).
"""

from __future__ import annotations

import json
import pickle
import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graph.errors import RiskGraphError
from graph.home import MODELS, SCORING_SNAPSHOTS, VersionedStore
from scoring.batch import prepare_columns
from scoring.capacity import office_history
from scoring.features import FeatureState, fit_state, prepare_frame, training_features
from scoring.inspection import Routing
from scoring.links import LinkIndex
from scoring.lookouts import read_lookouts
from scoring.operations import OperationBook
from scoring.published import PublishedModel
from scoring.rule_store import RuleStore
from scoring.rules import Rule, compile_rule
from scoring.scorer import RULE_FIELDS, Scorer, ScoringConfig, combine_many, rule_view
from scoring.targets import TargetModels
from scoring.violator_journal import ViolatorJournal
from scoring.watchlists import read_watchlists

if TYPE_CHECKING:
    from analysis.run import AnalysisRun
    from scoring.history import OpenEngine

__all__ = [
    "SnapshotError",
    "build_snapshot",
    "final_scores",
    "thresholds_from_capacity",
    "save_snapshot",
    "load_scorer",
    "latest_version",
    "refresh_analysis",
]

RECENT_DAYS = 90
MIN_OFFICE_ROWS = 200


class SnapshotError(RiskGraphError, RuntimeError):
    """No scoring snapshot yet, or it cannot be read."""

    status, code = 503, "no_snapshot"


def final_scores(
    frame: pd.DataFrame,
    probabilities: np.ndarray,
    rules: list[Rule],
    state: FeatureState,
    network_weight: float,
    targets: dict[str, np.ndarray] | None = None,
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """Final 0-100 scores of prepared graph declarations, given their model probabilities; network risk is
    the frame's ``risk`` column (in validation, as the analysis saw it before the window).

    With ``targets`` (target -> its probabilities) also each target's score from its probability, its
    rules and the same network risk: ``(scores, {target: scores})``. Column by column, as a scored file is
    (:func:`scoring.batch.prepare_columns`, :func:`scoring.scorer.combine_many`): row by row, the validation
    window and the recent rows took 15 s of a 1M-declaration training, a dict per row.
    """
    risk = (
        pd.to_numeric(frame["risk"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        if "risk" in frame
        else np.zeros(len(frame))
    )
    hits = _rule_hits(frame, risk, rules, state)
    out = np.array(combine_many(probabilities, [[r.weight for r in h] for h in hits], risk, network_weight))
    if targets is None:
        return out
    return out, {
        t: np.array(combine_many(p, [[r.weight for r in h if r.target == t] for h in hits], risk, network_weight))
        for t, p in targets.items()
    }


def _rule_hits(frame: pd.DataFrame, risk: np.ndarray, rules: list[Rule], state: FeatureState) -> list[list[Rule]]:
    """The enabled rules each row hits, in order, the rules reading ``risk`` as the network risk."""
    compiled = [(r, compile_rule(r)) for r in rules if r.enabled]
    if not compiled:
        return [[]] * len(frame)
    cols = prepare_columns(frame, state)
    cols["network_risk"] = risk.tolist()
    rows = zip(*(cols[k] for k in RULE_FIELDS), strict=True)
    views = (rule_view(dict(zip(RULE_FIELDS, row, strict=True))) for row in rows)
    return [[r for r, matches in compiled if matches(view)] for view in views]


def thresholds_from_capacity(
    scores: np.ndarray, offices: pd.Series, physical: float, document: float, capacity: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """Per office (and ``"*"`` overall): (medium from, high from) so the top shares fit its capacity."""

    def cut(values: np.ndarray, phys: float) -> tuple[float, float]:
        high = float(np.quantile(values, 1 - phys))
        medium = float(np.quantile(values, max(0.0, 1 - phys - document)))
        return round(min(medium, high), 2), round(high, 2)

    out = {"*": cut(scores, physical)}
    for office, values in pd.Series(scores).groupby(offices.to_numpy()):
        if len(values) >= MIN_OFFICE_ROWS or office in capacity:
            out[str(office)] = cut(values.to_numpy(), capacity.get(str(office), physical))
    return out


def build_snapshot(
    declarations: pd.DataFrame,
    enterprises: pd.DataFrame,
    model: PublishedModel,
    spec: dict,
    rules: list[Rule],
    *,
    physical: float = 0.03,
    document: float = 0.10,
    random_share: float = 0.01,
    network_weight: float = 0.3,
    capacity: dict[str, int] | None = None,
    links: LinkIndex | None = None,
    engine: OpenEngine | None = None,
) -> tuple[FeatureState, ScoringConfig]:
    """Feature state over all history and thresholds set from the last ``RECENT_DAYS`` of declarations.

    ``links`` (the identifier index) travels in the state; thresholds are set without it, from the
    declarations of importers the analysis knew, whose identifiers are already in their analysed risk.
    ``capacity``: physical inspections a day per office (``scoring.capacity.CapacityTable``). ``engine``
    opens the engine that counts the history features over the columnar copy ``declarations`` were read from (else
    DuckDB counts over them).
    """
    frame = prepare_frame(declarations, enterprises)
    state = fit_state(frame)
    state.links = links
    state.vocab, state.extra_numeric, state.extra_categorical = (
        spec["vocab"],
        spec["extra_numeric"],
        spec["extra_categorical"],
    )
    state.base_rate = spec["base_rate"]
    recent = frame["date"] >= frame["date"].max() - pd.Timedelta(days=RECENT_DAYS)
    features = training_features(frame, state, engine, rows=recent)
    probabilities = model.predict(features.to_numpy(dtype=float))
    scores = final_scores(frame[recent], probabilities, rules, state, network_weight)
    offices = frame.loc[recent, "office"].fillna("")
    grid, volumes = office_history(scores, offices, frame.loc[recent, "date"], MIN_OFFICE_ROWS)
    shares = {}
    for office, per_day in (capacity or {}).items():
        mean_day = sum(volumes.get(office, ())) / 7
        shares[office] = min(1.0, per_day / mean_day) if mean_day else physical
    config = ScoringConfig(
        thresholds=thresholds_from_capacity(scores, offices, physical, document, shares),
        random_share=random_share,
        network_weight=network_weight,
        salt=secrets.token_hex(8),
        capacity={"physical": physical, "document": document, "offices": shares},
        new_firm_rate=spec.get("metrics", {}).get("representative", {}).get("new_firms", {}).get("representative_rate"),
        score_grid=grid,
        volumes=volumes,
    )
    return state, config


def _store(home: Path, keep: int = 3) -> VersionedStore:
    return VersionedStore(home, SCORING_SNAPSHOTS, keep)


def _root(home: Path) -> Path:
    return _store(home).root


def save_snapshot(
    home: Path,
    model_version: str,
    state: FeatureState,
    config: ScoringConfig,
    keep: int = 3,
    *,
    analysis: str | None = None,
) -> str:
    """Write a new snapshot version and point ``latest`` at it; returns the version. ``analysis`` names the
    analysis snapshot whose figures the enterprises carry (the run the graph showed when they were read)."""
    with _store(home, keep).stage() as (version, staging):
        PublishedModel.copy_files(VersionedStore(home, MODELS).folder(model_version), staging)
        with (staging / "state.pkl").open("wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "version": version,
            "model_version": model_version,
            "built_at": datetime.now(UTC).isoformat(),
            "analysis": analysis,
        }
        (staging / "config.json").write_text(json.dumps({**asdict(config), **meta}, indent=1))
    return version


def refresh_analysis(home: Path, run: AnalysisRun, keep: int = 3) -> str | None:
    """A new version of the latest scoring snapshot carrying the analysis ``run`` published (``riskgraph
    analyze``): the risk, community and network of the importers, and the networks' kinds and scores; the model,
    history and thresholds are the latest's. Returns the version, or None when there is no scoring snapshot yet.

    Only the firms the run changed are updated when the snapshot carries the analysis the run started from (the
    others' figures are that analysis's, and so the run's); otherwise every firm is (an ``analyze`` killed
    before its refresh left an older analysis in the snapshot, or the snapshot predates the marker).

    A running API follows it within a second (:class:`scoring.live.LiveScorer`), without a restart.
    """
    version = latest_version(home)
    if version is None:
        return None
    folder = _root(home) / version
    config = json.loads((folder / "config.json").read_text())
    with (folder / "state.pkl").open("rb") as f:
        state: FeatureState = pickle.load(f)
    carried = config.get("analysis")
    enterprises = run.changed if carried is not None and carried == run.based_on else run.table
    table = enterprises.drop_duplicates("id").set_index(enterprises["id"].drop_duplicates().astype(str))
    analysed = ("community", "community_size", "degree", "pagerank", "risk")
    for eid, values in table[[c for c in analysed if c in table]].to_dict("index").items():
        if eid in state.enterprises:
            state.enterprises[eid].update({k: (None if pd.isna(v) else v) for k, v in values.items()})
    if state.links is not None:
        state.links.refresh_analysis(table, [(n["id"], n["kind"], n["score"]) for n in run.networks])
    with _store(home, keep).stage() as (new_version, staging):
        PublishedModel.copy_files(folder, staging)
        with (staging / "state.pkl").open("wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {"version": new_version, "built_at": datetime.now(UTC).isoformat(), "analysis": run.snapshot.name}
        (staging / "config.json").write_text(json.dumps({**config, **meta}, indent=1))
    return new_version


def latest_version(home: Path) -> str | None:
    return _store(home).latest()


def load_scorer(home: Path, version: str | None = None) -> tuple[Scorer, dict]:
    """A scorer from the latest (or named) snapshot and the current rules, with the snapshot's metadata."""
    version = version or latest_version(home)
    if version is None:
        raise SnapshotError(f"no scoring snapshot under {_root(home)}: run `riskgraph model train` first")
    folder = _root(home) / version
    try:
        config = json.loads((folder / "config.json").read_text())
        with (folder / "state.pkl").open("rb") as f:
            state = pickle.load(f)
        model = PublishedModel.load(folder)
    except FileNotFoundError:
        raise SnapshotError(f"scoring snapshot {version} is incomplete or was removed; build a new one") from None
    meta = {k: config.pop(k) for k in ("version", "model_version", "built_at")}
    meta["analysis"] = config.pop("analysis", None)  # None in snapshots written before it was kept
    config["thresholds"] = {k: tuple(v) for k, v in config["thresholds"].items()}
    store = RuleStore(home)
    scorer = Scorer(
        model, state, ScoringConfig(**config), store.current(include_disabled=False), TargetModels.load(folder)
    )
    scorer.set_new_firm_policies(store.policies())
    if state.links is not None:  # violators recorded since this snapshot read the graph
        scorer.journal_offset = ViolatorJournal(home).apply(state.links)
    scorer.set_lookouts(read_lookouts(home))
    scorer.set_watchlists(read_watchlists(home))
    scorer.set_operations(OperationBook.of(home))
    scorer.set_routing(Routing(RuleStore(home).routes()))
    return scorer, meta
