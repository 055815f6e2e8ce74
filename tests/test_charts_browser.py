"""Link charts and the investigator page in headless Chromium: they draw, settle and work offline.

Screenshots are kept under pytest's tmp folder (``chart-*.png``) for a person to look at; the
assertions count inked and high-risk (red) pixels in the chart area, away from the legend.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.browser import dump_dom, inked, screenshot
from visualizations.chart import render_chart
from visualizations.style import RISK_BANDS

pytest_plugins = ("tests.explore_setup",)

CHART_AREA = (0, 40, 880, 860)  # left of the legend, below the title
HIGH_RISK = tuple(int(RISK_BANDS[-1][2][i : i + 2], 16) for i in (1, 3, 5))
REMOTE = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.IGNORECASE)


def _chart(server, path: str, saved: Path) -> str:
    """The chart page as served, saved to a file: a browser opens it from disk, with no server."""
    response = server.client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert not REMOTE.search(response.text), "the page loads something from the network"
    assert "vis.Network" in response.text and "vis-network" in response.text  # the library itself is inline
    saved.write_text(response.text)
    return saved.as_uri()


def test_enterprise_chart_draws_offline(explore_server, tmp_path):
    server, _ = explore_server
    url = _chart(server, "/v1/enterprises/SHELL1/chart", tmp_path / "enterprise.html")
    html = (tmp_path / "enterprise.html").read_text()
    assert "Risk" in html and "Enterprise" in html and "Address" in html  # the legend
    image = screenshot(url, tmp_path / "chart-enterprise.png")
    assert inked(image, CHART_AREA) > 3000
    assert inked(image, CHART_AREA, HIGH_RISK) > 1000  # the three shells, filled red
    assert 'data-settled="1"' in dump_dom(url)  # physics stopped after stabilising


def test_network_chart_draws_offline(explore_server, tmp_path):
    server, summary = explore_server
    ring = summary["top_networks"][0]["id"]
    url = _chart(server, f"/v1/networks/{ring}/chart", tmp_path / "network.html")
    image = screenshot(url, tmp_path / "chart-network.png")
    assert inked(image, CHART_AREA, HIGH_RISK) > 1000


def test_five_hundred_nodes_settle(tmp_path):
    graph = {
        "nodes": [
            {
                "id": f"E{i}",
                "label": "Enterprise",
                "key": f"E{i}",
                "caption": f"Firm {i}",
                "risk": (i % 10) / 10,
                "community": i // 25,
            }
            for i in range(450)
        ]
        + [{"id": f"Phone:{i}", "label": "Phone", "key": str(i), "caption": str(i)} for i in range(50)],
        "edges": [{"source": f"E{i}", "target": f"Phone:{i % 50}", "type": "HAS_PHONE"} for i in range(450)]
        + [{"source": f"E{i}", "target": f"E{i + 1}", "type": "FILED", "role": "declarant"} for i in range(0, 449, 3)],
    }
    page = tmp_path / "big.html"
    page.write_text(render_chart(graph, "500 nodes"))
    assert not REMOTE.search(page.read_text())
    dom = dump_dom(page.as_uri(), budget_ms=60000)
    assert 'data-settled="1"' in dom and "500 nodes, 600 links" in dom


def test_investigator_searches_charts_and_expands_on_click(explore_server, page, tmp_path):
    server, _ = explore_server
    html = httpx.get(server.url + "/", timeout=30).text
    assert not REMOTE.search(html)  # works offline too: the libraries are served by the API itself
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("vis-network" in a for a in assets) and any("vis-timeline" in a for a in assets)
    for asset in assets:
        served = httpx.get(server.url + asset, timeout=30)
        assert served.status_code == 200 and len(served.content) > 1000, asset
    page.open(server.url + "/")
    page.evaluate("document.getElementById('q').value = 'shell1'; document.querySelector('#search button').click()")
    page.wait_for("document.getElementById('results').innerText.includes('API key')")  # no key yet: refused
    secret = server.client.headers["X-API-Key"]
    page.evaluate(
        f"document.getElementById('key').value = {secret!r}; document.querySelector('#key-form button').click()"
    )
    assert page.evaluate("document.getElementById('key-form').hidden") is True
    page.evaluate("document.getElementById('q').value = 'shell1'; document.querySelector('#search button').click()")
    page.wait_for("document.querySelectorAll('#results li').length > 0")
    assert page.evaluate("document.querySelector('#results li').innerText").startswith("Enterprise SHELL1")

    page.evaluate("document.querySelector('#results li').click()")
    page.wait_for("document.body.dataset.settled")
    shown = set(page.evaluate("nodes.getIds()"))
    assert {"SHELL1", "SHELL2", "BRIDGE", "BRK-R"} <= shown and "HONEST1" not in shown
    page.wait_for("document.getElementById('profile').innerText.includes('network')")

    # A real mouse click on BRIDGE adds its own links: the honest firm behind the shared address.
    page.evaluate("delete document.body.dataset.settled")
    x, y = page.evaluate(
        "(function () { var p = network.canvasToDOM(network.getPosition('BRIDGE'));"
        " var box = document.getElementById('chart').getBoundingClientRect();"
        " return [p.x + box.left, p.y + box.top]; })()"
    )
    page.click(x, y)
    page.wait_for("nodes.get('HONEST1') !== null")
    page.wait_for("document.body.dataset.settled")
    image = page.screenshot()
    image.save(tmp_path / "chart-investigator.png")
    assert inked(image, (300, 0, 1200, 900), HIGH_RISK) > 1000
