"""The ChainMatch FastAPI application: routers combined in one place, offline docs, request ids, limits.

The app reads nothing itself: every route goes through a dependency (api/deps.py) to a service — the node
service, a capability's read side or its commands."""
from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet as xstatic_leaflet

from alerts import pages as alerts_pages, router as alerts_router
from alerts.commands import AlertRules, AlertWorker
from alerts.commands.webhooks import WebhookRules
from api import errors
from api import openapi as api_openapi
from api.deps import AppState, open_configured_store
from api.middleware import RequestContextMiddleware
from api.routers import admin, health, home, nodes, session
from api.settings import Settings, get_settings
from chains import pages as chains_pages, router as chains_router
from dossier import pages as dossier_pages, router as dossier_router
from graph.snapshot import SnapshotCache
from graph.store import GraphStore
from incentives import pages as incentives_pages, router as incentives_router
from land import pages as land_pages, router as land_router
from land.outlines import ASSETS as LAND_MAP_ASSETS
from pipeline import pages as pipeline_pages, router as pipeline_router
from search import pages as search_pages, router as search_router
from search.commands import warm_up as warm_up_search
from targets import pages as targets_pages, router as targets_router

log = logging.getLogger("chainmatch.api")
API_PREFIX = home.API_PREFIX
__all__ = ["create_app", "open_configured_store", "API_PREFIX"]


def _lifespan(settings: Settings, store: GraphStore | None):
    """Open the configured store (unless one is given, which the caller then closes) and its snapshot cache; start
    内容订阅's worker and the search index's warm-up (search.commands.warm_up) in the background."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st = store or open_configured_store(settings)
        app.state.chainmatch = AppState(settings=settings, store=st, snapshots=SnapshotCache(st, settings.snapshot_dir))
        worker = _alerts_worker(settings, app.state.chainmatch)
        app.state.alerts_worker = worker
        warming = (warm_up_search(st, app.state.chainmatch.snapshots.get, settings.snapshot_dir,
                                  max_changes=settings.search.max_changes)
                   if settings.search.warm_on_start else None)
        app.state.search_warm_up = warming
        log.info("ChainMatch ready: backend=%s version=%s", st.backend, st.version())
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if warming is not None:
                warming.join(timeout=10)  # a long first build is left to finish (a daemon thread) or die with us
            if store is None:
                st.close()
            log.info("ChainMatch stopped")

    return lifespan


def _alerts_worker(settings: Settings, state: AppState) -> AlertWorker | None:
    """内容订阅's background processor and webhook sender (off with CHAINMATCH_ALERTS='{"worker": false}')."""
    a = settings.alerts
    if not a.worker:
        return None
    return AlertWorker(state.store, state.snapshots.get, rules=AlertRules.from_settings(a),
                       webhooks=WebhookRules.from_settings(a), poll_seconds=a.poll_seconds,
                       tick_seconds=a.tick_seconds).start()


def _include_routers(app: FastAPI) -> None:
    app.include_router(health.router)
    app.include_router(nodes.build_router(), prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    # one router (and its pages) per capability
    for r in (chains_router, dossier_router, land_router, incentives_router, pipeline_router, targets_router,
              alerts_router, search_router):
        app.include_router(r.router, prefix=API_PREFIX)
    for p in (chains_pages, dossier_pages, land_pages, pipeline_pages, incentives_pages, targets_pages, alerts_pages,
              search_pages):
        app.include_router(p.router)
    app.include_router(session.router)
    app.include_router(home.router)
    app.mount("/static/docs", StaticFiles(directory=home.DOCS_STATIC), name="docs-static")
    # the 土地超市 map: Leaflet's dist files (PyPI XStatic-Leaflet) and the map's own script, style and outlines
    app.mount("/static/leaflet", StaticFiles(directory=xstatic_leaflet.BASE_DIR), name="leaflet-static")
    app.mount("/static/land", StaticFiles(directory=LAND_MAP_ASSETS), name="land-map-static")


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="ChainMatch 产业链招商",
        description=(
            "产业链图谱、招商目标推荐、土地超市。读接口公开；写接口需要 API key（请求头 `X-API-Key`），"
            "并记入审计日志。错误统一为 application/problem+json。"
        ),
        version="0.1.0",
        lifespan=_lifespan(settings, store),
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    api_openapi.install(app)
    # request id, body limit, access log; CORS (added last) wraps it, so even a 413 carries CORS headers
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                           allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID"], max_age=600)
    _include_routers(app)
    return app
