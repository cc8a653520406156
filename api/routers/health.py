"""Liveness and readiness, for a load balancer or an orchestrator.

/health answers as long as the process serves requests (it touches nothing). /ready checks that the store is
reachable and readable — a real read of its version and counts, not just an open connection — and answers 503
with the reason otherwise, so traffic is only sent to an instance that can serve it.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import StateDep

router = APIRouter(tags=["运维"])
log = logging.getLogger("chainmatch.api")


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyOut(BaseModel):
    status: str = Field(description="ready / unavailable", examples=["ready"])
    backend: str = Field(examples=["sqlite"])
    version: int | None = Field(default=None, description="存储版本号（每次写入递增）")
    counts: dict[str, int] | None = Field(default=None, description="各类节点数量")
    reason: str | None = Field(default=None, description="未就绪的原因")
    skipped: list[str] | None = Field(default=None, description="分析快照无法容纳而略去的记录（类别 key…：原因），服务照常")


@router.get("/health", summary="存活检查", response_model=HealthOut)
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="就绪检查（存储可达、可读）", response_model=ReadyOut,
            responses={503: {"description": "未就绪（存储不可达或不可读）", "model": ReadyOut}})
def ready(state: StateDep) -> Any:
    store = state.store
    body: dict[str, Any] = {"status": "unavailable", "backend": store.backend}
    try:
        if not store.ping():
            raise RuntimeError("存储无响应")
        body["version"] = store.version()
        body["counts"] = store.counts()["nodes"]
    except Exception as e:  # any failure to read means: do not send traffic here
        log.warning("not ready: %s", e)
        body.update(version=None, counts=None, reason=f"存储不可用：{e}")
        return JSONResponse(body, status_code=503)
    body["status"] = "ready"
    snap = state.snapshots.current
    if snap is not None and snap.skipped:
        body["skipped"] = [f"{lab} {key}…：{why}" for lab, key, why, _ in snap.skipped[:100]]
    return body
