"""``GET /v1/offices``: the customs organisation in force (the seed's, or the one `riskgraph offices load` set)."""

from __future__ import annotations

from fastapi import APIRouter

from api.models import OfficePublic, OfficesPublic
from graph.reference import offices

router = APIRouter(prefix="/v1", tags=["offices"])


@router.get("/offices", response_model=OfficesPublic)
def read_offices() -> OfficesPublic:
    data = [
        OfficePublic(
            code=o.code, name=o.name, kind=o.level, parent=o.parent, aliases=list(o.aliases), unassigned=o.unassigned
        )
        for o in offices()
    ]
    return OfficesPublic(data=data, count=len(data))
