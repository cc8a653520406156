"""招商项目库 in Excel: the export officers edit and send back (one sheet “招商项目库”, computed columns marked and
ignored on the way in), and the reading of an import — limits checked, header found, columns resolved, every cell
converted — before the project library's commands check stage changes and write.

File parsing only: the workbook is read with the importer's own readers (graph.io readers, columns, values).
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Iterable

from graph.schema import Label
from graph.snapshot import Snapshot
from graph.validation import Problem, ValidationFailed
from pipeline.board import project_view
from pipeline.names import REFS, name_of
from pipeline.rules import STAGE_INDEX, ImportLimits, InvalidRequest, PipelineRules, TooLarge, stage_of

# (field, header, importable). Headers are the ones officers use; import also accepts every header the generic
# importer knows (graph/io/columns.py), e.g. 项目名称, 总投资, 责任人, and units in brackets: 总投资(亿元).
# 投资方, 产业链, 环节, 拟落地行政区, 意向园区 show names; the same references follow as keys in the code columns at the
# end (KEY_COLUMNS), which an import reads first, so an unchanged export re-imports exactly.
EXPORT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("key", "项目编号", True), ("name", "项目名称", True), ("stage", "阶段", True), ("stage_on", "阶段日期", True),
    ("classification", "分类", False), ("investor", "投资方", True), ("chain", "产业链", True),
    ("segment", "环节", True), ("region", "拟落地行政区", True), ("park", "意向园区", True),
    ("total_investment_wan", "总投资(万元)", True), ("land_min_mu", "用地需求下限(亩)", True),
    ("land_max_mu", "用地需求上限(亩)", True), ("expected_tax_wan", "达产年税收(万元)", True),
    ("expected_output_wan", "达产年产值(万元)", True), ("jobs", "就业人数", True), ("owner", "责任人", True),
    ("signed_on", "签约日期", False), ("next_action", "下一步工作", True), ("next_action_on", "下一步计划日期", True),
    ("overdue_days", "逾期天数", False), ("idle_days", "未更新天数", False), ("last_tracking", "最近跟踪", False),
    ("synthetic", "合成数据", False),
)
KEY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("investor", "投资方统一社会信用代码"), ("chain", "产业链代码"), ("segment", "环节代码"), ("region", "行政区划代码"),
    ("park", "园区代码"),
)
_EXPORT_ONLY = {h for _, h, imp in EXPORT_COLUMNS if not imp} | {"备注"}
_OWN_HEADERS = {h: f for f, h, imp in EXPORT_COLUMNS if imp}
_KEY_HEADERS = {h: f for f, h in KEY_COLUMNS}


# ============================================================================================== export
def _export_row(p: dict[str, Any], v: dict[str, Any], snap: Snapshot | None) -> list[Any]:
    row: list[Any] = []
    for f, _, _ in EXPORT_COLUMNS:
        if f in ("classification", "overdue_days", "idle_days"):
            row.append(v[f])
        elif f == "stage":
            row.append(v["stage"])
        elif f in REFS:
            row.append(name_of(snap, REFS[f][0], p.get(f)))
        elif f == "last_tracking":
            lt = v["last_tracking"]
            row.append(f"{lt.get('on')} {lt.get('note', '')}" if lt else None)
        elif f == "synthetic":
            row.append("是" if p.get("synthetic") else None)
        else:
            row.append(p.get(f))
    return row + [p.get(f) for f, _ in KEY_COLUMNS]


def export_xlsx(records: Iterable[dict[str, Any]], out: str | Path | BinaryIO, *, today: dt.date,
                rules: PipelineRules = PipelineRules(), snap: Snapshot | None = None) -> int:
    """The project list as one sheet “招商项目库” (re-importable: computed columns are skipped on import). With the
    analytic snapshot, 投资方 / 产业链 / 环节 / 行政区 / 园区 show names (else their keys); the keys follow in the code
    columns either way."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from graph.io.export import text_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "招商项目库"
    ws.append([h for _, h, _ in EXPORT_COLUMNS] + [h for _, h in KEY_COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE2E2")
    n = 0
    for p in sorted(records, key=lambda r: (STAGE_INDEX.get(r.get("stage") or "线索", 0), r["key"])):
        v = project_view(p, today=today, rules=rules)
        ws.append([text_cell(ws, c) for c in _export_row(p, v, snap)])
        n += 1
        if v["overdue"]:
            for c in ws[ws.max_row]:
                c.fill = red
    ws.freeze_panes = "C2"
    wb.save(out)
    return n


# ============================================================================================== import: reading
@dataclass
class Row:
    """One data row of an import: its Excel row number, its values by field (empty cells left out; references
    from the code columns, as keys), the references as typed in the name columns (投资方, 产业链 … — names or keys,
    resolved by the commands), and the problems of its cells."""

    num: int
    values: dict[str, Any]
    names: dict[str, str]
    problems: list[Problem]


@dataclass
class Sheet:
    """An import read and converted: its rows; `headers` maps each field to the header its value came from (the
    code column for a reference when there is one), `name_headers` each reference to its name column."""

    file_name: str
    headers: dict[str, str]
    name_headers: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


def _check_unpacked(src: Any, file_name: str, limits: ImportLimits) -> None:
    try:
        with zipfile.ZipFile(src) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: load_workbook says so below
    finally:
        if hasattr(src, "seek"):
            src.seek(0)
    if total > limits.max_unpacked_bytes:
        raise TooLarge(f"{file_name}: 解压后 {total / 2**20:,.1f} MB，超过上限 {limits.max_unpacked_bytes / 2**20:,.0f} MB"
                       "（CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES）；请拆分文件")


def _raw_rows(data: bytes | str | Path, file_name: str, limits: ImportLimits) -> list[list[Any]]:
    """The first sheet's rows, streamed and counted (a title row and blank rows above the header are allowed)."""
    from openpyxl import load_workbook

    src = io.BytesIO(data) if isinstance(data, bytes) else data
    _check_unpacked(src, file_name, limits)
    try:
        wb = load_workbook(src, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a non-xlsx file
        raise InvalidRequest(f"{file_name}: 无法读取 Excel 文件（需要 .xlsx）：{type(e).__name__}") from None
    try:
        if not wb.worksheets:
            raise InvalidRequest(f"{file_name}: 工作簿中没有工作表")
        raw_rows = []
        for r in wb.worksheets[0].iter_rows(values_only=True):
            raw_rows.append(list(r))
            if len(raw_rows) > limits.max_rows + 10:
                raise TooLarge(f"{file_name}: 超过 {limits.max_rows:,} 行的上限（CHAINMATCH_IMPORT_MAX_ROWS）；请拆分文件")
    finally:
        wb.close()
    return raw_rows


def _resolve(header: str) -> tuple[str | None, Decimal | None, str | None]:
    from graph.io.columns import resolve_header

    h = header.strip()
    if h in _OWN_HEADERS:  # our own headers (units included): no conversion
        return _OWN_HEADERS[h], None, None
    if h in _KEY_HEADERS:
        return _KEY_HEADERS[h], None, None
    if h in ("阶段日期", "阶段变更日期", "进入阶段日期"):
        return "stage_on", None, None
    return resolve_header(Label.Project, h)


Column = tuple[int, str, str, Decimal | None, bool]  # index, header, field, unit factor, holds a name (reference)


def _columns(file_name: str, header: list[str], hrow: int) -> tuple[list[Column], dict[str, str], dict[str, str]]:
    """The importable columns, field → header of the values, and reference → header of its name column; header
    problems raise. A reference may come twice: by name (投资方) and by key (投资方统一社会信用代码)."""
    problems: list[Problem] = []
    cols: list[Column] = []
    seen: dict[str, str] = {}
    named: dict[str, str] = {}
    for i, h in enumerate(header):
        if not h or h in _EXPORT_ONLY:
            continue
        fname, factor, prob = _resolve(h)
        as_name = fname in REFS and h not in _KEY_HEADERS
        if prob or fname is None:
            problems.append(Problem(file_name, hrow, h, prob or f"未知列“{h}”"))
        elif fname in ("stage_history", "tracking_log"):
            problems.append(Problem(file_name, hrow, h, "阶段流转与跟踪记录不能通过导入修改"))
        elif fname in (named if as_name else seen):
            problems.append(Problem(file_name, hrow, h, f"与列“{(named if as_name else seen)[fname]}”是同一字段"))
        else:
            (named if as_name else seen)[fname] = h
            cols.append((i, h, fname, factor, as_name))
    if "key" not in seen:
        problems.append(Problem(file_name, hrow, "项目编号", "缺少必需列“项目编号”"))
    if problems:
        raise ValidationFailed(problems)
    return cols, seen, named


def read_sheet(data: bytes | str | Path, *, file_name: str, limits: ImportLimits = ImportLimits()) -> Sheet:
    """Read a project list (the export's layout, or any sheet with the importer's Chinese headers). A file over
    `limits` is refused with TooLarge (413) before its rows are read; an unreadable file or header with
    InvalidRequest / ValidationFailed. Cell problems are kept with their row, not raised. A stage may be given as
    officers say it (落地 = 注册)."""
    from graph.io.readers import table_from_rows
    from graph.io.report import Log
    from graph.io.specs import node_specs

    raw_rows = _raw_rows(data, file_name, limits)
    # the importer's own header detection: blank rows and a title row above the header are skipped, and every row
    # keeps the number Excel shows
    log = Log()
    table = table_from_rows(file_name, Label.Project, raw_rows, log)
    if table is None:
        raise InvalidRequest(f"{file_name}: {log.problems[0].message}")
    if len(table.rows) > limits.max_rows:
        raise TooLarge(f"{file_name}: {len(table.rows):,} 行，超过上限 {limits.max_rows:,} 行（CHAINMATCH_IMPORT_MAX_ROWS）；请拆分文件")
    cols, seen, named = _columns(file_name, [h.strip() for h in table.header], table.header_row)
    specs = node_specs(Label.Project)
    sheet = Sheet(file_name, seen, named)
    for rownum, cells in table.rows:
        row = Row(rownum, {}, {}, [])
        for i, h, fname, factor, as_name in cols:
            raw = cells[i] if i < len(cells) else None
            try:
                v, _ = specs[fname].convert(raw, factor)
            except ValueError as e:
                row.problems.append(Problem(file_name, rownum, h, str(e)))
                continue
            if v is not None:
                (row.names if as_name else row.values)[fname] = v
        if "stage" in row.values:
            row.values["stage"] = stage_of(row.values["stage"])
        sheet.rows.append(row)
    return sheet
