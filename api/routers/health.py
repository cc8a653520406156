"""Liveness and readiness."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import StateDep

router = APIRouter(tags=["运维"])


@router.get("/health", summary="存活检查")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="就绪检查（存储可达、快照可用）", responses={503: {"description": "未就绪"}})
def ready(state: StateDep) -> Any:
    ok = state.store.ping()
    body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "backend": state.store.backend}
    if ok:
        body["version"] = state.store.version()
        body["counts"] = state.store.counts()["nodes"]
    return JSONResponse(body, status_code=200 if ok else 503)
