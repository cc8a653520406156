"""The ChainMatch FastAPI application: routers combined in one place, offline docs, request ids, limits."""
from __future__ import annotations

import contextlib
import functools
import html
import logging
from pathlib import Path
from typing import AsyncIterator

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from api import errors
from api import openapi as api_openapi
from api.deps import AppState
from api.middleware import RequestContextMiddleware
from api.routers import admin, health, nodes
from chains import pages as chains_pages, router as chains_router
from incentives import pages as incentives_pages, router as incentives_router
from land import pages as land_pages, router as land_router
from pipeline import pages as pipeline_pages, router as pipeline_router
from targets import router as targets_router
from api.settings import Settings, get_settings
from graph.snapshot import SnapshotCache
from graph.store import GraphStore, open_store

log = logging.getLogger("chainmatch.api")
_DOCS_STATIC = Path(fastapi_offline.__file__).parent / "static"
API_PREFIX = "/api/v1"


def open_configured_store(settings: Settings) -> GraphStore:
    return open_store(
        settings.store_backend,
        sqlite_path=settings.sqlite_path,
        neo4j_uri=settings.neo4j_uri,
        neo4j_user=settings.neo4j_user,
        neo4j_password=settings.neo4j_password,
        neo4j_database=settings.neo4j_database,
    )


_REDOC_LOGO_CDN = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"


@functools.lru_cache(maxsize=1)
def _redoc_offline_js() -> bytes:
    """ReDoc's bundle as shipped, except that its footer logo is not fetched from the vendor's CDN (pages here
    must work with no network and make no outside request)."""
    js = (_DOCS_STATIC / "redoc.standalone.js").read_text(encoding="utf-8")
    return js.replace(_REDOC_LOGO_CDN, _BLANK_SVG).encode("utf-8")


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        st = store or open_configured_store(settings)
        app.state.chainmatch = AppState(settings=settings, store=st, snapshots=SnapshotCache(st, settings.snapshot_dir))
        log.info("ChainMatch ready: backend=%s version=%s", st.backend, st.version())
        try:
            yield
        finally:
            if owned:
                st.close()
            log.info("ChainMatch stopped")

    app = FastAPI(
        title="ChainMatch 产业链招商",
        description=(
            "产业链图谱、招商目标推荐、土地超市。读接口公开；写接口需要 API key（请求头 `X-API-Key`），"
            "并记入审计日志。错误统一为 application/problem+json。"
        ),
        version="0.1.0",
        lifespan=lifespan,
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

    app.include_router(health.router)
    app.include_router(nodes.build_router(), prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    # one router (and its pages) per capability
    for r in (chains_router, land_router, incentives_router, pipeline_router, targets_router):
        app.include_router(r.router, prefix=API_PREFIX)
    for p in (chains_pages, land_pages, pipeline_pages, incentives_pages):
        app.include_router(p.router)

    app.mount("/static/docs", StaticFiles(directory=_DOCS_STATIC), name="docs-static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # pages without their own icon: the browser asks here (no 404 in the console)
        return FileResponse(_DOCS_STATIC / "favicon.png", media_type="image/png",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="ChainMatch API 文档",
                                   swagger_js_url="/static/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/docs/favicon.png")

    @app.get("/static/redoc-offline.js", include_in_schema=False)
    def redoc_js() -> Response:
        return Response(_redoc_offline_js(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title="ChainMatch API 文档",
                              redoc_js_url="/static/redoc-offline.js",
                              redoc_favicon_url="/static/docs/favicon.png", with_google_fonts=False)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        st: AppState = request.app.state.chainmatch
        chains, _ = st.store.find("IndustryChain", limit=100)
        counts = st.store.counts()["nodes"]
        rows = "".join(
            f"<li><a href='{API_PREFIX}/chains/{html.escape(c['key'])}'>{html.escape(c['name'])}</a>"
            f" · <a href='{API_PREFIX}/segments?chain={html.escape(c['key'])}&limit=100'>环节</a></li>"
            for c in chains
        )
        stats = " · ".join(f"{html.escape(k)} {v}" for k, v in counts.items() if v)
        return HTMLResponse(
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>ChainMatch 产业链招商</title>"
            "<style>body{font-family:sans-serif;max-width:860px;margin:2em auto;line-height:1.6}</style></head><body>"
            "<h1>ChainMatch 产业链招商</h1>"
            f"<p>数据概况：{stats or '（空库，请运行 chainmatch seed）'}</p>"
            "<p><a href='/docs'>API 文档（Swagger）</a> · <a href='/redoc'>API 文档（ReDoc）</a> · "
            "<a href='/ready'>就绪状态</a></p>"
            "<p><a href='/pages'>页面：产业链图谱、企业与园区画像</a> · <a href='/pages/land'>土地超市</a> · "
            "<a href='/pages/pipeline'>招商项目库</a> · <a href='/pages/incentives'>政策计算器</a></p>"
            f"<h2>产业链</h2><ul>{rows}</ul></body></html>"
        )

    return app
