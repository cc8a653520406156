"""Graph views for the pages: what nodes and edges to draw, their look, and the side-panel details.

Each builder reads the analytic snapshot (never a store) and assembles the graph with a `pyvis.network.Network`
(node/edge bookkeeping); html.py writes the page. A view larger than `max_nodes` (default 2,000: more is not
readable) is aggregated (profiles.py: the firm and park graphs) — firms grouped by segment — and `GraphView.aggregated` says so on the page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import quote, urlencode

from pyvis.network import Network

from chains.render.assets import FONT_STACK
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


def new_network() -> Network:
    return Network(directed=True, notebook=False)


def node_font(size: int = 15, color: str = "#212121") -> dict[str, Any]:
    return {"face": FONT_STACK, "size": size, "color": color, "strokeWidth": 3, "strokeColor": "#ffffff"}


def page_link(base: str | None, path: str) -> str | None:
    return f"{base.rstrip('/')}{path}" if base is not None else None


def firm_note(f: FirmBrief) -> str:
    parts = [p for p in (f.size, *f.tags, f.region_name) if p]
    if f.leader and "链主" not in f.tags:
        parts.insert(0, "链主")
    return " · ".join(parts)


def firm_item(f: FirmBrief, link_base: str | None) -> dict[str, Any]:
    return {"text": f.name, "note": firm_note(f), "href": page_link(link_base, f"/pages/enterprises/{quote(f.key)}")}


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
    net = new_network()
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
            font=node_font(15 if st.in_chain else 13, fc if st.klass == GAP else "#212121"),
        )
        details[st.key] = _segment_details(cmap, st, firms.get(st.key, {}), moves_by_seg.get(st.key, []),
                                           link_base, computed=targets is not None)
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


def force_options(n: int) -> dict[str, Any]:
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
                     link_base: str | None, *, computed: bool = False) -> dict[str, Any]:
    """The side panel of one segment. `computed`: the recommender's targets came with the page (a segment without
    any then has none to recommend — not "not computed")."""
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
         "empty": "本地以外暂无该环节的推荐目标企业" if computed or link_base is not None
         else "目标企业未随本文件计算：可用 chainmatch targets 导出目标企业清单"},
    ]
    if link_base is not None and st.in_chain:  # each segment (gaps first of all) links to its full target list
        q = urlencode({"region": cmap.scope.key, "chain": cmap.chain.key, "segment": st.key, "k": 50})
        sections.append({"title": "目标企业清单", "items": [
            {"text": "全部目标企业（JSON）", "href": page_link(link_base, f"/api/v1/recommendations/targets?{q}")},
            {"text": "下载目标企业清单（Excel）", "href": page_link(link_base, f"/api/v1/recommendations/targets.xlsx?{q}")}],
            "empty": "—"})
    return {"key": st.key, "title": st.name, "subtitle": f"{cmap.scope.name} · {st.chain_name}",
            "badge": {"text": st.klass, "color": bg, "border": border}, "rows": rows, "sections": sections}


# ------------------------------------------------------------------------------------------- enterprise view
