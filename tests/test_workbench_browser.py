"""The investigator's workbench in headless Chromium, used as a person would: search, the network list,
a network, a member, a time window on its timeline, open a case, the case page, close it with an outcome;
the leads with their exports; a key limited to another jurisdiction.

Each step checks what is drawn (ink in the chart's own rectangle of a screenshot, counts in the DOM)
against what the API answers. Screenshots go to pytest's tmp folder, and also to
``$RISKGRAPH_SCREENSHOTS`` when set (the README's are made that way, into ``docs/workbench/``).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from tests.browser import inked
from visualizations.style import RISK_BANDS

pytest_plugins = ("tests.explore_setup",)

HIGH_RISK = tuple(int(RISK_BANDS[-1][2][i : i + 2], 16) for i in (1, 3, 5))
RAW_FLOAT = re.compile(r"\b0\.\d{4,}")  # a score printed raw (risk 0.8134780186684791)


def _keep(image, name: str, tmp_path: Path) -> None:
    image.save(tmp_path / name)
    folder = os.environ.get("RISKGRAPH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(Path(folder) / name)


def _wait(page, expression: str, timeout: float = 60):
    """``page.wait_for`` with room for a loaded machine, saying what the page shows when it gives up."""
    try:
        return page.wait_for(expression, timeout)
    except AssertionError:
        shown = page.evaluate("location.hash + ' | ' + document.getElementById('view').innerText.slice(0, 500)")
        raise AssertionError(f"timed out waiting for {expression}; the page shows {shown}") from None


def _box(page, selector: str) -> tuple[int, int, int, int]:
    rect = page.evaluate(
        f"(function () {{ var r = document.querySelector({selector!r}).getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })()"
    )
    return tuple(int(v) for v in rect)


def _percent(value: float, whole: float = 1.0) -> str:
    """``value`` of ``whole`` as the page shows it, rounded half up (Math.round), not half to even."""
    return f"{math.floor(value * 100 / whole + 0.5)}%"


def _use_key(page, url: str, secret: str) -> None:
    page.send("Page.enable")
    page.send("Page.navigate", url=url)
    _wait(page, "document.readyState === 'complete' && document.body.dataset.ready")
    page.evaluate(
        f"document.getElementById('key').value = {secret!r}; document.querySelector('#key-form button').click()"
    )


def _go(page, hash_: str) -> None:
    page.evaluate(f"location.hash = {hash_!r}")
    _wait(page, f"location.hash === {hash_!r} && !document.body.dataset.rendering")


def _click_link(page, text: str) -> None:
    page.evaluate(
        "Array.from(document.querySelectorAll('#view a')).find(function (a) {"
        f" return a.textContent === {text!r}; }}).click()"
    )


def _rows(page, table_id: str) -> int:
    return page.evaluate(f"document.querySelectorAll('#{table_id} tbody tr').length")


def test_investigator_works_a_network_from_search_to_a_closed_case(explore_server, page, tmp_path):
    server, summary = explore_server
    api = server.client
    _use_key(page, server.url + "/", api.headers["X-API-Key"])
    assert page.evaluate("location.href").endswith("/")  # the key never goes into the address

    # Search from the header.
    page.evaluate("document.getElementById('q').value = 'shell'; document.querySelector('#search button').click()")
    _wait(page, "document.querySelectorAll('#results li').length === 3")
    assert "risk" in page.evaluate("document.getElementById('results').innerText")

    # The ranked networks, then filtered to one kind through the form.
    page.evaluate("document.querySelector('header nav a[data-view=networks]').click()")
    _wait(page, "document.querySelectorAll('#networks tbody tr').length > 0")
    ranked = api.get("/v1/networks", params={"limit": 100}).json()["items"]
    assert _rows(page, "networks") == len(ranked)
    first = page.evaluate("Array.from(document.querySelectorAll('#networks tbody tr')[0].cells).map(c => c.innerText)")
    assert first[1] == f"network {ranked[0]['id']}" and first[2] == str(ranked[0]["size"])
    assert first[3] == _percent(ranked[0]["score"], 100) and first[4] == ranked[0]["kind"]
    page.evaluate(
        "document.getElementById('filter-kind').value = 'anti-smuggling';"
        " document.getElementById('filter-min').value = '90';"
        " document.querySelector('#network-filters button').click()"
    )
    _wait(page, "location.hash === '#/networks?kind=anti-smuggling&min=90' && !document.body.dataset.rendering")
    filtered = api.get("/v1/networks", params={"kind": "anti-smuggling", "min_score": 90}).json()
    assert _rows(page, "networks") == filtered["count"] >= 1
    _keep(page.screenshot(), "1-networks.png", tmp_path)

    # One network: its chart, members riskiest first, reasons.
    ring = filtered["items"][0]["id"]
    _click_link(page, f"network {ring}")
    _wait(page, "document.getElementById('chart').dataset.settled")
    network = api.get(f"/v1/networks/{ring}").json()
    assert _rows(page, "members") == network["size"] == len(network["members"])
    risks = page.evaluate("Array.from(document.querySelectorAll('#members tbody tr')).map(r => r.cells[2].innerText)")
    assert risks == [_percent(m["risk"]) for m in network["members"]]
    image = page.screenshot()
    _keep(image, "2-network.png", tmp_path)
    assert inked(image, _box(page, "#chart"), HIGH_RISK) > 1000  # the members, filled red
    assert not RAW_FLOAT.search(page.evaluate("document.body.innerText"))

    # A member: profile, chart, timeline of its declarations with the switches marked, the table.
    _click_link(page, "SHELL1")
    _wait(page, "document.getElementById('chart').dataset.settled && document.getElementById('timeline').dataset.items")
    timeline = api.get("/v1/enterprises/SHELL1/timeline").json()
    assert page.evaluate("document.getElementById('timeline').dataset.items") == str(len(timeline["declarations"]))
    assert page.evaluate("document.querySelectorAll('#timeline .vis-item.vis-point').length") == 4
    switches = page.evaluate(
        "Array.from(document.querySelectorAll('#timeline .vis-item.vis-box.switch')).map(i => i.innerText)"
    )
    assert sorted(switches) == sorted(f"{c['field']} → {c['to']}" for c in timeline["changes"])
    assert sorted(c["field"] for c in timeline["changes"]) == ["broker", "route"]  # BRK-X, then from THBKK
    assert page.evaluate("document.querySelectorAll('#timeline .vis-point.out-violation').length") == 1
    assert _rows(page, "declarations") == 4
    profile = page.evaluate("document.getElementById('profile').innerText")
    risk = api.get("/v1/enterprises/SHELL1").json()["risk"]
    assert _percent(risk) in profile and not RAW_FLOAT.search(profile)
    image = page.screenshot()
    _keep(image, "3-enterprise.png", tmp_path)
    assert inked(image, _box(page, "#chart"), HIGH_RISK) > 1000

    # A time window: December only. The broker used until November drops out of the chart, the new one stays.
    links = int(page.evaluate("document.getElementById('chart').dataset.links"))
    page.evaluate(
        "document.getElementById('window-from').value = '2025-12-01';"
        " document.getElementById('window-to').value = '2025-12-31';"
        " document.getElementById('window-apply').click()"
    )
    _wait(page, "document.getElementById('window-state').innerText.startsWith('2025-12-01 to 2025-12-31')")
    shown = set(page.evaluate("edges.get({filter: function (e) { return !e.hidden; }}).map(e => e.from + '>' + e.to)"))
    assert "BRK-X>SHELL1" in shown and "BRK-R>SHELL1" not in shown
    assert 0 < int(page.evaluate("document.getElementById('chart').dataset.visibleLinks")) < links
    assert page.evaluate("nodes.get('BRK-R').hidden") is True and page.evaluate("nodes.get('BRK-X').hidden") is False
    december = [d for d in timeline["declarations"] if "2025-12-01" <= d["date"] <= "2025-12-31"]
    assert page.evaluate("document.getElementById('declarations').dataset.inWindow") == str(len(december)) == "2"
    image = page.screenshot()
    _keep(image, "4-timeline-window.png", tmp_path)
    assert inked(image, _box(page, "#timeline")) > 2000

    # Open a case on its network; the link leads to the case page with the evidence snapshot.
    page.evaluate("document.getElementById('case-on').value = '1'; document.getElementById('open-case').click()")
    case_id = _wait(page, "(document.getElementById('case-link') || {}).textContent")
    page.evaluate("document.getElementById('case-link').click()")
    _wait(page, f"location.hash === '#/cases/{case_id}' && document.getElementById('chart').dataset.settled")
    case = api.get(f"/v1/cases/{case_id}").json()
    assert case["status"] == "open" and case["network_id"] == ring and case["moves"] == ["investigating", "closed"]
    assert page.evaluate("document.getElementById('case-target').textContent") == case["target"] == "tax"
    assert _rows(page, "evidence-enterprises") == len(case["evidence"]["enterprises"]) == network["size"]
    moves = page.evaluate(
        "Array.from(document.querySelectorAll('#moves button[data-status]')).map(b => b.dataset.status)"
    )
    assert moves == ["investigating", "closed"]
    image = page.screenshot()
    _keep(image, "5-case.png", tmp_path)
    assert inked(image, _box(page, "#chart"), HIGH_RISK) > 1000

    # The chart as a PNG file.
    page.evaluate("document.querySelector('.png-export').click()")
    saved = _wait(page, "document.body.dataset.lastDownload")
    name, size = saved.split(" ")
    assert name == f"case-{case_id}.png" and int(size) > 5000

    # Work it: a note, then close. Closing asks for the outcome and refuses to go on without one.
    page.evaluate(
        "document.getElementById('note').value = 'broker BRK-X also serves SHELL2';"
        " document.getElementById('add-note').click()"
    )
    _wait(page, "document.querySelectorAll('#notes li').length === 1")
    page.evaluate("document.querySelector('#moves button[data-status=closed]').click()")
    assert page.evaluate("document.getElementById('close-form').hidden") is False
    page.evaluate("document.getElementById('confirm-close').click()")
    assert "choose the outcome" in page.evaluate("document.getElementById('close-form').innerText")
    assert api.get(f"/v1/cases/{case_id}").json()["status"] == "open"
    page.evaluate(
        "document.getElementById('outcome').value = 'confirmed'; document.getElementById('confirm-close').click()"
    )
    _wait(page, "(document.getElementById('case-status') || {}).textContent === 'closed'")
    closed = api.get(f"/v1/cases/{case_id}").json()
    assert closed["status"] == "closed" and closed["outcome"] == "confirmed" and closed["moves"] == []
    assert [h["action"] for h in closed["history"]][0] == "opened" and len(closed["history"]) == 3
    assert page.evaluate("document.querySelectorAll('#history li').length") == 3
    assert "final" in page.evaluate("document.getElementById('moves').innerText")
    _keep(page.screenshot(), "6-case-closed.png", tmp_path)

    # The queue, by status.
    _go(page, "#/cases?status=closed")
    _wait(page, "document.querySelectorAll('#cases tbody tr').length > 0")
    listed = page.evaluate("Array.from(document.querySelectorAll('#cases tbody tr')).map(r => r.cells[0].innerText)")
    assert case_id in listed and len(listed) == api.get("/v1/cases", params={"status": "closed"}).json()["count"]

    # The case's risk target (its network's violations: SHELL1's under-valuation), shown and filtered by.
    assert closed["target"] == "tax" and closed["evidence"]["violations_by_target"] == {"tax": 1}
    _go(page, "#/cases?target=tax")
    _wait(page, "document.getElementById('filter-target').value === 'tax' && document.querySelector('#cases tbody tr')")
    targets = page.evaluate("Array.from(document.querySelectorAll('#cases tbody tr')).map(r => r.cells[4].innerText)")
    assert targets and set(targets) == {"tax"}
    assert len(targets) == api.get("/v1/cases", params={"target": "tax"}).json()["count"]


def test_leads_sort_and_export_with_the_key(explore_server, page, tmp_path):
    server, _ = explore_server
    api = server.client
    _use_key(page, server.url + "/#/leads?kind=anti-smuggling", api.headers["X-API-Key"])
    _wait(page, "document.querySelectorAll('#leads tbody tr').length > 0")
    leads = api.get("/v1/leads", params={"kind": "anti-smuggling"}).json()["items"]
    assert _rows(page, "leads") == len(leads)
    cells = page.evaluate("Array.from(document.querySelectorAll('#leads tbody tr')[0].cells).map(c => c.innerText)")
    assert cells[1] == f"network {leads[0]['id']}" and cells[2] == _percent(leads[0]["figures"]["network_score"], 100)
    assert cells[3] == (leads[0]["target"] or "—") and cells[6] == str(leads[0]["figures"]["declarations"])
    # sorting by a column, then reversing it
    page.evaluate("document.querySelectorAll('#leads thead th')[5].click()")
    assert page.evaluate("document.querySelectorAll('#leads thead th')[5].dataset.sorted") == "-1"
    _keep(page.screenshot(), "7-leads.png", tmp_path)

    csv = api.get("/v1/leads.csv", params={"kind": "anti-smuggling"})
    page.evaluate("document.getElementById('export-csv').click()")
    _wait(page, "(document.body.dataset.lastDownload || '').includes('.csv')")
    name, size = page.evaluate("document.body.dataset.lastDownload").split(" ")
    assert name.startswith("leads-anti-smuggling-") and int(size) == len(csv.content)
    page.evaluate("document.getElementById('export-xlsx').click()")
    _wait(page, "(document.body.dataset.lastDownload || '').includes('.xlsx')")
    assert int(page.evaluate("document.body.dataset.lastDownload").split(" ")[1]) > 1000

    # one risk target's leads, as the API filters them
    for target in ("drugs", leads[0]["target"] or "tax"):
        expected = api.get("/v1/leads", params={"kind": "anti-smuggling", "target": target}).json()["count"]
        _go(page, f"#/leads?kind=anti-smuggling&target={target}")
        _wait(page, f"document.querySelector('#leads-targets strong')?.innerText.trim() === '{target}'")
        _wait(page, f"(document.getElementById('leads-count')?.innerText || '').startsWith('{expected} lead')")


def test_a_key_of_another_jurisdiction_sees_a_clear_refusal(explore_server, page):
    server, summary = explore_server
    qingdao = server.client_as("investigator", "Qingdao")
    ring = summary["top_networks"][0]["id"]
    _use_key(page, server.url + f"/#/networks/{ring}", qingdao.headers["X-API-Key"])
    _wait(page, "!!document.querySelector('#side .denied')")
    refusal = page.evaluate("document.querySelector('#side .denied').innerText")
    assert refusal.startswith("Not allowed with this key") and "outside the jurisdiction" in refusal
    # the list holds only what this key may see, as the API answers it
    _go(page, "#/networks")
    _wait(page, "!!document.getElementById('networks-count')")
    assert _rows(page, "networks") == qingdao.get("/v1/networks").json()["count"]


def test_a_limited_key_sees_outside_firms_as_placeholders(explore_server, page):
    """Shanghai's key on the broker both sides use: HONEST2 (Qingdao) is a grey placeholder in the chart, its
    declarations keep only their dates on the timeline, and nothing on the page names it."""
    server, _ = explore_server
    shanghai = server.client_as("investigator", "SC-SHANGHAI")
    _use_key(page, server.url + "/#/enterprises/BRK-BIG", shanghai.headers["X-API-Key"])
    _wait(page, "document.getElementById('chart').dataset.settled && !!document.getElementById('declarations')")
    placeholders = page.evaluate("nodes.get().filter(function (n) { return n.data.outside; }).length")
    hood = shanghai.get("/v1/enterprises/BRK-BIG/network", params={"depth": 1, "limit": 200}).json()
    assert placeholders == sum(1 for n in hood["nodes"] if n.get("outside")) >= 1
    text = page.evaluate("document.getElementById('view').innerText")
    assert "HONEST2" not in text and "Honest2" not in text and "undefined" not in text and "null" not in text
    assert text.count("outside jurisdiction") >= 3  # the three declarations lodged at Qingdao, in the table
    assert page.evaluate("document.getElementById('timeline').dataset.items") == "6"


def test_minimal_firm_shows_dashes_not_errors(explore_server, page):
    """A broker known only by its id: no name, category, registration, channel or network."""
    server, _ = explore_server
    _use_key(page, server.url + "/#/enterprises/BRK-R", server.client.headers["X-API-Key"])
    _wait(page, "document.getElementById('chart').dataset.settled && !!document.getElementById('declarations')")
    profile = page.evaluate("document.getElementById('profile').innerText")
    assert "Enterprise BRK-R" in profile and "—" in profile and "undefined" not in profile and "null" not in profile
    assert "in no scored network" in profile or "network" in profile
    table = page.evaluate("document.getElementById('declarations').innerText")
    assert "undefined" not in table and "null" not in table and "—" in table
    assert page.evaluate("document.querySelectorAll('#timeline .vis-point.ch-none').length") > 0


def _alert_row(page, firm: str, do: str = "") -> list[str]:
    """The cells of the inbox row of ``firm`` (after clicking its ``do`` button, when given)."""
    return page.evaluate(
        "(function () { var row = Array.from(document.querySelectorAll('#alerts tbody tr')).find(function (r) {"
        f" return r.cells[3].innerText.split(' ')[0] === {firm!r}; }});"
        + (f" row.querySelector('button[data-act={do}]').click();" if do else "")
        + " return Array.from(row.cells).map(function (c) { return c.innerText; }); })()"
    )


def test_an_investigator_works_an_alert_from_the_inbox_and_sees_the_record_on_the_chart(
    explore_server, page, driver, tmp_path
):
    from investigate.alerts import raise_alerts
    from tests.conftest import remove_intel
    from tests.explore_setup import RING_PHONE

    server, _ = explore_server
    shanghai, qingdao = server.client_as("investigator", "SC-SHANGHAI"), server.client_as("investigator", "Qingdao")
    lookout = {"kind": "lookout", "target": "drugs", "summary": "the ring's phone", "scale": "admiralty",
               "source_grade": "B", "info_grade": "2", "entities": [{"type": "phone", "value": RING_PHONE}]}  # fmt: skip
    record = shanghai.post("/v1/intel", json=lookout).json()["id"]
    try:
        assert raise_alerts(driver, "neo4j") >= 4  # SHELL1..3 and BRIDGE hold the phone
        listed = shanghai.get("/v1/alerts", params={"limit": 500}).json()
        _use_key(page, server.url + "/#/alerts", shanghai.headers["X-API-Key"])
        _wait(page, "!!document.getElementById('alerts-count')")
        assert _rows(page, "alerts") == listed["count"] and listed["count"] >= 4
        shown = page.evaluate(
            "Array.from(document.querySelectorAll('#alerts tbody tr')).map(r => r.cells[5].innerText)"
        )
        assert shown == [a["why"] for a in listed["data"]]  # newest first, with why, as the API answers
        _keep(page.screenshot(), "8-alerts.png", tmp_path)

        assert _alert_row(page, "SHELL2", do="acknowledge")
        _wait(
            page,
            "Array.from(document.querySelectorAll('#alerts tbody tr')).some(r => r.cells[1].innerText === 'acknowledged')",
        )
        assert _alert_row(page, "SHELL2")[1] == "acknowledged"
        _alert_row(page, "SHELL3", do="case")
        _wait(page, "!!document.querySelector('#alerts a[href^=\"#/cases/\"]')")
        case = page.evaluate("document.querySelector('#alerts a[href^=\"#/cases/\"]').innerText")
        by_firm = {a["enterprise"]: a for a in shanghai.get("/v1/alerts").json()["data"] if a["record"] == record}
        assert by_firm["SHELL2"]["status"] == "acknowledged" and by_firm["SHELL3"]["case_id"] == case
        assert shanghai.get(f"/v1/cases/{case}").json()["concerns"] == ["SHELL3"]

        _go(page, "#/enterprises/SHELL1")
        _wait(page, "document.getElementById('chart').dataset.settled")
        drawn = page.evaluate(
            "nodes.get().filter(function (n) { return n.data.label === 'Intel'; }).map(n => n.data.key)"
        )
        hood = shanghai.get("/v1/enterprises/SHELL1/network", params={"depth": 2}).json()
        assert drawn == [n["key"] for n in hood["nodes"] if n["label"] == "Intel"] == [record]
        assert any(e["type"] == "MENTIONS" and e["source"] == f"Intel:{record}" for e in hood["edges"])

        page.evaluate("sessionStorage.clear()")
        _use_key(page, server.url + "/#/alerts", qingdao.headers["X-API-Key"])  # outside the record's restriction
        _wait(page, "!!document.getElementById('alerts-count')")
        assert _rows(page, "alerts") == qingdao.get("/v1/alerts").json()["count"]
        assert record not in page.evaluate("document.getElementById('view').innerText")
        assert record not in qingdao.get("/v1/enterprises/BRK-BIG/network", params={"depth": 2}).text
    finally:
        remove_intel(driver)
