"""Interactive offline pages (mounted at the root, under /pages): chain map, chain report (HTML, XLSX, SVG),
enterprise view, park view and an index. Every HTML page is self-contained (no CDN, no external request), so
the same bytes can be saved and shown at a 招商推介会 without network. Thin: rendering is in chains/render.
"""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SnapshotDep, StateDep
from chains.render import report as chain_render
from chains.render.html import graph_page, simple_page
from chains.render.svg import chain_map_svg
from chains.render.profiles import enterprise_view, park_view
from chains.render.views import MAX_NODES
from chains.render.xlsx import chain_xlsx_bytes
from kernel.downloads import XLSX, attachment
from chains.router import ConfigDep, RegionQuery
from chains import AnalysisConfig, ChainIndex

router = APIRouter(prefix="/pages", tags=["页面"])
API_PREFIX = "/api/v1"
ChainPath = Annotated[str, Path(min_length=1, max_length=128, description="产业链 key、名称或别名")]


def _config_query(config: AnalysisConfig) -> dict[str, Any]:
    """The non-default thresholds, to carry them over into links."""
    default = AnalysisConfig()
    return {k: v for k, v in config.model_dump().items()
            if v != getattr(default, k) and k in ("strong_lq", "strong_min_count", "gap_max_count", "leader_strong",
                                                  "main_path_min_share", "lq_basis")}


def _chain_links(chain_key: str, region: str, config: AnalysisConfig) -> list[tuple[str, str]]:
    q = urlencode({"region": region, **_config_query(config)})
    c = quote(chain_key)
    return [("产业链图谱", f"/pages/chains/{c}/map?{q}"), ("招商报告（HTML）", f"/pages/chains/{c}/report?{q}"),
            ("环节表（Excel）", f"/pages/chains/{c}/report.xlsx?{q}"), ("静态图（SVG）", f"/pages/chains/{c}/map.svg?{q}"),
            ("数据（JSON）", f"{API_PREFIX}/chains/{c}/map?{q}"), ("页面索引", "/pages")]


@router.get("", response_class=HTMLResponse, summary="页面索引")
def index(snap: SnapshotDep, region: Annotated[str | None, Query(max_length=128)] = None) -> HTMLResponse:
    idx = ChainIndex.of(snap)
    chains = list(zip(idx.chain_keys.tolist(), idx.chain_names.tolist()))
    suggested = [k for k in ("330800", "330700", "430400") if snap.n("Region") and snap.index_of("Region", k) >= 0]
    regions = [(k, str(idx.region_names[snap.index_of("Region", k)])) for k in suggested]
    from jinja2 import Environment, select_autoescape

    body = Environment(autoescape=select_autoescape(default_for_string=True)).from_string("""
<h2>产业链图谱</h2>
<form method="get" action="/pages/chain-map" id="cm-form">
 <label>产业链 <select name="chain">{% for k, n in chains %}<option value="{{ k }}">{{ n }}</option>{% endfor %}</select></label>
 <label>地区或园区 <input name="region" value="{{ region or (regions[0][1] if regions else '') }}" placeholder="如 衢州 / 330800 / 园区名称"></label>
 <button type="submit">查看</button>
</form>
{% if regions %}<table class="cm-table" style="margin-top:12px"><thead><tr><th>产业链</th>{% for k, n in regions %}<th>{{ n }}</th>{% endfor %}</tr></thead><tbody>
{% for ck, cn in chains %}<tr><td>{{ cn }}</td>{% for rk, rn in regions %}<td><a href="/pages/chains/{{ ck|urlencode }}/map?region={{ rk }}">图谱</a> · <a href="/pages/chains/{{ ck|urlencode }}/report?region={{ rk }}">报告</a></td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% endif %}
<h2>园区</h2><ul>{% for k, n in parks %}<li><a href="/pages/parks/{{ k|urlencode }}">{{ n }}</a></li>{% endfor %}</ul>
<p class="cm-hint">企业画像：/pages/enterprises/{企业代码}。</p>
""").render(chains=chains, regions=regions, region=region,
            parks=list(zip(idx.park_keys.tolist(), idx.park_names.tolist())))
    return HTMLResponse(simple_page("ChainMatch 页面", body, subtitle="产业链图谱 · 招商报告 · 企业与园区画像",
                                    links=[("首页", "/"), ("API 文档", "/docs")]))


@router.get("/chain-map", summary="跳转到产业链图谱（表单用）", response_class=RedirectResponse, status_code=303)
def chain_map_redirect(chain: Annotated[str, Query(min_length=1, max_length=128)], region: RegionQuery) -> RedirectResponse:
    return RedirectResponse(f"/pages/chains/{quote(chain)}/map?{urlencode({'region': region})}", status_code=303)


@router.get("/chains/{chain}/map", response_class=HTMLResponse, summary="产业链图谱（交互式离线页面）")
def chain_map_page(snap: SnapshotDep, state: StateDep, chain: ChainPath, region: RegionQuery,
                   config: ConfigDep) -> HTMLResponse:
    targets = chain_render.segment_targets(snap, chain, region, link_base="",
                                           target_settings=state.settings.targets.model_dump())
    out = chain_render.build(snap, chain=chain, region=region, config=config, link_base="", targets=targets)
    return HTMLResponse(chain_render.map_html(out, links=_chain_links(out.cmap.chain.key, region, config)))


@router.get("/chains/{chain}/report", response_class=HTMLResponse, summary="产业链招商报告（单文件 HTML）")
def chain_report_page(snap: SnapshotDep, state: StateDep, chain: ChainPath, region: RegionQuery, config: ConfigDep,
                      download: Annotated[bool, Query(description="作为附件下载")] = False) -> HTMLResponse:
    out = chain_render.build(snap, chain=chain, region=region, config=config)
    headers = attachment(f"{out.stem}-report.html") if download else None
    targets = chain_render.segment_targets(snap, chain, region, chain_render.recruiting_segments(out), link_base="",
                                           target_settings=state.settings.targets.model_dump())
    return HTMLResponse(chain_render.report_html(out, targets=targets,
                                                 links=_chain_links(out.cmap.chain.key, region, config)),
                        headers=headers)


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


@router.get("/enterprises/{key}", response_class=HTMLResponse, summary="企业画像：供应商、客户、基金、园区、环节")
def enterprise_page(snap: SnapshotDep, key: Annotated[str, Path(min_length=1, max_length=128)],
                    max_nodes: Annotated[int, Query(ge=10, le=MAX_NODES)] = MAX_NODES) -> HTMLResponse:
    view = enterprise_view(snap, key, max_nodes=max_nodes, link_base="")
    return HTMLResponse(graph_page(view, links=[("企业数据（JSON）", f"{API_PREFIX}/enterprises/{quote(key)}"),
                                                ("页面索引", "/pages")]))


@router.get("/parks/{key}", response_class=HTMLResponse, summary="园区画像：主导产业链、企业、地块")
def park_page(snap: SnapshotDep, key: Annotated[str, Path(min_length=1, max_length=128)],
              max_nodes: Annotated[int, Query(ge=10, le=MAX_NODES)] = MAX_NODES) -> HTMLResponse:
    view = park_view(snap, key, max_nodes=max_nodes, link_base="")
    return HTMLResponse(graph_page(view, links=[("园区数据（JSON）", f"{API_PREFIX}/parks/{quote(key)}"),
                                                ("页面索引", "/pages")]))
