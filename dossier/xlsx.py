"""The dossier as an Excel workbook for the officer's files: 概览 (identity facts and the two signals), 信号依据 (every
evidence item with its points and date, and what the data lacks), then one sheet per section (环节, 供应商, 客户,
基金, 项目, 政策). Cells are written as text or numbers, never formulas (chains.table_sheet)."""
from __future__ import annotations

import io

import chains
from dossier.models import Dossier, Signal

SHEET_TITLES = {"segs": "产业链环节", "products": "主营产品", "suppliers": "供应商", "customers": "客户", "funds": "投资基金",
                "projects": "招商项目", "policies": "可享政策"}


def _score(sig: Signal) -> str:
    return f"{sig.score}（{sig.level}）" if sig.score is not None else sig.level


def dossier_workbook_bytes(d: Dossier) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    overview = [[k, v] for k, v in d.identity]
    overview += [["扩张指数", _score(d.expansion)], ["外迁预警", _score(d.relocation)],
                 ["数据截至", d.as_of.isoformat()], ["招商地区", d.region_name or "未指定"], ["生成时间", d.generated]]
    if d.synthetic:
        overview.append(["说明", "合成示例企业，仅供演示"])
    chains.table_sheet(wb, "概览", ["项目", "内容"], overview, first=True)
    evidence = []
    for sig in (d.expansion, d.relocation):
        for ev in sig.evidence:
            evidence.append([sig.title, ev.component, ev.text, ev.points, ev.on or ""])
        if sig.note:
            evidence.append([sig.title, "说明", sig.note, None, ""])
        for m in sig.missing:
            evidence.append([sig.title, "数据中没有", m, None, ""])
    chains.table_sheet(wb, "信号依据", ["信号", "方面", "依据", "得分", "日期"], evidence)
    for s in d.sections:
        chains.table_sheet(wb, SHEET_TITLES.get(s.id, s.title[:31]), s.columns,
                           [[r.cells.get(c) for c in s.columns] for r in s.rows])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
