"""The lines ``riskgraph model train`` and ``benchmarks/model.py`` print: model against baseline,
what was published and why, calibration and the settings search."""

from __future__ import annotations

__all__ = ["training_report", "target_report"]

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
    if "targets" in m:
        lines += target_report(m["targets"])
    return lines


def target_report(t: dict) -> list[str]:
    """Lines on the risk targets: where labels came from, what counted as other, each target's model
    against its baseline, and its own score against the overall score at the inspection rates."""
    if t["source"] == "flag":
        lines = ["targets: the outcomes carry a fraud flag and no violation types: one target, any, learned from it"]
    else:
        other = t["other"]
        lines = [f"targets: {', '.join(t['targets'])} (from violation types, `riskgraph targets list`)"]
        if other["count"]:
            types = ", ".join(f"{k} {v}" for k, v in other["types"].items())
            unknown = f"; unknown to the targets table: {', '.join(t['unknown'])}" if t.get("unknown") else ""
            lines.append(f"  {other['count']:,} violations counted as other ({types}){unknown}")
    lines.append("  target     violations train/test   published   precision@5% / 10%: own model, baseline")
    for name, m in t["models"].items():
        c = m.get("candidates")
        figures = (
            f"{_pct(c[m['published']]['precision@5%'])}/{_pct(c[m['published']]['precision@10%'])}, "
            f"{_pct(c['baseline']['precision@5%'])}/{_pct(c['baseline']['precision@10%'])}"
            if c
            else m["why"]
        )
        lines.append(
            f"  {name:<10} {m['train_positives']:>10,}/{m['test_positives']:<10,} {m['published']:>10}   {figures}"
        )
    for name, rates in t.get("at_rate", {}).items():
        parts = []
        for rate, v in rates.items():
            if rate == "positives":
                continue
            own, base = v["own"], v["overall"]
            parts.append(
                f"at {rate}: own score {_pct(own['precision'])} precision, {_pct(own['recall'])} recall; "
                f"overall score {_pct(base['precision'])}, {_pct(base['recall'])}"
            )
        lines.append(f"  {name} ({rates['positives']} held out): " + "; ".join(parts))
    lines.append(f"  targets trained in {t['seconds']:.1f}s")
    return lines
