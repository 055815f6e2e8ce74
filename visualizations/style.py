"""How the link charts look: colour by risk, shape by label, border by community.

One table per visual channel, checked against the schema at import so it names only declared labels
and relationship types; a label declared later is drawn as an ellipse until it is given a shape. The
investigator page gets the same tables as JSON, so a node looks the same in a saved chart and in the page.
"""

from __future__ import annotations

from graph.model import schema

__all__ = [
    "RISK_BANDS",
    "SHAPES",
    "EDGE_COLOURS",
    "DASHED",
    "edge_caption",
    "shape",
    "risk_colour",
    "community_colour",
    "tooltip",
    "legend",
    "style_tables",
]

#: (upper bound, name, colour); risk is 0..1 as written by ``riskgraph analyze``
RISK_BANDS = ((0.3, "low", "#43a047"), (0.6, "medium", "#fb8c00"), (1.01, "high", "#e53935"))
UNSCORED = "#b0bec5"
SHAPES = {
    "Enterprise": "dot",
    "Person": "star",
    "Address": "square",
    "Phone": "triangle",
    "Declaration": "diamond",
    "Consignment": "hexagon",
    "Route": "triangleDown",
    "Port": "ellipse",
    "Country": "ellipse",
    "Commodity": "ellipse",
    "CustomsOffice": "ellipse",
    "Case": "star",
    "Network": "hexagon",
    "Intel": "box",
}
#: link colours by relationship type
EDGE_COLOURS = {
    "HAS_ADDRESS": "#5c6bc0",
    "HAS_PHONE": "#26a69a",
    "HAS_LEGAL_REP": "#ab47bc",
    "FILED": "#90a4ae",
    "PROBABLY_SAME_FIRM": "#ef6c00",
    "MENTIONS": "#c62828",
}
#: links drawn dashed: trading through the same declarations, and evidence not yet a fact (a probable
#: same firm, labelled with its match weight until an investigator confirms or rejects it)
DASHED = ("FILED", "PROBABLY_SAME_FIRM")
COMMUNITY_PALETTE = ("#1e88e5", "#8e24aa", "#00897b", "#6d4c41", "#3949ab", "#c0ca33", "#d81b60", "#546e7a")

if not set(EDGE_COLOURS) | set(DASHED) <= set(schema().relationships):
    raise ValueError("chart link colours name a relationship type the schema does not declare")
if not set(SHAPES) <= set(schema().nodes):
    raise ValueError(f"chart shapes name undeclared labels: {sorted(set(SHAPES) - set(schema().nodes))}")


def shape(label: str) -> str:
    return SHAPES.get(label, "ellipse")


def risk_colour(risk: float | None) -> str:
    if risk is None:
        return UNSCORED
    return next(colour for bound, _, colour in RISK_BANDS if risk < bound)


def community_colour(community: int | None) -> str:
    return "#455a64" if community is None else COMMUNITY_PALETTE[community % len(COMMUNITY_PALETTE)]


def tooltip(node: dict) -> str:
    """Plain text, one fact a line: the page renders it as text, never as HTML."""
    if node.get("outside"):
        return f"{node['label']} outside your jurisdiction"
    lines = [f"{node['label']}: {node['key']}"]
    if node.get("caption") not in (None, node["key"]):
        lines.append(str(node["caption"]))
    for field in ("risk", "category", "registered", "community", "network_id", "country"):
        value = node.get(field)
        if value is not None:
            lines.append(f"{field}: {round(value, 3) if isinstance(value, float) else value}")
    return "\n".join(lines)


def edge_caption(edge: dict) -> tuple[str, str]:
    """(label drawn on the link, hover text): a probable same firm shows its match weight and status, and on
    hover what each field weighed and how it compared (``evidence``, strongest first)."""
    if edge["type"] == "PROBABLY_SAME_FIRM":
        weight = edge.get("weight")
        shown = f"{weight:.1f}" if isinstance(weight, int | float) else "?"
        title = f"probably the same firm ({edge.get('status') or 'candidate'}), match weight {shown}"
        for part in edge.get("evidence") or ():
            how = f" ({part['level']})" if part.get("level") else ""
            title += f"\n{part['field']} {part['weight']:+.1f}{how}"
        return shown, title
    label = edge.get("role") or edge["type"]
    count = edge.get("declarations")
    return "", f"{edge['type']} ({label}, {count} declarations)" if count else label


def _rank(label: str) -> tuple[int, str]:
    """Legend order: the order of ``SHAPES`` (enterprises first), then any other label by name."""
    order = list(SHAPES)
    return (order.index(label) if label in order else len(order), label)


def legend(labels: set[str], rel_types: set[str]) -> dict:
    """The legend of one chart: the shapes of the labels and the colours of the links it shows, the risk bands."""
    return {
        "shapes": [{"label": n, "shape": shape(n)} for n in sorted(labels & set(schema().nodes), key=_rank)],
        "links": [{"type": t, "colour": c} for t, c in EDGE_COLOURS.items() if t in rel_types],
        "risk": [{"band": name, "colour": colour} for _, name, colour in RISK_BANDS]
        + [{"band": "not scored", "colour": UNSCORED}],
    }


def style_tables() -> dict:
    return {
        "bands": [[bound, colour] for bound, _, colour in RISK_BANDS],
        "unscored": UNSCORED,
        "shapes": {label: shape(label) for label in schema().nodes},
        "palette": COMMUNITY_PALETTE,
        "edges": EDGE_COLOURS,
        "dashed": list(DASHED),
    }
