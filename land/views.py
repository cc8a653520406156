"""土地超市 page pieces shared by the listing, the parcel page and 项目找地: the look (CSS), numbers, a parcel's
status (who holds it, until when in 北京时间), its 产业准入, the listing table and its filter form.

Read side: plain functions from the matcher's arrays (land.data) to escaped HTML; the routes in land/pages.py put
them on the one page shell (kernel.pages). Every value from the data or the query string goes through `e`.
"""
from __future__ import annotations

import math
from urllib.parse import urlencode

from graph.schema import LAND_USES
from kernel.pages import e
from land.data import LandData
from land.rules import STATUS_CN, now_seconds
from land.tables import LAND_USE_CODES
from land.text import moment_text, project_ref

CSS = """
table{border-collapse:collapse;width:100%;background:#fff;margin-top:12px;font-size:13px}
td.n{text-align:right;white-space:nowrap}.tag{display:inline-block;background:#e8f3e8;color:#27632a;padding:0 5px;
margin:1px;border-radius:3px;font-size:12px}.st-available{color:#27632a}.st-reserved{color:#a55b00;font-weight:bold}
.st-transferred{color:#888}.pager{margin:10px 0}.pager a{margin-right:12px}
.err{background:#fde8e8;color:#8a1f1f;padding:6px 10px;margin:8px 0}.score{font-weight:bold;color:#1f4e79}
ul.reasons{margin:0;padding-left:18px}ul.reasons li{margin:1px 0}li.verify{color:#a55b00}li.fail{color:#8a1f1f}
section.box{background:#fff;border:1px solid #dde;padding:10px 14px;margin:12px 0}section.box h3{margin:0 0 8px}
.tier{color:#a55b00}.cols{display:flex;gap:16px;flex-wrap:wrap}.cols>div{flex:1 1 420px}
#land-actions form.act{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin:6px 0}
#land-actions label{display:flex;flex-direction:column;font-size:12px;color:#555;gap:3px}button.act{white-space:nowrap}
"""
STATUS_KEYS = ("available", "reserved", "transferred")


def n(x: float | None) -> str:
    """A number as the pages show it: 80, 8.5 (— when unknown)."""
    if x is None or not math.isfinite(float(x)):
        return "—"
    x = float(x)
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.2f}".rstrip("0").rstrip(".")


def number(text: str | None, label: str, errors: list[str]) -> float | None:
    """A number typed into a form (blank = not given); a bad one is added to `errors` and read as not given."""
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


def range_cell(lo: float, hi: float) -> str:
    lo_ok, hi_ok = math.isfinite(lo), math.isfinite(hi)
    if lo_ok and hi_ok:
        return f"{n(lo)}–{n(hi)}"
    if lo_ok:
        return f"≥ {n(lo)}"
    if hi_ok:
        return f"≤ {n(hi)}"
    return "—"


def options(pairs: list[tuple[str, str]], selected: str | None, blank: str | None) -> str:
    out = [f"<option value=''>{e(blank)}</option>"] if blank is not None else []
    for v, label in pairs:
        sel = " selected" if selected == v else ""
        out.append(f"<option value='{e(v)}'{sel}>{e(label)}</option>")
    return "".join(out)


def with_asked(pairs: list[tuple[str, str]], key: str | None, name: str) -> list[tuple[str, str]]:
    """The options plus the one the filter resolved to when it has no parcels (so it shows selected and a second
    筛选 keeps it), marked as such at the top."""
    if not key or any(k == key for k, _ in pairs):
        return pairs
    return [(key, f"{name}（暂无地块）"), *pairs]


def parcel_link(data: LandData, j: int) -> str:
    href = "/pages/land?" + urlencode({"parcel": str(data.parcels.keys[j])})
    return f"<a href='{e(href)}'>{e(data.parcels.names[j])}</a>"


def project_link(key: str, name: str) -> str:
    return f"<a href='/pages/pipeline/{e(key)}'>{e(name)}</a>"


def status_cell(data: LandData, j: int, now_s: float | None = None) -> str:
    """可供 / 已预留（预留给 项目「…」，至 … 北京时间）/ 已出让, an expired reservation counting as 可供."""
    Q = data.parcels
    now_s = now_seconds() if now_s is None else now_s
    st = int(Q.status[j])
    if st == 1 and Q.available(now_s)[j]:
        return "<span class='st-available'>可供</span><div class='muted'>原预留已过期</div>"
    name = STATUS_KEYS[st]
    extra = ""
    if st == 1:
        holder = project_ref(data.projects, str(Q.reserved_by[j])) if Q.reserved_by[j] else "其他项目"
        until = f"，至 {moment_text(float(Q.expires[j]))}" if math.isfinite(float(Q.expires[j])) else "（未设到期时间）"
        extra = f"<div class='muted' id='land-holder'>预留给{e(holder)}{e(until)}</div>"
    return f"<span class='st-{name}' id='land-status-{e(Q.keys[j])}'>{e(STATUS_CN[name])}</span>{extra}"


def chains_cell(data: LandData, j: int) -> str:
    Q, ctx = data.parcels, data.ctx
    if Q.chain_any[j]:
        return "<span class='muted'>不限</span>"
    codes = [int(c) for c in (Q.chain_allowed[j, :-1]).nonzero()[0]]
    return "".join(f"<span class='tag'>{e(ctx.chain_name(c))}</span>" for c in codes) or "—"


def land_use_cell(data: LandData, j: int) -> str:
    code = int(data.parcels.land_use[j])
    lu = LAND_USE_CODES[code] if code >= 0 else ""
    return f"{lu} {LAND_USES.get(lu, '')}" if lu else "—"


def filter_form(data: LandData, chain: str | None, area_min: str | None, area_max: str | None, invest: str | None,
                park: str | None, status: str, std: bool) -> str:
    """The listing's filters (GET /pages/land)."""
    ctx = data.ctx
    chain_opts = [(str(k), str(ctx.chain_names[c])) for c, k in enumerate(ctx.chains.keys.tolist())]
    status_opts = [("available", "可供（含预留已过期）"), ("reserved", "已预留"), ("transferred", "已出让"), ("all", "全部")]
    return (
        "<form class='filters' method='get' action='/pages/land'>"
        f"<label>产业类型<select name='chain'>{options(chain_opts, chain, '不限')}</select></label>"
        f"<label>面积下限（亩）<input name='area_min' inputmode='decimal' value='{e(area_min)}'></label>"
        f"<label>面积上限（亩）<input name='area_max' inputmode='decimal' value='{e(area_max)}'></label>"
        f"<label>投资规模（万元）<input name='invest' inputmode='decimal' value='{e(invest)}' "
        "title='只显示该投资额能满足投资强度要求的地块'></label>"
        f"<label>园区<select name='park'>{options(park_choice(data, park), park, '全部园区')}</select></label>"
        f"<label>状态<select name='status'>{options(status_opts, status, None)}</select></label>"
        f"<label>标准地<span><input type='checkbox' name='standard' value='1'{' checked' if std else ''}> 仅标准地</span></label>"
        "<button type='submit'>筛选</button></form>"
    )


def park_choice(data: LandData, park: str | None) -> list[tuple[str, str]]:
    """The 园区 options of a filter form with `park` (a resolved key) among them, even when it has no parcels."""
    ctx = data.ctx
    return with_asked(park_options(data), park, ctx.park_name(ctx.parks.code(park)) if park else "")


def park_options(data: LandData) -> list[tuple[str, str]]:
    """(key, name) of the parks that have parcels, by name."""
    ctx = data.ctx
    used = sorted({int(p) for p in data.parcels.park.tolist() if p >= 0}, key=lambda c: str(ctx.park_names[c]))
    return [(str(ctx.parks.keys[c]), str(ctx.park_names[c])) for c in used]


def listing(data: LandData, rows: list[int]) -> str:
    """The parcel table of the listing: one row per parcel with its facts, 产业准入 and status."""
    Q, ctx = data.parcels, data.ctx
    now_s = now_seconds()
    body_rows = []
    for j in rows:
        pk = int(Q.park[j])
        body_rows.append(
            "<tr>"
            f"<td>{parcel_link(data, j)}</td>"
            f"<td>{e(ctx.park_name(pk) or '—')}</td><td>{e(ctx.region_name(int(Q.region[j])) or '—')}</td>"
            f"<td class='n'>{n(Q.area[j])}</td><td>{e(land_use_cell(data, j))}</td>"
            f"<td class='n'>{e(range_cell(Q.num['far_min'][j], Q.num['far_max'][j]))}</td>"
            f"<td class='n'>{n(Q.num['price_wan_per_mu'][j])}</td>"
            f"<td class='n'>{n(Q.num['min_invest_intensity_wan_per_mu'][j])}</td>"
            f"<td class='n'>{n(Q.num['min_tax_wan_per_mu'][j])}</td>"
            f"<td>{''.join(f'<span class=tag>{e(t)}</span>' for t in str(Q.readiness[j]).split('、') if t) or '—'}</td>"
            f"<td>{chains_cell(data, j)}</td><td>{status_cell(data, j, now_s)}</td>"
            "</tr>"
        )
    return (
        "<table><thead><tr><th>地块</th><th>园区</th><th>行政区</th><th>面积（亩）</th><th>用地性质</th><th>容积率</th>"
        "<th>起始价（万元/亩）</th><th>投资强度要求（万元/亩）</th><th>亩均税收要求（万元/亩）</th><th>开发程度</th>"
        "<th>产业准入</th><th>状态</th></tr></thead><tbody>"
        + ("".join(body_rows) or "<tr><td colspan='12' class='muted'>没有符合条件的地块</td></tr>")
        + "</tbody></table>"
    )


def check_items(checks: list[dict]) -> str:
    """Checks as list items: 待核实 in amber, failures in red."""
    return "".join(f"<li class='{e(c['outcome'])}'>{e(c['message'])}</li>" for c in checks)
