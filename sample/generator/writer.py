"""Putting the year together and writing it: quarterly declaration files plus ground truth under truth/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.fields import CANONICAL_FIELDS

from .actors import CATEGORIES, build_actors, registered_iso
from .flows import DAYS, Context, concat, honest_rows, take, to_currency
from .identifiers import digits
from .outcomes import label_outcomes
from .phoenix import (
    add_namesakes_next_door,
    add_phoenix_firms,
    add_resolution_lookalikes,
    phoenix_count,
    vary_phoenix_firms,
)
from .schemes import SCHEMES, SPLIT_THRESHOLD_USD, Truth, plant_dual_use, plant_lookalikes, plant_schemes
from .world import OFFICES, PRODUCTS, YEAR

__all__ = ["generate"]

_BAD_KINDS = (
    ("missing importer_id", "importer_id"),
    ("non-numeric value", "value"),
    ("unparseable date", "date"),
    ("duplicate declaration_id", "declaration_id"),
    ("missing hs_code", "hs_code"),
    ("invalid hs_code", "hs_code"),
)
_BAD_VALUES = ("N/A", "12,5OO.00", "USD 4 200", "see invoice")
_BAD_DATES = ("2025-02-30", "31.13.2025", "TBD", "2025-14-03")
_BAD_HS = ("84713O0000", "HS8517", "9999")


def generate(out_dir: Path, declarations: int, seed: int) -> dict:
    """Write a synthetic year of import declarations (canonical columns) and its ground truth.

    Parameters
    ----------
    out_dir : directory to write into; declaration files go in it, ground truth in ``out_dir/truth/``.
    declarations : number of declaration rows written, deliberately bad rows included.
    seed : the same seed gives byte-identical files.

    Returns
    -------
    The summary also written to ``truth/summary.json`` (counts per file, scheme, look-alike, bad-row reason).
    """
    if declarations < 500:
        raise ValueError("declarations must be at least 500 to hold the planted schemes")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    actors, attrs = build_actors(rng, declarations)
    ctx = Context.create(rng, actors, attrs)
    truth = Truth()
    look = plant_lookalikes(ctx, declarations, truth)
    honest_firms = np.flatnonzero(np.isin(np.array(actors.ent_kind), ["honest", "lookalike"]))
    for kind, f in add_resolution_lookalikes(rng, actors, honest_firms):
        truth.lookalikes.append((kind, actors.ent_id[f], actors.ent_name[f][0]))
    planted = plant_schemes(ctx, declarations, truth)
    n_planted = sum(len(b["firm"]) for b in planted)
    if n_planted > declarations // 4:
        raise ValueError("too few declarations for the planted schemes")

    kinds = np.array(actors.ent_kind)
    trading = np.flatnonzero(np.isin(kinds, ["honest", "lookalike"]))
    weights = np.ones(len(actors.ent_id))
    weights[: len(attrs["activity"])] = attrs["activity"]
    weights[look["large"]] = weights[trading].sum() * 0.015 / max(len(look["large"]), 1)
    honest = honest_rows(ctx, declarations - n_planted, trading, weights[trading], look["large"])
    batch = concat([*planted, honest])
    order = np.lexsort((rng.random(declarations), batch["day"]))
    batch = take(batch, order)
    phoenix = _plant_phoenix(rng, actors, batch)
    _vary_phoenix(np.random.default_rng([seed, 31]), actors, batch, phoenix, truth)
    shared = _share_containers(rng, batch)
    for c in shared:
        truth.lookalikes.append(("shared_consignment", c, "LCL container shared by different importers"))
    # a stream of its own, so the rest of the year is drawn as it was before these look-alikes existed
    _reuse_containers(np.random.default_rng([seed, 11]), batch, actors, truth, max(4, declarations // 5000))
    category = np.array(actors.ent_category)
    registered = np.array(actors.ent_registered)
    label_outcomes(rng, batch, category, registered)
    batch["decl_id"] = _declaration_ids(rng, batch)
    batch["declared_value"] = to_currency(batch["value_usd"] * batch["price_factor"], batch["currency"])
    _phoenix_violations(batch, phoenix)
    forms = _surface_forms(rng, batch)
    bad = _bad_rows(rng, batch, declarations)
    # the security scheme came later: planted last, from a stream of its own, over finished look-alike rows
    # (not bad rows or their neighbours) of the same day and office, so the rest is as it was drawn before
    spoiled = np.zeros(declarations, dtype=bool)
    spoiled[list(bad)] = True
    spoiled[[row - 1 for row in bad]] = True
    ctx.rng = np.random.default_rng([seed, 23])
    rows = plant_dual_use(ctx, batch, declarations, truth, spoiled)
    ctx.rng = rng
    batch["declared_value"][rows] = to_currency(
        batch["value_usd"][rows] * batch["price_factor"][rows], batch["currency"][rows]
    )

    # big brokers are a look-alike too: everybody uses them
    counts = np.bincount(batch["broker"], minlength=len(actors.broker_id))
    for b in np.argsort(-counts, kind="stable")[:5]:
        truth.lookalikes.append(("big_broker", actors.broker_id[b], f"{int(counts[b])} declarations"))

    out_dir.mkdir(parents=True, exist_ok=True)
    files, bad_rows = _write_quarters(out_dir, batch, forms, bad, actors)
    summary = _write_truth(out_dir, batch, truth, bad_rows, files, forms, seed, actors)
    _write_phoenix(out_dir, phoenix, actors, summary)
    return summary


def _plant_phoenix(rng: np.random.Generator, actors, batch: dict) -> pd.DataFrame:
    """Old honest importers that stop mid-year and go on under a new code (``phoenix`` module).

    Each keeps trading until a cut day; every later declaration of it is filed by the new firm,
    registered a few weeks before the cut. Returns old, new, cut day and the old firm's last row.
    """
    kinds = np.array(actors.ent_kind)
    registered = np.array(actors.ent_registered)
    per_firm = np.bincount(batch["firm"], minlength=len(kinds))
    eligible = np.flatnonzero((kinds == "honest") & (registered < -1000) & (per_firm >= 6))
    old = rng.choice(eligible, size=min(phoenix_count(int((kinds == "honest").sum())), len(eligible)), replace=False)
    old = np.sort(old)
    cuts, lasts = [], []
    for f in old:
        rows = np.flatnonzero(batch["firm"] == f)
        days = np.sort(batch["day"][rows])
        cuts.append(int(days[len(days) // 2]))
    cuts = np.array(cuts, dtype=np.int64)
    new = add_phoenix_firms(rng, actors, old, cuts - rng.integers(5, 40, len(old)))
    for f, n, cut in zip(old, new, cuts, strict=True):
        rows = np.flatnonzero(batch["firm"] == f)
        batch["firm"][rows[batch["day"][rows] > cut]] = n
        kept = rows[batch["day"][rows] <= cut]
        lasts.append(int(kept[np.argmax(batch["day"][kept])]))
    return pd.DataFrame({"old": old, "new": new, "cut_day": cuts, "last_row": np.array(lasts, dtype=np.int64)})


def _vary_phoenix(rng: np.random.Generator, actors, batch: dict, phoenix: pd.DataFrame, truth: Truth) -> None:
    """The new firms write their representative, name and building their own way; honest namesakes move in
    next door to trading firms (``phoenix`` module; a stream of its own, so the rest of the year is unchanged)."""
    vary_phoenix_firms(rng, actors, phoenix["new"].to_numpy())
    kinds = np.array(actors.ent_kind)
    trading = np.unique(batch["firm"])
    honest = np.setdiff1d(trading[kinds[trading] == "honest"], phoenix["old"].to_numpy())
    for kind, f in add_namesakes_next_door(rng, actors, honest):
        truth.lookalikes.append((kind, actors.ent_id[f], actors.persons[actors.ent_person[f]]))


def _phoenix_violations(batch: dict, phoenix: pd.DataFrame) -> None:
    """The old firm's last declaration before it stops is where it was caught."""
    rows = phoenix["last_row"].to_numpy()
    if not len(rows):
        return
    batch["inspected"][rows] = 1
    batch["violation"][rows] = 1
    batch["violation_type"][rows] = "under-valuation"
    batch["revenue"][rows] = np.round(batch["declared_value"][rows] * 0.3, 2)


def _write_phoenix(out_dir: Path, phoenix: pd.DataFrame, actors, summary: dict) -> None:
    ids = np.array(actors.ent_id, dtype=object)
    table = pd.DataFrame(
        {
            "old_id": ids[phoenix["old"].to_numpy()],
            "new_id": ids[phoenix["new"].to_numpy()],
            "stopped": registered_iso(phoenix["cut_day"].to_numpy()),
        }
    )
    table.to_csv(out_dir / "truth" / "phoenix.csv", index=False, lineterminator="\n")
    summary["phoenix_firms"] = len(table)
    summary["notes"]["phoenix.csv"] = "old_id stopped after a violation; new_id is the same firm under a new code"
    (out_dir / "truth" / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")


def _share_containers(rng: np.random.Generator, batch: dict) -> list[str]:
    """Less-than-container loads: neighbouring honest sea rows on one day and route share a container."""
    bulk = np.array([p.bulk for p in PRODUCTS])[batch["product"]]
    ok = (batch["mode"] == "sea") & ~bulk & (batch["scheme"] == "")
    idx = np.flatnonzero(ok)
    key = np.char.add(np.char.add(batch["loading"][idx].astype(str), batch["discharge"][idx].astype(str)),
                      batch["day"][idx].astype(str))  # fmt: skip
    order = idx[np.argsort(key, kind="stable")]
    skey = np.sort(key, kind="stable")
    pairs = skey[1:] == skey[:-1]
    share = min(0.3, 0.012 * len(idx) / max(int(pairs.sum()), 1))  # about 1 % of container rows, at any size
    same = np.flatnonzero(pairs & (rng.random(len(skey) - 1) < share)) + 1
    same = same[batch["firm"][order[same]] != batch["firm"][order[same - 1]]]
    shared = []
    for j in same:  # in order, so a chain of three shares the first container
        dst, src = order[j], order[j - 1]
        for k in ("consignment", "carrier", "transit"):
            batch[k][dst] = batch[k][src]
        shared.append(batch["consignment"][dst])
    return sorted(set(shared))


def _reuse_containers(rng: np.random.Generator, batch: dict, actors, truth: Truth, pairs: int) -> None:
    """Pairs of unrelated young honest importers whose only tie is one container the shipping line reused
    months apart and a seller with many buyers: a naive link count takes them for a shell ring."""
    bulk = np.array([p.bulk for p in PRODUCTS])[batch["product"]]
    ok = (batch["mode"] == "sea") & ~bulk & (batch["scheme"] == "")
    kinds = np.array(actors.ent_kind)
    first_day = pd.Series(batch["day"]).groupby(batch["firm"]).min()
    firms, counts = np.unique(batch["firm"][ok], return_counts=True)
    firms = firms[(counts >= 2) & (kinds[firms] == "honest") & (first_day.reindex(firms).to_numpy() >= 120)]
    firms = rng.permutation(firms)
    buyers = pd.DataFrame({"s": batch["seller"], "f": batch["firm"]}).groupby("s")["f"].nunique()
    common = buyers[(buyers >= 12) & (buyers <= 40)].index.to_numpy()
    if len(common) == 0 or len(firms) < 2 * pairs:
        return
    for j in range(pairs):
        a, b = firms[2 * j], firms[2 * j + 1]
        rows_a = np.flatnonzero(ok & (batch["firm"] == a))
        rows_b = np.flatnonzero(ok & (batch["firm"] == b))
        first, second = rows_a[0], rows_b[-1]
        if batch["day"][second] - batch["day"][first] < 60:
            continue
        for k in ("consignment", "carrier"):
            batch[k][second] = batch[k][first]
        seller = int(common[int(rng.integers(len(common)))])
        for rows in (rows_a, rows_b):
            batch["seller"][rng.choice(rows, size=min(3, len(rows)), replace=False)] = seller
        gap = int(batch["day"][second] - batch["day"][first])
        detail = f"container {batch['consignment'][first]} reused {gap} days apart; common seller"
        detail += f" {actors.seller_id[seller]} ({int(buyers[seller])} buyers)"
        for f in (a, b):
            actors.ent_registered[f] = int(first_day[f] - rng.integers(20, 90))  # set up shortly before trading
            truth.lookalikes.append(("reused_container", actors.ent_id[f], detail))


def _declaration_ids(rng: np.random.Generator, batch: dict) -> np.ndarray:
    """18-digit numbers: office code (4), year (4), import flag 1, a running sequence per office (9)."""
    office = batch["office"]
    n = len(office)
    seq = np.zeros(n, dtype=np.int64)
    for o in range(len(OFFICES)):
        rows = np.flatnonzero(office == o)
        seq[rows] = int(rng.integers(1000, 50000)) + np.cumsum(rng.integers(1, 4, len(rows)))
    prefix = np.array([o.prefix for o in OFFICES])[office]
    return np.char.add(np.char.add(prefix, f"{YEAR}1"), digits(seq, 9)).astype(object)


def _surface_forms(rng: np.random.Generator, batch: dict) -> dict[str, np.ndarray]:
    """How each row happens to be written: name/address/phone variants, date and HS code forms."""
    n = len(batch["firm"])
    hs = np.array([p.hs for p in PRODUCTS])[batch["product"]]
    leading_zero = np.char.startswith(hs, "0")
    hs_form = np.zeros(n, dtype=np.int8)
    hs_form[rng.random(n) < 0.02] = 2  # declared at 8 digits
    hs_form[leading_zero & (rng.random(n) < 0.15)] = 1  # a spreadsheet ate the leading zero
    return {
        "name": (rng.random(n) < 0.05).astype(np.int8),
        "address": np.where(rng.random(n) < 0.85, 0, rng.integers(1, 5, n)).astype(np.int8),
        "phone": np.where(rng.random(n) < 0.85, 0, rng.integers(1, 4, n)).astype(np.int8),
        "date": np.where(rng.random(n) < 0.98, 0, rng.integers(1, 3, n)).astype(np.int8),
        "hs": hs_form,
    }


def _bad_rows(rng: np.random.Generator, batch: dict, n: int) -> dict[int, int]:
    """Row index -> kind (index into _BAD_KINDS) for about 0.2 % of rows, all honest, never adjacent."""
    count = max(len(_BAD_KINDS), int(round(n * 0.002)))
    quarter = _quarter(batch["day"])
    candidates = np.flatnonzero((batch["scheme"] == "") & (np.arange(n) > 0))
    candidates = candidates[quarter[candidates] == quarter[candidates - 1]]
    candidates = candidates[batch["scheme"][candidates - 1] == ""]
    chosen = np.sort(rng.choice(candidates, size=min(count * 2, len(candidates)), replace=False))
    keep = [int(chosen[0])]
    for c in chosen[1:]:
        if c - keep[-1] > 1:
            keep.append(int(c))
    keep = keep[:count]
    return {row: i % len(_BAD_KINDS) for i, row in enumerate(keep)}


def _quarter(day: np.ndarray) -> np.ndarray:
    month = (np.datetime64(f"{YEAR}-01-01") + day.astype("timedelta64[D]")).astype("datetime64[M]").astype(int) % 12
    return month // 3


def _fmt(x: np.ndarray, decimals: int) -> np.ndarray:
    """Plain decimal text without trailing '.0' for whole numbers."""
    r = np.round(x, decimals)
    text = r.astype(str)
    whole = r == np.floor(r)
    text[whole] = r[whole].astype(np.int64).astype(str)
    return text.astype(object)


def _write_quarters(out_dir: Path, batch: dict, forms: dict, bad: dict[int, int], actors) -> tuple[dict, list]:
    dates = np.datetime64(f"{YEAR}-01-01") + np.arange(DAYS).astype("timedelta64[D]")
    iso = np.datetime_as_string(dates, unit="D").astype(object)
    date_forms = np.stack([iso, np.char.replace(iso.astype(str), "-", "/"), np.char.replace(iso.astype(str), "-", "")])
    hs = np.array([p.hs for p in PRODUCTS], dtype=object)
    hs_forms = np.stack([hs, np.array([h[1:] if h.startswith("0") else h for h in hs], dtype=object),
                         np.array([h[:8] for h in hs], dtype=object)])  # fmt: skip
    desc = np.array([p.descriptions for p in PRODUCTS], dtype=object)
    countable = np.array([p.unit != "kg" or p.bulk for p in PRODUCTS])
    ent_names = np.array(actors.ent_name, dtype=object)
    addr = np.array(actors.addresses, dtype=object)
    phones = np.array(actors.phones, dtype=object)
    ent_addr = np.array(actors.ent_address)
    ent_phone = np.array(actors.ent_phone)
    cols = {
        "ent_id": np.array(actors.ent_id, dtype=object),
        "category": np.array(CATEGORIES, dtype=object)[np.array(actors.ent_category)],
        "registered": registered_iso(np.array(actors.ent_registered)),
        "person": np.array(actors.persons, dtype=object)[np.array(actors.ent_person)],
        "seller_id": np.array(actors.seller_id, dtype=object),
        "seller_name": np.array(actors.seller_name, dtype=object),
        "seller_country": np.array(actors.seller_country, dtype=object),
        "broker": np.array(actors.broker_id, dtype=object),
        "office": np.array([o.code for o in OFFICES], dtype=object),
    }
    quarter = _quarter(batch["day"])
    files: dict[str, int] = {}
    bad_rows: list[tuple] = []
    for q in range(4):
        idx = np.flatnonzero(quarter == q)
        b = take(batch, idx)
        f, firm = take(forms, idx), b["firm"]
        qty = np.where(countable[b["product"]], _fmt(b["quantity"], 0), _fmt(b["quantity"], 1))
        frame = {
            "declaration_id": b["decl_id"],
            "date": date_forms[f["date"], b["day"]],
            "direction": np.full(len(idx), "I", dtype=object),
            "office": cols["office"][b["office"]],
            "trade_mode": b["trade_mode"],
            "transport_mode": b["mode"],
            "importer_id": cols["ent_id"][firm],
            "importer_name": ent_names[firm, f["name"]],
            "importer_address": addr[ent_addr[firm], f["address"]],
            "importer_phone": phones[ent_phone[firm], f["phone"]],
            "importer_category": cols["category"][firm],
            "importer_registered": cols["registered"][firm],
            "importer_legal_rep": cols["person"][firm],
            "seller_id": cols["seller_id"][b["seller"]],
            "seller_name": cols["seller_name"][b["seller"]],
            "seller_country": cols["seller_country"][b["seller"]],
            "declarant_id": cols["broker"][b["broker"]],
            "carrier_id": b["carrier"],
            "hs_code": hs_forms[f["hs"], b["product"]],
            "goods_description": desc[b["desc_product"], b["desc_variant"]],
            "origin_country": b["origin"],
            "departure_country": b["departure"],
            "loading_port": b["loading"],
            "transit_ports": b["transit"],
            "discharge_port": b["discharge"],
            "consignment_id": b["consignment"],
            "quantity": qty,
            "net_mass": _fmt(b["net_mass"], 1),
            "value": _fmt(b["declared_value"], 2),
            "currency": b["currency"],
            "tax_rate": _fmt(b["tax_rate"], 4),
            "licence_ids": b["licences"],
            "inspected": b["inspected"].astype(str).astype(object),
            "violation": np.where(b["violation"] < 0, "", b["violation"].astype(str)).astype(object),
            "violation_type": b["violation_type"],
            "revenue_recovered": np.where(np.isnan(b["revenue"]), "", _fmt(np.nan_to_num(b["revenue"]), 2)),
        }
        assert list(frame) == list(CANONICAL_FIELDS)
        name = f"declarations-{YEAR}Q{q + 1}.csv"
        local = {int(np.searchsorted(idx, row)): kind for row, kind in bad.items() if quarter[row] == q}
        for pos in sorted(local):
            reason, field = _BAD_KINDS[local[pos]]
            k = pos % 4
            if field == "declaration_id":
                for col in frame.values():
                    col[pos] = col[pos - 1]
            elif reason == "missing importer_id":
                frame["importer_id"][pos] = ""
            elif field == "value":
                frame["value"][pos] = _BAD_VALUES[k]
            elif field == "date":
                frame["date"][pos] = _BAD_DATES[k]
            elif reason == "missing hs_code":
                frame["hs_code"][pos] = ""
            else:
                frame["hs_code"][pos] = _BAD_HS[k % len(_BAD_HS)]
            bad_rows.append((frame["declaration_id"][pos], name, pos + 1, pos + 2, field, reason))
        for key in ("date", "importer_name", "importer_address", "importer_phone", "hs_code", "goods_description"):
            frame[key] = np.asarray(frame[key], dtype=object)
        pd.DataFrame(frame).to_csv(out_dir / name, index=False, lineterminator="\n")
        files[name] = len(idx)
    return files, bad_rows


def _write_truth(out_dir: Path, batch: dict, truth: Truth, bad_rows: list, files: dict, forms: dict, seed: int,
                 actors) -> dict:  # fmt: skip
    tdir = out_dir / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    planted = batch["scheme"] != ""
    ent_id = np.array(actors.ent_id, dtype=object)
    decl = pd.DataFrame(
        {
            "declaration_id": batch["decl_id"][planted],
            "scheme": batch["scheme"][planted],
            "ring_id": batch["ring"][planted],
            "enterprise_id": ent_id[batch["firm"][planted]],
        }
    ).sort_values("declaration_id", kind="stable")
    decl.to_csv(tdir / "declarations.csv", index=False, lineterminator="\n")
    rings = pd.DataFrame(truth.rings, columns=["ring_id", "enterprise_id", "scheme", "role"])
    rings.to_csv(tdir / "rings.csv", index=False, lineterminator="\n")
    ents = pd.DataFrame(truth.enterprises, columns=["enterprise_id", "scheme", "ring_id"])
    ents.to_csv(tdir / "enterprises.csv", index=False, lineterminator="\n")
    look = pd.DataFrame(truth.lookalikes, columns=["kind", "entity_id", "detail"])
    look.to_csv(tdir / "lookalikes.csv", index=False, lineterminator="\n")
    bad = pd.DataFrame(bad_rows, columns=["declaration_id", "file", "row", "line", "field", "reason"])
    bad.to_csv(tdir / "bad_rows.csv", index=False, lineterminator="\n")

    hs_zero = np.char.startswith(np.array([p.hs for p in PRODUCTS])[batch["product"]], "0")
    summary = {
        "seed": seed,
        "year": YEAR,
        "direction": "I",
        "declarations": int(len(batch["firm"])),
        "files": files,
        "importers": int(len(np.unique(batch["firm"]))),
        "sellers": int(len(np.unique(batch["seller"]))),
        "brokers": int(len(np.unique(batch["broker"]))),
        "inspected": int(batch["inspected"].sum()),
        "violations": int((batch["violation"] == 1).sum()),
        "planted_declarations": int(planted.sum()),
        "schemes": {
            s: {
                "declarations": int((batch["scheme"] == s).sum()),
                "enterprises": int((ents["scheme"] == s).sum()),
                "rings": int(rings.loc[rings["scheme"] == s, "ring_id"].nunique()),
            }
            for s in SCHEMES
        },
        "rings": int(rings["ring_id"].nunique()),
        "lookalikes": {k: int(v) for k, v in look["kind"].value_counts().sort_index().items()},
        "bad_rows": {k: int(v) for k, v in bad["reason"].value_counts().sort_index().items()},
        "repairable": {
            "date_slash": int((forms["date"] == 1).sum()),
            "date_compact": int((forms["date"] == 2).sum()),
            "hs_lost_leading_zero": int(((forms["hs"] == 1) & hs_zero).sum()),
            "hs_8_digits": int((forms["hs"] == 2).sum()),
        },
        "notes": {
            "bad_rows": "row = 1-based data row in its file (header not counted); line = physical line (header = 1)",
            "revenue_recovered": "in the declaration's currency",
            "split_threshold_usd": SPLIT_THRESHOLD_USD,
            "rings.csv": "enterprise_id holds the seller or broker id when role is seller or broker",
        },
    }
    (tdir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")
    return summary
