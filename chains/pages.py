"""The chain pages of the workbench (mounted under /pages): the index, chain map, internal 招商报告 and investor
投资推介 (HTML; the report also as XLSX and SVG) and 园区画像 — all inside the one shell (navigation,
signed-in user, message). The graph pages keep their interactive graph with everything inline (no CDN, no external
request); saved with ?download=1, a handout works at a 招商推介会 without network. Thin: the pages are built in
chains/render/workbench.py. The firm page (/pages/enterprises/{key}, 企业尽调) is the dossier package's.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PageCtxDep, SnapshotDep, StateDep
from chains.render import workbench
from chains.render.shell import offline_document, served
from chains.render.svg import chain_map_svg
from chains.render.views import MAX_NODES
from chains.render.xlsx import chain_xlsx_bytes
from chains.render import report as chain_render
from chains.router import ConfigDep, RegionQuery
from kernel.downloads import XLSX, attachment
from kernel.pages import redirect_with, subscribe_button
from kernel.regions import region_or_home
from search import IndexDep, limits_of, search as search_all

router = APIRouter(prefix="/pages", tags=["页面"])
ChainPath = Annotated[str, Path(min_length=1, max_length=128, description="产业链 key、名称或别名")]
KeyPath = Annotated[str, Path(min_length=1, max_length=128)]
Download = Annotated[bool, Query(description="作为附件下载")]
MaxNodes = Annotated[int, Query(ge=10, le=MAX_NODES)]
SearchLimits = Annotated[Any, Depends(limits_of)]
PageRegion = Annotated[str | None, Query(max_length=128, description="行政区或园区；不填 = 本地（alerts.home_region）")]


def page_region(snap: SnapshotDep, state: StateDep, region: PageRegion = None) -> str | None:
    """The region a chain page is drawn for: the one asked for, else the officer's own (kernel.regions.region_or_home,
    the rule the dossier page and 信息检索's links follow too); None → the page sends the officer to the 工作台's region
    picker."""
    return region_or_home(snap, region, state.settings.alerts.home_region)


RegionOrHome = Annotated[str | None, Depends(page_region)]
PICK_REGION = "请选择地区或园区，再查看产业链图谱与报告"


@router.get("", response_class=HTMLResponse, summary="工作台：产业链图谱、报告、企业与园区画像")
def index(snap: SnapshotDep, ctx: PageCtxDep, region: Annotated[str | None, Query(max_length=128)] = None) -> HTMLResponse:
    return served(workbench.index_parts(snap, region), ctx)


@router.get("/chain-map", summary="跳转到产业链图谱（表单用）", response_class=RedirectResponse, status_code=303)
def chain_map_redirect(chain: Annotated[str, Query(min_length=1, max_length=128)], region: RegionQuery) -> RedirectResponse:
    return RedirectResponse(f"/pages/chains/{quote(chain)}/map?{urlencode({'region': region})}", status_code=303)


@router.get("/enterprise-lookup", summary="按名称或代码查找企业画像（表单用）", response_class=RedirectResponse,
            status_code=303)
def enterprise_lookup(snap: SnapshotDep, index: IndexDep, limits: SearchLimits,
                      q: Annotated[str | None, Query(max_length=100)] = None) -> RedirectResponse:
    """The 工作台's firm search, through the one 信息检索 (search.search over firms): one firm named exactly (name,
    简称 or 统一社会信用代码), or the only firm whose name holds the text → 303 to its page; otherwise the search page with the firms that come close (简称,
    拼音, 错字 …) and a message; the form's answer is a message, not an error page."""
    if not q or not q.strip():
        return redirect_with("/pages", "请输入企业名称、简称或统一社会信用代码", ok=False)
    out = search_all(index, snap, q=q.strip(), label="Enterprise", limit=5, limits=limits)
    exact = [h for h in out.hits if h.how == "完全一致"]
    named = [h for h in out.hits if h.why != "错字容错"]  # homophones and close spellings name nothing
    if len(exact) != 1 and len(named) == 1:
        exact = named  # the one firm whose name or 简称 holds the text
    if len(exact) == 1:
        return RedirectResponse(f"/pages/enterprises/{quote(exact[0].key)}", status_code=303)
    listing = "/pages/search?" + urlencode({"q": q.strip(), "label": "Enterprise"})
    if out.hits:
        return redirect_with(listing, f"没有名称完全一致的企业“{q.strip()}”，以下是相近的企业", ok=False)
    return redirect_with(listing, f"未找到企业“{q.strip()}”", ok=False)


@router.get("/chains/{chain}/map", response_class=HTMLResponse, summary="产业链图谱（交互式页面）")
def chain_map_page(snap: SnapshotDep, state: StateDep, ctx: PageCtxDep, chain: ChainPath, region: RegionOrHome,
                   config: ConfigDep, segment: Annotated[str | None, Query(max_length=128, description="选中的环节 key")] = None
                   ) -> Response:
    if region is None:
        return redirect_with("/pages", PICK_REGION, ok=False)
    return served(workbench.map_page(snap, chain=chain, region=region, config=config, segment=segment,
                                     target_settings=state.settings.targets.model_dump()), ctx)


@router.get("/chains/{chain}/report", response_class=HTMLResponse, summary="内部招商报告（强弱项与空白诊断）")
def chain_report_page(snap: SnapshotDep, state: StateDep, ctx: PageCtxDep, chain: ChainPath, region: RegionOrHome,
                      config: ConfigDep, download: Download = False) -> Response:
    if region is None:
        return redirect_with("/pages", PICK_REGION, ok=False)
    parts, stem = workbench.report_page(snap, chain=chain, region=region, config=config,
                                        target_settings=state.settings.targets.model_dump())
    if download:
        return HTMLResponse(offline_document(parts), headers=attachment(f"{stem}-report.html"))
    return served(parts, ctx)


@router.get("/chains/{chain}/investor", response_class=HTMLResponse, summary="投资推介（面向投资方的推介会材料）")
def chain_investor_page(snap: SnapshotDep, ctx: PageCtxDep, chain: ChainPath, region: RegionOrHome, config: ConfigDep,
                        download: Download = False) -> Response:
    if region is None:
        return redirect_with("/pages", PICK_REGION, ok=False)
    parts, stem = workbench.investor_page(snap, chain=chain, region=region, config=config)
    if download:
        return HTMLResponse(offline_document(parts), headers=attachment(f"{stem}-investor.html"))
    return served(parts, ctx)


@router.get("/chains/{chain}/report.xlsx", summary="环节分析表（Excel）",
            responses={200: {"content": {XLSX: {}}, "description": "XLSX 文件"}})
def chain_report_xlsx(snap: SnapshotDep, chain: ChainPath, region: RegionQuery, config: ConfigDep) -> Response:
    out = chain_render.build(snap, chain=chain, region=region, config=config, firms_per_segment=0)
    return Response(chain_xlsx_bytes(out.cmap), media_type=XLSX, headers=attachment(f"{out.stem}-segments.xlsx"))


@router.get("/chains/{chain}/map.svg", summary="产业链图谱静态图（SVG）",
            responses={200: {"content": {"image/svg+xml": {}}, "description": "SVG"}})
def chain_map_svg_file(snap: SnapshotDep, chain: ChainPath, region: RegionQuery, config: ConfigDep) -> Response:
    out = chain_render.build(snap, chain=chain, region=region, config=config, firms_per_segment=0)
    return Response(chain_map_svg(out.cmap), media_type="image/svg+xml")


@router.get("/parks/{key}", response_class=HTMLResponse, summary="园区画像：主导产业链、园区企业、地块")
def park_page(snap: SnapshotDep, ctx: PageCtxDep, key: KeyPath, max_nodes: MaxNodes = MAX_NODES) -> HTMLResponse:
    parts = workbench.park_page(snap, key, max_nodes=max_nodes)
    park = workbench.park_key(snap, key)  # a park named in the path: the button's rule compares keys
    button = subscribe_button(ctx, "park", park, f"/pages/parks/{quote(park)}")
    return served(replace(parts, header=parts.header + button) if button else parts, ctx)
