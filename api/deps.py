"""FastAPI dependencies: the store, the snapshot, the caller and role checks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from api.auth import Principal, authenticate
from api.settings import Settings
from graph.snapshot import Snapshot, SnapshotCache
from graph.store import GraphStore


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    snapshots: SnapshotCache


def get_state(request: Request) -> AppState:
    return request.app.state.chainmatch


def get_store(state: Annotated[AppState, Depends(get_state)]) -> GraphStore:
    return state.store


def get_snapshot(state: Annotated[AppState, Depends(get_state)]) -> Snapshot:
    return state.snapshots.get()


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="ChainMatch API key: cm_<id>_<secret>")


def get_principal(store: StoreDep, token: Annotated[str | None, Depends(_api_key)]) -> Principal | None:
    if not token:
        return None
    p = authenticate(store, token)
    if p is None:
        raise HTTPException(401, "API key 无效或已吊销", headers={"WWW-Authenticate": "APIKey"})
    return p


def require(*roles: str) -> Callable[..., Principal]:
    """Dependency: a valid key whose role is one of `roles` (admin always passes)."""

    def dep(p: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
        if p is None:
            raise HTTPException(401, "需要 API key（请求头 X-API-Key）", headers={"WWW-Authenticate": "APIKey"})
        if p.role != "admin" and p.role not in roles:
            raise HTTPException(403, f"角色 {p.role} 无权执行此操作（需要 {'/'.join(('admin',) + roles)}）")
        return p

    return dep
