"""Files → tables of raw cells: encoding detection, CSV/TSV, XLSX (one sheet, or one sheet per kind) and JSON (a list
of objects, or the export's whole-graph document). Row numbers are kept as the user sees them (header = row 1)."""
from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from graph.io.columns import LABEL_ORDER, kind_from_name, unknown_kind_message
from graph.io.report import Log
from graph.io.values import ABSENT, cell_text, is_blank
from graph.schema import RELATIONS, Label, parse_label


@dataclass
class Table:
    """One sheet of rows of one kind; rows are (row number, cells) with the header at `header_row`."""

    file: str  # as problems name it: enterprises.csv, 台账.xlsx[segments], graph.json[nodes]
    kind: Label | str  # a Label, or a relation type name (or an interchange file's stem)
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    header_row: int = 1
    sparse: bool = False  # JSON objects: a cell may be ABSENT

    @property
    def source(self) -> str:
        """The file name, recorded as the source of the facts it brings."""
        return self.file.split("[", 1)[0]


def decode_bytes(data: bytes, name: str) -> tuple[str | None, str | None, str | None]:
    """(text, note, problem): UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (GBK superset)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), f"{name}：按 UTF-16 编码读取（Excel“Unicode 文本”）", None
        except UnicodeDecodeError:
            return None, None, "文件以 UTF-16 标记开头但无法解码"
    try:
        return data.decode("utf-8-sig"), None, None
    except UnicodeDecodeError as e:
        utf8_err = e
    # A UTF-8 file with a few broken bytes must not silently turn into GBK mojibake.
    lossy = data.decode("utf-8", errors="replace")
    bad = lossy.count("\ufffd")
    good_multibyte = sum(1 for ch in lossy if ord(ch) > 0x7F and ch != "\ufffd")
    if good_multibyte >= 20 and bad * 50 <= good_multibyte:
        line = data[: utf8_err.start].count(b"\n") + 1
        return None, None, (f"文件基本是 UTF-8 编码，但第{line}行（第{utf8_err.start + 1}字节）有无效字节；"
                            "请检查该行或重新另存为“CSV UTF-8”")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, None, (f"文件既不是 UTF-8 也不是 GBK/GB18030 编码（第{line}行附近无法解码）；"
                            "请在 Excel 中另存为“CSV UTF-8(逗号分隔)”")
    return text, f"{name}：不是 UTF-8，已按 GBK/GB18030 编码读取（中文 Excel 默认编码）", None


def read_text(path: Path, display: str, log: Log) -> str | None:
    """The file's text, or None with the problem logged (unreadable, empty, undecodable)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        log.problem(display, None, None, f"无法读取文件：{e}")
        return None
    if not data.strip():
        log.problem(display, None, None, "文件为空")
        return None
    text, note, prob = decode_bytes(data, display)
    if prob:
        log.problem(display, None, None, prob)
    elif note:
        log.notes.append(note)
    return text


def csv_table(text: str, display: str, kind: Label | str, log: Log, delimiter: str | None = None) -> Table | None:
    """CSV text as a table; the delimiter is guessed from the first line unless given."""
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = ","
        if first.count("\t") > first.count(","):
            delimiter = "\t"
        elif first.count(";") > 0 and first.count(",") == 0 and "；" not in first:
            delimiter = ";"
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        log.problem(display, None, None, f"CSV 格式错误：{e}")
        return None
    return table_from_rows(display, kind, rows, log)


def table_from_rows(file: str, kind: Label | str, raw_rows: list[Any], log: Log) -> Table | None:
    """Header detection (a lone title cell above the header is skipped) and blank-row removal."""
    start = 0
    while start < len(raw_rows) and is_blank(raw_rows[start]):
        start += 1
    if start >= len(raw_rows):
        log.problem(file, None, None, "文件为空")
        return None
    header_idx = start
    first_nonblank = [c for c in raw_rows[header_idx] if not is_blank([c])]
    if len(first_nonblank) == 1 and header_idx + 1 < len(raw_rows):
        if sum(1 for c in raw_rows[header_idx + 1] if not is_blank([c])) >= 2:
            log.notes.append(f"{file}：第{header_idx + 1}行“{cell_text(first_nonblank[0])}”视为标题，表头在第{header_idx + 2}行")
            header_idx += 1
    header = [(cell_text(h) or "") for h in raw_rows[header_idx]]
    rows = [(i + 1, list(r)) for i, r in enumerate(raw_rows) if i > header_idx and not is_blank(r)]
    if not rows:  # a header with no rows is a valid, empty table (its columns are still checked)
        log.notes.append(f"{file}：只有表头，没有数据行")
    return Table(file, kind, header, rows, header_row=header_idx + 1)


def read_tables(path: Path, display: str, log: Log) -> list[Table]:
    """Read one file into tables (several for a workbook with one sheet per kind or a JSON graph document)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        log.problem(display, None, None, "不支持旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 CSV UTF-8")
        return []
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, display, log)
    text = read_text(path, display, log)
    if text is None:
        return []
    if suffix == ".json":
        return _read_json(text, path, display, log)
    kind = kind_from_name(path.stem)
    if kind is None:
        log.problem(display, None, None, unknown_kind_message(path.stem))
        return []
    t = csv_table(text, display, kind, log, "\t" if suffix == ".tsv" else None)
    return [t] if t else []


def _read_xlsx(path: Path, display: str, log: Log) -> list[Table]:
    from openpyxl import load_workbook

    if path.stat().st_size == 0:
        log.problem(display, None, None, "文件为空")
        return []
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        log.problem(display, None, None, f"无法读取 Excel 文件（不是有效的 .xlsx）：{e}")
        return []
    try:
        sheet_kinds = [(ws, kind_from_name(ws.title)) for ws in wb.worksheets]
        file_kind = kind_from_name(path.stem)
        kinded = [(ws, k) for ws, k in sheet_kinds if k is not None]
        if kinded and (file_kind is None or len(kinded) > 1):  # one sheet per kind, named after it
            chosen = [(ws, k, f"{display}[{ws.title}]") for ws, k in kinded]
            ignored = [ws.title for ws, k in sheet_kinds if k is None]
            if ignored:
                log.notes.append(f"{display}：忽略无法判断类别的工作表 {', '.join(ignored)}")
        elif file_kind is not None:
            if not wb.worksheets:
                log.problem(display, None, None, "文件为空")
                return []
            chosen = [(wb.worksheets[0], file_kind, display)]
            if len(wb.worksheets) > 1:
                log.notes.append(f"{display}：只读取第一个工作表“{wb.worksheets[0].title}”")
        else:
            log.problem(display, None, None, unknown_kind_message(path.stem) + "（或把工作表命名为类别名）")
            return []
        tables = (table_from_rows(name, kind, [list(r) for r in ws.iter_rows(values_only=True)], log)
                  for ws, kind, name in chosen)
        return [t for t in tables if t]
    finally:
        wb.close()


def _read_json(text: str, path: Path, display: str, log: Log) -> list[Table]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        log.problem(display, getattr(e, "lineno", None), None, f"JSON 格式错误：{e}")
        return []
    if isinstance(doc, dict) and ("nodes" in doc or "relations" in doc):
        return _graph_doc_tables(doc, display, log)
    if not isinstance(doc, list):
        log.problem(display, None, None, 'JSON 应为对象数组，或导出格式 {"nodes": [...], "relations": [...]}')
        return []
    if not doc:
        log.problem(display, None, None, "文件为空")
        return []
    kind = kind_from_name(path.stem)
    if kind is None:
        log.problem(display, None, None, unknown_kind_message(path.stem))
        return []
    t = _objects_table(display, kind, list(enumerate(doc, 1)), log)
    return [t] if t else []


def _objects_table(display: str, kind: Label | str, objs: list[tuple[int, Any]], log: Log,
                   drop: str | None = None) -> Table | None:
    """JSON objects as a sparse table: a key an object does not have is ABSENT in its row."""
    header: dict[str, None] = {}
    good: list[tuple[int, dict]] = []
    for i, o in objs:
        if not isinstance(o, dict):
            log.problem(display, i, None, f"第{i}项应为 JSON 对象，实际 {type(o).__name__}")
            continue
        good.append((i, o))
        header.update(dict.fromkeys(k for k in o if k != drop))
    cols = list(header)
    rows = [(i, [o.get(c, ABSENT) for c in cols]) for i, o in good]
    return Table(display, kind, cols, rows, header_row=0, sparse=True) if rows else None


def _graph_doc_tables(doc: dict, display: str, log: Log) -> list[Table]:
    """The export's {"nodes": [...], "relations": [...]}: one table per node kind and per relation type."""
    nodes, rels = doc.get("nodes") or [], doc.get("relations") or []
    if not isinstance(nodes, list) or not isinstance(rels, list):
        log.problem(display, None, None, '"nodes" 与 "relations" 都应为数组')
        return []
    if not nodes and not rels:
        log.problem(display, None, None, "文件为空")
        return []
    by_kind: dict[Label | str, list[tuple[int, Any]]] = defaultdict(list)
    nfile, rfile = f"{display}[nodes]", f"{display}[relations]"
    for i, o in enumerate(nodes, 1):
        lab = o.get("label") if isinstance(o, dict) else None
        try:
            by_kind[parse_label(str(lab))].append((i, o))
        except ValueError:
            log.problem(nfile, i, "label", f"未知节点类别 {lab!r}")
    for i, o in enumerate(rels, 1):
        typ = o.get("type") if isinstance(o, dict) else None
        if typ in RELATIONS:
            by_kind[typ].append((i, o))
        else:
            log.problem(rfile, i, "type", f"未知关系类型 {typ!r}；可选: {', '.join(RELATIONS)}")
    tables = [_objects_table(nfile, lab, by_kind[lab], log, drop="label") for lab in LABEL_ORDER if by_kind.get(lab)]
    tables += [_objects_table(rfile, typ, by_kind[typ], log, drop="type") for typ in RELATIONS if by_kind.get(typ)]
    return [t for t in tables if t]
