"""What the batch command and ``POST /v1/score`` must agree on, for the same declarations (helpers): the
decision, its reasons and decision-log entry, and the score per risk target with the leading target.

``riskgraph score FILE --out`` explains (adds the model's contributions to) the declarations it sends to
physical inspection; ``POST /v1/score`` explains every declaration not released. So the model's reasons
are compared where both explain (physical inspection); everything else is compared as is.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ingest.fields import OUTCOME_FIELDS
from scoring.decision_log import DecisionLog

__all__ = ["api_rows", "score_one_by_one", "assert_same_decisions"]

_LOGGED = ("score", "probability", "level", "channel", "random", "rule_hits", "links")


def api_rows(rows: list[dict]) -> list[dict]:
    """Canonical rows as a clearance system sends them: outcomes left out, empty fields absent."""
    return [
        {k: str(v) for k, v in row.items() if k not in OUTCOME_FIELDS and v is not None and v == v and str(v) != ""}
        for row in rows
    ]


def score_one_by_one(client, rows: list[dict]) -> tuple[dict[str, dict], set[str]]:
    """(decision per declaration id, ids refused with 422) from ``POST /v1/score``, one declaration a request."""
    answers, refused = {}, set()
    for row in rows:
        response = client.post("/v1/score", json=row)
        if response.status_code == 422:
            refused.add(row.get("declaration_id"))
            continue
        assert response.status_code == 200, response.text
        answers[response.json()["declaration_id"]] = response.json()
    return answers, refused


def _without_model(reasons: list[dict]) -> list[dict]:
    return [r for r in reasons if r["kind"] != "model"]


def assert_same_decisions(out: Path, answers: dict[str, dict], batch_home: Path, api_home: Path) -> int:
    """The batch command's CSV ``out`` and decision log (``batch_home``) equal the API's answers and log; how
    many physical inspections (whose model explanations were compared too) there were."""
    batch = {row["declaration_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(batch) == set(answers)
    inspected = 0
    for declaration_id, answer in answers.items():
        row = batch[declaration_id]
        got = {
            "score": float(row["score"]),
            "probability": float(row["probability"]),
            "level": row["level"],
            "channel": row["channel"],
            "random": bool(int(row["random"])),
        }
        assert got == {k: answer[k] for k in got}, declaration_id
        # the same score per risk target, and the same leading target
        targets = {k.removeprefix("score_"): float(v) for k, v in row.items() if k.startswith("score_")}
        assert targets and targets == {t: v["score"] for t, v in answer["targets"].items()}, declaration_id
        assert row["leading_target"] == answer["leading_target"] in targets, declaration_id
        reasons = json.loads(row["reasons"])
        if answer["channel"] == "physical inspection":
            inspected += 1
            assert reasons == answer["reasons"], declaration_id
        else:
            assert reasons == _without_model(answer["reasons"]) and not any(r["kind"] == "model" for r in reasons)
    ids = sorted(answers)
    logged_batch, logged_api = DecisionLog(batch_home).find(ids), DecisionLog(api_home).find(ids)
    assert set(logged_batch) == set(logged_api) == set(ids)
    for declaration_id in ids:
        assert {k: logged_batch[declaration_id][k] for k in _LOGGED} == {
            k: logged_api[declaration_id][k] for k in _LOGGED
        }, declaration_id
    return inspected
