"""A target list (招商目标清单) as an Excel workbook or a CSV file: one row per firm with its score, reasons and
every feature contribution, and a sheet that says how the list was made (region, segments, weights and where
they came from)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from chains import table_sheet
from targets.model import FEATURE_DOCS, FEATURE_LABELS, FEATURES
from targets.results import TargetList

VIEW_NAMES = {"region": "地区招商目标", "leader": "链主供需伙伴（以商引商）", "fund": "基金组合企业（以投促引）",
              "parcel": "地块候选企业"}
FIT_SOURCE = {"member": "已知环节归属", "model": "成员模型推断", "none": "无"}
SIGN_CHECK = {"not_learned": "未学习，使用默认权重", "consistent": "学得的权重方向与文档一致",
              "constrained": "数据会使下列特征方向相反，已按文档符号约束（取 0）",
              "fallback": "数据与文档方向全部相反，已改用默认权重"}
BASE_COLUMNS = ["排名", "企业", "企业代码", "得分", "推荐理由1", "推荐理由2", "推荐理由3", "目标环节", "所属产业链", "环节匹配来源",
                "所在地", "所在经济区", "距离（公里）", "规模", "标签", "合成示例", "与链主/基金的关系", "原始得分"]


def header() -> list[str]:
    return BASE_COLUMNS + [f"贡献：{FEATURE_LABELS[f]}" for f in FEATURES]


def rows(out: TargetList) -> list[list[object]]:
    body = []
    for it in out.items:
        reasons = (it.reasons + ["", "", ""])[:3]
        body.append([it.rank, it.name, it.enterprise, it.score_100, *reasons, it.segment_name or "", it.chain_name or "",
                     FIT_SOURCE[it.fit_source], it.region_name or "", it.macro_region or "", it.distance_km,
                     it.size or "", "、".join(it.tags), "是" if it.synthetic else "", it.anchor_tie or "", it.score]
                    + [it.contributions.get(f, 0.0) for f in FEATURES])
    return body


def about_rows(out: TargetList) -> list[list[object]]:
    w = out.weights
    segs = "；".join(f"{s.name}（{s.key}，{s.chain_name}，本地{s.klass or '—'}{'，' + '/'.join(s.moves) if s.moves else ''}）"
                    for s in out.segments)
    rows_ = [
        ["清单", VIEW_NAMES[out.view]],
        ["地区", f"{out.region.name}（{out.region.key}）" + (f"，{out.region.macro_region}" if out.region.macro_region else "")],
        ["产业链", f"{out.chain.name}（{out.chain.key}）" if out.chain else "—"],
        ["对象", f"{out.anchor.name}（{out.anchor.key}）" if out.anchor else "—"],
        ["目标环节", segs or "—"],
        ["环节确定方式", out.segment_choice],
        ["候选与排除", f"参与排序的外地企业 {out.candidates} 家；已在本地（含下级行政区、本地园区）而排除 {out.excluded_local} 家"],
        ["得分", "0–100 分 = 100 / (1 + e^−(原始得分 − 基准))，基准为仅属于目标环节、别无其他信号的企业（50 分）；"
                 "原始得分 = 各特征贡献之和，贡献 = 权重 × 标准化值（(x − 均值) / 标准差）"],
        ["推荐理由", "至多 3 条：先列链主供需、本地基金、本地缺口等关系与近期融资/扩张，规模与距离不排在其前；"
                   "距离仅在 300 公里以内作为理由（便于配套）"],
        ["权重来源", ("由项目历史学习" if w.source == "learned" else "默认权重") + f"：{w.note}"],
        ["权重方向", SIGN_CHECK[w.sign_check] + (f"（{'、'.join(FEATURE_LABELS[f] for f in w.inverted)}）"
                                                 if w.inverted else "")],
        ["环节匹配", out.segment_fit_note],
        ["说明", "；".join(out.notes) or "—"],
    ]
    return rows_


def weight_rows(out: TargetList) -> list[list[object]]:
    return [[FEATURE_LABELS[f], f, out.weights.values.get(f, 0.0), FEATURE_DOCS[f]] for f in FEATURES]


def target_workbook(out: TargetList) -> Workbook:
    wb = Workbook()
    ws = table_sheet(wb, "招商目标", header(), rows(out), first=True)
    for col in ("推荐理由1", "推荐理由2", "推荐理由3"):
        j = BASE_COLUMNS.index(col) + 1
        letter = ws.cell(row=1, column=j).column_letter
        ws.column_dimensions[letter].width = 44
        for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    about = table_sheet(wb, "说明", ("项目", "内容"), about_rows(out))
    about.column_dimensions["B"].width = 110
    table_sheet(wb, "权重", ("特征", "代码", "权重", "取值"), weight_rows(out))
    return wb


def target_xlsx_bytes(out: TargetList) -> bytes:
    buf = io.BytesIO()
    target_workbook(out).save(buf)
    return buf.getvalue()


def write_targets(out: TargetList, path: Path) -> Path:
    """Write the list to `path`: .xlsx (workbook) or .csv (UTF-8 with BOM, so Excel opens it in Chinese).
    Written to a temporary name and renamed, so a failed write leaves nothing half-written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValueError(f"输出文件 {path.name}：只支持 .xlsx 或 .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if suffix == ".xlsx":
            tmp.write_bytes(target_xlsx_bytes(out))
        else:
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header())
                w.writerows(rows(out))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
