"""Intelligence: record a lookout, seizure or tip-off, list and read them, withdraw one. These use the graph.

A new or withdrawn lookout is published for the scorers at once (``scoring.lookouts``): this process's
scorer reads it before the answer, every other worker of the home within a second. A key limited to a
jurisdiction records within it only, and a record it may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.access import PrincipalDep, districts_of
from api.deps import GraphDep, LiveScorerDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import IntelCreate, IntelPublic, IntelsPublic
from investigate import intel
from investigate.intel_records import KINDS, check_record

router = APIRouter(
    route_class=StrictJSONRoute,
    prefix="/v1/intel",
    tags=["intel"],
    responses={404: {"description": "no such record, or one the key may not see"}},
)


def _author(principal) -> str:
    return f"{principal.name} ({principal.id})"


@router.post("", status_code=201, response_model=IntelPublic)
def create_intel(
    request: Request,
    response: Response,
    graph: GraphDep,
    principal: PrincipalDep,
    live: LiveScorerDep,
    body: IntelCreate,
) -> dict:
    raw = body.model_dump(mode="json")
    record = check_record(raw, jurisdiction=principal.jurisdiction)
    districts = districts_of(request)
    if districts is not None and record.jurisdiction not in districts:
        raise ApiError(
            403,
            "outside_jurisdiction",
            f"a record restricted to {record.jurisdiction} is outside {principal.jurisdiction}",
        )
    intel.record_intel(*graph, live.home, [record], by=_author(principal))
    live.follow_intel()
    response.headers["Location"] = f"/v1/intel/{record.id}"
    return intel.read_intel(*graph, record.id, districts)


@router.get("", response_model=IntelsPublic)
def read_intels(
    request: Request,
    graph: GraphDep,
    kind: Literal[KINDS] | None = None,
    status: Literal["active", "withdrawn"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    data = intel.list_intel(*graph, districts_of(request), kind, status, limit)
    return {"data": data, "count": len(data)}


@router.get("/{intel_id}", response_model=IntelPublic)
def read_one_intel(request: Request, graph: GraphDep, intel_id: str) -> dict:
    return intel.read_intel(*graph, intel_id, districts_of(request))


@router.post("/{intel_id}/withdraw", response_model=IntelPublic)
def withdraw_intel(
    request: Request, graph: GraphDep, principal: PrincipalDep, live: LiveScorerDep, intel_id: str
) -> dict:
    withdrawn = intel.withdraw_intel(*graph, live.home, intel_id, _author(principal), districts_of(request))
    live.follow_intel()
    return withdrawn
