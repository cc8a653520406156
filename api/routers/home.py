"""The pages a person opens first: the home page (data overview and links to every page), the API documentation
(Swagger UI and ReDoc, served from local files so they work with no network) and the favicon."""
from __future__ import annotations

import functools
from urllib.parse import quote
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from api import node_service
from api.deps import PageCtxDep, StoreDep
from graph.schema import LABEL_CN
from kernel.pages import e, page

API_PREFIX = "/api/v1"
DOCS_STATIC = Path(fastapi_offline.__file__).parent / "static"
_REDOC_LOGO_CDN = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
_DAY = {"Cache-Control": "public, max-age=86400"}

router = APIRouter(include_in_schema=False)


@functools.lru_cache(maxsize=1)
def _redoc_offline_js() -> bytes:
    """ReDoc's bundle as shipped, except that its footer logo is not fetched from the vendor's CDN (pages here
    must work with no network and make no outside request)."""
    js = (DOCS_STATIC / "redoc.standalone.js").read_text(encoding="utf-8")
    return js.replace(_REDOC_LOGO_CDN, _BLANK_SVG).encode("utf-8")


@router.get("/favicon.ico")
def favicon() -> FileResponse:  # pages without their own icon: the browser asks here (no 404 in the console)
    return FileResponse(DOCS_STATIC / "favicon.png", media_type="image/png", headers=_DAY)


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=request.app.openapi_url or "/openapi.json", title="ChainMatch API 文档",
                               swagger_js_url="/static/docs/swagger-ui-bundle.js",
                               swagger_css_url="/static/docs/swagger-ui.css",
                               swagger_favicon_url="/static/docs/favicon.png")


@router.get("/static/redoc-offline.js")
def redoc_js() -> Response:
    return Response(_redoc_offline_js(), media_type="text/javascript", headers=_DAY)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=request.app.openapi_url or "/openapi.json", title="ChainMatch API 文档",
                          redoc_js_url="/static/redoc-offline.js",
                          redoc_favicon_url="/static/docs/favicon.png", with_google_fonts=False)


@router.get("/", response_class=HTMLResponse)
def index(store: StoreDep, ctx: PageCtxDep) -> HTMLResponse:
    chains, counts = node_service.overview(store)
    rows = "".join(
        f"<li><a href='/pages/chains/{quote(c['key'])}/map'>{e(c['name'])}</a>"
        f" · <a href='/pages/chains/{quote(c['key'])}/report'>招商报告</a></li>"
        for c in chains
    )
    names = {label.value: cn for label, cn in LABEL_CN.items()}
    stats = " · ".join(f"{e(names.get(k, k))} {v:,}" for k, v in counts.items() if v)
    body = (f"<p id='cm-stats'>数据概况：{stats or '（空库，请运行 chainmatch seed）'}</p>"
            "<p><a href='/pages'>工作台：产业链图谱、企业与园区画像</a> · <a href='/pages/land'>土地超市</a> · "
            "<a href='/pages/pipeline'>招商项目库</a> · <a href='/pages/incentives'>政策计算器</a></p>"
            f"<h2>产业链</h2><ul>{rows}</ul>"
            "<p class='muted'><a href='/docs'>API 文档（Swagger）</a> · <a href='/redoc'>API 文档（ReDoc）</a> · "
            "<a href='/ready'>就绪状态</a></p>")
    return page("ChainMatch 产业链招商", "<h1>ChainMatch 产业链招商</h1><p>产业链图谱 · 招商目标 · 土地超市 · 项目库 · 政策兑现</p>",
                body, ctx=ctx, active="/")