"""The chain pages of the officer's workbench, one service function per page (chains/pages.py serves them inside
the shell): the index (工作台 · 产业链), chain map, internal 招商报告, investor 投资推介, 企业画像 and 园区画像.
Each returns `shell.Parts`; links point at other served pages; names, never codes, wherever a name exists.
"""
from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote, urlencode

from chains.index import ChainIndex
from chains.models import AnalysisConfig
from chains.render import report as chain_render
from chains.render.html import graph_parts, simple_parts
from chains.render.park import park_body
from chains.render.profiles import park_view
from chains.render.shell import Parts
from graph.snapshot import Snapshot
from kernel.pages import e
from kernel.regions import DEMO_CITIES, holds_region
from kernel.resolve import resolver

API_PREFIX = "/api/v1"
THRESHOLDS = ("strong_lq", "strong_min_count", "gap_max_count", "leader_strong", "main_path_min_share", "lq_basis")


def config_query(config: AnalysisConfig) -> dict[str, Any]:
    """The non-default thresholds, to carry them over into links."""
    default = AnalysisConfig()
    return {k: v for k, v in config.model_dump().items() if v != getattr(default, k) and k in THRESHOLDS}


def chain_links(chain_key: str, region: str, config: AnalysisConfig) -> list[tuple[str, str]]:
    q = urlencode({"region": region, **config_query(config)})
    c = quote(chain_key)
    return [("产业链图谱", f"/pages/chains/{c}/map?{q}"), ("内部招商报告", f"/pages/chains/{c}/report?{q}"),
            ("投资推介", f"/pages/chains/{c}/investor?{q}"), ("环节表（Excel）", f"/pages/chains/{c}/report.xlsx?{q}"),
            ("静态图（SVG）", f"/pages/chains/{c}/map.svg?{q}"), ("数据（JSON）", f"{API_PREFIX}/chains/{c}/map?{q}")]


def index_parts(snap: Snapshot, region: str | None = None) -> Parts:
    """工作台 · 产业链: open a chain map for a region or park, find a firm, and the chains × demo cities grid."""
    idx = ChainIndex.of(snap)
    chains = list(zip(idx.chain_keys.tolist(), idx.chain_names.tolist()))
    regions = [(k, str(idx.region_names[snap.index_of("Region", k)])) for k in DEMO_CITIES
               if holds_region(snap, k)]
    value = region or (regions[0][1] if regions else "")
    options = "".join(f"<option value='{e(k)}'>{e(n)}</option>" for k, n in chains)
    forms = (
        "<form class='filters' method='get' action='/pages/chain-map' id='cm-form'>"
        f"<label>产业链<select name='chain'>{options}</select></label>"
        f"<label>地区或园区<input name='region' value='{e(value)}' placeholder='如 衢州 / 园区名称'></label>"
        "<button type='submit'>查看图谱</button></form>"
        "<form class='filters' method='get' action='/pages/enterprise-lookup' id='cm-firm-form' style='margin-top:10px'>"
        "<label>企业名称或统一社会信用代码<input name='q' size='32' placeholder='如 巨化'></label>"
        "<button type='submit'>企业画像</button></form>")
    grid = ""
    if regions and chains:
        head = "".join(f"<th>{e(n)}</th>" for _, n in regions)
        rows = "".join(
            f"<tr><td>{e(cn)}</td>" + "".join(
                f"<td><a href='/pages/chains/{e(quote(ck))}/map?region={rk}'>图谱</a> · "
                f"<a href='/pages/chains/{e(quote(ck))}/report?region={rk}'>内部报告</a> · "
                f"<a href='/pages/chains/{e(quote(ck))}/investor?region={rk}'>投资推介</a></td>" for rk, _ in regions)
            + "</tr>" for ck, cn in chains)
        grid = f"<table class='cm-table' id='cm-grid' style='margin-top:12px'><tr><th>产业链</th>{head}</tr>{rows}</table>"
    parks = "".join(f"<li><a href='/pages/parks/{e(quote(k))}'>{e(n)}</a></li>"
                    for k, n in zip(idx.park_keys.tolist(), idx.park_names.tolist()))
    body = (f"<h2>产业链图谱</h2>{forms}{grid}<h2>园区</h2>"
            + (f"<ul class='cm-parks' id='cm-parks'>{parks}</ul>" if parks else "<p class='cm-hint'>暂无园区。</p>"))
    return simple_parts("产业链工作台", body, subtitle="产业链图谱 · 招商报告 · 投资推介 · 企业与园区画像")


def map_page(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig,
             target_settings: Mapping[str, Any] | None, segment: str | None = None) -> Parts:
    """The chain map; `segment` (a hit of 信息检索) opens with that segment's panel shown."""
    targets = chain_render.segment_targets(snap, chain, region, link_base="", target_settings=target_settings)
    out = chain_render.build(snap, chain=chain, region=region, config=config, link_base="", targets=targets)
    if segment and segment in out.view.details:
        out.view.initial = segment
    return chain_render.map_parts(out, links=chain_links(out.cmap.chain.key, region, config))


def report_page(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig,
                target_settings: Mapping[str, Any] | None) -> tuple[Parts, str]:
    """The internal 招商报告 and its file stem. Every segment's panel carries its targets; the table lists those of
    the recruiting segments."""
    targets = chain_render.segment_targets(snap, chain, region, link_base="", target_settings=target_settings)
    out = chain_render.build(snap, chain=chain, region=region, config=config, link_base="", targets=targets)
    keep = set(chain_render.recruiting_segments(out))
    table = None if targets is None else {k: v for k, v in targets.items() if k in keep}
    parts = chain_render.report_parts(out, targets=table, links=chain_links(out.cmap.chain.key, region, config))
    return parts, out.stem


def investor_page(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig) -> tuple[Parts, str]:
    """The investor handout and its file stem."""
    out = chain_render.build(snap, chain=chain, region=region, config=config, firms_per_segment=0)
    links = [(t, h) for t, h in chain_links(out.cmap.chain.key, region, config) if t in ("产业链图谱", "内部招商报告")]
    return chain_render.investor_page_parts(out, links=links, served=True), out.stem


def park_key(snap: Snapshot, text: str) -> str:
    """The key of the park `text` names (key, name, 简称 — the one resolver)."""
    return str(snap.keys("Park")[resolver(snap).park(text)])


def park_page(snap: Snapshot, key: str, *, max_nodes: int) -> Parts:
    """园区画像: the labelled graph, then its chains, its own firms and its parcels."""
    k = park_key(snap, key)
    view = park_view(snap, k, max_nodes=max_nodes, link_base="")
    return graph_parts(view, links=[("园区数据（JSON）", f"{API_PREFIX}/parks/{quote(k)}")],
                       body_html=park_body(snap, k))
