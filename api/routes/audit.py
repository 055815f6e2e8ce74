"""``GET /v1/audit``: the newest audit entries, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.models import AuditPublic

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPublic)
def read_audit(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    key: Annotated[str | None, Query(description="one key id")] = None,
    resource: Annotated[str | None, Query(description="an enterprise, network, case or rule id")] = None,
) -> dict:
    items = request.app.state.audit.tail(limit, key, resource)
    return {"items": items, "count": len(items)}
