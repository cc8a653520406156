"""园区画像 below the graph: the park's own firms (registered in the park: LOCATED_IN 企业→园区, never every firm
of its city), its land parcels with their status, and its leading chains with how the park's region stands in each.
Read from the analytic snapshot; names, never codes, wherever a name exists."""
from __future__ import annotations

import math
from urllib.parse import quote, urlencode

import numpy as np

from chains.index import ChainIndex
from chains.leaders import firm_brief
from chains.render.profiles import _cols, _primary_segment, _rows
from chains.render.views import PARCEL_STATUS_CN, firm_note
from graph.snapshot import Snapshot
from kernel.pages import e
from kernel.resolve import resolver


def park_firms(idx: ChainIndex, p: int) -> np.ndarray:
    """The firms registered in park p (LOCATED_IN 企业→园区)."""
    return _cols(idx.e2p, p) if idx.e2p.nnz else np.zeros(0, dtype=np.int64)


def _num(v: float, fmt: str = "{:,.1f}") -> str:
    return "—" if v is None or math.isnan(v) else fmt.format(v)


def firm_rows(idx: ChainIndex, firms: np.ndarray) -> str:
    primary = _primary_segment(idx)
    out = []
    for g in firms.tolist():
        b = firm_brief(idx, g, weight=1.0, leader=bool(idx.leads.getrow(g).nnz))
        s = int(primary[g])
        seg = f"{idx.seg_names[s]}（{idx.chain_names[int(idx.seg_chain[s])]}）" if s >= 0 and idx.seg_chain[s] >= 0 else "—"
        out.append(f"<tr><td><a href='/pages/enterprises/{e(quote(b.key))}'>{e(b.name)}</a></td><td>{e(seg)}</td>"
                   f"<td>{e(firm_note(b)) or '—'}</td></tr>")
    return "".join(out)


def parcel_rows(snap: Snapshot, parcels: np.ndarray) -> str:
    """Each parcel: name, area, price, status (with the project holding it, by name), readiness."""
    if not len(parcels):
        return ""
    lp = snap.labels["LandParcel"]
    scodes, svocab = snap.categorical("LandParcel", "status")
    area = snap.column("LandParcel", "area_mu")
    price = lp.num.get("price_wan_per_mu")
    holder = lp.cat.get("reserved_by"), lp.cat.get("transferred_to")
    ready = lp.lists.get("readiness")
    proj_names = dict(zip(snap.keys("Project").tolist(), snap.labels["Project"].names.tolist())) if snap.n("Project") else {}
    order = sorted(parcels.tolist(), key=lambda q: (str(svocab[scodes[q]]) != "available" if scodes[q] >= 0 else False,
                                                    str(lp.names[q])))
    out = []
    for q in order:
        status = str(svocab[scodes[q]]) if scodes[q] >= 0 else "available"
        text = PARCEL_STATUS_CN.get(status, status)
        col = holder[0] if status == "reserved" else (holder[1] if status == "transferred" else None)
        if col is not None and col[0][q] >= 0:
            who = str(col[1][col[0][q]])
            text += f"（{proj_names.get(who, '项目')}）"
        rd = "、".join(str(ready[1][j]) for j in _rows(ready[0], q).tolist()) if ready is not None else ""
        cls = "cm-ok" if status == "available" else "cm-hint"
        out.append(f"<tr><td>{e(lp.names[q])}</td><td class='num'>{_num(float(area[q]))}</td>"
                   f"<td class='num'>{_num(float(price[q])) if price is not None else '—'}</td>"
                   f"<td class='{cls}'>{e(text)}</td><td>{e(rd) or '—'}</td></tr>")
    return "".join(out)


def chain_rows(snap: Snapshot, idx: ChainIndex, p: int) -> str:
    """The park's leading chains, each linked to its chain map for the park and for the park's region."""
    r = int(idx.park_region[p])
    out = []
    for c in _rows(idx.hosts, p).tolist():
        members = np.isin(idx.seg_chain, [c])
        n_seg = int(members.sum())
        ck = quote(str(idx.chain_keys[c]))
        links = [f"<a href='/pages/chains/{ck}/map?{e(urlencode({'region': str(idx.park_keys[p])}))}'>园区图谱</a>"]
        if r >= 0:
            q = e(urlencode({"region": str(idx.region_keys[r])}))
            links += [f"<a href='/pages/chains/{ck}/map?{q}'>{e(idx.region_names[r])}图谱</a>",
                      f"<a href='/pages/chains/{ck}/investor?{q}'>投资推介</a>"]
        out.append(f"<tr><td>{e(idx.chain_names[c])}</td><td class='num'>{n_seg}</td><td>{' · '.join(links)}</td></tr>")
    return "".join(out)


def park_body(snap: Snapshot, key: str) -> str:
    """The park page's tables (HTML, escaped)."""
    idx = ChainIndex.of(snap)
    p = resolver(snap).park(key)
    firms = park_firms(idx, p)
    parcels = _rows(snap.relation("HAS_PARCEL", "Park", "LandParcel"), p) if snap.n("LandParcel") else np.zeros(0, int)
    r = int(idx.park_region[p])
    if len(firms):
        firm_html = ("<table class='cm-table' id='cm-park-firms'><tr><th>企业</th><th>主环节</th><th>概况</th></tr>"
                     f"{firm_rows(idx, firms)}</table>")
    else:
        where = f"所在地{idx.region_names[r]}的企业不计为园区企业；" if r >= 0 else ""
        firm_html = (f"<p class='cm-hint' id='cm-park-firms'>暂无登记在本园区的企业（企业→园区的位置关系）。{e(where)}"
                     "导入企业时填写所在园区后在此列出。</p>")
    parcel_html = ("<table class='cm-table' id='cm-parcels'><tr><th>地块</th><th>面积（亩）</th><th>起始价（万元/亩）</th>"
                   f"<th>状态</th><th>开发条件</th></tr>{parcel_rows(snap, parcels)}</table>" if len(parcels)
                   else "<p class='cm-hint' id='cm-parcels'>本园区暂无地块记录。</p>")
    chains = chain_rows(snap, idx, p)
    chain_html = (f"<table class='cm-table' id='cm-park-chains'><tr><th>主导产业链</th><th>环节数</th><th>查看</th></tr>"
                  f"{chains}</table>" if chains else "<p class='cm-hint'>未登记主导产业链。</p>")
    return (f"<h2>主导产业链</h2>{chain_html}"
            f"<div class='cm-cols'><div><h2>园区企业（{len(firms)} 家）</h2>{firm_html}</div>"
            f"<div><h2>地块（{len(parcels)} 宗）</h2>{parcel_html}"
            "<p class='cm-hint'><a href='/pages/land'>到土地超市预留地块</a> · "
            f"<a id='cm-park-map' href='/pages/land/map?{e(urlencode({'park': str(idx.park_keys[p])}))}'>在地图上查看本园区地块</a></p></div></div>")
