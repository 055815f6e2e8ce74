"""A second administration's year: its own columns, office codes, currency and codes, a fraud flag only.

``riskgraph generate --profile minimal`` writes what another customs administration would bring:

* ``declarations.csv`` - the labelled year, in the administration's own column names: numeric
  office codes (``10`` ... ``63``), values in Tanzanian shillings (``TZS``, a currency without a
  built-in rate), numeric transport-mode codes, dates written ``2025/07/10`` or ``20250723``, HS
  codes that lost their leading zero, and ``FRAUD`` (0/1) as the only outcome - no names,
  addresses, phones, ports, sellers, categories or registration dates;
* ``new.csv`` - next month's declarations, the same columns without ``FRAUD``;
* ``mapping.yaml`` - the one mapping for both files, translating two of the four mode codes;
* ``offices.csv`` - the administration's hierarchy (for ``riskgraph offices load``);
* ``truth/`` - the planted propensities and the deliberately bad rows.

Risk lives in who lodges: each importer and each declarant (broker) has a persistent propensity to
fraud, a few of them high, and a fraudulent declaration is undervalued (its value per kg well below
its goods' usual price). A handful of rows are truly bad (no importer, a value that is not a number,
an impossible date) and must be the only ones quarantined.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate_minimal", "MINIMAL_COLUMNS"]

YEAR = 2025
CURRENCY = "TZS"
_TZS_PER_USD = 2500.0
#: the administration's own columns -> canonical field (written to mapping.yaml)
MINIMAL_COLUMNS = {
    "ENTRY_NO": "declaration_id",
    "ENTRY_DATE": "date",
    "STATION": "office",
    "MODE": "transport_mode",
    "TRADER_TIN": "importer_id",
    "AGENT_TIN": "declarant_id",
    "TARIFF": "hs_code",
    "ORIGIN": "origin_country",
    "NET_KG": "net_mass",
    "CIF_TZS": "value",
    "FRAUD": "violation",
}
#: station code, name, kind, parent (a region's code or the head office)
OFFICES = (
    ("1", "Revenue Authority Customs Head Office", "department", ""),
    ("2", "Coast Region", "sub-centre", "1"),
    ("3", "Inland Region", "sub-centre", "1"),
    ("10", "Dar es Salaam Port", "district", "2"),
    ("11", "Tanga Port", "district", "2"),
    ("12", "Mtwara Port", "district", "2"),
    ("30", "Julius Nyerere Airport", "district", "2"),
    ("40", "Namanga Border", "district", "3"),
    ("41", "Tunduma Border", "district", "3"),
    ("42", "Holili Border", "district", "3"),
    ("63", "Kilimanjaro Airport", "district", "3"),
)
_STATIONS = {"10": ("10", 0.45), "11": ("10", 0.08), "12": ("10", 0.04), "30": ("40", 0.12),
             "40": ("30", 0.1), "41": ("30", 0.1), "42": ("30", 0.06), "63": ("40", 0.05)}  # fmt: skip
#: MODE codes: 10 sea, 20 rail, 30 road, 40 air; the mapping translates 10 and 40 only
_MODE_NAMES = {"10": "sea", "40": "air"}
#: HS code, usual USD per kg (some codes start with 0, as spreadsheets lose)
_GOODS = (
    ("0901210000", 6.0), ("0402210000", 3.5), ("1006300000", 0.6), ("1511900000", 1.1), ("2523290000", 0.08),
    ("3004900000", 40.0), ("3923300000", 2.2), ("6403990000", 18.0), ("7208510000", 0.7), ("8471300000", 250.0),
    ("8517130000", 300.0), ("8703230000", 9.0), ("8708990000", 12.0), ("0303890000", 1.8), ("6109100000", 11.0),
)  # fmt: skip
_ORIGINS = ("CN", "IN", "AE", "ZA", "KE", "JP", "DE", "TR")
_BAD = ("missing importer", "non-numeric value", "impossible date")


def _propensities(rng: np.random.Generator, n: int, risky_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Persistent fraud propensity per party: most low, ``risky_share`` of them high."""
    risky = rng.random(n) < risky_share
    p = np.where(risky, rng.uniform(0.35, 0.7, n), rng.uniform(0.0, 0.04, n))
    return p, risky


def _dates(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Dates as this administration writes them: 2025/07/10 mostly, 20250723 sometimes."""
    when = pd.Timestamp(f"{YEAR}-01-01") + pd.to_timedelta(day, unit="D")
    slash, compact = when.strftime("%Y/%m/%d"), when.strftime("%Y%m%d")
    return np.where(rng.random(len(day)) < 0.8, slash, compact).astype(object)


def _rows(rng: np.random.Generator, n: int, first_day: int, days: int, world: dict, seq0: int) -> pd.DataFrame:
    imp = rng.choice(len(world["importers"]), n, p=world["importer_weight"])
    agent = world["agent_of"][imp].copy()
    switch = rng.random(n) < 0.15  # importers mostly stay with one agent
    agent[switch] = rng.integers(0, len(world["agents"]), int(switch.sum()))
    goods = rng.integers(0, len(_GOODS), n)
    hs = np.array([g[0] for g in _GOODS], dtype=object)[goods]
    price = np.array([g[1] for g in _GOODS])[goods] * rng.lognormal(0.0, 0.25, n)
    mass = np.round(rng.lognormal(7.0, 1.2, n), 1)
    p_fraud = 1 - (1 - world["p_importer"][imp]) * (1 - world["p_agent"][agent])
    fraud = (rng.random(n) < p_fraud).astype(int)
    undervalue = np.where(fraud == 1, rng.uniform(0.25, 0.55, n), 1.0)
    value = np.round(mass * price * undervalue * _TZS_PER_USD, 0)
    stations = list(_STATIONS)
    weights = np.array([w for _, w in _STATIONS.values()])
    station = rng.choice(stations, n, p=weights / weights.sum())
    mode = np.array([_STATIONS[s][0] for s in station], dtype=object)
    mode[(mode == "30") & (rng.random(n) < 0.2)] = "20"
    hs_written = hs.copy()
    lost = np.char.startswith(hs.astype(str), "0") & (rng.random(n) < 0.6)
    hs_written[lost] = [h[1:] for h in hs[lost]]
    day = np.sort(rng.integers(first_day, first_day + days, n))
    return pd.DataFrame(
        {
            "ENTRY_NO": [f"TZ{YEAR}{seq0 + i:07d}" for i in range(n)],
            "ENTRY_DATE": _dates(rng, day),
            "STATION": station,
            "MODE": mode,
            "TRADER_TIN": np.array(world["importers"], dtype=object)[imp],
            "AGENT_TIN": np.array(world["agents"], dtype=object)[agent],
            "TARIFF": hs_written,
            "ORIGIN": rng.choice(_ORIGINS, n),
            "NET_KG": mass,
            "CIF_TZS": value.astype(np.int64).astype(str),
            "FRAUD": fraud,
        }
    )


def _break_rows(rng: np.random.Generator, frame: pd.DataFrame, count: int) -> list[dict]:
    rows = rng.choice(len(frame), count, replace=False)
    broken = []
    for i, row in enumerate(sorted(rows.tolist())):
        kind = _BAD[i % len(_BAD)]
        if kind == "missing importer":
            frame.loc[row, "TRADER_TIN"] = ""
        elif kind == "non-numeric value":
            frame.loc[row, "CIF_TZS"] = "see invoice"
        else:
            frame.loc[row, "ENTRY_DATE"] = f"{YEAR}/02/30"
        broken.append({"declaration_id": frame.loc[row, "ENTRY_NO"], "row": row + 1, "reason": kind})
    return broken


def _mapping() -> dict:
    return {
        "fields": {canon: column for column, canon in MINIMAL_COLUMNS.items()},
        "constants": {"currency": CURRENCY, "direction": "I"},
        "values": {"transport_mode": dict(_MODE_NAMES)},
    }


def generate_minimal(out_dir: Path, declarations: int, seed: int) -> dict:
    """Write another administration's labelled year, next month's declarations, its mapping and offices.

    Parameters
    ----------
    out_dir : folder to write into (truth under ``out_dir/truth/``).
    declarations : rows of the labelled year (deliberately bad rows included); ``new.csv`` holds a tenth as many.
    seed : the same seed gives the same files.

    Returns
    -------
    The summary also written to ``truth/summary.json``.
    """
    if declarations < 200:
        raise ValueError("declarations must be at least 200")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    n_imp, n_agent = max(40, declarations // 12), max(10, declarations // 150)
    p_imp, risky_imp = _propensities(rng, n_imp, 0.08)
    p_agent, risky_agent = _propensities(rng, n_agent, 0.1)
    p_agent *= 0.6
    world = {
        "importers": [f"1{int(x):08d}" for x in rng.choice(10**8, n_imp, replace=False)],
        "agents": [f"5{int(x):08d}" for x in rng.choice(10**8, n_agent, replace=False)],
        "importer_weight": (w := rng.pareto(1.5, n_imp) + 1) / w.sum(),
        "agent_of": rng.integers(0, n_agent, n_imp),
        "p_importer": p_imp,
        "p_agent": p_agent,
    }
    year = _rows(rng, declarations, 0, 365, world, 1)
    bad = _break_rows(rng, year, max(3, declarations // 500))
    new = _rows(rng, max(50, declarations // 10), 365, 31, world, declarations + 1).drop(columns="FRAUD")
    truth_fraud = year["FRAUD"].to_numpy()

    out_dir.mkdir(parents=True, exist_ok=True)
    year.to_csv(out_dir / "declarations.csv", index=False, lineterminator="\n")
    new.to_csv(out_dir / "new.csv", index=False, lineterminator="\n")
    (out_dir / "mapping.yaml").write_text(_yaml(_mapping()))
    offices = pd.DataFrame(OFFICES, columns=["code", "name", "kind", "parent"])
    offices.to_csv(out_dir / "offices.csv", index=False, lineterminator="\n")

    tdir = out_dir / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    parties = pd.DataFrame(
        {
            "party_id": world["importers"] + world["agents"],
            "role": ["importer"] * n_imp + ["declarant"] * n_agent,
            "propensity": np.round(np.concatenate([p_imp, p_agent]), 4),
            "risky": np.concatenate([risky_imp, risky_agent]).astype(int),
        }
    )
    parties.to_csv(tdir / "parties.csv", index=False, lineterminator="\n")
    pd.DataFrame(bad).to_csv(tdir / "bad_rows.csv", index=False, lineterminator="\n")
    summary = {
        "profile": "minimal",
        "seed": seed,
        "year": YEAR,
        "currency": CURRENCY,
        "declarations": int(len(year)),
        "new_declarations": int(len(new)),
        "files": {"declarations.csv": int(len(year)), "new.csv": int(len(new))},
        "importers": n_imp,
        "declarants": n_agent,
        "risky_importers": int(risky_imp.sum()),
        "risky_declarants": int(risky_agent.sum()),
        "frauds": int(truth_fraud.sum()),
        "bad_rows": len(bad),
        "offices": [o[0] for o in OFFICES],
    }
    (tdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _yaml(doc: dict) -> str:
    import yaml

    return "# the one mapping for the labelled year and for new declarations\n" + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True
    )
