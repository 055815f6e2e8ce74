"""The analysis report as one self-contained HTML page: figures from :mod:`investigate.report`, drawn.

Bar charts are inline SVG built here (no script needed to read them, and they print); the network
charts use the same vis-network styling as the link charts, its JavaScript inlined once for all of
them. Nothing is fetched from the network, so the file can be mailed and opened on an air-gapped PC.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from visualizations.chart import STATIC, chart_data, chart_options, vis_assets
from visualizations.style import legend

__all__ = ["render_report", "bar_chart", "hbar_chart"]

_BAR = "#5c7cfa"
_HIGH = "#e53935"


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(STATIC), autoescape=select_autoescape(["html"]))


def bar_chart(labels: list[str], values: list[float], *, part: list[float] | None = None, unit: str = "") -> Markup:
    """Vertical bars, one per label; ``part`` (<= value) is drawn in red at the foot of each bar."""
    width, height, pad, foot = 640, 190, 34, 30
    top = max(values, default=0) or 1
    step = (width - pad) / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = pad + i * step + step * 0.15
        w = step * 0.7
        h = (height - foot - 14) * value / top
        y = height - foot - h
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{_BAR}">'
            f"<title>{escape(label)}: {value:,.4g}{unit}</title></rect>"
        )
        if part is not None and part[i]:
            ph = (height - foot - 14) * part[i] / top
            bars.append(
                f'<rect x="{x:.1f}" y="{height - foot - ph:.1f}" width="{w:.1f}" height="{ph:.1f}" fill="{_HIGH}">'
                f"<title>{escape(label)}: {part[i]:,.4g}</title></rect>"
            )
        bars.append(
            f'<text x="{x + w / 2:.1f}" y="{height - foot + 14}" text-anchor="middle" font-size="10">'
            f"{escape(label)}</text>"
        )
        if value:
            bars.append(
                f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                f"{value:,.4g}{unit}</text>"
            )
    axis = f'<line x1="{pad}" y1="{height - foot}" x2="{width}" y2="{height - foot}" stroke="#90a4ae"/>'
    return Markup(f'<svg viewBox="0 0 {width} {height}" class="chart" role="img">{axis}{"".join(bars)}</svg>')


def hbar_chart(rows: list[tuple[str, float, str]]) -> Markup:
    """Horizontal bars: (label, value, text shown after the bar), longest value sets the scale."""
    line, label_w, width = 22, 210, 640
    top = max((v for _, v, _ in rows), default=0) or 1
    parts = []
    for i, (label, value, note) in enumerate(rows):
        y = i * line + 4
        w = (width - label_w - 190) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="11">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="16" fill="{_BAR}"/>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 13}" font-size="11">{escape(note)}</text>'
        )
    height = max(len(rows), 1) * line + 6
    return Markup(f'<svg viewBox="0 0 {width} {height}" class="chart" role="img">{"".join(parts)}</svg>')


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _capacity_chart(rows: list[dict], limit: int = 12) -> Markup:
    return hbar_chart(
        [
            (r["name"], r["inspected"], f"{r['inspected']:,} ({_pct(r['share'])}), hit rate {_pct(r['hit_rate'])}")
            for r in rows[:limit]
        ]
    )


def render_report(figures: dict) -> str:
    """The report page for :func:`investigate.report.analysis_report`'s figures."""
    months = figures["months"]
    charts = {
        "volume": bar_chart(
            [m["month"] for m in months],
            [m["declarations"] for m in months],
            part=[m["high_risk_declarations"] for m in months],
        ),
        "hit_rate": bar_chart(
            [m["month"] for m in months], [round(100 * (m["hit_rate"] or 0), 1) for m in months], unit="%"
        ),
    }
    if figures["capacity"]:
        for dimension in ("office", "sub_centre", "channel", "level"):
            charts[dimension] = _capacity_chart(figures["capacity"][f"by_{dimension}"])
    for target in figures.get("targets") or []:
        charts[f"target_{target['target']}"] = bar_chart(
            [m["month"] for m in target["months"]], [m["violations"] for m in target["months"]]
        )
    decisions = figures.get("decisions") or {}
    if decisions.get("decisions"):
        total = decisions["decisions"]
        charts["channels"] = hbar_chart(
            [(str(name), n, f"{n:,} ({n / total:.0%})") for name, n in sorted(decisions["channels"].items())]
        )
    networks = []
    labels, types = set(), set()
    for net in figures["networks"]:
        nodes, edges = chart_data(net["chart"], focus=set(net["members"]))
        labels.update(n["label"] for n in net["chart"]["nodes"])
        types.update(e["type"] for e in net["chart"]["edges"])
        networks.append({**net, "vis": {"nodes": nodes, "edges": edges}})
    options = chart_options()
    options["interaction"] = {**options["interaction"], "zoomView": False}
    return (
        _templates()
        .get_template("report.html")
        .render(
            r=figures,
            charts=charts,
            networks=networks,
            vis=vis_assets(),
            options=options,
            legend=legend(labels, types),
            pct=_pct,
        )
    )
