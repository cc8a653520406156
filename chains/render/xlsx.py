"""The chain analysis as an Excel workbook (openpyxl): segment table, moves, leaders, parks, method."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from graph.io.export import text_cell
from chains.models import MOVES, ChainMap

SEGMENT_COLUMNS = ("环节", "环节代码", "所属产业链", "上中下游", "链条层级", "分类", "分类依据", "本地企业数", "规模加权强度",
                   "区位熵", "全国企业数", "全国强度", "本地占全国", "同级排名", "同级地区数", "链主", "专精特新", "高新技术",
                   "上市", "主干环节", "主干路径占比", "全国重点地区", "招商方向")
CLASS_FILL = {"优势": "C8E6C9", "薄弱": "FFE0B2", "空白": "FFCDD2"}
HEADER_FILL = PatternFill("solid", fgColor="E3F2FD")


def segment_rows(cmap: ChainMap) -> list[list[object]]:
    seg_moves: dict[str, list[str]] = {}
    for m in cmap.moves:
        seg_moves.setdefault(m.segment, []).append(m.kind)
    rows = []
    for s in cmap.segments:
        rows.append([s.name, s.key, s.chain_name, s.stream or "", s.depth, s.klass, s.reason, s.local_count,
                     round(s.local_strength, 2), s.lq, s.national_count, round(s.national_strength, 2),
                     round(s.national_share, 4), s.peer_rank, s.peer_total, "、".join(r.name for r in s.leaders),
                     s.tags.get("专精特新", 0), s.tags.get("高新技术", 0), s.tags.get("上市", 0),
                     "是" if s.on_main_path else "", round(s.main_path_share, 4),
                     "、".join(f"{r.name}（{r.count}家）" for r in s.top_regions), "、".join(seg_moves.get(s.key, []))])
    return rows


def table_sheet(wb: Workbook, title: str, header: tuple[str, ...] | list[str], rows: list[list[object]], *, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([text_cell(ws, h) for h in header])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(vertical="center", wrap_text=True)
    for r in rows:  # any text is safe here: control characters dropped, "=…" kept as text (never a formula)
        ws.append([text_cell(ws, v) for v in r])
    ws.freeze_panes = "B2"
    for i, h in enumerate(header, start=1):
        longest = max([len(str(h))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None] or [4])
        ws.column_dimensions[get_column_letter(i)].width = min(48, max(8, longest * 1.6 + 2))
    return ws


def chain_workbook(cmap: ChainMap) -> Workbook:
    wb = Workbook()
    ws = table_sheet(wb, "环节分析", SEGMENT_COLUMNS, segment_rows(cmap), first=True)
    klass_col = SEGMENT_COLUMNS.index("分类") + 1
    for row in ws.iter_rows(min_row=2, min_col=klass_col, max_col=klass_col):
        for c in row:
            fill = CLASS_FILL.get(str(c.value))
            if fill:
                c.fill = PatternFill("solid", fgColor=fill)
    for col in ("本地占全国", "主干路径占比"):
        j = SEGMENT_COLUMNS.index(col) + 1
        for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            for c in row:
                c.number_format = "0.0%"
    moves = [[m.kind, m.segment_name, m.segment, m.chain_name, "是" if m.cross_chain else "", m.current_class,
              "、".join(m.anchors), m.priority, m.reason] for k in MOVES for m in cmap.moves_of(k)]
    table_sheet(wb, "招商方向", ("方向", "环节", "环节代码", "所属产业链", "跨链", "本地现状", "依据的优势环节", "优先级", "理由"), moves)
    leaders = [[f.name, f.key, f.size or "", f.revenue_wan, "、".join(f.tags), f.region_name or ""] for f in cmap.leaders]
    table_sheet(wb, "本地链主", ("企业", "代码", "规模", "营业收入（万元）", "标签", "所在地"), leaders)
    parks = [[p.name, p.key, p.level or "", p.kind or "", p.region_name or "", "是" if p.hosts_chain else "",
              p.parcels_available, p.area_available_mu] for p in cmap.parks]
    table_sheet(wb, "承载园区", ("园区", "代码", "级别", "类型", "所在地", "主导本产业链", "可供地块", "可供面积（亩）"), parks)
    cfg = cmap.config
    about = [
        ["产业链", f"{cmap.chain.name}（{cmap.chain.key}）"],
        ["地区", f"{cmap.scope.name}（{cmap.scope.key}）" + ("，园区" if cmap.scope.kind == "park" else "")],
        ["企业口径", {"region": "行政区（含下级）", "park": "园区内企业", "park_region": "园区所在行政区（数据无园区归属）"}[cmap.scope.basis]],
        ["度量", cmap.measure],
        ["分类规则", f"空白：本地企业 ≤ {cfg.gap_max_count}；优势：区位熵 ≥ {cfg.strong_lq} 且本地企业 ≥ {cfg.strong_min_count}"
                 + ("，或有本地链主且区位熵 ≥ 1" if cfg.leader_strong else "") + "；其余薄弱"],
        ["主干环节", f"路径计数（SPC）占比 ≥ {cfg.main_path_min_share:.0%}，或位于全局主路径上"],
        ["补链/强链/延链", "补链 = 主干空白；强链 = 与优势相邻的薄弱；延链 = 优势环节的上下游（含跨链）"],
        ["说明", "；".join(cmap.notes) or "—"],
    ]
    ws = table_sheet(wb, "说明", ("项目", "内容"), about)
    ws.column_dimensions["B"].width = 100
    return wb


def chain_xlsx_bytes(cmap: ChainMap) -> bytes:
    buf = io.BytesIO()
    chain_workbook(cmap).save(buf)
    return buf.getvalue()
