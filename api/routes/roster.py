"""Rosters and utilisation: ``PUT``/``GET /v1/roster/{office}?date=``, ``GET /v1/utilisation?from=&to=``.

An analyst of a sub-centre puts the rosters of its own districts only, and every reader sees those of its
jurisdiction; a department analyst and an admin any office's. The scorers of every worker assign to a changed
roster from their next declaration (``scoring.roster``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access import PrincipalDep, districts_of
from api.deps import LiveScorerDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import RosterIn, RosterPublic, UtilisationPublic
from graph.reference import WORKING_LEVELS, resolve_office
from scoring.roster import RosterError, parse_duty
from scoring.utilisation import utilisation

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["capacity"])

DateQuery = Annotated[date | None, Query(alias="date", description="the day (default today, UTC)")]
#: the longest period utilisation is read over
MAX_DAYS = 400


def _own_office(request: Request, office: str, key=None) -> str:
    found = resolve_office(office)
    if found is None:
        raise ApiError(404, "not_found", f"no customs office {office!r} (GET /v1/offices)")
    districts = districts_of(request)
    if districts is not None and found.code not in districts:
        who = key.jurisdiction if key is not None else "this key"
        raise ApiError(403, "outside_jurisdiction", f"office {found.code} is outside the jurisdiction of {who}")
    if found.level not in WORKING_LEVELS:
        says = f"office: {found.code} is a {found.level}; rosters are per district or post"
        raise ApiError(422, "invalid_roster", says)
    return found.code


def _roster(live, office: str, day: date) -> RosterPublic:
    capacity = live.capacity
    capacity.rosters.follow()
    hours = capacity.rosters.inspector_hours(office, day)
    limits = capacity.table.limits(office, day, hours)
    return RosterPublic(
        office=office,
        day=day.isoformat(),
        officers=capacity.rosters.duties(office, day),
        inspector_hours=hours,
        physical_capacity=limits.physical if limits else None,
        capacity_source=limits.source if limits else None,
    )


@router.get("/roster/{office}", response_model=RosterPublic)
def read_roster(request: Request, office: str, live: LiveScorerDep, day: DateQuery = None) -> RosterPublic:
    """The office's roster of a day, with what each officer was assigned at lodging."""
    return _roster(live, _own_office(request, office), day or datetime.now(UTC).date())


@router.put("/roster/{office}", response_model=RosterPublic)
def update_roster(
    request: Request, office: str, body: RosterIn, live: LiveScorerDep, key: PrincipalDep, day: DateQuery = None
) -> RosterPublic:
    """Replace the office's roster of a day (an empty ``officers`` clears it)."""
    code = _own_office(request, office, key)
    day = day or datetime.now(UTC).date()
    duties, seen = [], set()
    for i, d in enumerate(body.officers):
        try:
            duty = parse_duty(code, day, d.officer, d.role, d.hours, d.start, d.end)
        except RosterError as exc:
            raise ApiError(422, "invalid_roster", f"officers[{i}]: {exc}") from None
        if duty.officer in seen:
            raise ApiError(422, "invalid_roster", f"officers[{i}]: {duty.officer} is on the roster twice")
        seen.add(duty.officer)
        duties.append(duty)
    live.capacity.rosters.replace(duties, [(code, day)])
    return _roster(live, code, day)


@router.get("/utilisation", response_model=UtilisationPublic)
def read_utilisation(
    request: Request,
    live: LiveScorerDep,
    since: Annotated[date | None, Query(alias="from", description="first day (default 30 days before to)")] = None,
    until: Annotated[date | None, Query(alias="to", description="last day (default today, UTC)")] = None,
) -> UtilisationPublic:
    """Per office and officer: hours rostered, assigned, done, hits per officer-hour; short and idle days."""
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=30)
    if since > until or (until - since).days > MAX_DAYS:
        raise ApiError(422, "invalid_request", f"from must be on or before to, at most {MAX_DAYS} days apart")
    capacity = live.capacity
    return UtilisationPublic(
        **utilisation(capacity.table, capacity.use, capacity.rosters, since, until, districts_of(request))
    )
