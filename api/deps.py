"""Shared dependencies of the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from scoring.live import LiveScorer
from scoring.rule_store import RuleStore

__all__ = ["LiveScorerDep", "RuleStoreDep"]


def _live(request: Request) -> LiveScorer:
    return request.app.state.live


def _rules(request: Request) -> RuleStore:
    return request.app.state.live.rules


LiveScorerDep = Annotated[LiveScorer, Depends(_live)]
RuleStoreDep = Annotated[RuleStore, Depends(_rules)]
