"""土地超市 map page (/pages/land/map): the filter form, the map (drawn by /static/land/map.js with Leaflet from the
data block on the page — no tiles, nothing fetched from outside), its legend with what is approximate, the panel a
clicked parcel fills, and the plain table of the same parcels that the page shows without script.

Read side: escaped HTML and the map's JSON from land.map_data; the route in land/pages.py serves it with the map's
own Content-Security-Policy (MAP_CSP: scripts and styles from this site only, fetches to this site only).
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from kernel.pages import CSP, e
from land.data import LandData
from land.map_data import STATUS_KEYS, MapFilter
from land.views import n, options, park_choice, with_asked

# the shell's CSP, opened for this page's own script, Leaflet's stylesheet and the panel's fetch of matching projects
MAP_CSP = CSP.replace("style-src 'unsafe-inline'", "style-src 'self' 'unsafe-inline'") + \
    "; script-src 'self'; connect-src 'self'"
TABLE_ROWS = 300
HEAD = ("<link rel='stylesheet' href='/static/leaflet/leaflet.css'>"
        "<link rel='stylesheet' href='/static/land/map.css'>")
SCRIPTS = "<script src='/static/leaflet/leaflet.js'></script><script src='/static/land/map.js'></script>"
CSS = """
.lm-wrap{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
#land-map{flex:1 1 640px;height:600px;border:1px solid #cdd5df;background:#eef3f7}
#land-panel{flex:0 1 340px;background:#fff;border:1px solid #dde;padding:10px 14px;font-size:13px;max-height:580px;
overflow:auto}#land-panel h3{margin:0 0 6px;font-size:15px}#land-panel table{margin-top:6px;font-size:12px}#land-panel td,#land-panel th{padding:3px 6px}
.lm-legend{background:#fff;border:1px solid #dde;padding:8px 12px;margin-top:10px;font-size:12px;color:#444}
.lm-legend .sw{display:inline-block;width:12px;height:12px;border-radius:6px;margin:0 4px -2px 10px;border:1px solid #fff}
.lm-legend .sw.park{border-radius:0;border:2px dashed #7a4fb3;background:none}
.lm-legend .sw.region{border-radius:0;border:2px solid #1f4e79;background:none}
.lm-legend ul{margin:4px 0 0;padding-left:18px}
"""


def data_block(layers: dict[str, Any]) -> str:
    """The map's data as a JSON block the script reads (never executed; '<' escaped so no tag can close it)."""
    text = json.dumps(layers, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"<script type='application/json' id='land-map-data'>{text}</script>"


def region_options(data: LandData) -> list[tuple[str, str]]:
    """(key, name) of the regions that have parcels and their cities, cities first."""
    ctx, Q = data.ctx, data.parcels
    codes = {int(r) for r in Q.region.tolist() if r >= 0}
    codes |= {int(ctx.region_city[r]) for r in codes if int(ctx.region_city[r]) >= 0}
    keyed = sorted((str(ctx.regions.keys[c]), str(ctx.region_names[c])) for c in codes)
    return sorted(keyed, key=lambda kv: (not kv[0].endswith("00"), kv[0]))


def _box_value(x: float | None) -> str:
    return "" if x is None else f"{x:.6f}".rstrip("0").rstrip(".")


def filter_form(data: LandData, f: MapFilter) -> str:
    """The map's filters (GET /pages/land/map) as the map resolved them — a park, region or chain typed by name is
    selected by its key, a filter that was refused is not — so a filtered map is a link an officer can send, and
    pressing 筛选 again changes only what the officer changed."""
    ctx = data.ctx
    chain_opts = [(str(k), str(ctx.chain_names[c])) for c, k in enumerate(ctx.chains.keys.tolist())]
    status_opts = [("all", "全部"), ("available", "可供"), ("reserved", "已预留"), ("transferred", "已出让")]
    parks = park_choice(data, f.park)
    regions = with_asked(region_options(data), f.region,
                         ctx.region_name(ctx.regions.code(f.region)) if f.region else "")

    def box(name: str, label: str, hint: str = "") -> str:
        title = f" title='{e(hint)}'" if hint else ""
        return (f"<label>{e(label)}<input name='{name}' id='lm-{name}' inputmode='decimal' size='8'{title} "
                f"value='{e(_box_value(getattr(f, name)))}'></label>")

    return (
        "<form class='filters' method='get' action='/pages/land/map' id='lm-filters'>"
        f"<label>产业类型<select name='chain' id='lm-chain'>{options(chain_opts, f.chain, '不限')}</select></label>"
        f"<label>园区<select name='park' id='lm-park'>{options(parks, f.park, '全部园区')}</select></label>"
        f"<label>行政区<select name='region' id='lm-region'>{options(regions, f.region, '全部')}</select></label>"
        f"<label>状态<select name='status' id='lm-status'>{options(status_opts, f.status, None)}</select></label>"
        + box("area_min", "面积下限（亩）") + box("area_max", "面积上限（亩）")
        + box("invest_min", "投资规模下限（万元）", "按地块投资强度要求的总投资 = 面积 × 投资强度")
        + box("invest_max", "投资规模上限（万元）", "按地块投资强度要求的总投资 = 面积 × 投资强度")
        + "<label>标准地<span><input type='checkbox' name='standard' value='1'"
        f"{' checked' if f.standard_only else ''}> 仅标准地</span></label>"
        "<button type='submit'>筛选</button></form>"
    )


def legend(layers: dict[str, Any]) -> str:
    swatches = "".join(f"<span class='sw' style='background:{e(s['colour'])}'></span>{e(s['label'])}"
                       for s in layers["legend"]["status"])
    notes = "".join(f"<li>{e(x)}</li>" for x in layers["legend"]["approximate"])
    src = layers["legend"]["outlines_source"]
    return (f"<div class='lm-legend' id='lm-legend'><b>图例</b>{swatches}"
            "<span class='sw park'></span>园区范围（示意）<span class='sw region'></span>行政区界"
            f"<ul>{notes}<li>行政区轮廓来源：{e(src.get('source', ''))} 许可：{e(src.get('licence', ''))}</li>"
            "<li>底图：无（离线地图，不加载任何在线瓦片）。</li></ul></div>")


def summary(layers: dict[str, Any]) -> str:
    c = layers["counts"]
    by = "，".join(f"{label} {c['by_status'][k]}" for k, label in zip(STATUS_KEYS, ("可供", "已预留", "已出让")))
    more = (f"（地图只画前 {c['shown']} 块）" if c["truncated"] else "")
    nocoord = f"；{c['without_coordinates']} 块没有坐标，地图上不画，列在下表最前" if c["without_coordinates"] else ""
    return f"<p id='lm-summary'>共 <b>{c['matched']}</b> 块地块（{by}）{more}{nocoord}。</p>"


def _row(p: dict[str, Any]) -> str:
    unlocated = p["located"] is None
    mark = " <span class='tag' title='数据中地块、园区、行政区都没有坐标'>无坐标</span>" if unlocated else ""
    cls = " class='lm-unlocated'" if unlocated else ""
    return (f"<tr{cls}><td><a href='{e(p['url'])}'>{e(p['name'])}</a>{mark}</td>"
            f"<td>{e(p['park_name'] or '—')}</td>"
            f"<td>{e(p['region_name'] or '—')}</td><td class='n'>{n(p['area_mu'])}</td>"
            f"<td class='n'>{n(p['invest_intensity_wan_per_mu'])}</td><td class='n'>{n(p['required_investment_wan'])}</td>"
            f"<td>{e('、'.join(p['allowed_chains']) or '不限')}</td>"
            f"<td><span style='color:{e(p['colour'])}'>●</span> {e(p['status_label'])}</td>"
            f"<td class='n'>{p['feasible_projects']}</td></tr>")


def table(layers: dict[str, Any], f: MapFilter) -> str:
    """Every parcel the summary counts as a plain table (what the page shows without script), with links to each
    parcel page: those without coordinates first (the map cannot show them), then the drawn ones, at most
    TABLE_ROWS — a cut table says how many it leaves out and links to the same parcels in the 土地超市 listing."""
    listed = [*layers["unlocated"], *(ft["properties"] for ft in layers["parcels"]["features"])][:TABLE_ROWS]
    left = layers["counts"]["matched"] - len(listed)
    more = ""
    if left > 0:
        caveat = "（列表不按行政区、投资规模下限筛选，可能多出一些地块）" if f.region or f.invest_min is not None else ""
        more = (f"<p id='lm-table-more' class='muted'>表中只列前 {len(listed)} 块，另有 {left} 块未列出："
                f"<a href='{e(listing_link(f))}'>在土地超市地块列表中查看全部</a>{e(caveat)}</p>")
    return ("<h3>地块列表</h3><table id='lm-table'><thead><tr><th>地块</th><th>园区</th><th>行政区</th><th>面积（亩）</th>"
            "<th>投资强度（万元/亩）</th><th>所需总投资（万元）</th><th>产业准入</th><th>状态</th><th>可匹配项目</th></tr></thead>"
            "<tbody>" + ("".join(_row(p) for p in listed)
                         or "<tr><td colspan='9' class='muted'>没有符合条件的地块</td></tr>") + "</tbody></table>" + more)


def listing_link(f: MapFilter) -> str:
    """The same parcels in the 土地超市 listing (its filters where they mean the same)."""
    q = {"chain": f.chain, "park": f.park, "area_min": f.area_min, "area_max": f.area_max,
         "invest": f.invest_max, "status": f.status, "standard": "1" if f.standard_only else None}
    return "/pages/land?" + urlencode({k: (_box_value(v) if isinstance(v, float) else v) for k, v in q.items()
                                       if v is not None})


def body(data: LandData, layers: dict[str, Any], f: MapFilter, errors: list[str]) -> str:
    panel = ("<aside id='land-panel'><h3>地块信息</h3><p class='muted' id='lm-hint'>点击地图上的地块，"
             "查看其标准地指标和匹配的招商项目。</p></aside>")
    return (HEAD + f"<p><a href='{e(listing_link(f))}'>← 土地超市地块列表</a> · <a href='/pages/land/match'>项目找地</a></p>"
            + filter_form(data, f) + "".join(f"<div class='err'>{e(x)}</div>" for x in errors)
            + summary(layers)
            + "<noscript><p class='muted'>浏览器未启用脚本：地图不显示，下表列出同样的地块。</p></noscript>"
            + f"<div class='lm-wrap'><div id='land-map' role='region' aria-label='园区地块地图'></div>{panel}</div>"
            + legend(layers) + table(layers, f) + data_block(layers) + SCRIPTS)

