"""土地超市 storefront page: GET /pages/land — the parcel listing with filters, and one parcel's matching projects.

Server-rendered HTML, Chinese UI, no external resources (inline CSS, no scripts; a Content-Security-Policy header
forbids loading anything else). Every value from the data or the query string is escaped (html.escape), so text
injected into a name or a filter is shown, never run.
"""
from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import SnapshotDep, StateDep
from graph.schema import LAND_USES, POLLUTION_CLASSES
from kernel.pages import e as _e, page
from land.data import LandData, land_data
from land.ranking import rank_projects
from land.rules import STATUS_CN, now_seconds
from land.scoring import from_settings
from land.storefront import filter_keys, list_parcels
from land.tables import LAND_USE_CODES

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CSS = """
table{border-collapse:collapse;width:100%;background:#fff;margin-top:12px;font-size:13px}
td.n{text-align:right;white-space:nowrap}.tag{display:inline-block;background:#e8f3e8;color:#27632a;padding:0 5px;
margin:1px;border-radius:3px;font-size:12px}.st-available{color:#27632a}.st-reserved{color:#a55b00}
.st-transferred{color:#888}.pager{margin:10px 0}.pager a{margin-right:12px}
.err{background:#fde8e8;color:#8a1f1f;padding:6px 10px;margin:8px 0}.score{font-weight:bold;color:#1f4e79}
ul.reasons{margin:0;padding-left:18px}ul.reasons li{margin:1px 0}
"""


def _n(x: float) -> str:
    if x is None or not math.isfinite(float(x)):
        return "—"
    x = float(x)
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.2f}".rstrip("0").rstrip(".")


def _float(text: str | None, label: str, errors: list[str]) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        v = float(text.strip())
    except ValueError:
        errors.append(f"{label}应为数字：{text}")
        return None
    if not math.isfinite(v) or v < 0:
        errors.append(f"{label}应为非负数：{text}")
        return None
    return v


def _page(title: str, body: str) -> HTMLResponse:
    return page(title, "<h1>土地超市 · 地等项目</h1><p>园区可供地块一览：按产业、面积、投资规模、园区、标准地筛选；"
                       "点击地块查看适合的招商项目及理由</p>", body, CSS)


def _options(pairs: list[tuple[str, str]], selected: str | None, blank: str | None) -> str:
    out = [f"<option value=''>{_e(blank)}</option>"] if blank is not None else []
    for v, label in pairs:
        sel = " selected" if selected == v else ""
        out.append(f"<option value='{_e(v)}'{sel}>{_e(label)}</option>")
    return "".join(out)


def _status_cell(data: LandData, j: int, now_s: float) -> str:
    Q = data.parcels
    st = int(Q.status[j])
    if st == 1 and Q.available(now_s)[j]:
        return "<span class='st-available'>可供</span><div class='muted'>原预留已过期</div>"
    name = ("available", "reserved", "transferred")[st]
    extra = ""
    if st == 1 and Q.reserved_by[j]:
        extra = f"<div class='muted'>预留给 {_e(Q.reserved_by[j])}</div>"
    return f"<span class='st-{name}'>{_e(STATUS_CN[name])}</span>{extra}"


def _chains_cell(data: LandData, j: int) -> str:
    Q, ctx = data.parcels, data.ctx
    if Q.chain_any[j]:
        return "<span class='muted'>不限</span>"
    codes = [int(c) for c in (Q.chain_allowed[j, :-1]).nonzero()[0]]
    return "".join(f"<span class='tag'>{_e(ctx.chain_name(c))}</span>" for c in codes) or "—"


@router.get("/pages/land", response_class=HTMLResponse)
def land_page(
    snap: SnapshotDep,
    state: StateDep,
    chain: Annotated[str | None, Query(max_length=128)] = None,
    area_min: Annotated[str | None, Query(max_length=32)] = None,
    area_max: Annotated[str | None, Query(max_length=32)] = None,
    invest: Annotated[str | None, Query(max_length=32)] = None,
    park: Annotated[str | None, Query(max_length=128)] = None,
    standard: Annotated[str | None, Query(max_length=8)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    parcel: Annotated[str | None, Query(max_length=128)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    data = land_data(snap)
    if parcel:
        return _detail(data, parcel, state)
    errors: list[str] = []
    amin = _float(area_min, "面积下限", errors)
    amax = _float(area_max, "面积上限", errors)
    inv = _float(invest, "投资规模", errors)
    status = status if status in ("available", "reserved", "transferred", "all") else "available"
    std = standard in ("1", "on", "true", "yes")
    chain_key, park_key = filter_keys(snap, chain, park, errors)
    rows_idx, total = list_parcels(data, chain=chain_key, area_min=amin, area_max=amax, invest_wan=inv,
                                   park=park_key, standard_only=std, status=status, limit=PAGE_SIZE, offset=offset)
    form = _filter_form(data, chain_key, area_min, area_max, invest, park_key, status, std)
    err_html = "".join(f"<div class='err'>{_e(e)}</div>" for e in errors)
    params = {k: v for k, v in (("chain", chain), ("area_min", area_min), ("area_max", area_max), ("invest", invest),
                                ("park", park), ("standard", "1" if std else None), ("status", status)) if v}
    pager = []
    if offset > 0:
        pager.append(f"<a href='{_e('/pages/land?' + urlencode({**params, 'offset': max(0, offset - PAGE_SIZE)}))}'>上一页</a>")
    if offset + PAGE_SIZE < total:
        pager.append(f"<a href='{_e('/pages/land?' + urlencode({**params, 'offset': offset + PAGE_SIZE}))}'>下一页</a>")
    shown = f"第 {offset + 1}–{min(offset + PAGE_SIZE, total)} 块" if total else ""
    body = (form + err_html + f"<p>共 <b>{total}</b> 块地块{('，' + shown) if shown else ''}。</p>"
            + _listing(data, rows_idx.tolist()) + f"<div class='pager'>{''.join(pager)}</div>")
    return _page("土地超市", body)


def _filter_form(data: LandData, chain: str | None, area_min: str | None, area_max: str | None, invest: str | None,
                 park: str | None, status: str, std: bool) -> str:
    ctx = data.ctx
    chain_opts = [(str(k), str(ctx.chain_names[c])) for c, k in enumerate(ctx.chains.keys.tolist())]
    used_parks = sorted({int(p) for p in data.parcels.park.tolist() if p >= 0}, key=lambda c: str(ctx.park_names[c]))
    park_opts = [(str(ctx.parks.keys[c]), str(ctx.park_names[c])) for c in used_parks]
    status_opts = [("available", "可供（含预留已过期）"), ("reserved", "已预留"), ("transferred", "已出让"), ("all", "全部")]
    return (
        "<form class='filters' method='get' action='/pages/land'>"
        f"<label>产业类型<select name='chain'>{_options(chain_opts, chain, '不限')}</select></label>"
        f"<label>面积下限（亩）<input name='area_min' inputmode='decimal' value='{_e(area_min)}'></label>"
        f"<label>面积上限（亩）<input name='area_max' inputmode='decimal' value='{_e(area_max)}'></label>"
        f"<label>投资规模（万元）<input name='invest' inputmode='decimal' value='{_e(invest)}' "
        "title='只显示该投资额能满足投资强度要求的地块'></label>"
        f"<label>园区<select name='park'>{_options(park_opts, park, '全部园区')}</select></label>"
        f"<label>状态<select name='status'>{_options(status_opts, status, None)}</select></label>"
        f"<label>标准地<span><input type='checkbox' name='standard' value='1'{' checked' if std else ''}> 仅标准地</span></label>"
        "<button type='submit'>筛选</button></form>"
    )


def _listing(data: LandData, rows: list[int]) -> str:
    Q, ctx = data.parcels, data.ctx
    now_s = now_seconds()
    body_rows = []
    for j in rows:
        pk = int(Q.park[j])
        far = _range(Q.num["far_min"][j], Q.num["far_max"][j])
        lu = LAND_USE_CODES[Q.land_use[j]] if Q.land_use[j] >= 0 else ""
        link = "/pages/land?" + urlencode({"parcel": str(Q.keys[j])})
        body_rows.append(
            "<tr>"
            f"<td><a href='{_e(link)}'>{_e(Q.names[j])}</a><div class='muted'>{_e(Q.keys[j])}</div></td>"
            f"<td>{_e(ctx.park_name(pk) or '—')}</td><td>{_e(ctx.region_name(int(Q.region[j])) or '—')}</td>"
            f"<td class='n'>{_n(Q.area[j])}</td><td>{_e(lu + ' ' + LAND_USES.get(lu, '') if lu else '—')}</td>"
            f"<td class='n'>{_e(far)}</td><td class='n'>{_n(Q.num['price_wan_per_mu'][j])}</td>"
            f"<td class='n'>{_n(Q.num['min_invest_intensity_wan_per_mu'][j])}</td>"
            f"<td class='n'>{_n(Q.num['min_tax_wan_per_mu'][j])}</td>"
            f"<td>{''.join(f'<span class=tag>{_e(t)}</span>' for t in str(Q.readiness[j]).split('、') if t) or '—'}</td>"
            f"<td>{_chains_cell(data, j)}</td><td>{_status_cell(data, j, now_s)}</td>"
            "</tr>"
        )
    return (
        "<table><thead><tr><th>地块</th><th>园区</th><th>行政区</th><th>面积（亩）</th><th>用地性质</th><th>容积率</th>"
        "<th>起始价（万元/亩）</th><th>投资强度要求（万元/亩）</th><th>亩均税收要求（万元/亩）</th><th>开发程度</th>"
        "<th>产业准入</th><th>状态</th></tr></thead><tbody>"
        + ("".join(body_rows) or "<tr><td colspan='12' class='muted'>没有符合条件的地块</td></tr>")
        + "</tbody></table>"
    )


def _range(lo: float, hi: float) -> str:
    lo_ok, hi_ok = math.isfinite(lo), math.isfinite(hi)
    if lo_ok and hi_ok:
        return f"{_n(lo)}–{_n(hi)}"
    if lo_ok:
        return f"≥ {_n(lo)}"
    if hi_ok:
        return f"≤ {_n(hi)}"
    return "—"


def _detail(data: LandData, key: str, state: StateDep) -> HTMLResponse:
    Q, ctx = data.parcels, data.ctx
    j = Q.pos(key)
    back = "<p><a href='/pages/land'>← 返回地块列表</a></p>"
    if j < 0:
        return _page("地块不存在", back + f"<div class='err'>地块 {_e(key)} 不存在</div>")
    pk = int(Q.park[j])
    lu = LAND_USE_CODES[Q.land_use[j]] if Q.land_use[j] >= 0 else ""
    pol = "不限" if Q.poll_any[j] else "、".join(c for k, c in enumerate(POLLUTION_CLASSES) if Q.poll_allowed[j, k])
    facts = [
        ("园区", ctx.park_name(pk) or "—"), ("行政区", ctx.region_name(int(Q.region[j])) or "—"),
        ("面积", f"{_n(Q.area[j])} 亩"), ("用地性质", f"{lu} {LAND_USES.get(lu, '')}" if lu else "—"),
        ("容积率", _range(Q.num["far_min"][j], Q.num["far_max"][j])),
        ("建筑密度（%）", _range(Q.num["density_min"][j], Q.num["density_max"][j])),
        ("绿地率上限（%）", _n(Q.num["green_ratio_max"][j])), ("出让年限", _n(Q.num["term_years"][j])),
        ("起始价", f"{_n(Q.num['price_wan_per_mu'][j])} 万元/亩"), ("开发程度", str(Q.readiness[j]) or "—"),
        ("固定资产投资强度 ≥", f"{_n(Q.num['min_invest_intensity_wan_per_mu'][j])} 万元/亩"),
        ("亩均税收 ≥", f"{_n(Q.num['min_tax_wan_per_mu'][j])} 万元/亩"),
        ("亩均产出 ≥", f"{_n(Q.num['min_output_wan_per_mu'][j])} 万元/亩"),
        ("单位能耗 ≤", f"{_n(Q.num['max_energy_tce_per_wan'][j])} 吨标煤/万元"), ("环境准入", pol),
    ]
    facts_html = "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts) + (
        f"<tr><th>产业准入</th><td>{_chains_cell(data, j)}</td></tr>"
        f"<tr><th>状态</th><td>{_status_cell(data, j, now_seconds())}</td></tr></table>")
    weights, scales = from_settings(state.settings.land)
    r = rank_projects(data, j, weights=weights, scales=scales, limit=20, infeasible_limit=20)
    ok_rows = []
    for m in r.feasible:
        reasons = "".join(f"<li>{_e(b['label'])}（{_n(b['points'])} 分）：{_e(b['reason'])}</li>" for b in m["breakdown"])
        ok_rows.append(f"<tr><td>{_e(m['name'])}<div class='muted'>{_e(m['project'])}</div></td>"
                       f"<td>{_e(m['chain'] or '—')}</td><td>{_e(m['stage'] or '—')}</td>"
                       f"<td class='n score'>{_n(m['score'])}</td><td><ul class='reasons'>{reasons}</ul></td></tr>")
    bad_rows = []
    for m in r.infeasible:
        fails = "".join(f"<li>{_e(f['message'])}</li>" for f in m["failures"])
        bad_rows.append(f"<tr><td>{_e(m['name'])}<div class='muted'>{_e(m['project'])}</div></td>"
                        f"<td><ul class='reasons'>{fails}</ul></td></tr>")
    c = r.counts
    body = (
        back + f"<h2>{_e(Q.names[j])} <span class='muted'>{_e(key)}</span></h2>" + facts_html
        + f"<h3>适合的项目（{c['feasible']} 个，按得分排序）</h3>"
        + "<table><thead><tr><th>项目</th><th>产业链</th><th>阶段</th><th>得分</th><th>得分构成</th></tr></thead><tbody>"
        + ("".join(ok_rows) or "<tr><td colspan='5' class='muted'>暂无满足全部硬性条件的项目</td></tr>")
        + "</tbody></table>"
        + f"<h3>不符合的项目（{c['infeasible']} 个，列出最接近的 {len(bad_rows)} 个）</h3>"
        + "<table><thead><tr><th>项目</th><th>不符原因</th></tr></thead><tbody>"
        + ("".join(bad_rows) or "<tr><td colspan='2' class='muted'>无</td></tr>") + "</tbody></table>"
    )
    return _page(f"{Q.names[j]} · 土地超市", body)
