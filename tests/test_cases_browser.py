"""The investigator page opens a case in headless Chromium: the button posts it, the page shows its id,
and the API has it with its evidence. The screenshot is kept as ``case-investigator.png`` under
pytest's tmp folder for a person to look at."""

from __future__ import annotations

from tests.browser import inked

pytest_plugins = ("tests.explore_setup",)


def _select(page, q: str) -> None:
    page.evaluate(f"document.getElementById('q').value = {q!r}; document.querySelector('#search button').click()")
    page.wait_for("document.querySelectorAll('#results li').length > 0")
    page.evaluate("document.querySelector('#results li').click()")
    page.wait_for("(document.getElementById('case-on') || {options: []}).options.length > 0")  # once the profile is in


def test_open_case_button_opens_a_case_on_the_enterprise_or_its_network(explore_server, page, tmp_path):
    server, _ = explore_server
    page.open(server.url + "/")
    secret = server.client.headers["X-API-Key"]
    page.evaluate(
        f"document.getElementById('key').value = {secret!r}; document.querySelector('#key-form button').click()"
    )
    _select(page, "shell1")
    profile = server.client.get("/v1/enterprises/SHELL1").json()
    options = page.evaluate(
        "Array.from(document.getElementById('case-on').options).map(function (o) { return o.text; })"
    )
    assert options == ["enterprise SHELL1", f"network {profile['network']['id']} ({profile['network']['kind']})"]

    page.evaluate("document.getElementById('open-case').click()")
    case_id = page.wait_for("(document.getElementById('case-link') || {}).textContent")
    case = server.client.get(f"/v1/cases/{case_id}").json()
    assert case["concerns"] == ["SHELL1"] and case["status"] == "open" and case["title"].startswith("Enterprise SHELL1")
    assert case["evidence"]["enterprises"][0]["id"] == "SHELL1"
    assert (
        page.evaluate("document.getElementById('case-result').innerText")
        == f"opened {case_id} ({case['kind']}, 1 enterprise(s))"
    )
    page.wait_for("document.body.dataset.settled")
    image = page.screenshot()
    image.save(tmp_path / "case-investigator.png")
    assert inked(image, (0, 0, 300, 900)) > 500  # the side panel with the case line

    page.evaluate("document.getElementById('case-on').value = '1'; document.getElementById('open-case').click()")
    page.wait_for(f"document.getElementById('case-link').textContent !== {case_id!r}")
    network_case_id = page.evaluate("document.getElementById('case-link').textContent")
    network_case = server.client.get(f"/v1/cases/{network_case_id}").json()
    assert network_case["network_id"] == profile["network"]["id"] and "SHELL1" in network_case["concerns"]
    assert len(network_case["concerns"]) == profile["network"]["size"]
