"""Administration: the audit log (admin only) and the caller's identity."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.auth import Principal
from api.deps import StoreDep, require

router = APIRouter(tags=["管理"])


class AuditOut(BaseModel):
    id: int | str
    at: str
    actor: str
    action: str
    target: str
    before: Any = None
    after: Any = None


class WhoAmI(BaseModel):
    key_id: str
    name: str
    role: str
    park: str | None


@router.get("/audit", response_model=list[AuditOut], summary="审计日志（仅管理员）")
def audit(
    store: StoreDep,
    _: Annotated[Principal, Depends(require())],
    actor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    return store.list_audit(limit=limit, offset=offset, actor=actor)


@router.get("/whoami", response_model=WhoAmI, summary="当前 API key 的身份")
def whoami(p: Annotated[Principal, Depends(require("officer", "park_admin", "viewer"))]) -> Any:
    return WhoAmI(key_id=p.key_id, name=p.name, role=p.role, park=p.park)
