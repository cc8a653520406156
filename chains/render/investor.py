"""The investor handout (投资推介) of a 招商推介会: what the region offers an investor in one chain — its industrial
base (the segments where it is strong, where firms already work), the 链主 to supply, the investment opportunities
framed by what surrounds them locally, the parks, the land parcels available now, and the support policies.

It sits beside the internal 招商报告 (html.py), which diagnoses weaknesses and 空白 for the officers and is not for
an investor's eyes: this handout never lists a weakness as such. Read from the chain analysis and the snapshot;
no graph, no script, names only.
"""
from __future__ import annotations

import datetime as dt
import math
from urllib.parse import quote

import numpy as np

from chains.index import ChainIndex
from chains.models import GAP, STRONG, ChainMap, SegmentStat
from chains.render.html import Links, simple_parts
from chains.render.profiles import _rows
from chains.render.shell import BEIJING, Parts
from chains.scope import Scope
from graph.snapshot import Snapshot
from kernel.pages import e

MAX_PARCELS = 30
MAX_POLICIES = 40


def _link(href: str, text: str, on: bool) -> str:
    return f"<a href='{e(href)}'>{e(text)}</a>" if on else e(text)


def _num(v: float | None, fmt: str = "{:,.1f}") -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def base_rows(cmap: ChainMap) -> str:
    """产业基础: the segments with local firms, strongest first (the class is said as 集聚优势 / 已有布局)."""
    shown = sorted((s for s in cmap.segments if s.local_count > 0),
                   key=lambda s: (s.klass != STRONG, -s.local_strength, s.name))
    return "".join(
        f"<tr><td>{e(s.name)}</td><td>{'集聚优势' if s.klass == STRONG else '已有布局'}</td>"
        f"<td class='num'>{s.local_count}</td><td class='num'>{_num(s.lq, '{:.2f}')}</td>"
        f"<td class='num'>{f'{s.peer_rank}/{s.peer_total}' if s.peer_rank else '—'}</td>"
        f"<td>{e('、'.join(r.name for r in s.leaders)) or '—'}</td></tr>" for s in shown)


def opportunity_rows(cmap: ChainMap) -> str:
    """投资机会: each segment the region recruits for, with the local firms around it that an investor would
    supply or buy from (its upstream and downstream segments with local firms, and their 链主)."""
    stats: dict[str, SegmentStat] = {s.key: s for s in cmap.segments + cmap.context_segments}
    out, seen = [], set()
    for m in cmap.moves:
        if m.segment in seen:
            continue
        seen.add(m.segment)
        up = [stats[ln.up] for ln in cmap.links if ln.down == m.segment and ln.up in stats and stats[ln.up].local_count]
        down = [stats[ln.down] for ln in cmap.links if ln.up == m.segment and ln.down in stats and stats[ln.down].local_count]
        near = [f"上游本地有{s.name}企业 {s.local_count} 家" for s in up] + \
               [f"下游本地有{s.name}企业 {s.local_count} 家" for s in down]
        leaders = sorted({r.name for s in up + down for r in s.leaders})
        if leaders:
            near.append("可配套本地链主" + "、".join(leaders))
        st = stats.get(m.segment)
        have = f"本地已有 {st.local_count} 家" if st and st.klass != GAP and st.local_count else "欢迎新设"
        out.append(f"<tr><td>{e(m.segment_name)}{'（' + e(m.chain_name) + '）' if m.cross_chain else ''}</td>"
                   f"<td>{e(have)}</td><td>{e('；'.join(near)) or '—'}</td></tr>")
    return "".join(out)


def parcel_rows(snap: Snapshot, scope: Scope, chain_key: str, links: bool) -> tuple[str, int, float]:
    """可供地块 in the scope (the park's own, or every parcel in the region): those admitting this chain first.
    Returns (rows, count, total area in 亩)."""
    if not snap.n("LandParcel"):
        return "", 0, 0.0
    idx = ChainIndex.of(snap)
    lp = snap.labels["LandParcel"]
    scodes, svocab = snap.categorical("LandParcel", "status")
    avail = np.asarray([c >= 0 and str(svocab[c]) == "available" for c in scodes])
    if scope.kind == "park":
        inside = np.zeros(snap.n("LandParcel"), dtype=bool)
        inside[_rows(snap.relation("HAS_PARCEL", "Park", "LandParcel"), scope.index)] = True
    else:
        pr = snap.relation("LOCATED_IN", "LandParcel", "Region")
        inside = np.asarray(pr @ scope.regions.astype(np.float64)).ravel() > 0
    chosen = np.flatnonzero(avail & inside)
    area = snap.column("LandParcel", "area_mu")
    price = lp.num.get("price_wan_per_mu")
    allowed = lp.lists.get("allowed_chains")
    ready = lp.lists.get("readiness")
    park_of = {int(q): int(p) for p, q in zip(*snap.relation("HAS_PARCEL", "Park", "LandParcel").nonzero())}
    chain_names = dict(zip(idx.chain_keys.tolist(), idx.chain_names.tolist()))

    def admits(q: int) -> list[str]:
        return [str(allowed[1][j]) for j in _rows(allowed[0], q).tolist()] if allowed is not None else []

    order = sorted(chosen.tolist(), key=lambda q: (chain_key not in admits(q), -float(area[q])))
    out = []
    for q in order[:MAX_PARCELS]:
        p = park_of.get(q, -1)
        park = _link(f"/pages/parks/{quote(str(idx.park_keys[p]))}", str(idx.park_names[p]), links) if p >= 0 else "—"
        adm = "、".join(chain_names.get(k, k) for k in admits(q)) or "不限"
        rd = "、".join(str(ready[1][j]) for j in _rows(ready[0], q).tolist()) if ready is not None else ""
        out.append(f"<tr><td>{e(lp.names[q])}</td><td>{park}</td><td class='num'>{_num(float(area[q]))}</td>"
                   f"<td class='num'>{_num(float(price[q])) if price is not None else '—'}</td><td>{e(rd) or '—'}</td>"
                   f"<td>{e(adm)}</td></tr>")
    return "".join(out), len(chosen), float(area[chosen].sum()) if len(chosen) else 0.0


def policy_rows(snap: Snapshot, scope: Scope) -> str:
    """扶持政策 applying to the region or any region above it (a province's policy holds in its cities)."""
    if not snap.n("Policy") or scope.region_index < 0:
        return ""
    idx = ChainIndex.of(snap)
    up = np.zeros(len(idx.region_keys), dtype=bool)
    r = scope.region_index
    while r >= 0 and not up[r]:
        up[r] = True
        r = int(idx.region_parent[r])
    applies = snap.relation("APPLIES_TO", "Policy", "Region")
    hits = np.flatnonzero(np.asarray(applies @ (up | scope.regions).astype(np.float64)).ravel() > 0)
    doc = snap.labels["Policy"].cat.get("document")
    names = snap.labels["Policy"].names
    out = []
    for j in hits[:MAX_POLICIES].tolist():
        d = str(doc[1][doc[0][j]]) if doc is not None and doc[0][j] >= 0 else "—"
        out.append(f"<tr><td>{e(names[j])}</td><td>{e(d)}</td></tr>")
    return "".join(out)


def investor_parts(snap: Snapshot, cmap: ChainMap, scope: Scope, *, links: Links = None, served: bool = False) -> Parts:
    """The investor handout as a page (served) or a file."""
    where = cmap.scope.name + ("（园区）" if cmap.scope.kind == "park" else "")
    s = cmap.summary
    parcels, n_parcels, area = parcel_rows(snap, scope, cmap.chain.key, served)
    leaders = "".join(
        f"<tr><td>{_link(f'/pages/enterprises/{quote(f.key)}', f.name, served)}</td><td>{e(f.size or '—')}</td>"
        f"<td class='num'>{_num(f.revenue_wan, '{:,.0f}')}</td><td>{e('、'.join(f.tags)) or '—'}</td></tr>"
        for f in cmap.leaders)
    parks = "".join(
        f"<tr><td>{_link(f'/pages/parks/{quote(p.key)}', p.name, served)}</td><td>{e(p.level or '—')}</td>"
        f"<td>{e(p.kind or '—')}</td><td>{'是' if p.hosts_chain else ''}</td><td class='num'>{p.parcels_available}</td>"
        f"<td class='num'>{p.area_available_mu:,.1f}</td></tr>" for p in cmap.parks)
    sections = [
        ("产业基础", "cm-inv-base", "<tr><th>环节</th><th>本地态势</th><th>本地企业</th><th>区位熵</th><th>全国同级排名</th><th>链主</th></tr>",
         base_rows(cmap), "本地暂无该产业链企业。"),
        ("链主企业", "cm-inv-leaders", "<tr><th>企业</th><th>规模</th><th>营业收入（万元）</th><th>资质</th></tr>", leaders,
         "本地暂无该产业链链主。"),
        ("投资机会", "cm-inv-opps", "<tr><th>环节</th><th>现状</th><th>本地配套</th></tr>", opportunity_rows(cmap), "—"),
        ("承载园区", "cm-inv-parks", "<tr><th>园区</th><th>级别</th><th>类型</th><th>主导本产业链</th><th>可供地块</th><th>可供面积（亩）</th></tr>",
         parks, "区域内暂无园区记录。"),
        (f"可供地块（{n_parcels} 宗，{area:,.0f} 亩）", "cm-inv-parcels",
         "<tr><th>地块</th><th>园区</th><th>面积（亩）</th><th>起始价（万元/亩）</th><th>开发条件</th><th>产业准入</th></tr>",
         parcels, "暂无可供地块。"),
        ("扶持政策", "cm-inv-policies", "<tr><th>政策条款</th><th>文件</th></tr>", policy_rows(snap, scope), "暂无登记的扶持政策。"),
    ]
    facts = [f"本地企业 {s.local_firms} 家" if s.local_firms else "",
             f"形成集聚优势的环节 {s.strong} 个" if s.strong else "", f"链主企业 {s.leaders} 家" if s.leaders else "",
             f"承载园区 {len(cmap.parks)} 个" if cmap.parks else "",
             f"可供地块 {n_parcels} 宗、{area:,.0f} 亩" if n_parcels else ""]
    overview = (f"<p id='cm-inv-overview'>{e(where)}{e(cmap.chain.name)}产业：{e('，'.join(x for x in facts if x))}。</p>"
                if any(facts) else "")
    body = overview + "".join(
        f"<h2>{e(title)}</h2>" + (f"<table class='cm-table' id='{tid}'>{head}{rows}</table>" if rows
                                  else f"<p class='cm-hint' id='{tid}'>{e(empty)}</p>")
        for title, tid, head, rows, empty in sections)
    title = f"{where}{cmap.chain.name}产业投资推介"
    subtitle = f"面向投资方：产业基础、链主、园区、土地与政策 · {dt.datetime.now(BEIJING).date().isoformat()}"
    return simple_parts(title, body, subtitle=subtitle, links=links)
