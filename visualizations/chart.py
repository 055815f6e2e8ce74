"""Self-contained link-chart pages: pyvis builds the nodes, edges and options, vis-network is inlined.

pyvis's own template links Bootstrap from a CDN even with ``cdn_resources="in_line"``, and customs
networks are often air-gapped, so the page is rendered from our template with the vis-network
JavaScript and CSS that ship inside the pyvis package written into it. Physics stabilises in a
bounded number of iterations and is then switched off, so 500 nodes settle and stay still.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network

from graph.reference import offices as hierarchy
from visualizations.style import (
    DASHED,
    EDGE_COLOURS,
    community_colour,
    edge_caption,
    legend,
    risk_colour,
    shape,
    style_tables,
    tooltip,
)

__all__ = ["vis_assets", "chart_options", "chart_data", "render_chart", "render_page"]

VIS_DIR = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
STATIC = Path(__file__).parent / "static"
STABILIZATION_ITERATIONS = 300


@cache
def vis_assets() -> dict[str, str]:
    """vis-network's JavaScript and CSS as text, from the pyvis package (no network access)."""
    return {"js": (VIS_DIR / "vis-network.min.js").read_text(), "css": (VIS_DIR / "vis-network.css").read_text()}


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(STATIC), autoescape=select_autoescape(["html"]))


def chart_options() -> dict:
    return {
        "physics": {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90, "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": STABILIZATION_ITERATIONS, "updateInterval": 50},
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}},
        "nodes": {"font": {"size": 12}, "borderWidth": 3},
    }


def _network(graph: dict, focus: set[str]) -> Network:
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    for node in graph["nodes"]:
        caption = str(node["caption"])
        net.add_node(
            node["id"],
            label=caption if len(caption) <= 24 else caption[:23] + "…",
            shape=shape(node["label"]),
            color={"background": risk_colour(node.get("risk")), "border": community_colour(node.get("community"))},
            title=tooltip(node),
            size=28 if node["id"] in focus else 12 + 14 * (node.get("risk") or 0.0),
            kind=node["label"],
        )
    for edge in graph["edges"]:
        shown, title = edge_caption(edge)
        extra = {"label": shown, "arrows": {"to": {"enabled": False}}} if shown else {}
        net.add_edge(
            edge["source"],
            edge["target"],
            title=title,
            color=EDGE_COLOURS.get(edge["type"], "#b0bec5"),
            dashes=edge["type"] in DASHED,
            width=1 + min(edge.get("declarations") or 0, 20) / 5,
            **extra,
        )
    net.options = chart_options()
    return net


def chart_data(graph: dict, focus: set[str] | frozenset = frozenset()) -> tuple[list[dict], list[dict]]:
    """vis-network nodes and edges for a neighbourhood, styled as in every chart (for pages drawing several)."""
    nodes, edges, *_ = _network(graph, set(focus)).get_network_data()
    return nodes, edges


def render_chart(graph: dict, title: str, focus: set[str] | frozenset = frozenset()) -> str:
    """One link chart as a complete HTML page that needs no internet access."""
    nodes, edges, _, _, _, options = _network(graph, set(focus)).get_network_data()
    return (
        _templates()
        .get_template("chart.html")
        .render(
            title=title,
            vis=vis_assets(),
            nodes=nodes,
            edges=edges,
            options=json.loads(options),
            legend=legend({n["label"] for n in graph["nodes"]}, {e["type"] for e in graph["edges"]}),
            truncated=graph.get("truncated", False),
        )
    )


def render_page() -> str:
    """The investigator's workbench: the chart style, chart options and the customs offices (for the
    network filter) inline; its scripts and libraries are served from ``/static``."""
    offices = [{"code": o.code, "name": o.name, "level": o.level} for o in hierarchy() if o.level != "department"]
    return (
        _templates()
        .get_template("investigator.html")
        .render(config={"style": style_tables(), "options": chart_options(), "offices": offices})
    )
