"""Dynamic focus over the whole flow: what rose recently, by commodity, origin, route, port, office and broker.

After each analysis the declarations of the last ``recent_days`` (up to the latest declaration) are compared,
per value of each dimension, with the ``history_days`` before them, on two counts:

- **volume**: declarations. The history's daily rate is uncertain when it rests on few declarations (or none, a
  new route), so the recent count is tested against the gamma-Poisson (negative binomial) predictive of the
  history: Gamma(history + 1/2, history days) for the rate (Jeffreys prior), whose tail P(X >= k) is the regularised
  incomplete beta function I_{1-p}(k, r) (``scipy.special.betainc``).
- **hit rate**: violations among inspections. The recent hits are tested against the beta-binomial predictive
  of the history's hit rate, Beta(history hits + a, history misses + b), the prior (a, b) worth two inspections
  at the flow's overall hit rate (:func:`beta_binomial_tail`): three hits in three inspections of a value with no
  history is not yet evidence.

Both from ``scipy.special``, not ``scipy.stats``: importing that costs every ``riskgraph analyze`` 0.4 s.

A value is warned about when its upper-tail probability is below ``alpha`` divided by the number of tests run
(Bonferroni: hundreds of values are tested each time, and a quiet flow must stay quiet), with a minimum effect
(twice the history's rate and at least ``min_count`` declarations; hit rate ten points above the history's and at
least three hits). Each warning carries its evidence and a drafted special operation on that value, which an
analyst submits for approval in one step. The SQL is DuckDB's, over the columnar copy (``columnar``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, gammaln

from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore

__all__ = [
    "DIMENSIONS",
    "beta_binomial_tail",
    "TrendSettings",
    "detect_trends",
    "store_warnings",
    "read_warnings",
    "watch_flow",
    "WARNINGS",
]

#: dimension -> (SQL expression over the declarations, the columns it needs, the operation scope field it drafts)
DIMENSIONS = {
    "chapter": ("substr(hs_code, 1, 2)", ("hs_code",), "hs_prefix"),
    "heading": ("substr(hs_code, 1, 4)", ("hs_code",), "hs_prefix"),
    "origin": ("origin", ("origin",), "origin"),
    "route": ("route", ("route",), "route"),
    "port": ("substr(route, 1, 5)", ("route",), "port"),  # the loading port (UN/LOCODE) of the route
    "office": ("office", ("office",), "offices"),
    "broker": ("declarant_id", ("declarant_id",), None),  # no scope condition names a broker: an audit lead
}
WARNINGS = Path("trends") / "warnings.json"

_COUNTS = """
SELECT {expr} AS value,
  sum(CASE WHEN date >= $recent_from THEN 1 ELSE 0 END) AS recent,
  sum(CASE WHEN date >= $recent_from AND inspected = 1 THEN 1 ELSE 0 END) AS recent_inspected,
  sum(CASE WHEN date >= $recent_from AND inspected = 1 AND violation = 1 THEN 1 ELSE 0 END) AS recent_hits,
  sum(CASE WHEN date < $recent_from THEN 1 ELSE 0 END) AS history,
  sum(CASE WHEN date < $recent_from AND inspected = 1 THEN 1 ELSE 0 END) AS history_inspected,
  sum(CASE WHEN date < $recent_from AND inspected = 1 AND violation = 1 THEN 1 ELSE 0 END) AS history_hits
FROM declarations
WHERE date >= $history_from AND date <= $as_of AND {expr} IS NOT NULL
GROUP BY 1
"""
_SPAN = "SELECT min(date) AS first, max(date) AS latest FROM declarations"


@dataclass(frozen=True)
class TrendSettings:
    recent_days: int = 14
    history_days: int = 180
    alpha: float = 0.01
    min_count: int = 10


def _counts(engine, dimension: str, as_of: date, cfg: TrendSettings) -> pd.DataFrame:
    """Per value of ``dimension``: declarations, inspections and hits, recent and before."""
    expr = DIMENSIONS[dimension][0]
    recent_from = as_of - timedelta(days=cfg.recent_days - 1)
    history_from = recent_from - timedelta(days=cfg.history_days)
    params = {"as_of": as_of, "recent_from": recent_from, "history_from": history_from}
    frame = engine.frame(_COUNTS.format(expr=expr), params)
    frame["dimension"] = dimension
    return frame


def _tests(frame: pd.DataFrame, cfg: TrendSettings, overall_rate: float) -> pd.DataFrame:
    """Each value's upper-tail probabilities for its recent volume and hit rate (1.0 where not testable)."""
    frame = frame.astype({c: float for c in frame.columns if c not in ("value", "dimension")})
    r = frame["history"] + 0.5
    p = cfg.history_days / (cfg.history_days + cfg.recent_days)
    frame["volume_p"] = betainc(frame["recent"], r, 1 - p)  # P(recent or more): nbinom.sf(recent - 1, r, p)
    a0, b0 = 2 * overall_rate, 2 * (1 - overall_rate)
    a = frame["history_hits"] + a0
    b = frame["history_inspected"] - frame["history_hits"] + b0
    n = frame["recent_inspected"].clip(lower=1)
    frame["hit_p"] = beta_binomial_tail(frame["recent_hits"].to_numpy(), n.to_numpy(), a.to_numpy(), b.to_numpy())
    frame.loc[frame["recent_inspected"] == 0, "hit_p"] = 1.0
    return frame


def beta_binomial_tail(k: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ BetaBinomial(n, a, b), ``scipy.stats.betabinom.sf(k - 1, n, a, b)``: the probabilities of k to
    n summed, n being a count of recent inspections; NaN where ``a`` or ``b`` is not positive.

    >>> [round(float(x), 6) for x in beta_binomial_tail([0, 2, 3, 4], [3, 3, 3, 3], [1, 1, 1, 1], [1, 1, 1, 1])]
    [1.0, 0.5, 0.25, 0.0]
    """
    k, n, a, b = (np.asarray(v, dtype=float) for v in (k, n, a, b))
    first, last = np.clip(k, 0, None).astype(np.int64), n.astype(np.int64)
    terms = np.maximum(last - first + 1, 0)
    row = np.repeat(np.arange(len(k)), terms)
    j = first[row] + np.arange(terms.sum()) - np.repeat(np.cumsum(terms) - terms, terms)
    m = last[row]
    with np.errstate(invalid="ignore", divide="ignore"):
        log_pmf = gammaln(m + 1) - gammaln(j + 1) - gammaln(m - j + 1)
        log_pmf += betaln(j + a[row], m - j + b[row]) - betaln(a[row], b[row])
        tail = np.minimum(np.bincount(row, weights=np.exp(log_pmf), minlength=len(k)), 1.0)
    return np.where((a > 0) & (b > 0), np.where(k <= 0, 1.0, tail), np.nan)


def _draft(dimension: str, value: str, target: str, as_of: date, owner: str | None) -> dict | None:
    field = DIMENSIONS[dimension][2]
    if field is None:
        return None
    draft = {
        "name": f"Focus on {dimension} {value}"[:200],
        "target": target,
        "owner": owner,
        "start": date.today().isoformat(),
        "end": (date.today() + timedelta(days=90)).isoformat(),
        "inspection_rate": 0.3,
        "description": f"drafted from the trend warning on {dimension} {value} as of {as_of}",
    }
    if field == "offices":
        return {**draft, "offices": [value], "scope": {"value_min": 0}}
    return {**draft, "scope": {field: [value]}}


def _warning(row, kind: str, as_of: date, cfg: TrendSettings, target: str, owner: str | None) -> dict:
    evidence = {k: int(row[k]) for k in ("recent", "recent_inspected", "recent_hits", "history")}
    evidence.update(
        history_inspected=int(row["history_inspected"]),
        history_hits=int(row["history_hits"]),
        recent_days=cfg.recent_days,
        history_days=cfg.history_days,
        p_value=float(row[f"{kind}_p"]),
    )
    if kind == "volume":
        expected = row["history"] * cfg.recent_days / cfg.history_days
        what = f"{int(row['recent'])} declarations in {cfg.recent_days} days against {expected:.1f} expected"
    else:
        before = row["history_hits"] / row["history_inspected"] if row["history_inspected"] else None
        was = f"{before:.0%} before" if before is not None else "no inspection before"
        what = f"{int(row['recent_hits'])} hits in {int(row['recent_inspected'])} inspections ({was})"
    key = f"{row['dimension']}|{row['value']}|{kind}"  # one warning per value and kind: raised once, kept
    return {
        "id": "TW-" + hashlib.blake2b(key.encode(), digest_size=5).hexdigest(),
        "as_of": as_of.isoformat(),
        "dimension": row["dimension"],
        "value": str(row["value"]),
        "kind": kind,
        "detail": f"{row['dimension']} {row['value']}: {what} (p = {row[f'{kind}_p']:.1e})",
        "evidence": evidence,
        "draft_operation": _draft(row["dimension"], str(row["value"]), target, as_of, owner),
        "raised_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def detect_trends(
    engine,
    as_of: date | None = None,
    cfg: TrendSettings = TrendSettings(),
    target: str = "tax",
    owner: str | None = None,
) -> list[dict]:
    """The warnings as of ``as_of`` (default: the latest declaration) over the declarations ``engine`` reads
    (``columnar.engines``); the dimensions whose columns are absent are left out. ``target`` and ``owner`` go
    into the drafted operations (the analyst submitting one acts for its own sub-centre)."""
    present = set(engine.columns())
    span = engine.frame(_SPAN).iloc[0]
    if span["latest"] is None or span["latest"] != span["latest"]:
        return []
    as_of = as_of or pd.Timestamp(span["latest"]).date()
    # the history the data has (a young store has less): too little to compare with is no warning
    covered = (as_of - timedelta(days=cfg.recent_days - 1) - pd.Timestamp(span["first"]).date()).days
    if covered < 2 * cfg.recent_days:
        return []
    cfg = TrendSettings(cfg.recent_days, min(cfg.history_days, covered), cfg.alpha, cfg.min_count)
    frames = [_counts(engine, name, as_of, cfg) for name, (_, needs, _) in DIMENSIONS.items() if set(needs) <= present]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frame.empty:
        return []
    inspected = frame.loc[frame["dimension"] == frames[0]["dimension"].iloc[0], "history_inspected"].sum()
    hits = frame.loc[frame["dimension"] == frames[0]["dimension"].iloc[0], "history_hits"].sum()
    frame = _tests(frame, cfg, float(hits / inspected) if inspected else 0.05)
    bar = cfg.alpha / (2 * len(frame))
    rose = frame["recent"] * cfg.history_days >= 2 * cfg.recent_days * frame["history"]
    volume = frame[(frame["volume_p"] < bar) & rose & (frame["recent"] >= cfg.min_count)]
    before = (frame["history_hits"] / frame["history_inspected"].where(frame["history_inspected"] > 0)).fillna(0)
    now = frame["recent_hits"] / frame["recent_inspected"].clip(lower=1)
    hit = frame[(frame["hit_p"] < bar) & (now >= before + 0.1) & (frame["recent_hits"] >= 3)]
    warnings = [_warning(row, "volume", as_of, cfg, target, owner) for _, row in volume.iterrows()]
    warnings += [_warning(row, "hit", as_of, cfg, target, owner) for _, row in hit.iterrows()]
    return sorted(warnings, key=lambda w: w["evidence"]["p_value"])


def read_warnings(home: Path) -> list[dict]:
    """Every warning raised so far, newest detection first."""
    try:
        return json.loads((Path(home) / WARNINGS).read_text())["warnings"]
    except FileNotFoundError:
        return []


def store_warnings(home: Path, warnings: list[dict]) -> list[dict]:
    """Add the warnings not raised before (by id) to ``trends/warnings.json``; returns the new ones."""
    path = Path(home) / WARNINGS
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = read_warnings(home)
    known = {w["id"] for w in kept}
    fresh = [w for w in warnings if w["id"] not in known]
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps({"warnings": fresh + kept}, indent=1))
    os.replace(staging, path)
    return fresh


def watch_flow(home: Path, as_of: date | None = None) -> list[dict]:
    """Detect over the home's columnar copy (after an analysis, which has checked it against the graph) and keep
    the new warnings; returns them."""
    store = DeclarationStore(home)
    if not store.declaration_files():
        return []
    with DuckDBDeclarations(store) as engine:
        found = detect_trends(engine, as_of)
    return store_warnings(home, found)
