"""FastAPI dependencies: the store, the snapshot, the caller and role checks — for the API (X-API-Key header) and
for the pages (the session cookie set by /pages/login, and a CSRF token on every form that changes data)."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any, Callable
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from api.auth import ROLES, Principal, authenticate
from api.settings import Settings
from graph.snapshot import Snapshot, SnapshotCache
from graph.store import GraphStore, open_store
from kernel.errors import Forbidden, Unauthorized
from kernel.pages import MSG, OK, PageContext, PageUser
from pipeline import ImportLimits, PipelineRules


def open_configured_store(settings: Settings) -> GraphStore:
    """The store the settings name (SQLite file or Neo4j), opened: for the app's lifespan and every CLI command."""
    return open_store(
        settings.store_backend,
        sqlite_path=settings.sqlite_path,
        neo4j_uri=settings.neo4j_uri,
        neo4j_user=settings.neo4j_user,
        neo4j_password=settings.neo4j_password,
        neo4j_database=settings.neo4j_database,
    )


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    snapshots: SnapshotCache


async def get_state(request: Request) -> AppState:
    # async: a plain attribute read, not worth a hop to the thread pool (sync dependencies each take one)
    return request.app.state.chainmatch


async def get_store(state: Annotated[AppState, Depends(get_state)]) -> GraphStore:
    return state.store


def get_snapshot(state: Annotated[AppState, Depends(get_state)]) -> Snapshot:
    return state.snapshots.get()


StateDep = Annotated[AppState, Depends(get_state)]


def get_pipeline_rules(
    state: StateDep,
    key_wan: Annotated[float | None, Query(gt=0, description="重点项目阈值（万元），默认取设置")] = None,
    major_wan: Annotated[float | None, Query(gt=0, description="重大项目阈值（万元），默认取设置")] = None,
    stall_days: Annotated[int | None, Query(ge=1, le=3650, description="停滞天数，默认取设置")] = None,
) -> PipelineRules:
    """The project library's rules: the settings, each overridable for one request."""
    ps = state.settings.pipeline
    return PipelineRules.from_settings(key_wan=ps.key_wan if key_wan is None else key_wan,
                                       major_wan=ps.major_wan if major_wan is None else major_wan,
                                       stall_days=ps.stall_days if stall_days is None else stall_days)


async def get_import_limits(state: StateDep) -> ImportLimits:
    s = state.settings.imports
    return ImportLimits.from_settings(max_rows=s.max_rows, max_unpacked_bytes=s.max_unpacked_bytes)


RulesDep = Annotated[PipelineRules, Depends(get_pipeline_rules)]
ImportLimitsDep = Annotated[ImportLimits, Depends(get_import_limits)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="ChainMatch API key: cm_<id>_<secret>")


def get_principal(store: StoreDep, token: Annotated[str | None, Depends(_api_key)]) -> Principal | None:
    if not token:
        return None
    p = authenticate(store, token)
    if p is None:
        raise Unauthorized("API key 无效或已吊销")
    return p


def require(*roles: str) -> Callable[..., Principal]:
    """Dependency: a valid key whose role is one of `roles` (admin always passes).

    The allowed roles are kept on the dependency (`ALLOWED_ROLES_ATTR`), so tests and docs can read every
    route's access rule from the app itself (tests/api/test_authz.py walks all routes)."""
    allowed = ("admin",) + tuple(r for r in roles if r != "admin")

    def dep(p: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
        if p is None:
            raise Unauthorized("需要 API key（请求头 X-API-Key）")
        if p.role not in allowed:
            raise Forbidden(f"角色 {p.role} 无权执行此操作（需要 {'/'.join(allowed)}）")
        return p

    setattr(dep, ALLOWED_ROLES_ATTR, allowed)
    return dep


ALLOWED_ROLES_ATTR = "chainmatch_allowed_roles"

# A POST that only computes (matching, batch assignment) and writes nothing is public like every read. Mark it
# with `openapi_extra=READ_ONLY` so the access-control test knows it is not a write that lacks a key check.
READ_ONLY: dict[str, Any] = {"x-chainmatch-read-only": True}


def allowed_roles(route: Any) -> tuple[str, ...] | None:
    """The roles a route's require() admits, or None if the route needs no key."""
    stack = list(getattr(getattr(route, "dependant", None), "dependencies", ()))
    while stack:
        d = stack.pop()
        roles = getattr(d.call, ALLOWED_ROLES_ATTR, None)
        if roles is not None:
            return roles
        stack.extend(d.dependencies)
    return None


def api_routes(app: Any) -> list[Any]:
    """Every API route of the app with its full path (routers included with a prefix are flattened), as FastAPI's
    route contexts: `.path`, `.methods`, `.dependant`, `.openapi_extra`, `.body_field`, `.response_class` …"""
    from fastapi import routing

    return [rc for rc in routing.iter_route_contexts(app.routes) if isinstance(rc.original_route, routing.APIRoute)]


# ------------------------------------------------------------------------------------------------ pages
SESSION_COOKIE = "cm_session"  # the signed-in officer's API key (HttpOnly, SameSite=Strict); only pages read it
SESSION_HOURS = 12
PAGE_ROLES_ATTR = "chainmatch_page_roles"


def page_csrf(token: str) -> str:
    """The CSRF token of a session: derived from the key in the cookie, which another site cannot read."""
    return hmac.new(token.encode(), b"chainmatch-page-form", hashlib.sha256).hexdigest()[:32]


def _session(store: GraphStore, request: Request) -> tuple[Principal, str] | None:
    token = request.cookies.get(SESSION_COOKIE)
    p = authenticate(store, token) if token else None
    return (p, token) if p is not None and token else None


def get_page_context(request: Request, store: StoreDep) -> PageContext:
    """Who is signed in to the pages and the message the last form left (cm_msg / cm_ok)."""
    found = _session(store, request)
    user = None
    if found:
        p, token = found
        park_name = (store.get("Park", p.park) or {}).get("name") if p.park else None
        user = PageUser(p.name, p.role, p.park, page_csrf(token), park_name, p.key_id)
    q = request.query_params
    rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k not in (MSG, OK)])
    path = request.url.path + (f"?{rest}" if rest else "")
    return PageContext(path=path, user=user, message=q.get(MSG), ok=q.get(OK, "1") != "0")


PageCtxDep = Annotated[PageContext, Depends(get_page_context)]


def page_form(*roles: str) -> Callable[..., Any]:
    """Dependency of a page form that changes data: a signed-in user (else Unauthorized, which a page answers with
    a redirect to /pages/login), whose role is one of `roles` (admin always passes; none given = any role), and
    the session's CSRF token in the form. Returns the Principal, as require() does for the API."""
    allowed = (("admin",) + tuple(r for r in roles if r != "admin")) if roles else ROLES

    async def dep(request: Request, store: StoreDep) -> Principal:
        found = await run_in_threadpool(_session, store, request)
        if found is None:
            raise Unauthorized("请先登录（输入 API key）")
        p, token = found
        if p.role not in allowed:
            raise Forbidden(f"角色 {p.role} 无权执行此操作（需要 {'/'.join(allowed)}）")
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf") or ""), page_csrf(token)):
            raise Forbidden("表单已失效（CSRF 校验未通过），请刷新页面后重试")
        return p

    setattr(dep, PAGE_ROLES_ATTR, allowed)
    return dep

