"""Profile graphs for the pages (企业画像, 园区画像): a firm with its suppliers, customers, funds, park, region,
segments and the chains it leads; a park with its leading chains, firms and parcels. Built like the chain map
(views.py: GraphView, node styles), from the analytic snapshot only; more related firms than `max_nodes` are
grouped by their main segment and the page says so."""
from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import numpy as np
from pyvis.network import Network

from graph.snapshot import Snapshot
from kernel.errors import UnknownName
from chains.index import ChainIndex
from chains.leaders import firm_brief
from chains.models import FirmBrief
from chains.render.views import (
    KIND_STYLE, MAX_NODES, PARCEL_STATUS_CN, GraphView, firm_item, firm_note, force_options, new_network, node_font, page_link,
)


def _rows(m: Any, i: int) -> np.ndarray:
    m = m.tocsr()
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def _cols(m: Any, j: int) -> np.ndarray:
    return m.tocsc()[:, [j]].nonzero()[0] if m.shape[1] else np.zeros(0, dtype=np.int64)


def enterprise_view(snap: Snapshot, key: str, *, max_nodes: int = MAX_NODES, link_base: str | None = None) -> GraphView:
    """A firm with its suppliers, customers, funds, park, region, segments and the chains it leads."""
    idx = ChainIndex.of(snap)
    f = snap.index_of("Enterprise", key) if idx.n_firms else -1
    if f < 0:
        raise UnknownName(f"企业 {key!r} 不存在")
    me = firm_brief(idx, f, weight=1.0, leader=False)
    sup = snap.relation("SUPPLIES", "Enterprise", "Enterprise")
    suppliers = _cols(sup, f)
    customers = _rows(sup, f)
    funds = _cols(snap.relation("INVESTED_IN", "Fund", "Enterprise"), f)
    parks = _rows(idx.e2p, f)
    regions = _rows(idx.e2r, f)
    segs = _rows(idx.mem, f)
    led = _rows(idx.leads.tocsr(), f)

    net = new_network()
    details: dict[str, dict[str, Any]] = {}
    fid = f"E:{me.key}"
    net.add_node(fid, label=me.name, shape="star", size=34, color=KIND_STYLE["focus"][0], font=node_font(17),
                 title=me.name)
    details[fid] = _firm_details(idx, f, me, link_base=None)
    n_fixed = 1 + len(funds) + len(parks) + len(regions) + len(segs) + len(led)
    aggregated = None
    if n_fixed + len(suppliers) + len(customers) > max_nodes:
        aggregated = (f"关联企业 {len(suppliers) + len(customers)} 家，超过 {max_nodes} 个节点的可读上限，"
                      f"供应商与客户已按其主环节汇总")
    _add_partners(net, details, idx, fid, suppliers, customers, aggregated, link_base)
    _add_firm_context(net, details, snap, idx, fid, funds, parks, regions, segs, led, link_base)
    legend = [{"label": KIND_STYLE[k][2], "color": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1]}
              for k in ("focus", "supplier", "customer", "fund", "park", "region", "segment", "chain")]
    if aggregated:
        legend.append({"label": KIND_STYLE["group"][2], "color": KIND_STYLE["group"][0], "shape": "database"})
    notes = []
    if idx.e2p.nnz == 0:
        notes.append("数据中没有企业→园区的位置关系，图中不显示所在园区")
    if me.synthetic:
        notes.append("合成示例企业，仅供演示")
    stats = [("供应商", f"{len(suppliers)} 家"), ("客户", f"{len(customers)} 家"), ("投资基金", str(len(funds))),
             ("所属环节", str(len(segs))), ("链主", "、".join(str(idx.chain_names[c]) for c in led) or "否")]
    n = len(net.nodes)
    return GraphView(kind="enterprise", title=f"企业画像 · {me.name}", subtitle=firm_note(me) or "企业关系图",
                     nodes=net.nodes, edges=net.edges, options=force_options(n), details=details, legend=legend,
                     notes=notes, aggregated=aggregated, initial=fid, stats=stats)


def _add_partners(net: Network, details: dict[str, dict[str, Any]], idx: ChainIndex, fid: str,
                  suppliers: np.ndarray, customers: np.ndarray, aggregated: str | None,
                  link_base: str | None) -> None:
    """Suppliers (edges into the firm) and customers (edges out), one node each or grouped by main segment."""
    primary = _primary_segment(idx)
    for role, group, inbound in (("supplier", suppliers, True), ("customer", customers, False)):
        colour, shape, role_cn = KIND_STYLE[role]
        if aggregated is None:
            for g in group.tolist():
                b = firm_brief(idx, g, weight=1.0, leader=False)
                nid = f"E:{b.key}"
                if nid in net.node_map:  # a firm both supplier and customer
                    continue
                net.add_node(nid, label=_short(b.name, 12), shape=shape, size=14, color=colour, font=node_font(12),
                             title=b.name)
                details[nid] = _firm_details(idx, g, b, link_base=link_base, role=role_cn)
        else:
            _add_groups(net, details, idx, group, primary, role, role_cn, colour, link_base)
        for g in group.tolist():
            nid = f"E:{idx.firm_keys[g]}" if aggregated is None else _group_id(role, primary[g], idx)
            src, dst = (nid, fid) if inbound else (fid, nid)
            if not _has_edge(net, src, dst):
                net.add_edge(src, dst, arrows="to", color={"color": colour}, title=f"{role_cn}（供货方向）")


def _add_firm_context(net: Network, details: dict[str, dict[str, Any]], snap: Snapshot, idx: ChainIndex, fid: str,
                      funds: np.ndarray, parks: np.ndarray, regions: np.ndarray, segs: np.ndarray, led: np.ndarray,
                      link_base: str | None) -> None:
    """The firm's funds, park, region, segments and the chains it leads."""
    fund_names = snap.labels["Fund"].names
    fund_keys = snap.keys("Fund")
    for j in funds.tolist():
        nid = f"F:{fund_keys[j]}"
        net.add_node(nid, label=str(fund_names[j]), shape="diamond", size=18, color=KIND_STYLE["fund"][0],
                     font=node_font(13), title=str(fund_names[j]))
        details[nid] = {"title": str(fund_names[j]), "subtitle": "投资基金", "rows": [["关系", "投资了当前企业"]]}
        net.add_edge(nid, fid, arrows="to", color={"color": KIND_STYLE["fund"][0]}, title="投资")
    for p in parks.tolist():
        nid = f"P:{idx.park_keys[p]}"
        net.add_node(nid, label=str(idx.park_names[p]), shape="square", size=18, color=KIND_STYLE["park"][0],
                     font=node_font(13), title=str(idx.park_names[p]))
        details[nid] = {"title": str(idx.park_names[p]), "subtitle": "所在园区", "rows": [],
                        "href": page_link(link_base, f"/pages/parks/{quote(str(idx.park_keys[p]))}")}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["park"][0]}, title="位于")
    for r in regions.tolist():
        nid = f"R:{idx.region_keys[r]}"
        net.add_node(nid, label=str(idx.region_names[r]), shape="box", color=KIND_STYLE["region"][0],
                     font=node_font(13, "#ffffff") | {"strokeWidth": 0}, title=str(idx.region_names[r]))
        details[nid] = {"title": str(idx.region_names[r]), "subtitle": "所在行政区", "rows": []}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["region"][0]}, title="位于")
    for s in segs.tolist():
        nid = f"S:{idx.seg_keys[s]}"
        c = int(idx.seg_chain[s])
        cname = str(idx.chain_names[c]) if c >= 0 else "—"
        net.add_node(nid, label=f"{idx.seg_names[s]}\n〔{cname}〕", shape="triangle", size=16,
                     color=KIND_STYLE["segment"][0], font=node_font(13), title=str(idx.seg_names[s]))
        details[nid] = {"title": str(idx.seg_names[s]), "subtitle": f"环节 · {cname}",
                        "rows": [["上中下游", idx.seg_stream[s] or "—"]]}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["segment"][0]}, title="属于环节")
    for c in led.tolist():
        nid = f"C:{idx.chain_keys[c]}"
        net.add_node(nid, label=f"{idx.chain_names[c]}（链主）", shape="hexagon", size=20,
                     color=KIND_STYLE["chain"][0], font=node_font(14), title=str(idx.chain_names[c]))
        details[nid] = {"title": str(idx.chain_names[c]), "subtitle": "当前企业为该产业链链主", "rows": []}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["chain"][0]}, title="链主")


def _has_edge(net: Network, src: str, dst: str) -> bool:
    key = (src, dst)
    seen = getattr(net, "_cm_edges", None)
    if seen is None:
        seen = set()
        net._cm_edges = seen  # type: ignore[attr-defined]
    if key in seen:
        return True
    seen.add(key)
    return False


def _primary_segment(idx: ChainIndex) -> np.ndarray:
    """Each firm's main segment: the IN_SEGMENT with the largest weight (-1 if none)."""
    m = idx.mem
    out = np.full(idx.n_firms, -1, dtype=np.int64)
    if m.nnz == 0:
        return out
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((-m.data, rows))  # by row, heaviest first
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows[order][1:] != rows[order][:-1]
    out[rows[order][first]] = m.indices[order][first]
    return out


def _group_id(role: str, seg: int, idx: ChainIndex) -> str:
    return f"G:{role}:{idx.seg_keys[seg] if seg >= 0 else '-'}"


def _add_groups(net: Network, details: dict[str, dict[str, Any]], idx: ChainIndex, group: np.ndarray,
                primary: np.ndarray, role: str, role_cn: str, colour: str, link_base: str | None,
                sample: int = 20) -> None:
    segs = primary[group]
    for s in np.unique(segs).tolist():
        members = group[segs == s]
        name = str(idx.seg_names[s]) if s >= 0 else "未分环节"
        nid = _group_id(role, s, idx)
        net.add_node(nid, label=f"{role_cn} · {name}\n{len(members)} 家", shape="database",
                     size=min(40, 12 + 4 * math.sqrt(len(members))), color=colour, font=node_font(13),
                     title=f"{role_cn} · {name}：{len(members)} 家（汇总节点）")
        items = [firm_item(firm_brief(idx, g, weight=1.0, leader=False), link_base) for g in members[:sample].tolist()]
        details[nid] = {"title": f"{role_cn} · {name}", "subtitle": f"汇总节点：{len(members)} 家",
                        "rows": [], "sections": [{"title": "企业", "items": items, "empty": "—",
                                                   "more": f"共 {len(members)} 家，显示前 {len(items)} 家"
                                                   if len(members) > len(items) else None}]}


def _firm_details(idx: ChainIndex, f: int, b: FirmBrief, *, link_base: str | None, role: str | None = None
                  ) -> dict[str, Any]:
    segs = _rows(idx.mem, f)
    seg_text = "、".join(str(idx.seg_names[s]) for s in segs.tolist()) or "—"
    rows = [["规模", b.size or "—"], ["营业收入", f"{b.revenue_wan:,.0f} 万元" if b.revenue_wan is not None else "—"],
            ["标签", "、".join(b.tags) or "—"], ["所在地", b.region_name or "—"], ["环节", seg_text]]
    if role:
        rows.insert(0, ["关系", role])
    return {"title": b.name, "subtitle": "企业" + ("（合成示例）" if b.synthetic else ""), "rows": rows,
            "href": page_link(link_base, f"/pages/enterprises/{quote(b.key)}") if role else None}


# ------------------------------------------------------------------------------------------- park view
def park_view(snap: Snapshot, key: str, *, max_nodes: int = MAX_NODES, link_base: str | None = None) -> GraphView:
    """A park with its leading chains, its firms (registered in it; without any firm→park link in the data, its
    region's firms of its chains, labelled as such and grouped by segment beyond NEARBY_DRAWN) and land parcels."""
    idx = ChainIndex.of(snap)
    p = snap.index_of("Park", key) if len(idx.park_keys) else -1
    if p < 0:
        raise UnknownName(f"园区 {key!r} 不存在")
    pname = str(idx.park_names[p])
    chains = _rows(idx.hosts, p)
    parcels = _rows(snap.relation("HAS_PARCEL", "Park", "LandParcel"), p)
    r = int(idx.park_region[p])
    firms, basis, notes = _park_firms(idx, p, chains, r)
    primary = _primary_segment(idx)
    net = new_network()
    details: dict[str, dict[str, Any]] = {}
    pid = f"P:{idx.park_keys[p]}"
    cat = snap.labels["Park"].cat

    def cat_value(name: str) -> str | None:
        if name not in cat:
            return None
        codes, vocab = cat[name]
        return str(vocab[codes[p]]) if codes[p] >= 0 else None

    net.add_node(pid, label=pname, shape="star", size=34, color=KIND_STYLE["park"][0], font=node_font(17), title=pname)
    details[pid] = {"title": pname, "subtitle": " · ".join(x for x in (cat_value("level"), cat_value("kind")) if x)
                    or "园区", "rows": [["所在行政区", str(idx.region_names[r]) if r >= 0 else "—"],
                                        ["主导产业链", "、".join(str(idx.chain_names[c]) for c in chains) or "—"],
                                        ["企业口径", basis], ["图中企业", f"{len(firms)} 家"],
                                        ["地块", f"{len(parcels)} 宗"]]}
    if r >= 0:
        rid = f"R:{idx.region_keys[r]}"
        net.add_node(rid, label=str(idx.region_names[r]), shape="box", color=KIND_STYLE["region"][0],
                     font=node_font(13, "#ffffff") | {"strokeWidth": 0}, title=str(idx.region_names[r]))
        details[rid] = {"title": str(idx.region_names[r]), "subtitle": "所在行政区", "rows": []}
        net.add_edge(pid, rid, arrows="to", color={"color": KIND_STYLE["region"][0]}, title="位于")
    for c in chains.tolist():
        cid = f"C:{idx.chain_keys[c]}"
        net.add_node(cid, label=str(idx.chain_names[c]), shape="hexagon", size=24, color=KIND_STYLE["chain"][0],
                     font=node_font(15), title=f"主导产业链：{idx.chain_names[c]}")
        details[cid] = {"title": str(idx.chain_names[c]), "subtitle": "园区主导产业链", "rows": [],
                        "href": page_link(link_base, f"/pages/chains/{quote(str(idx.chain_keys[c]))}/map?region={quote(str(idx.park_keys[p]))}")}
        net.add_edge(pid, cid, arrows="to", color={"color": KIND_STYLE["chain"][0]}, width=2, title="主导产业链")
    scodes, svocab, area = _add_parcels(net, details, snap, pid, parcels)
    own = bool(idx.e2p.nnz)  # firms registered in the park; otherwise the region's firms, drawn only for context
    readable = max_nodes if own else min(max_nodes, len(net.nodes) + NEARBY_DRAWN)
    aggregated = _add_park_firms(net, details, idx, firms, primary, chains, pid, readable, link_base,
                                 "园区企业" if own else "所在地企业（非园区企业）")
    legend = [{"label": KIND_STYLE[k][2] if (k != "firm" or own) else "所在地企业（非园区企业）",
               "color": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1]}
              for k in ("park", "region", "chain", "firm", "parcel_available", "parcel_reserved", "parcel_transferred")]
    if aggregated:
        legend.append({"label": KIND_STYLE["group"][2], "color": KIND_STYLE["group"][0], "shape": "database"})
    avail = [q for q in parcels.tolist() if scodes[q] >= 0 and svocab[scodes[q]] == "available"] if len(parcels) else []
    stats = [("主导产业链", str(len(chains))), ("园区企业", f"{len(firms) if own else 0} 家"), ("地块", f"{len(parcels)} 宗"),
             ("可供地块", f"{len(avail)} 宗 / {sum(float(area[q]) for q in avail):.0f} 亩" if avail else "0")]
    n = len(net.nodes)
    return GraphView(kind="park", title=f"园区画像 · {pname}", subtitle=details[pid]["subtitle"], nodes=net.nodes,
                     edges=net.edges, options=force_options(n), details=details, legend=legend, notes=notes,
                     aggregated=aggregated, initial=pid, stats=stats)


NEARBY_DRAWN = 30  # region firms drawn one by one around a park without firm→park links; more are grouped


def _park_firms(idx: ChainIndex, p: int, chains: np.ndarray, r: int) -> tuple[np.ndarray, str, list[str]]:
    """The park's firms (firm→park links; without any, its region's firms in its leading chains, said in a note)."""
    notes: list[str] = []
    if idx.e2p.nnz:
        firm_mask = np.zeros(idx.n_firms, dtype=bool)
        firm_mask[_cols(idx.e2p, p)] = True
        basis = "园区内企业（企业→园区位置关系）"
    else:
        firm_mask = np.zeros(idx.n_firms, dtype=bool)
        if r >= 0 and idx.n_firms:
            inside = idx.region_descendants(r)
            firm_mask = np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0
        in_chains = np.isin(idx.seg_chain, chains)
        firm_mask &= (np.asarray(idx.mem_bin[:, np.flatnonzero(in_chains)].sum(axis=1)).ravel() > 0) \
            if idx.n_firms else firm_mask
        basis = (f"数据中没有企业→园区的位置关系：图中企业为园区所在行政区“{idx.region_names[r]}”（含下级）"
                 f"属于园区主导产业链的企业，仅供参考，不是园区企业" if r >= 0
                 else "数据中没有企业→园区的位置关系，且园区未关联行政区")
        notes.append(basis)
    return np.flatnonzero(firm_mask), basis, notes


def _add_parcels(net: Network, details: dict[str, dict[str, Any]], snap: Snapshot, pid: str,
                 parcels: np.ndarray) -> tuple[Any, Any, Any]:
    """The park's land parcels, coloured by status; returns (status codes, status vocabulary, area) for the stats."""
    scodes = svocab = area = None
    if snap.n("LandParcel"):
        scodes, svocab = snap.categorical("LandParcel", "status")
        area = snap.column("LandParcel", "area_mu")
        pnames = snap.labels["LandParcel"].names
        pkeys = snap.keys("LandParcel")
    for q in parcels.tolist():
        status = str(svocab[scodes[q]]) if scodes[q] >= 0 else "available"
        colour = KIND_STYLE.get(f"parcel_{status}", KIND_STYLE["parcel_available"])[0]
        qid = f"L:{pkeys[q]}"
        a = float(area[q])
        net.add_node(qid, label=f"{_short(str(pnames[q]), 10)}\n{a:.0f} 亩", shape="square", size=12, color=colour,
                     font=node_font(11), title=f"{pnames[q]}：{a:.1f} 亩，{PARCEL_STATUS_CN.get(status, status)}")
        details[qid] = {"title": str(pnames[q]), "subtitle": "地块",
                        "rows": [["面积", f"{a:.2f} 亩"], ["状态", PARCEL_STATUS_CN.get(status, status)]]}
        net.add_edge(pid, qid, arrows="to", color={"color": "#9e9e9e"}, title="园区地块")
    return scodes, svocab, area


def _add_park_firms(net: Network, details: dict[str, dict[str, Any]], idx: ChainIndex, firms: np.ndarray,
                    primary: np.ndarray, chains: np.ndarray, pid: str, max_nodes: int,
                    link_base: str | None, role: str = "园区企业") -> str | None:
    """Firms attached to the chain of their main segment (or to the park); grouped by segment when too many.
    Returns the note on aggregation (None when every firm is drawn)."""
    fixed = len(net.nodes)
    aggregated = None
    chain_set = set(chains.tolist())
    if fixed + len(firms) > max_nodes:
        aggregated = f"图中企业 {len(firms)} 家，超过 {max_nodes} 个节点的可读上限，已按主环节汇总"
        segs = primary[firms]
        for s in np.unique(segs).tolist():
            members = firms[segs == s]
            name = str(idx.seg_names[s]) if s >= 0 else "未分环节"
            nid = f"G:firm:{idx.seg_keys[s] if s >= 0 else '-'}"
            net.add_node(nid, label=f"{name}\n{len(members)} 家", shape="database",
                         size=min(40, 12 + 4 * math.sqrt(len(members))), color=KIND_STYLE["group"][0],
                         font=node_font(13), title=f"{name}：{len(members)} 家（汇总节点）")
            items = [firm_item(firm_brief(idx, g, weight=1.0, leader=False), link_base) for g in members[:20].tolist()]
            details[nid] = {"title": name, "subtitle": f"汇总节点：{len(members)} 家", "rows": [],
                            "sections": [{"title": "企业", "items": items, "empty": "—",
                                          "more": f"共 {len(members)} 家，显示前 {len(items)} 家"
                                          if len(members) > len(items) else None}]}
            c = int(idx.seg_chain[s]) if s >= 0 else -1
            net.add_edge(f"C:{idx.chain_keys[c]}" if c in chain_set else pid, nid, arrows="to",
                         color={"color": "#90a4ae"})
    else:
        for g in firms.tolist():
            b = firm_brief(idx, g, weight=1.0, leader=False)
            nid = f"E:{b.key}"
            net.add_node(nid, label=_short(b.name, 14), shape="dot", size=10, color=KIND_STYLE["firm"][0],
                         font=node_font(11), title=b.name)
            details[nid] = _firm_details(idx, g, b, link_base=link_base, role=role)
            s = int(primary[g])
            c = int(idx.seg_chain[s]) if s >= 0 else -1
            net.add_edge(f"C:{idx.chain_keys[c]}" if c in chain_set else pid, nid, arrows="to",
                         color={"color": "#90caf9"})
    return aggregated


def _short(text: str, n: int) -> str:
    """A label that fits: without the （合成） mark and 有限公司 suffix, cut at n characters (full name in the tooltip)."""
    text = text.replace("（合成）", "").replace("股份有限公司", "").replace("有限责任公司", "").replace("有限公司", "")
    return text if len(text) <= n else text[: n - 1] + "…"
