"""Inspection capacity per office and lodging day: ``PUT /v1/capacity/{office}``, ``GET /v1/capacity``.

An analyst's key of a sub-centre sets the capacity of its own districts only, and sees theirs; a department
analyst and an admin any office's. The scorers of every worker select within a changed capacity from their
next declaration (``scoring.capacity``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access import PrincipalDep, districts_of
from api.deps import LiveScorerDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import CapacitiesPublic, CapacityIn, CapacityPublic
from graph.reference import resolve_office
from scoring.capacity import capacity_overview

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/capacity", tags=["capacity"])


@router.get("", response_model=CapacitiesPublic)
def read_capacity(
    request: Request, live: LiveScorerDep, day: Annotated[date | None, Query(alias="date")] = None
) -> CapacitiesPublic:
    """Each office's capacity on a lodging day (default today, UTC) and what was used of it."""
    allocator = live.capacity
    rows = capacity_overview(
        allocator.table, allocator.use, day or datetime.now(UTC).date(), districts_of(request), allocator.rosters
    )
    return CapacitiesPublic(data=[CapacityPublic(**r) for r in rows], count=len(rows))


@router.put("/{office}", response_model=CapacityPublic)
def update_capacity(
    request: Request, office: str, body: CapacityIn, live: LiveScorerDep, key: PrincipalDep
) -> CapacityPublic:
    found = resolve_office(office)
    if found is None:
        raise ApiError(404, "not_found", f"no customs office {office!r} (GET /v1/offices)")
    districts = districts_of(request)
    if districts is not None and found.code not in districts:
        raise ApiError(
            403, "outside_jurisdiction", f"office {found.code} is outside the jurisdiction of {key.jurisdiction}"
        )
    allocator = live.capacity
    code, _ = allocator.table.set(
        found.code, body.physical, body.documentary, weekday=body.weekday, on=body.date, by=key.name
    )
    day = body.date or datetime.now(UTC).date()
    [row] = capacity_overview(allocator.table, allocator.use, day, {code}, allocator.rosters)
    return CapacityPublic(**row)
