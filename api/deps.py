"""Shared dependencies of the routes, as ``Annotated`` aliases.

The cheap ones are ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, two
thread hops per scoring request for a dictionary lookup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.lodging_alerts import LodgingAlerts
from scoring.decision_log import DecisionLog
from scoring.live import LiveScorer
from scoring.rule_store import RuleStore

__all__ = ["LiveScorerDep", "RuleStoreDep", "DecisionLogDep", "LodgingAlertsDep", "GraphDep", "GRAPH_DEPENDENCIES"]


async def _live(request: Request) -> LiveScorer:
    return request.app.state.live


async def _rules(request: Request) -> RuleStore:
    return request.app.state.live.rules


async def _log(request: Request) -> DecisionLog:
    return request.app.state.log


async def _lodging_alerts(request: Request) -> LodgingAlerts:
    return request.app.state.lodging_alerts


def _graph() -> tuple:
    """(driver, database) once Neo4j answers, every query bounded in time; never needed by scoring."""
    from graph.connection import database, serving

    return serving(), database()


# Dependencies that answer 503 when the graph or the snapshot is away (the OpenAPI document says so).
GRAPH_DEPENDENCIES = (_graph,)

LiveScorerDep = Annotated[LiveScorer, Depends(_live)]
RuleStoreDep = Annotated[RuleStore, Depends(_rules)]
DecisionLogDep = Annotated[DecisionLog, Depends(_log)]
LodgingAlertsDep = Annotated[LodgingAlerts, Depends(_lodging_alerts)]
GraphDep = Annotated[tuple, Depends(_graph)]
