"""Graph views for the pages: what nodes and edges to draw, their look, and the side-panel details.

Each builder reads the analytic snapshot (never a store) and assembles the graph with a `pyvis.network.Network`
(node/edge bookkeeping); html.py writes the page. A view larger than `max_nodes` (default 2,000: more is not
readable) is aggregated — firms grouped by segment — and `GraphView.aggregated` says so on the page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import quote, urlencode

import numpy as np
from pyvis.network import Network

from chains.render.assets import FONT_STACK
from graph.snapshot import Snapshot
from kernel.errors import UnknownName
from chains.index import ChainIndex
from chains.leaders import firm_brief
from chains.models import EXTEND, FILL, GAP, STRENGTHEN, STRONG, WEAK, ChainMap, FirmBrief, SegmentStat

MAX_NODES = 2000
CLASS_STYLE = {  # background, border, font colour
    STRONG: ("#2e7d32", "#1b5e20", "#1b5e20"),
    WEAK: ("#f9a825", "#e65100", "#7a4a00"),
    GAP: ("#fafafa", "#c62828", "#b71c1c"),
}
MOVE_COLOR = {FILL: "#c62828", STRENGTHEN: "#ef6c00", EXTEND: "#6a1b9a"}
KIND_STYLE = {  # enterprise / park views: node kind → (colour, shape, legend label)
    "focus": ("#1565c0", "star", "当前企业"),
    "supplier": ("#42a5f5", "dot", "供应商"),
    "customer": ("#ff8f00", "dot", "客户"),
    "fund": ("#8e24aa", "diamond", "投资基金"),
    "park": ("#00897b", "square", "园区"),
    "region": ("#757575", "box", "行政区"),
    "segment": ("#2e7d32", "triangle", "所属环节"),
    "chain": ("#5d4037", "hexagon", "产业链"),
    "firm": ("#42a5f5", "dot", "企业"),
    "group": ("#90a4ae", "database", "汇总节点（按环节）"),
    "parcel_available": ("#43a047", "square", "地块·可供"),
    "parcel_reserved": ("#fbc02d", "square", "地块·已预留"),
    "parcel_transferred": ("#bdbdbd", "square", "地块·已出让"),
}
PARCEL_STATUS_CN = {"available": "可供", "reserved": "已预留", "transferred": "已出让"}


@dataclass
class GraphView:
    kind: str  # chain_map / enterprise / park
    title: str
    subtitle: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    options: dict[str, Any]
    details: dict[str, dict[str, Any]]
    legend: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    aggregated: str | None = None
    initial: str | None = None
    stats: list[tuple[str, str]] = field(default_factory=list)
    targets: dict[str, list[dict[str, Any]]] | None = None
    height: int = 640

    def data(self) -> dict[str, Any]:
        """What the page script reads (window.ChainMatch.data)."""
        return {"kind": self.kind, "graph": {"nodes": self.nodes, "edges": self.edges, "options": self.options},
                "details": self.details, "initial": self.initial, "targets": self.targets,
                "aggregated": self.aggregated}


def _net() -> Network:
    return Network(directed=True, notebook=False)


def _font(size: int = 15, color: str = "#212121") -> dict[str, Any]:
    return {"face": FONT_STACK, "size": size, "color": color, "strokeWidth": 3, "strokeColor": "#ffffff"}


def _link(base: str | None, path: str) -> str | None:
    return f"{base.rstrip('/')}{path}" if base is not None else None


def firm_note(f: FirmBrief) -> str:
    parts = [p for p in (f.size, *f.tags, f.region_name) if p]
    if f.leader and "链主" not in f.tags:
        parts.insert(0, "链主")
    return " · ".join(parts)


def firm_item(f: FirmBrief, link_base: str | None) -> dict[str, Any]:
    return {"text": f.name, "note": firm_note(f), "href": _link(link_base, f"/pages/enterprises/{quote(f.key)}")}


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


# ------------------------------------------------------------------------------------------- chain map
def chain_map_view(cmap: ChainMap, firms: Mapping[str, Mapping[str, Any]], *,
                   targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                   link_base: str | None = None) -> GraphView:
    """Segments laid out upstream → downstream (hierarchical, level = DAG depth), coloured by class, sized by
    local firm count; gaps dashed red. `firms`: chain_firms_by_segment(). `targets`: the recommender's hook —
    per segment key a list of {"name", "key"?, "reasons": [..]?, "score"?}; None shows a placeholder."""
    net = _net()
    moves_by_seg: dict[str, list[Any]] = {}
    for mv in cmap.moves:
        moves_by_seg.setdefault(mv.segment, []).append(mv)
    shown = cmap.segments + cmap.context_segments
    xy = layered_layout(cmap)
    details: dict[str, dict[str, Any]] = {}
    for st in shown:
        bg, border, fc = CLASS_STYLE[st.klass]
        mv_kinds = [m.kind for m in moves_by_seg.get(st.key, [])]
        label = st.name if st.in_chain else f"{st.name}〔{st.chain_name}〕"
        label += f"\n{st.local_count} 家 · {st.klass}" if st.klass != GAP else "\n空白"
        if mv_kinds:
            label += "".join(f"【{k}】" for k in mv_kinds)
        if st.leaders:
            label += " ★链主"
        tooltip = (f"{st.name}（{st.chain_name} · {st.stream or '—'}）\n{st.klass}：{st.reason}\n"
                   f"本地 {st.local_count} 家 · 区位熵 {_fmt(st.lq)} · 全国 {st.national_count} 家")
        x, y = xy[st.key]
        net.add_node(
            st.key, label=label, title=tooltip, x=x, y=y, fixed={"x": True, "y": True}, size=radius(st),
            shape="dot" if st.in_chain else "square",
            color={"background": bg, "border": border, "highlight": {"background": bg, "border": "#0d47a1"},
                   "hover": {"background": bg, "border": "#0d47a1"}},
            borderWidth=4 if st.klass == GAP else (3 if st.on_main_path else 1.5),
            shapeProperties={"borderDashes": [6, 4] if st.klass == GAP else False},
            font=_font(15 if st.in_chain else 13, fc if st.klass == GAP else "#212121"),
        )
        details[st.key] = _segment_details(cmap, st, firms.get(st.key, {}), moves_by_seg.get(st.key, []),
                                           link_base)
    for ln in cmap.links:
        if ln.cross:
            net.add_edge(ln.up, ln.down, arrows="to", dashes=True, width=1.5, color={"color": "#8e24aa"},
                         title="跨产业链上下游")
        else:
            net.add_edge(ln.up, ln.down, arrows="to", width=3 if ln.main else 1.2,
                         color={"color": "#455a64" if ln.main else "#b0bec5"},
                         title="主干路径" if ln.main else "上下游")
    s = cmap.summary
    notes = list(cmap.notes)
    stats = [("本地企业", f"{s.local_firms} 家"), ("优势环节", str(s.strong)), ("薄弱环节", str(s.weak)),
             ("空白环节", str(s.gap)), ("本地链主", str(s.leaders)),
             ("补链/强链/延链", f"{s.fill}/{s.strengthen}/{s.extend}")]
    legend = [
        {"label": "优势环节", "color": CLASS_STYLE[STRONG][0], "border": CLASS_STYLE[STRONG][1], "shape": "dot"},
        {"label": "薄弱环节", "color": CLASS_STYLE[WEAK][0], "border": CLASS_STYLE[WEAK][1], "shape": "dot"},
        {"label": "空白环节（虚线红框）", "color": CLASS_STYLE[GAP][0], "border": CLASS_STYLE[GAP][1], "shape": "dot",
         "dashed": True},
        {"label": "跨链关联环节（方形）", "color": "#e0e0e0", "border": "#616161", "shape": "square"},
        {"label": "节点大小 = 本地企业数；粗框 = 主干环节", "color": None},
        {"label": "主干上下游（粗线）", "line": "#455a64", "width": 3},
        {"label": "跨产业链上下游（紫色虚线）", "line": "#8e24aa", "dashed": True},
    ]
    scope = cmap.scope
    where = scope.name + ("（园区）" if scope.kind == "park" else "")
    initial = next((m.segment for m in cmap.moves if m.kind == FILL), None)
    return GraphView(
        kind="chain_map", title=f"{cmap.chain.name}产业链图谱 · {where}",
        subtitle="上游 → 下游；颜色 = 本地强弱（区位熵分类），点击环节查看本地企业与招商方向",
        nodes=net.nodes, edges=net.edges, options=_layered_options(), details=details, legend=legend,
        notes=notes, initial=initial, stats=stats, targets={k: list(v) for k, v in targets.items()} if targets else None,
        height=int(min(1000, max(520, max((y for _, y in xy.values()), default=0) - TOP + 2 * ROW_H))),
    )


COL_W, ROW_H, TOP, LEFT, BOTTOM = 220, 100, 156, 150, 70


def radius(s: SegmentStat) -> float:
    return 10.0 if s.local_count == 0 else min(30.0, 11.0 + 4.0 * math.sqrt(s.local_count))


def layered_layout(cmap: ChainMap) -> dict[str, tuple[float, float]]:
    """Layered (Sugiyama-style) positions: x = DAG depth column, y = row after barycentre ordering; shared by
    the interactive map and the static SVG so both look the same."""
    nodes = cmap.segments + cmap.context_segments
    min_d = min((s.depth for s in nodes), default=0)
    cols: dict[int, list[SegmentStat]] = {}
    for s in nodes:
        cols.setdefault(s.depth - min_d, []).append(s)
    order = {"上游": 0, "中游": 1, "下游": 2}
    for c in cols.values():
        c.sort(key=lambda s: (not s.in_chain, order.get(s.stream or "", 1), s.key))
    nb: dict[str, list[str]] = {s.key: [] for s in nodes}
    for ln in cmap.links:
        if ln.up in nb and ln.down in nb:
            nb[ln.up].append(ln.down)
            nb[ln.down].append(ln.up)
    rows = max((len(c) for c in cols.values()), default=1)
    pos: dict[str, float] = {}

    def place() -> None:
        for c in cols.values():
            off = (rows - len(c)) / 2
            for i, s in enumerate(c):
                pos[s.key] = off + i

    place()
    for sweep in range(4):  # barycentre ordering, alternating direction
        keys = sorted(cols) if sweep % 2 == 0 else sorted(cols, reverse=True)
        for k in keys:
            c = cols[k]
            bary = {s.key: (sum(pos[n] for n in nb[s.key]) / len(nb[s.key]) if nb[s.key] else pos[s.key]) for s in c}
            c.sort(key=lambda s: (bary[s.key], s.key))
        place()
    return {s.key: (LEFT + (s.depth - min_d) * COL_W, TOP + pos[s.key] * ROW_H) for s in nodes}



def _layered_options() -> dict[str, Any]:
    # Hierarchical by DAG depth: positions come from layered_layout (the same as the SVG), physics off.
    return {
        "layout": {"hierarchical": {"enabled": False}},
        "physics": {"enabled": False},
        "edges": {"smooth": {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.45},
                  "arrows": {"to": {"enabled": True, "scaleFactor": 0.7}}},
        "nodes": {"font": {"face": FONT_STACK}},
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": False},
    }


def _force_options(n: int) -> dict[str, Any]:
    return {
        "layout": {"improvedLayout": n <= 150, "randomSeed": 7},
        "physics": {"enabled": True, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -80, "springLength": 160, "avoidOverlap": 0.6},
                    "stabilization": {"enabled": True, "iterations": 250 if n <= 500 else 120, "fit": True}},
        "edges": {"smooth": {"enabled": False}, "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}},
        "nodes": {"font": {"face": FONT_STACK}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n > 300},
    }


def _segment_details(cmap: ChainMap, st: SegmentStat, firms: Mapping[str, Any], moves: list[Any],
                     link_base: str | None) -> dict[str, Any]:
    bg, border, _ = CLASS_STYLE[st.klass]
    rank = f"第 {st.peer_rank} / {st.peer_total}" if st.peer_rank else (f"未上榜（{st.peer_total} 个地区有企业）"
                                                                       if st.peer_total else "—")
    rows = [
        ["分类依据", st.reason],
        ["所属", f"{st.chain_name} · {st.stream or '—'}" + ("" if st.in_chain else "（跨链关联）")],
        ["本地企业", f"{st.local_count} 家"],
        ["规模加权强度", _fmt(st.local_strength, 1)],
        ["区位熵", _fmt(st.lq)],
        ["全国企业 / 强度", f"{st.national_count} 家 / {_fmt(st.national_strength, 1)}"],
        ["本地占全国", f"{st.national_share:.1%}"],
        ["全国同级排名", rank],
        ["专精特新 / 高新 / 上市", " / ".join(str(st.tags.get(t, 0)) for t in ("专精特新", "高新技术", "上市"))],
        ["链主", "、".join(r.name for r in st.leaders) or "无"],
        ["主干路径", f"是（路径占比 {st.main_path_share:.0%}）" if st.on_main_path else
         (f"否（路径占比 {st.main_path_share:.0%}）" if st.in_chain else "—")],
        ["全国重点地区", "、".join(f"{r.name}（{r.count}家）" for r in st.top_regions) or "—"],
    ]
    total = int(firms.get("total", 0) or 0)
    items = [firm_item(FirmBrief(**f), link_base) for f in firms.get("firms", [])]  # type: ignore[arg-type]
    more = f"共 {total} 家，显示前 {len(items)} 家" if total > len(items) else None
    sections = [
        {"title": f"本地企业（{total} 家）", "items": items, "empty": "本地暂无该环节企业", "more": more},
        {"title": "招商方向", "items": [{"text": f"{m.kind}", "note": m.reason, "color": MOVE_COLOR[m.kind]}
                                    for m in moves], "empty": "—"},
        # The target recommender's top firms: DATA.targets[segment key] (chains/pages.py fills it; docs/targets.md).
        {"title": "招商目标企业（推荐）", "hook": "targets",
         "empty": "本地以外暂无该环节的推荐目标企业" if link_base is not None
         else "目标企业未随本文件计算：可用 chainmatch targets 导出目标企业清单"},
    ]
    if link_base is not None and st.in_chain:  # each segment (gaps first of all) links to its full target list
        q = urlencode({"region": cmap.scope.key, "chain": cmap.chain.key, "segment": st.key, "k": 50})
        sections.append({"title": "目标企业清单", "items": [
            {"text": "全部目标企业（JSON）", "href": _link(link_base, f"/api/v1/recommendations/targets?{q}")},
            {"text": "下载目标企业清单（Excel）", "href": _link(link_base, f"/api/v1/recommendations/targets.xlsx?{q}")}],
            "empty": "—"})
    return {"key": st.key, "title": st.name, "subtitle": f"{cmap.scope.name} · {st.chain_name}",
            "badge": {"text": st.klass, "color": bg, "border": border}, "rows": rows, "sections": sections}


# ------------------------------------------------------------------------------------------- enterprise view
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
    fund_names = snap.labels["Fund"].names
    fund_keys = snap.keys("Fund")

    net = _net()
    details: dict[str, dict[str, Any]] = {}
    fid = f"E:{me.key}"
    net.add_node(fid, label=me.name, shape="star", size=34, color=KIND_STYLE["focus"][0], font=_font(17),
                 title=me.name)
    details[fid] = _firm_details(idx, f, me, link_base=None)
    n_fixed = 1 + len(funds) + len(parks) + len(regions) + len(segs) + len(led)
    aggregated = None
    primary = _primary_segment(idx)
    if n_fixed + len(suppliers) + len(customers) > max_nodes:
        aggregated = (f"关联企业 {len(suppliers) + len(customers)} 家，超过 {max_nodes} 个节点的可读上限，"
                      f"供应商与客户已按其主环节汇总")
    for role, group, inbound in (("supplier", suppliers, True), ("customer", customers, False)):
        colour, shape, role_cn = KIND_STYLE[role]
        if aggregated is None:
            for g in group.tolist():
                b = firm_brief(idx, g, weight=1.0, leader=False)
                nid = f"E:{b.key}"
                if nid in net.node_map:  # a firm both supplier and customer
                    continue
                net.add_node(nid, label=_short(b.name, 12), shape=shape, size=14, color=colour, font=_font(12),
                             title=b.name)
                details[nid] = _firm_details(idx, g, b, link_base=link_base, role=role_cn)
        else:
            _add_groups(net, details, idx, group, primary, role, role_cn, colour, link_base)
        for g in group.tolist():
            nid = f"E:{idx.firm_keys[g]}" if aggregated is None else _group_id(role, primary[g], idx)
            src, dst = (nid, fid) if inbound else (fid, nid)
            if not _has_edge(net, src, dst):
                net.add_edge(src, dst, arrows="to", color={"color": colour}, title=f"{role_cn}（供货方向）")
    for j in funds.tolist():
        nid = f"F:{fund_keys[j]}"
        net.add_node(nid, label=str(fund_names[j]), shape="diamond", size=18, color=KIND_STYLE["fund"][0],
                     font=_font(13), title=str(fund_names[j]))
        details[nid] = {"title": str(fund_names[j]), "subtitle": "投资基金", "rows": [["关系", "投资了当前企业"]]}
        net.add_edge(nid, fid, arrows="to", color={"color": KIND_STYLE["fund"][0]}, title="投资")
    for p in parks.tolist():
        nid = f"P:{idx.park_keys[p]}"
        net.add_node(nid, label=str(idx.park_names[p]), shape="square", size=18, color=KIND_STYLE["park"][0],
                     font=_font(13), title=str(idx.park_names[p]))
        details[nid] = {"title": str(idx.park_names[p]), "subtitle": "所在园区", "rows": [],
                        "href": _link(link_base, f"/pages/parks/{quote(str(idx.park_keys[p]))}")}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["park"][0]}, title="位于")
    for r in regions.tolist():
        nid = f"R:{idx.region_keys[r]}"
        net.add_node(nid, label=str(idx.region_names[r]), shape="box", color=KIND_STYLE["region"][0],
                     font=_font(13, "#ffffff") | {"strokeWidth": 0}, title=str(idx.region_names[r]))
        details[nid] = {"title": str(idx.region_names[r]), "subtitle": "所在行政区",
                        "rows": [["代码", str(idx.region_keys[r])]]}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["region"][0]}, title="位于")
    for s in segs.tolist():
        nid = f"S:{idx.seg_keys[s]}"
        c = int(idx.seg_chain[s])
        cname = str(idx.chain_names[c]) if c >= 0 else "—"
        net.add_node(nid, label=f"{idx.seg_names[s]}\n〔{cname}〕", shape="triangle", size=16,
                     color=KIND_STYLE["segment"][0], font=_font(13), title=str(idx.seg_names[s]))
        details[nid] = {"title": str(idx.seg_names[s]), "subtitle": f"环节 · {cname}",
                        "rows": [["上中下游", idx.seg_stream[s] or "—"]]}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["segment"][0]}, title="属于环节")
    for c in led.tolist():
        nid = f"C:{idx.chain_keys[c]}"
        net.add_node(nid, label=f"{idx.chain_names[c]}（链主）", shape="hexagon", size=20,
                     color=KIND_STYLE["chain"][0], font=_font(14), title=str(idx.chain_names[c]))
        details[nid] = {"title": str(idx.chain_names[c]), "subtitle": "当前企业为该产业链链主", "rows": []}
        net.add_edge(fid, nid, arrows="to", color={"color": KIND_STYLE["chain"][0]}, title="链主")
    legend = [{"label": KIND_STYLE[k][2], "color": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1]}
              for k in ("focus", "supplier", "customer", "fund", "park", "region", "segment", "chain")]
    if aggregated:
        legend.append({"label": KIND_STYLE["group"][2], "color": KIND_STYLE["group"][0], "shape": "database"})
    notes = []
    if idx.e2p.nnz == 0:
        notes.append("数据中没有企业→园区的位置关系，图中不显示所在园区")
    if me.synthetic:
        notes.append("合成示例企业（synthetic），仅供演示")
    stats = [("供应商", f"{len(suppliers)} 家"), ("客户", f"{len(customers)} 家"), ("投资基金", str(len(funds))),
             ("所属环节", str(len(segs))), ("链主", "、".join(str(idx.chain_names[c]) for c in led) or "否")]
    n = len(net.nodes)
    return GraphView(kind="enterprise", title=f"企业画像 · {me.name}", subtitle=firm_note(me) or "企业关系图",
                     nodes=net.nodes, edges=net.edges, options=_force_options(n), details=details, legend=legend,
                     notes=notes, aggregated=aggregated, initial=fid, stats=stats)


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
                     size=min(40, 12 + 4 * math.sqrt(len(members))), color=colour, font=_font(13),
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
            "href": _link(link_base, f"/pages/enterprises/{quote(b.key)}") if role else None}


# ------------------------------------------------------------------------------------------- park view
def park_view(snap: Snapshot, key: str, *, max_nodes: int = MAX_NODES, link_base: str | None = None) -> GraphView:
    """A park with its leading chains, firms (by segment) and land parcels."""
    idx = ChainIndex.of(snap)
    p = snap.index_of("Park", key) if len(idx.park_keys) else -1
    if p < 0:
        raise UnknownName(f"园区 {key!r} 不存在")
    pname = str(idx.park_names[p])
    chains = _rows(idx.hosts, p)
    parcels = _rows(snap.relation("HAS_PARCEL", "Park", "LandParcel"), p)
    r = int(idx.park_region[p])
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
        basis = (f"数据中没有企业→园区的位置关系：下列企业为园区所在行政区“{idx.region_names[r]}”（含下级）"
                 f"中属于园区主导产业链的企业" if r >= 0 else "数据中没有企业→园区的位置关系，且园区未关联行政区")
        notes.append(basis)
    firms = np.flatnonzero(firm_mask)
    primary = _primary_segment(idx)
    net = _net()
    details: dict[str, dict[str, Any]] = {}
    pid = f"P:{idx.park_keys[p]}"
    cat = snap.labels["Park"].cat

    def cat_value(name: str) -> str | None:
        if name not in cat:
            return None
        codes, vocab = cat[name]
        return str(vocab[codes[p]]) if codes[p] >= 0 else None

    net.add_node(pid, label=pname, shape="star", size=34, color=KIND_STYLE["park"][0], font=_font(17), title=pname)
    details[pid] = {"title": pname, "subtitle": " · ".join(x for x in (cat_value("level"), cat_value("kind")) if x)
                    or "园区", "rows": [["所在行政区", str(idx.region_names[r]) if r >= 0 else "—"],
                                        ["主导产业链", "、".join(str(idx.chain_names[c]) for c in chains) or "—"],
                                        ["企业口径", basis], ["企业数", f"{len(firms)} 家"],
                                        ["地块", f"{len(parcels)} 宗"]]}
    if r >= 0:
        rid = f"R:{idx.region_keys[r]}"
        net.add_node(rid, label=str(idx.region_names[r]), shape="box", color=KIND_STYLE["region"][0],
                     font=_font(13, "#ffffff") | {"strokeWidth": 0}, title=str(idx.region_names[r]))
        details[rid] = {"title": str(idx.region_names[r]), "subtitle": "所在行政区", "rows": [["代码", str(idx.region_keys[r])]]}
        net.add_edge(pid, rid, arrows="to", color={"color": KIND_STYLE["region"][0]}, title="位于")
    for c in chains.tolist():
        cid = f"C:{idx.chain_keys[c]}"
        net.add_node(cid, label=str(idx.chain_names[c]), shape="hexagon", size=24, color=KIND_STYLE["chain"][0],
                     font=_font(15), title=f"主导产业链：{idx.chain_names[c]}")
        details[cid] = {"title": str(idx.chain_names[c]), "subtitle": "园区主导产业链", "rows": [],
                        "href": _link(link_base, f"/pages/chains/{quote(str(idx.chain_keys[c]))}/map?region={quote(str(idx.park_keys[p]))}")}
        net.add_edge(pid, cid, arrows="to", color={"color": KIND_STYLE["chain"][0]}, width=2, title="主导产业链")
    # parcels
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
                     font=_font(11), title=f"{pnames[q]}：{a:.1f} 亩，{PARCEL_STATUS_CN.get(status, status)}")
        details[qid] = {"title": str(pnames[q]), "subtitle": "地块",
                        "rows": [["面积", f"{a:.2f} 亩"], ["状态", PARCEL_STATUS_CN.get(status, status)]]}
        net.add_edge(pid, qid, arrows="to", color={"color": "#9e9e9e"}, title="园区地块")
    # firms, attached to the chain of their main segment (or to the park)
    fixed = len(net.nodes)
    aggregated = None
    chain_set = set(chains.tolist())
    if fixed + len(firms) > max_nodes:
        aggregated = f"园区企业 {len(firms)} 家，超过 {max_nodes} 个节点的可读上限，已按主环节汇总"
        segs = primary[firms]
        for s in np.unique(segs).tolist():
            members = firms[segs == s]
            name = str(idx.seg_names[s]) if s >= 0 else "未分环节"
            nid = f"G:firm:{idx.seg_keys[s] if s >= 0 else '-'}"
            net.add_node(nid, label=f"{name}\n{len(members)} 家", shape="database",
                         size=min(40, 12 + 4 * math.sqrt(len(members))), color=KIND_STYLE["group"][0],
                         font=_font(13), title=f"{name}：{len(members)} 家（汇总节点）")
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
                         font=_font(11), title=b.name)
            details[nid] = _firm_details(idx, g, b, link_base=link_base, role="园区企业")
            s = int(primary[g])
            c = int(idx.seg_chain[s]) if s >= 0 else -1
            net.add_edge(f"C:{idx.chain_keys[c]}" if c in chain_set else pid, nid, arrows="to",
                         color={"color": "#90caf9"})
    legend = [{"label": KIND_STYLE[k][2], "color": KIND_STYLE[k][0], "shape": KIND_STYLE[k][1]}
              for k in ("park", "region", "chain", "firm", "parcel_available", "parcel_reserved", "parcel_transferred")]
    if aggregated:
        legend.append({"label": KIND_STYLE["group"][2], "color": KIND_STYLE["group"][0], "shape": "database"})
    avail = [q for q in parcels.tolist() if scodes[q] >= 0 and svocab[scodes[q]] == "available"] if len(parcels) else []
    stats = [("主导产业链", str(len(chains))), ("企业", f"{len(firms)} 家"), ("地块", f"{len(parcels)} 宗"),
             ("可供地块", f"{len(avail)} 宗 / {sum(float(area[q]) for q in avail):.0f} 亩" if avail else "0")]
    n = len(net.nodes)
    return GraphView(kind="park", title=f"园区画像 · {pname}", subtitle=details[pid]["subtitle"], nodes=net.nodes,
                     edges=net.edges, options=_force_options(n), details=details, legend=legend, notes=notes,
                     aggregated=aggregated, initial=pid, stats=stats)


def _short(text: str, n: int) -> str:
    """A label that fits: without the （合成） mark and 有限公司 suffix, cut at n characters (full name in the tooltip)."""
    text = text.replace("（合成）", "").replace("股份有限公司", "").replace("有限责任公司", "").replace("有限公司", "")
    return text if len(text) <= n else text[: n - 1] + "…"
