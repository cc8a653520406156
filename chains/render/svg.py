"""A static SVG of the chain map (for slides and print): written directly, no browser needed.

Columns = DAG depth (upstream left → downstream right), order inside a column by barycentre of neighbours (fewer
crossings), circles sized by local firm count and coloured by class, gaps dashed red, cross-chain segments as
squares. Chinese text uses a font-family fallback list (Noto Sans CJK SC first: fonts-noto-cjk on Debian).
"""
from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from chains.render.views import BOTTOM, CLASS_STYLE, COL_W, LEFT, MOVE_COLOR, ROW_H, TOP, layered_layout, radius
from chains.models import GAP, STRONG, WEAK, ChainMap, SegmentStat

SVG_FONTS = ("'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
             "'WenQuanYi Micro Hei', 'Hiragino Sans GB', sans-serif")


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def chain_map_svg(cmap: ChainMap) -> str:
    """The chain map as a static SVG (for reports, PNG export and print): layered like the interactive map."""
    nodes = cmap.segments + cmap.context_segments
    xy = layered_layout(cmap)
    by_key = {s.key: s for s in nodes}
    n_cols = 1 + max((s.depth for s in nodes), default=0) - min((s.depth for s in nodes), default=0)
    n_rows = max((round((y - TOP) / ROW_H) for _, y in xy.values()), default=0) + 1
    width = max(960, LEFT * 2 + (n_cols - 1) * COL_W + 120)
    height = TOP + n_rows * ROW_H + BOTTOM
    moves: dict[str, list[str]] = {}
    for m in cmap.moves:
        moves.setdefault(m.segment, []).append(m.kind)
    where = cmap.scope.name + ("（园区）" if cmap.scope.kind == "park" else "")
    s = cmap.summary
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{SVG_FONTS}" role="img" aria-label="{_attr(cmap.chain.name)}产业链图谱">',
        '<defs>'
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#78909c"/></marker>'
        '<marker id="arrow-x" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#8e24aa"/></marker></defs>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="24" y="40" font-size="24" font-weight="bold" fill="#212121">{escape(cmap.chain.name)}产业链图谱 · {escape(where)}</text>',
        f'<text x="24" y="66" font-size="14" fill="#616161">优势 {s.strong} · 薄弱 {s.weak} · 空白 {s.gap} · '
        f'本地企业 {s.local_firms} 家 · 本地链主 {s.leaders} 家 · 补链 {s.fill} / 强链 {s.strengthen} / 延链 {s.extend}</text>',
    ]
    out += _legend()
    out += _edges(cmap, xy, by_key)
    out += _nodes(nodes, xy, moves)
    foot = f"度量：{cmap.measure}"
    out.append(f'<text x="24" y="{height - 40}" font-size="11" fill="#757575">{escape(foot)}</text>')
    tail = f"ChainMatch 生成于 {dt.date.today().isoformat()}" + ("；含合成示例数据，仅供演示" if cmap.synthetic else "")
    if cmap.scope.note:
        tail += f"；{cmap.scope.note}"
    out.append(f'<text x="24" y="{height - 20}" font-size="11" fill="#757575">{escape(tail)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _legend() -> list[str]:
    """The legend row: the three classes, context segments, cross-chain links, how to read sizes."""
    out: list[str] = []
    lx, ly = 24, 92
    for label, (bg, border, _), dashed in (("优势", CLASS_STYLE[STRONG], False), ("薄弱", CLASS_STYLE[WEAK], False),
                                           ("空白", CLASS_STYLE[GAP], True)):
        dash_attr = ' stroke-dasharray="3 2"' if dashed else ""
        out.append(f'<circle cx="{lx + 7}" cy="{ly}" r="7" fill="{bg}" stroke="{border}" stroke-width="2"{dash_attr}/>'
                   f'<text x="{lx + 20}" y="{ly + 5}" font-size="13" fill="#424242">{label}</text>')
        lx += 70
    out.append(f'<rect x="{lx}" y="{ly - 7}" width="14" height="14" rx="3" fill="#e0e0e0" stroke="#616161"/>'
               f'<text x="{lx + 20}" y="{ly + 5}" font-size="13" fill="#424242">跨链关联环节</text>')
    lx += 130
    out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="#8e24aa" stroke-width="2" stroke-dasharray="5 4"/>'
               f'<text x="{lx + 32}" y="{ly + 5}" font-size="13" fill="#424242">跨链上下游</text>')
    lx += 120
    out.append(f'<text x="{lx}" y="{ly + 5}" font-size="13" fill="#424242">圆大小 = 本地企业数；粗框 = 主干环节；上游 → 下游</text>')
    return out


def _edges(cmap: ChainMap, xy: dict[str, tuple[float, float]], by_key: dict[str, SegmentStat]) -> list[str]:
    """Upstream → downstream curves: main-path links bold, cross-chain links dashed purple."""
    out: list[str] = []
    out.append('<g class="edges">')
    for ln in cmap.links:
        if ln.up not in xy or ln.down not in xy:
            continue
        (x1, y1), (x2, y2) = xy[ln.up], xy[ln.down]
        r1, r2 = radius(by_key[ln.up]) + 2, radius(by_key[ln.down]) + 4
        if x2 <= x1:  # same column (rare: cross-chain at equal depth): curve out to the right
            d = f"M {x1 + r1} {y1} C {x1 + 80} {y1}, {x2 + 80} {y2}, {x2 + r2} {y2}"
        else:
            dx = (x2 - x1) / 2
            d = f"M {x1 + r1} {y1} C {x1 + dx} {y1}, {x2 - dx} {y2}, {x2 - r2} {y2}"
        if ln.cross:
            out.append(f'<path d="{d}" fill="none" stroke="#8e24aa" stroke-width="1.6" stroke-dasharray="6 4" marker-end="url(#arrow-x)"/>')
        else:
            colour, w = ("#455a64", 2.6) if ln.main else ("#b0bec5", 1.3)
            out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{w}" marker-end="url(#arrow)"/>')
    out.append("</g>")
    return out


def _nodes(nodes: list[SegmentStat], xy: dict[str, tuple[float, float]], moves: dict[str, list[str]]) -> list[str]:
    """Segments: circles (in chain) or squares (context), class colours, local count, name, class and moves."""
    out: list[str] = []
    for seg in nodes:
        x, y = xy[seg.key]
        bg, border, fc = CLASS_STYLE[seg.klass]
        r = radius(seg)
        sw = 3.2 if seg.klass == GAP or seg.on_main_path else 1.5
        dash = ' stroke-dasharray="5 3"' if seg.klass == GAP else ""
        out.append(f'<g class="node" data-key="{_attr(seg.key)}" data-class="{seg.klass}">')
        if seg.in_chain:
            out.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="{bg}" stroke="{border}" stroke-width="{sw}"{dash}/>')
        else:
            out.append(f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" rx="4" '
                       f'fill="{bg}" stroke="{border}" stroke-width="{sw}"{dash}/>')
        if seg.local_count:
            tc = "#ffffff" if seg.klass == STRONG else "#212121"
            out.append(f'<text x="{x}" y="{y + 4.5}" font-size="13" font-weight="bold" text-anchor="middle" fill="{tc}">{seg.local_count}</text>')
        name = seg.name if seg.in_chain else f"{seg.name}〔{seg.chain_name}〕"
        weight = ' font-weight="bold"' if seg.on_main_path else ""
        out.append(f'<text x="{x}" y="{y + r + 17}" font-size="14"{weight} text-anchor="middle" fill="#212121">{escape(name)}</text>')
        sub = seg.klass + (f" · LQ {seg.lq:.2f}" if seg.lq is not None and seg.local_count else "")
        if seg.leaders:
            sub += " · ★链主"
        out.append(f'<text x="{x}" y="{y + r + 33}" font-size="12" text-anchor="middle" fill="{fc if seg.klass == GAP else "#616161"}">{escape(sub)}</text>')
        kinds = moves.get(seg.key, [])
        if kinds:
            label = "".join(f"【{k}】" for k in kinds)
            colour = MOVE_COLOR[kinds[0]]
            out.append(f'<text x="{x}" y="{y - r - 7}" font-size="12" font-weight="bold" text-anchor="middle" fill="{colour}">{escape(label)}</text>')
        out.append("</g>")
    return out
