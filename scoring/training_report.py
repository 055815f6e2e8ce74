"""The lines ``riskgraph model train`` and ``benchmarks/model.py`` print: model against baseline,
what was published and why, calibration and the settings search."""

from __future__ import annotations

__all__ = ["training_report"]

_RATES = ("1%", "2%", "5%", "10%")


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def training_report(m: dict) -> list[str]:
    """Human-readable lines from a training run's metrics (``train_model(...).metrics``)."""
    c = m["candidates"]
    lines = [
        f"held out {m['test']:,} inspected declarations from {m['test_from']} to {m['test_to']} "
        f"(trained on {m['train']:,} before); violation rate {m['base_rate']:.1%}",
        "inspection rate   main model   baseline      blend   published   revenue   final score (as-of network)",
    ]
    final = m.get("final_score", {})
    for rate in _RATES:
        key = "precision@" + rate
        lines.append(
            f"{rate:>15}   {_pct(c['model'][key]):>10}   {_pct(c['baseline'][key]):>8}   {_pct(c['blend'][key]):>8}   "
            f"{_pct(m[key]):>9}   {_pct(m['revenue@' + rate]):>7}   {_pct(final.get(key)):>11}"
        )
    auc = {k: "-" if v["auc"] is None else f"{v['auc']:.3f}" for k, v in c.items()}
    lines.append(
        f"{'AUC':>15}   {auc['model']:>10}   {auc['baseline']:>8}   {auc['blend']:>8}   "
        f"{'-' if m['auc'] is None else format(m['auc'], '.3f'):>9}"
    )
    lines.append(f"published: {m['published']} - {m['why']}")
    cal = m["calibration"]
    lines.append(
        f"calibration ({cal['method']}, fitted on the earlier half of the window, checked on the later "
        f"{cal['checked_on']:,}): Brier {cal['brier_before']:.4f} before, {cal['brier_after']:.4f} after"
    )
    lines.append("  predicted  observed      n")
    lines += [f"  {r['predicted']:>9.3f}  {r['observed']:>8.3f}  {r['n']:>5,}" for r in cal["reliability"]]
    for name, search in m["search"].items():
        best = search.get("best") or {}
        stop = " (stopped by its time budget)" if search.get("stopped_by_budget") else ""
        lines.append(
            f"settings search ({name}): {search.get('settings', len(search['tried']))} of {search.get('grid', '?')} "
            f"settings in {search['seconds']:.1f}s{stop}; "
            f"best {best}" + (f"; {search['skipped']}" if search.get("skipped") else "")
        )
    return lines
