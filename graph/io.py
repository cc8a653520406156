"""Import and export: CSV, XLSX and JSON in the native format, plus the dataset interchange format.

Native format (docs/import-format.md): one file per node kind or relation type, the kind taken from the file
name (`enterprises.csv`, `segments.xlsx`, `parcels.json`, `rel_SUPPLIES.csv` …). Columns are model field
names or their Chinese headers (统一社会信用代码, 面积(亩) …). The export writes the same format, so an export
imports back unchanged; JSON also has a whole-graph document `{"nodes": [...], "relations": [...]}`.

Dataset interchange format (../shared/datasets/README.md): a folder with enterprises.csv, segments.csv,
memberships.csv [, products.csv, segment_links.csv, supplies.csv]; detected by memberships.csv.

Every import is all-or-nothing: all rows of all files are read, cleaned and validated first and every problem
is collected with file, row (header = row 1) and column; if there is any, ValidationFailed is raised and
nothing is written. Otherwise the whole import is one writer.Plan committed in one store transaction, so
re-importing the same files changes nothing.

Import semantics worth knowing:
- A node that already exists is updated: columns present in the file replace the stored values (an empty
  cell clears the value), columns absent from the file keep the stored values.
- Reference fields (Segment.chain, Enterprise.region …) become relations; when a reference changes, the
  relation the old value implied is removed.
- `source`: a `source` column is taken as written (empty = unknown, "manual"); without one, the file name is
  recorded as the source of every node and relation the file brings.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import sys
import types
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Union, get_args, get_origin

import orjson
from tqdm import tqdm

from graph.schema import (
    LAND_USES,
    MODELS,
    PLURALS,
    REFERENCE_FIELDS,
    RELATIONS,
    STREAM_ALIASES,
    Label,
    parse_label,
)
from graph.store import AuditEntry, GraphStore, RelRec
from graph.writer import Loc, Plan, Problem, ValidationFailed, validate

__all__ = [
    "ImportReport",
    "InterchangeData",
    "import_path",
    "export_store",
    "read_interchange",
    "parse_number",
    "PROGRESS_MIN_ROWS",
]

PROGRESS_MIN_ROWS = 10_000
LIST_SEPARATORS = re.compile(r"[;；、|]")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".json")
XLSX_MAX_ROWS = 1_048_576

# Folder imports and exports go in dependency order: what is referenced comes first.
LABEL_ORDER: tuple[Label, ...] = (
    Label.Region,
    Label.IndustryChain,
    Label.Segment,
    Label.Park,
    Label.Enterprise,
    Label.Product,
    Label.Fund,
    Label.LandParcel,
    Label.Project,
    Label.Policy,
)
LABEL_CN: dict[Label, str] = {
    Label.IndustryChain: "产业链",
    Label.Segment: "环节",
    Label.Enterprise: "企业",
    Label.Fund: "基金",
    Label.Park: "园区",
    Label.LandParcel: "地块",
    Label.Project: "项目",
    Label.Region: "行政区",
    Label.Product: "产品",
    Label.Policy: "政策",
}
_CN_LABEL = {v: k for k, v in LABEL_CN.items()} | {"链": Label.IndustryChain, "土地": Label.LandParcel,
                                                    "招商项目": Label.Project, "公司": Label.Enterprise}


class _Absent:
    """A JSON object without this key (the column is absent for this row)."""

    def __repr__(self) -> str:  # pragma: no cover
        return "<absent>"


ABSENT = _Absent()


# ===================================================================================== value cleaning
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)
_ENTITY_RE = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_text(value: str) -> str:
    """Trim, drop invisible characters, and decode HTML entities (also doubly escaped ones: &amp;amp;)."""
    if "&" in value:
        for _ in range(3):
            if not _ENTITY_RE.search(value):
                break
            value = html.unescape(value)
    if value.isascii():
        return value.strip()
    return value.translate(_INVISIBLE).strip()


def _cell_text(raw: Any) -> str | None:
    """A cell as text (Excel numbers without a spurious .0), or None when empty."""
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, str):
        t = clean_text(raw)
        return t or None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


# ===================================================================================== numbers and units
class UnitError(ValueError):
    pass


_NUM_RE = re.compile(r"^([+-]?)(\d[\d,]*|(?=\.\d))(\.\d+)?([eE][+-]?\d+)?(.*)$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")
_PLAIN_NUM = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")
_MAGNITUDE = {"": 1, "十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6,
              "千万": 10**7, "亿": 10**8, "十亿": 10**9, "百亿": 10**10}
_MAG_RE = "(十万|百万|千万|十亿|百亿|十|百|千|万|亿)?"
_MONEY_RE = re.compile(rf"^{_MAG_RE}(元|元人民币|人民币|rmb|cny)?$")
_FOREIGN = ("美元", "usd", "$", "欧元", "eur", "€", "港元", "港币", "hkd", "日元", "jpy")
_AREA_UNITS = {
    "亩": (Decimal(1), None),
    "公顷": (Decimal(15), "1公顷=15亩"),
    "ha": (Decimal(15), "1公顷=15亩"),
    "hm2": (Decimal(15), "1公顷=15亩"),
    "平方米": (Decimal("0.0015"), "1亩=2000/3平方米"),
    "平米": (Decimal("0.0015"), "1亩=2000/3平方米"),
    "m2": (Decimal("0.0015"), "1亩=2000/3平方米"),
    "平方公里": (Decimal(1500), "1平方公里=1500亩"),
    "km2": (Decimal(1500), "1平方公里=1500亩"),
}
_COUNT_WORDS = ("人", "个", "家", "项", "件", "名", "年", "户", "次")
UNIT_CN = {"money": "万元", "area": "亩", "money_per_area": "万元/亩", "pct": "%", "ratio": "比例",
           "tce": "吨标煤/万元", "count": "个数", "plain": ""}


def _money_factor(suffix: str, *, header: bool) -> tuple[Decimal, str | None]:
    """Factor from a money unit to 万元."""
    if suffix == "":
        return Decimal(1), None
    if any(f in suffix for f in _FOREIGN):
        raise UnitError("外币金额请先折算为人民币万元")
    m = _MONEY_RE.match(suffix)
    if not m or not (m.group(1) or m.group(2)):
        raise UnitError(f"无法识别的单位 {suffix!r}")
    mag = _MAGNITUDE[m.group(1) or ""]
    if mag < 1000 and not header:
        raise UnitError(f"单位“{suffix}”与本字段单位（万元）不符，请换算为万元")
    factor = Decimal(mag) / Decimal(10000)
    note = None if mag >= 10000 else f"按 {suffix}→万元 换算（÷{10000 // mag}）"
    return factor, note


def _area_factor(suffix: str) -> tuple[Decimal, str | None]:
    if suffix == "":
        return Decimal(1), None
    m = re.match(rf"^{_MAG_RE}(.*)$", suffix)
    mag = _MAGNITUDE[m.group(1) or ""] if m else 1
    base = m.group(2) if m else suffix
    if base not in _AREA_UNITS:
        raise UnitError(f"单位“{suffix}”与本字段单位（亩）不符")
    f, note = _AREA_UNITS[base]
    return f * mag, note


@lru_cache(maxsize=4096)
def unit_factor(kind: str, suffix: str, *, header: bool = False) -> tuple[Decimal, str | None]:
    """How to convert a number written with `suffix` into the field's unit; (factor, explanation or None).

    kind: money (万元) · area (亩) · money_per_area (万元/亩) · pct (%) · ratio (0..1) · tce (吨标煤/万元) ·
    count (整数个数) · plain (no unit). Raises UnitError when the unit contradicts the field.
    """
    s = suffix.strip().lower().replace(" ", "").replace("每", "/")
    if kind == "money":
        return _money_factor(s, header=header)
    if kind == "area":
        return _area_factor(s)
    if kind == "money_per_area":
        if "/" in s:
            money, _, area = s.partition("/")
            mf, mnote = _money_factor(money, header=header) if money else (Decimal(1), None)
            af, anote = _area_factor(area)
            notes = "；".join(n for n in (mnote, anote) if n)
            return mf / af, notes or None
        return _money_factor(s, header=header)
    if kind == "pct":
        if s in ("", "%"):
            return Decimal(1), None
        raise UnitError(f"单位“{suffix}”与本字段单位（%）不符")
    if kind == "ratio":
        if s == "":
            return Decimal(1), None
        if s == "%":
            return Decimal("0.01"), None
        raise UnitError(f"单位“{suffix}”不适用于比例字段（写 0.35 或 35%）")
    if kind == "tce":
        if s in ("", "吨标煤/万元", "tce/万元", "吨/万元", "吨标准煤/万元"):
            return Decimal(1), None
        raise UnitError(f"单位“{suffix}”与本字段单位（吨标煤/万元）不符")
    if kind == "count":
        m = re.match(rf"^{_MAG_RE}(.*)$", s)
        mag = _MAGNITUDE[m.group(1) or ""] if m else 1
        rest = m.group(2) if m else s
        if rest == "" or rest in _COUNT_WORDS:
            return Decimal(mag), None
        raise UnitError(f"无法识别的单位 {suffix!r}")
    if s in ("", "°"):
        return Decimal(1), None
    raise UnitError(f"本字段不带单位，实际写了 {suffix!r}")


def parse_number(raw: Any, kind: str = "plain", *, integer: bool = False,
                 column_factor: Decimal | None = None) -> tuple[float | int | None, str | None]:
    """Parse a cell into a number in the field's unit: (value, explanation note). Raises UnitError/ValueError.

    "1,200" → 1200 · "300万元" → 300 · "1.2亿" → 12000 (万元) · "120亩" → 120 · "5公顷" → 75 (亩) ·
    "25 万元/亩" → 25 · "35%" → 35 (% fields) or 0.35 (ratio fields) · full-width digits and commas accepted.
    """
    if raw is None or raw is ABSENT:
        return None, None
    if isinstance(raw, bool):
        raise ValueError(f"应为数字，实际 {raw!r}")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and raw != raw:  # NaN
            return None, None
        val: Decimal | float | int = raw
        if column_factor is not None and column_factor != 1:
            val = Decimal(str(raw)) * column_factor
        return _finish_number(val, integer, raw), None
    if isinstance(raw, str) and _PLAIN_NUM.match(raw):  # fast path: a bare number
        t = raw.strip()
        if column_factor is None or column_factor == 1:
            return (int(t) if integer and "." not in t else _finish_number(float(t), integer, raw)), None
    text = unicodedata.normalize("NFKC", str(raw)) if not str(raw).isascii() else str(raw)
    text = clean_text(text).replace(" ", "").replace("_", "")
    if not text or text.lower() in NULL_MARKERS:
        return None, None
    m = _NUM_RE.match(text)
    if not m or (not m.group(2) and not m.group(3)):
        raise ValueError(f"应为数字，实际 {raw!r}")
    sign, intpart, frac, exp, suffix = m.groups()
    if "," in intpart:
        if not _GROUPED.match(intpart):
            raise ValueError(f"应为数字（千分位逗号位置不对），实际 {raw!r}")
        intpart = intpart.replace(",", "")
    num_text = f"{sign}{intpart or '0'}{frac or ''}{exp or ''}"
    if suffix:
        try:
            factor, note = unit_factor(kind, suffix)
        except UnitError as e:
            raise UnitError(f"{e}：{raw!r}") from None
    else:
        factor, note = (column_factor if column_factor is not None else Decimal(1)), None
    if factor == 1:
        val = float(num_text) if (frac or exp or not integer) else int(num_text)
    else:
        try:
            val = Decimal(num_text) * factor
        except InvalidOperation:  # pragma: no cover - regex guarantees a number
            raise ValueError(f"应为数字，实际 {raw!r}") from None
    return _finish_number(val, integer, raw), note


def _finish_number(val: Decimal | float | int, integer: bool, raw: Any) -> float | int:
    if isinstance(val, Decimal):
        val = val.normalize()
        if integer:
            if val != val.to_integral_value():
                raise ValueError(f"应为整数，实际 {raw!r}")
            return int(val)
        return float(val)
    if integer:
        if isinstance(val, float):
            if not val.is_integer():
                raise ValueError(f"应为整数，实际 {raw!r}")
            return int(val)
        return val
    return float(val)


# ===================================================================================== other value kinds
# What spreadsheets write for "no value" in number and date columns.
NULL_MARKERS = frozenset({"-", "--", "—", "——", "/", "n/a", "na", "null", "none", "无", "暂无", "不详", "未知"})
_TRUE = {"true", "t", "1", "yes", "y", "是", "真", "对", "√"}
_FALSE = {"false", "f", "0", "no", "n", "否", "假", "错", "×"}
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?(?:[ T].*)?$")


def parse_bool(raw: Any) -> bool | None:
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, bool):
        return raw
    t = _cell_text(raw)
    if t is None:
        return None
    t = t.lower()
    if t in NULL_MARKERS:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"应为 是/否（true/false），实际 {raw!r}")


def parse_date(raw: Any) -> dt.date | None:
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    t = _cell_text(raw)
    if t is None or t.lower() in NULL_MARKERS:
        return None
    t = unicodedata.normalize("NFKC", t)
    try:
        return dt.date.fromisoformat(t[:10]) if len(t) >= 10 and t[4] == "-" and t[7] == "-" else _parse_date_loose(t)
    except ValueError:
        raise ValueError(f"应为日期（如 2021-06-30），实际 {raw!r}") from None


def _parse_date_loose(t: str) -> dt.date:
    if re.fullmatch(r"\d{8}", t):
        return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    if re.fullmatch(r"\d{4}年?", t):  # year only: 1 January
        return dt.date(int(t[:4]), 1, 1)
    m = _DATE_RE.match(t)
    if not m:
        raise ValueError(t)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))


def split_list(raw: Any) -> list[str] | None:
    """A list cell: `a;b`, `a；b`, `a、b`, `a|b`, or a JSON array `["a、b", "c"]` (what export writes when an item
    itself contains a separator)."""
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, (list, tuple)):
        items = [_cell_text(x) for x in raw]
        return [x for x in items if x]
    t = _cell_text(raw)
    if t is None:
        return []
    if t.startswith("[") and t.endswith("]"):
        try:
            arr = orjson.loads(t)
        except orjson.JSONDecodeError:
            arr = None
        if isinstance(arr, list):
            return [x for x in (_cell_text(v) for v in arr) if x]
    return [x for x in (p.strip() for p in LIST_SEPARATORS.split(t)) if x]


# Value aliases for choice fields: what people write in Excel → the model's value.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "level@Region": {"省": "province", "省级": "province", "省份": "province", "自治区": "province", "直辖市": "province",
                     "市": "city", "地级市": "city", "市级": "city", "城市": "city", "地级": "city",
                     "县": "county", "区": "county", "县级": "county", "区县": "county", "县区": "county", "县级市": "county"},
    "size": {"微": "微型", "小": "小型", "中": "中型", "大": "大型", "micro": "微型", "small": "小型",
             "medium": "中型", "large": "大型"},
    "status": {"可供": "available", "可供地": "available", "可出让": "available", "待出让": "available",
               "可用": "available", "未出让": "available", "预留": "reserved", "已预留": "reserved",
               "保留": "reserved", "已出让": "transferred", "出让": "transferred", "已供地": "transferred"},
    "stage": {"洽谈中": "洽谈", "已签约": "签约", "已注册": "注册", "已开工": "开工", "已投产": "投产", "已达产": "达产",
              "接触": "接洽"},
}
_LAND_USE_BY_NAME = {v: k for k, v in LAND_USES.items()}


def _land_use(t: str) -> str:
    if t in LAND_USES:
        return t
    if t in _LAND_USE_BY_NAME:
        return _LAND_USE_BY_NAME[t]
    m = re.match(r"^(\d{3,4})\b", t)
    if m and m.group(1).zfill(4) in LAND_USES:
        return m.group(1).zfill(4)
    return t  # the model names it


# ===================================================================================== field specs
@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | list | float | int | bool | date | choice
    unit: str = "plain"
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases_key: str | None = None

    def convert(self, raw: Any, column_factor: Decimal | None = None) -> tuple[Any, str | None]:
        """Cell → python value (None when empty) and an explanation note. Raises ValueError with the message."""
        k = self.kind
        if k == "text" or k == "choice":
            t = _cell_text(raw)
            if t is None:
                return None, None
            if self.name == "land_use":
                return _land_use(t), None
            if self.aliases_key:
                al = VALUE_ALIASES.get(self.aliases_key, {})
                t = al.get(t, al.get(t.lower(), t))
            return t, None
        if k == "float" or k == "int":
            return parse_number(raw, self.unit, integer=k == "int", column_factor=column_factor)
        if k == "list":
            return split_list(raw), None
        if k == "bool":
            return parse_bool(raw), None
        if k == "date":
            d = parse_date(raw)
            return (d.isoformat() if d else None), None
        raise AssertionError(k)  # pragma: no cover


_PCT_FIELDS = {"density_min", "density_max", "green_ratio_max"}
_RATIO_FIELDS = {"capacity_growth", "share", "weight"}


def _unit_of(name: str, kind: str) -> str:
    if kind == "int":
        return "count"
    if kind != "float":
        return "plain"
    if name.endswith("_wan_per_mu"):
        return "money_per_area"
    if name.endswith("_tce_per_wan"):
        return "tce"
    if name.endswith("_wan"):
        return "money"
    if name.endswith("_mu"):
        return "area"
    if name in _PCT_FIELDS:
        return "pct"
    if name in _RATIO_FIELDS:
        return "ratio"
    return "plain"


def _spec_from_annotation(name: str, ann: Any, required: bool, label: Label | None) -> FieldSpec:
    origin = get_origin(ann)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        if len(args) == 1:
            ann = args[0]
            origin = get_origin(ann)
    if origin is Literal:
        key = f"{name}@{label.value}" if label and f"{name}@{label.value}" in VALUE_ALIASES else name
        return FieldSpec(name, "choice", required=required, choices=tuple(get_args(ann)),
                         aliases_key=key if key in VALUE_ALIASES else None)
    if origin is list:
        return FieldSpec(name, "list", required=required)
    kind = {bool: "bool", int: "int", float: "float", dt.date: "date", str: "text"}.get(ann, "text")
    key = f"{name}@{label.value}" if label else name
    ak = key if key in VALUE_ALIASES else (name if name in VALUE_ALIASES else None)
    return FieldSpec(name, kind, _unit_of(name, kind), required, aliases_key=ak)


@lru_cache(maxsize=None)
def node_specs(label: Label) -> dict[str, FieldSpec]:
    return {n: _spec_from_annotation(n, f.annotation, f.is_required(), label) for n, f in MODELS[label].model_fields.items()}


REL_PROP_SPECS: dict[str, FieldSpec] = {
    "weight": FieldSpec("weight", "float", "ratio"),
    "share": FieldSpec("share", "float", "ratio"),
    "region": FieldSpec("region", "text"),
    "amount_wan": FieldSpec("amount_wan", "float", "money"),
    "date": FieldSpec("date", "date"),
    "round": FieldSpec("round", "text"),
    "source": FieldSpec("source", "text"),
}
_REL_PROP_RANGES = {"weight": (0, None), "share": (0, 1), "amount_wan": (0, None)}


# ===================================================================================== column headers
# Explicit Chinese (and common English) headers → candidate field names; the first candidate that the
# node kind has wins ("规模" is Fund.size_wan but Enterprise.size).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "键": ("key",), "唯一键": ("key",), "编号": ("key",), "编码": ("key",), "代码": ("key",), "id": ("key",),
    "标识": ("key",),
    "名称": ("name",), "名字": ("name",), "标题": ("name",),
    "来源": ("source",), "数据来源": ("source",), "信息来源": ("source",), "事实来源": ("source",),
    "是否合成": ("synthetic",), "合成数据": ("synthetic",),
    "别名": ("aliases",),
    "描述": ("description",), "说明": ("description",), "简介": ("description",),
    "产业链": ("chain",), "所属产业链": ("chain",), "链": ("chain",),
    "上中下游": ("stream",), "上下游": ("stream",), "链位": ("stream",), "环节位置": ("stream",),
    "上级": ("parent",), "父级": ("parent",),
    "关键词": ("keywords",), "环节关键词": ("keywords",),
    "级别": ("level",), "层级": ("level",),
    "纬度": ("lat",), "经度": ("lon",),
    "经济区": ("macro_region",), "所属经济区": ("macro_region",),
    "统一社会信用代码": ("uscc",), "社会信用代码": ("uscc",), "信用代码": ("uscc",), "统一代码": ("uscc",),
    "行政区": ("region",), "所在地区": ("region",), "所在行政区": ("region",), "地区": ("region",),
    "所在地": ("region",), "行政区划": ("region",), "行政区划代码": ("region",), "区划代码": ("region",),
    "拟落地行政区": ("region",), "落地地区": ("region",),
    "企业规模": ("size",), "规模": ("size_wan", "size"), "基金规模": ("size_wan",), "管理规模": ("size_wan",),
    "员工人数": ("employees",), "从业人数": ("employees",), "职工人数": ("employees",), "员工数": ("employees",),
    "人数": ("employees",),
    "营业收入": ("revenue_wan",), "营收": ("revenue_wan",), "年营收": ("revenue_wan",),
    "注册资本": ("registered_capital_wan",), "注册资金": ("registered_capital_wan",),
    "成立日期": ("founded",), "成立时间": ("founded",), "注册日期": ("founded",),
    "标签": ("tags",), "企业标签": ("tags",), "资质": ("tags",),
    "股票代码": ("stock_code",), "证券代码": ("stock_code",),
    "近两年融资额": ("recent_financing_wan",), "融资额": ("recent_financing_wan",), "融资金额": ("recent_financing_wan",),
    "新设分支机构数": ("new_branches",), "分支机构数": ("new_branches",),
    "产能增速": ("capacity_growth",), "营收增速": ("capacity_growth",), "增速": ("capacity_growth",),
    "专利数": ("patents",), "专利": ("patents",), "专利数量": ("patents",),
    "经营范围": ("business_scope",), "主营业务": ("business_scope",),
    "基金管理人": ("manager",), "管理人": ("manager",),
    "类型": ("kind",),
    "关注产业链": ("focus",), "投资方向": ("focus",),
    "主导产业链": ("leading_chains",), "主导产业": ("leading_chains",),
    "园区": ("park",), "所属园区": ("park",), "意向园区": ("park",),
    "面积": ("area_mu",), "用地面积": ("area_mu",), "地块面积": ("area_mu",), "出让面积": ("area_mu",),
    "用地性质": ("land_use",), "土地用途": ("land_use",), "用途": ("land_use",),
    "容积率下限": ("far_min",), "最小容积率": ("far_min",), "容积率上限": ("far_max",), "最大容积率": ("far_max",),
    "建筑密度下限": ("density_min",), "建筑密度上限": ("density_max",),
    "绿地率上限": ("green_ratio_max",), "绿地率": ("green_ratio_max",),
    "出让年限": ("term_years",), "年限": ("term_years",), "使用年限": ("term_years",),
    "出让起始价": ("price_wan_per_mu",), "起始价": ("price_wan_per_mu",), "出让价格": ("price_wan_per_mu",),
    "地价": ("price_wan_per_mu",), "单价": ("price_wan_per_mu",),
    "开发程度": ("readiness",), "基础设施": ("readiness",),
    "状态": ("status",), "供地状态": ("status",),
    "固定资产投资强度下限": ("min_invest_intensity_wan_per_mu",), "固定资产投资强度": ("min_invest_intensity_wan_per_mu",),
    "投资强度": ("min_invest_intensity_wan_per_mu",), "投资强度下限": ("min_invest_intensity_wan_per_mu",),
    "亩均税收下限": ("min_tax_wan_per_mu",), "亩均税收": ("min_tax_wan_per_mu",),
    "亩均产出下限": ("min_output_wan_per_mu",), "亩均产出": ("min_output_wan_per_mu",),
    "单位能耗上限": ("max_energy_tce_per_wan",), "单位能耗": ("energy_tce_per_wan", "max_energy_tce_per_wan"),
    "能耗": ("energy_tce_per_wan",),
    "允许污染类别": ("allowed_pollution",), "允许的污染类别": ("allowed_pollution",), "环境准入": ("allowed_pollution",),
    "产业准入": ("allowed_chains",), "允许产业链": ("allowed_chains",),
    "投资方": ("investor",), "投资方企业": ("investor",), "投资主体": ("investor",),
    "环节": ("segment",), "所属环节": ("segment",),
    "阶段": ("stage",), "项目阶段": ("stage",),
    "总投资": ("total_investment_wan",), "计划总投资": ("total_investment_wan",), "投资额": ("total_investment_wan",),
    "用地需求下限": ("land_min_mu",), "最小用地": ("land_min_mu",),
    "用地需求上限": ("land_max_mu",), "最大用地": ("land_max_mu",),
    "达产年税收": ("expected_tax_wan",), "预计税收": ("expected_tax_wan",),
    "达产年产值": ("expected_output_wan",), "预计产值": ("expected_output_wan",),
    "污染类别": ("pollution_class",), "污染等级": ("pollution_class",),
    "可接受地价上限": ("max_price_wan_per_mu",), "地价上限": ("max_price_wan_per_mu",),
    "就业人数": ("jobs",), "新增就业": ("jobs",), "用工": ("jobs",),
    "责任人": ("owner",), "负责人": ("owner",),
    "签约日期": ("signed_on",), "签约时间": ("signed_on",),
    "文号": ("doc_no",), "发文字号": ("doc_no",),
    "生效日期": ("effective_from",), "施行日期": ("effective_from",), "失效日期": ("effective_to",),
    "截止日期": ("effective_to",), "有效期至": ("effective_to",),
    "摘要": ("summary",), "政策内容": ("summary",), "内容": ("summary",),
}
# Per kind overrides (a Region's 行政区划代码 is its key).
LABEL_HEADER_ALIASES: dict[Label, dict[str, str]] = {
    Label.Region: {"行政区划代码": "key", "区划代码": "key", "行政区名称": "name", "地区名称": "name",
                   "上级行政区": "parent", "行政级别": "level"},
    Label.IndustryChain: {"产业链": "name", "产业链名称": "name", "链名称": "name"},
    Label.Segment: {"环节": "name", "环节名称": "name", "上级环节": "parent"},
    Label.Enterprise: {"企业名称": "name", "公司名称": "name", "企业": "name"},
    Label.Fund: {"基金名称": "name", "基金类型": "kind"},
    Label.Park: {"园区": "name", "园区名称": "name", "园区级别": "level", "园区类型": "kind"},
    Label.LandParcel: {"地块名称": "name", "地块编号": "key"},
    Label.Project: {"项目名称": "name", "项目编号": "key"},
    Label.Product: {"产品": "name", "产品名称": "name"},
    Label.Policy: {"政策名称": "name", "政策标题": "name"},
}
REL_HEADER_ALIASES: dict[str, str] = {
    "src": "src", "src_key": "src", "起点": "src", "起点key": "src", "起点键": "src", "from": "src", "从": "src",
    "dst": "dst", "dst_key": "dst", "终点": "dst", "终点key": "dst", "终点键": "dst", "to": "dst", "到": "dst",
    "src_label": "src_label", "起点类别": "src_label", "起点类型": "src_label",
    "dst_label": "dst_label", "终点类别": "dst_label", "终点类型": "dst_label",
    "权重": "weight", "份额": "share", "占比": "share", "供货占比": "share", "地区": "region", "行政区": "region",
    "投资金额": "amount_wan", "金额": "amount_wan", "投资额": "amount_wan", "日期": "date", "投资日期": "date",
    "轮次": "round", "来源": "source", "数据来源": "source",
}
_UNIT_IN_HEADER = re.compile(r"^(.+?)\((.+)\)$")


def _norm_header(h: str) -> str:
    t = unicodedata.normalize("NFKC", clean_text(h))
    t = re.sub(r"\s+", "", t).lower().strip("*:")
    t = t.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    return t


def _derived_aliases(label: Label) -> dict[str, str]:
    """Leading words of each field's description ("营业收入（万元）" → 营业收入), when unambiguous."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for name, f in MODELS[label].model_fields.items():
        d = f.description
        if not d:
            continue
        head = re.split(r"[（(，,：:]| key| …|，如", d, maxsplit=1)[0].strip()
        if not head or "/" in head or " " in head:
            continue
        h = _norm_header(head)
        if h in out and out[h] != name:
            clash.add(h)
        out[h] = name
    return {k: v for k, v in out.items() if k not in clash}


@lru_cache(maxsize=None)
def header_table(kind: Label | str) -> dict[str, str]:
    """Normalised header → field (or src/dst/src_label/dst_label for relation files)."""
    if isinstance(kind, Label):
        fields = MODELS[kind].model_fields
        table = {k: v for k, v in _derived_aliases(kind).items()}
        for h, cands in HEADER_ALIASES.items():
            for c in cands:
                if c in fields:
                    table[_norm_header(h)] = c
                    break
        for h, f in LABEL_HEADER_ALIASES.get(kind, {}).items():
            table[_norm_header(h)] = f
        for f in fields:
            table[f.lower()] = f
        return table
    rt = RELATIONS[kind]
    allowed = set(rt.props) | {"source"}
    table = {_norm_header(h): f for h, f in REL_HEADER_ALIASES.items()
             if f in ("src", "dst", "src_label", "dst_label") or f in allowed}
    for p in allowed:
        table[p] = p
    return table


def _field_unit_kind(kind: Label | str, fname: str) -> str:
    if isinstance(kind, Label):
        spec = node_specs(kind).get(fname)
    else:
        spec = REL_PROP_SPECS.get(fname)
    return spec.unit if spec and spec.kind in ("float", "int") else "plain"


def resolve_header(kind: Label | str, header: str) -> tuple[str | None, Decimal | None, str | None]:
    """(field, column unit factor, problem). A unit in brackets — 面积(亩), 注册资本(元) — declares the unit of
    bare numbers in that column; it must be convertible to the field's unit."""
    table = header_table(kind)
    h = _norm_header(header)
    if h in table:
        return table[h], None, None
    m = _UNIT_IN_HEADER.match(h)
    if m and m.group(1) in table:
        fname = table[m.group(1)]
        unit = m.group(2)
        ukind = _field_unit_kind(kind, fname)
        if ukind == "plain":
            return fname, None, None  # e.g. 名称(全称): a remark, not a unit
        try:
            factor, _ = unit_factor(ukind, unit, header=True)
        except UnitError:
            return fname, None, f"列名中的单位“{unit}”与字段 {fname} 的单位（{UNIT_CN[ukind]}）不符"
        return fname, (None if factor == 1 else factor), None
    return None, None, None


# ===================================================================================== reading files
@dataclass
class Table:
    """One sheet of rows of one kind; rows are (row number, cells) with the header at `header_row`."""

    file: str
    kind: Label | str  # a Label, or a relation type name
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    header_row: int = 1
    sparse: bool = False  # JSON objects: a cell may be ABSENT
    source_name: str = ""
    order: int = 0


@dataclass
class _Ctx:
    store: GraphStore
    progress: bool
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    file_order: dict[str, int] = field(default_factory=dict)
    header_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    conv_notes: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)

    def problem(self, file: str | None, row: int | None, fld: str | None, msg: str) -> None:
        self.problems.append(Problem(file, row, fld, msg))

    def conv_note(self, file: str, header: str, note: str, row: int, raw: Any, value: Any) -> None:
        k = (file, header, note)
        if k not in self.conv_notes:
            self.conv_notes[k] = [0, row, raw, value]
        self.conv_notes[k][0] += 1

    def bar(self, total: int, desc: str) -> tqdm:
        return tqdm(total=total, desc=desc, unit="行", file=sys.stderr, mininterval=1.0, leave=False,
                    disable=not (self.progress and total > PROGRESS_MIN_ROWS))


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


def _rows_from_text(text: str, delimiter: str | None = None) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = ","
        if first.count("\t") > first.count(","):
            delimiter = "\t"
        elif first.count(";") > 0 and first.count(",") == 0 and first.count(";") >= 1 and "；" not in first:
            delimiter = ";"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _is_blank(cells: Iterable[Any]) -> bool:
    for c in cells:
        if c is None or c is ABSENT:
            continue
        if isinstance(c, str):
            if c.strip():
                return False
        else:
            return False
    return True


def _table_from_rows(file: str, kind: Label | str, raw_rows: list[Any], ctx: _Ctx) -> Table | None:
    """Header detection (a lone title cell above the header is skipped) and blank-row removal."""
    start = 0
    while start < len(raw_rows) and _is_blank(raw_rows[start]):
        start += 1
    if start >= len(raw_rows):
        ctx.problem(file, None, None, "文件为空")
        return None
    header_idx = start
    first_nonblank = [c for c in raw_rows[header_idx] if not _is_blank([c])]
    if len(first_nonblank) == 1 and header_idx + 1 < len(raw_rows):
        nxt = [c for c in raw_rows[header_idx + 1] if not _is_blank([c])]
        if len(nxt) >= 2:
            ctx.notes.append(f"{file}：第{header_idx + 1}行“{_cell_text(first_nonblank[0])}”视为标题，表头在第{header_idx + 2}行")
            header_idx += 1
    header = [(_cell_text(h) or "") for h in raw_rows[header_idx]]
    rows = [(i + 1, list(r)) for i, r in enumerate(raw_rows) if i > header_idx and not _is_blank(r)]
    if not rows:
        ctx.problem(file, None, None, "文件为空（只有表头，没有数据行）")
        return None
    return Table(file, kind, header, rows, header_row=header_idx + 1)


def kind_from_name(stem: str) -> Label | str | None:
    """enterprises / Enterprise / 企业 → Label.Enterprise; rel_SUPPLIES → 'SUPPLIES'; else None."""
    s = stem.strip()
    if s.lower().startswith("rel_"):
        rest = s[4:].upper()
        best = None
        for t in RELATIONS:
            if rest == t or (rest.startswith(t) and rest[len(t)] in "-. _"):
                if best is None or len(t) > len(best):
                    best = t
        return best
    if s in _CN_LABEL:
        return _CN_LABEL[s]
    try:
        return parse_label(s)
    except ValueError:
        pass
    m = re.match(r"^([A-Za-z]+|[\u4e00-\u9fff]+)[-_. ]", s)  # enterprises_2024, 企业-衢州
    if m:
        return kind_from_name(m.group(1))
    return None


def _kind_text(kind: Label | str) -> str:
    return f"{kind.value}（{LABEL_CN[kind]}）" if isinstance(kind, Label) else f"关系 {kind}"


def read_tables(path: Path, display: str, ctx: _Ctx) -> list[Table]:
    """Read one file into tables (several for a workbook with one sheet per kind or a JSON graph document)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        ctx.problem(display, None, None, "不支持旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 CSV UTF-8")
        return []
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, display, ctx)
    try:
        data = path.read_bytes()
    except OSError as e:
        ctx.problem(display, None, None, f"无法读取文件：{e}")
        return []
    if not data.strip():
        ctx.problem(display, None, None, "文件为空")
        return []
    text, note, prob = decode_bytes(data, display)
    if prob:
        ctx.problem(display, None, None, prob)
        return []
    if note:
        ctx.notes.append(note)
    if suffix == ".json":
        return _read_json(text, path, display, ctx)
    kind = kind_from_name(path.stem)
    if kind is None:
        ctx.problem(display, None, None, _unknown_kind_msg(path.stem))
        return []
    try:
        raw_rows = _rows_from_text(text, "\t" if suffix == ".tsv" else None)
    except csv.Error as e:
        ctx.problem(display, None, None, f"CSV 格式错误：{e}")
        return []
    t = _table_from_rows(display, kind, raw_rows, ctx)
    return [t] if t else []


def _unknown_kind_msg(stem: str) -> str:
    names = ", ".join(PLURALS[l] for l in LABEL_ORDER)
    return (f"无法从文件名“{stem}”判断数据类别：节点文件应命名为 {names}（或 企业、地块 …），"
            "关系文件应命名为 rel_<关系类型>，如 rel_SUPPLIES")


def _read_xlsx(path: Path, display: str, ctx: _Ctx) -> list[Table]:
    import zipfile

    from openpyxl import load_workbook

    if path.stat().st_size == 0:
        ctx.problem(display, None, None, "文件为空")
        return []
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        ctx.problem(display, None, None, f"无法读取 Excel 文件（不是有效的 .xlsx）：{e}")
        return []
    try:
        sheet_kinds = [(ws, kind_from_name(ws.title)) for ws in wb.worksheets]
        file_kind = kind_from_name(path.stem)
        kinded = [(ws, k) for ws, k in sheet_kinds if k is not None]
        if kinded and (file_kind is None or len(kinded) > 1):
            chosen = [(ws, k, f"{display}[{ws.title}]") for ws, k in kinded]
            ignored = [ws.title for ws, k in sheet_kinds if k is None]
            if ignored:
                ctx.notes.append(f"{display}：忽略无法判断类别的工作表 {', '.join(ignored)}")
        elif file_kind is not None:
            if not wb.worksheets:
                ctx.problem(display, None, None, "文件为空")
                return []
            chosen = [(wb.worksheets[0], file_kind, display)]
            if len(wb.worksheets) > 1:
                ctx.notes.append(f"{display}：只读取第一个工作表“{wb.worksheets[0].title}”")
        else:
            ctx.problem(display, None, None, _unknown_kind_msg(path.stem) + "（或把工作表命名为类别名）")
            return []
        out = []
        for ws, kind, name in chosen:
            raw_rows = [list(r) for r in ws.iter_rows(values_only=True)]
            t = _table_from_rows(name, kind, raw_rows, ctx)
            if t:
                out.append(t)
        return out
    finally:
        wb.close()


def _read_json(text: str, path: Path, display: str, ctx: _Ctx) -> list[Table]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        ctx.problem(display, getattr(e, "lineno", None), None, f"JSON 格式错误：{e}")
        return []
    if isinstance(doc, dict) and ("nodes" in doc or "relations" in doc):
        return _graph_doc_tables(doc, display, ctx)
    if not isinstance(doc, list):
        ctx.problem(display, None, None, 'JSON 应为对象数组，或导出格式 {"nodes": [...], "relations": [...]}')
        return []
    if not doc:
        ctx.problem(display, None, None, "文件为空")
        return []
    kind = kind_from_name(path.stem)
    if kind is None:
        ctx.problem(display, None, None, _unknown_kind_msg(path.stem))
        return []
    t = _objects_table(display, kind, list(enumerate(doc, 1)), ctx)
    return [t] if t else []


def _objects_table(display: str, kind: Label | str, objs: list[tuple[int, Any]], ctx: _Ctx,
                   drop: tuple[str, ...] = ()) -> Table | None:
    header: dict[str, None] = {}
    good: list[tuple[int, dict]] = []
    for i, o in objs:
        if not isinstance(o, dict):
            ctx.problem(display, i, None, f"第{i}项应为 JSON 对象，实际 {type(o).__name__}")
            continue
        good.append((i, o))
        for k in o:
            if k not in drop:
                header.setdefault(k, None)
    cols = list(header)
    rows = [(i, [o.get(c, ABSENT) for c in cols]) for i, o in good]
    if not rows:
        return None
    return Table(display, kind, cols, rows, header_row=0, sparse=True)


def _graph_doc_tables(doc: dict, display: str, ctx: _Ctx) -> list[Table]:
    out: list[Table] = []
    nodes = doc.get("nodes") or []
    rels = doc.get("relations") or []
    if not isinstance(nodes, list) or not isinstance(rels, list):
        ctx.problem(display, None, None, '"nodes" 与 "relations" 都应为数组')
        return []
    if not nodes and not rels:
        ctx.problem(display, None, None, "文件为空")
        return []
    by_label: dict[Label, list[tuple[int, Any]]] = defaultdict(list)
    nfile = f"{display}[nodes]"
    for i, o in enumerate(nodes, 1):
        lab = o.get("label") if isinstance(o, dict) else None
        try:
            by_label[parse_label(str(lab))].append((i, o))
        except ValueError:
            ctx.problem(nfile, i, "label", f"未知节点类别 {lab!r}")
    for lab in LABEL_ORDER:
        if by_label.get(lab):
            t = _objects_table(nfile, lab, by_label[lab], ctx, drop=("label",))
            if t:
                out.append(t)
    by_type: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    rfile = f"{display}[relations]"
    for i, o in enumerate(rels, 1):
        typ = o.get("type") if isinstance(o, dict) else None
        if typ not in RELATIONS:
            ctx.problem(rfile, i, "type", f"未知关系类型 {typ!r}；可选: {', '.join(RELATIONS)}")
            continue
        by_type[typ].append((i, o))
    for typ in RELATIONS:
        if by_type.get(typ):
            t = _objects_table(rfile, typ, by_type[typ], ctx, drop=("type",))
            if t:
                out.append(t)
    return out


# ===================================================================================== report
@dataclass
class ImportReport:
    path: str
    files: list[dict[str, Any]] = field(default_factory=list)  # {file, kind, rows, nodes_written, rels_written}
    notes: list[str] = field(default_factory=list)
    nodes_written: int = 0
    rels_written: int = 0
    deleted: int = 0
    version: int | None = None

    @property
    def rows(self) -> int:
        return sum(f["rows"] for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "files": self.files, "notes": self.notes, "rows": self.rows,
                "nodes_written": self.nodes_written, "rels_written": self.rels_written,
                "deleted": self.deleted, "version": self.version}

    def __str__(self) -> str:
        lines = []
        if self.nodes_written or self.rels_written or self.deleted:
            head = f"导入完成：{self.path}，共 {self.rows} 行，写入（新增或变更）节点 {self.nodes_written} 个、关系 {self.rels_written} 条"
            if self.deleted:
                head += f"，移除过时关系 {self.deleted} 条"
            lines.append(head + "。")
        else:
            lines.append(f"导入完成：{self.path}，共 {self.rows} 行，数据与库中一致，没有变化。")
        for f in self.files:
            lines.append(f"  {f['file']}  {f['kind']}  {f['rows']} 行  写入节点 {f['nodes_written']}  关系 {f['rels_written']}")
        if self.notes:
            lines.append("说明：")
            lines.extend(f"  - {n}" for n in self.notes)
        return "\n".join(lines)


# ===================================================================================== building the plan
@dataclass
class _PendingRel:
    rel: RelRec
    loc: Loc
    src_field: str
    dst_field: str


@dataclass
class _Build:
    """State of one import: a single Plan for all files, plus what is needed to report per file."""

    ctx: _Ctx
    plan: Plan = field(default_factory=Plan)
    pending: list[_PendingRel] = field(default_factory=list)
    existing: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    file_rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # file -> (kind text, rows)
    failed_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # references of rows that failed validation (not in the plan) — still checked, so one report says it all
    failed_refs: list[tuple[str, str, Loc, str]] = field(default_factory=list)

    def row_failed(self, label: Label, data: dict[str, Any], loc: Loc) -> None:
        key = data.get("key")
        if key:
            self.failed_keys[label.value].add(key)
        for fname, (_, target, _) in REFERENCE_FIELDS.get(label, {}).items():
            v = data.get(fname)
            for ref in (v if isinstance(v, list) else [v] if isinstance(v, str) else []):
                self.failed_refs.append((target.value, ref, loc, fname))


def _map_columns(t: Table, ctx: _Ctx) -> tuple[list[tuple[int, str, str, Decimal | None]], bool]:
    """[(column index, header, field, factor)], and whether rows can be read at all."""
    cols = []
    seen: dict[str, str] = {}
    ok = True
    hdr_row = t.header_row or None
    for idx, h in enumerate(t.header):
        if not h:
            if any(idx < len(r) and not _is_blank([r[idx]]) for _, r in t.rows):
                ctx.problem(t.file, hdr_row, f"第{idx + 1}列", "该列有数据但没有列名")
            continue
        fname, factor, prob = resolve_header(t.kind, h)
        if prob:
            ctx.problem(t.file, hdr_row, h, prob)
            continue
        if fname is None:
            ctx.problem(t.file, hdr_row, h, f"未知列“{h}”；可用列：{_columns_hint(t.kind)}（中文列名见 docs/import-format.md）")
            continue
        if fname in seen:
            ctx.problem(t.file, hdr_row, h, f"列“{h}”与列“{seen[fname]}”是同一字段 {fname}")
            ok = False
            continue
        seen[fname] = h
        cols.append((idx, h, fname, factor))
    return cols, ok


def _columns_hint(kind: Label | str) -> str:
    if isinstance(kind, Label):
        return ", ".join(MODELS[kind].model_fields)
    rt = RELATIONS[kind]
    extra = ["src_label"] if len(rt.src) > 1 else []
    extra += ["dst_label"] if len(rt.dst) > 1 else []
    return ", ".join(["src", "dst", *extra, *rt.props, "source"])


def _required_columns(kind: Label | str, present: set[str]) -> list[str]:
    if isinstance(kind, Label):
        req = [n for n, s in node_specs(kind).items() if s.required]
        if kind is Label.Enterprise and "key" not in present and "uscc" in present:
            req.remove("key")  # the USCC is the key
        return [r for r in req if r not in present]
    rt = RELATIONS[kind]
    req = ["src", "dst"] + (["src_label"] if len(rt.src) > 1 else []) + (["dst_label"] if len(rt.dst) > 1 else [])
    return [r for r in req if r not in present]


_FIELD_CN = {"key": "唯一键", "name": "名称", "src": "起点", "dst": "终点", "src_label": "起点类别", "dst_label": "终点类别"}


def _field_cn(kind: Label | str, f: str) -> str:
    if f in _FIELD_CN:
        return _FIELD_CN[f]
    if isinstance(kind, Label):
        d = MODELS[kind].model_fields[f].description or ""
        return re.split(r"[（(，,]| key", d, maxsplit=1)[0].strip() or f
    return f


def _node_table(b: _Build, t: Table) -> None:
    ctx, plan, store = b.ctx, b.plan, b.ctx.store
    label: Label = t.kind  # type: ignore[assignment]
    model_fields = MODELS[label].model_fields
    specs = node_specs(label)
    cols, ok = _map_columns(t, ctx)
    present_all = {c[2] for c in cols}
    missing = _required_columns(label, present_all) if not t.sparse else []
    for f in missing:
        ctx.problem(t.file, t.header_row or None, f, f"缺少必需列“{f}”（{_field_cn(label, f)}）")
    b.file_rows[t.file] = (_kind_text(label), len(t.rows))
    hmap = ctx.header_maps.setdefault(t.file, {})
    for _, h, f, _ in cols:
        hmap[f] = h
    if missing or not ok:
        return
    key_col = next((c for c in cols if c[2] == "key"), None)
    key_from_uscc = False
    if key_col is None and label is Label.Enterprise:
        key_col = next((c for c in cols if c[2] == "uscc"), None)
        key_from_uscc = key_col is not None
    # stored nodes, to merge with (columns absent from the file keep their stored values)
    if key_col is not None:
        keys = []
        for _, cells in t.rows:
            raw = cells[key_col[0]] if key_col[0] < len(cells) else None
            k = _cell_text(raw)
            if k:
                keys.append(k.upper() if key_from_uscc else k)
        b.existing[label.value].update(store.get_many(label.value, keys) if keys else {})
    existing = b.existing[label.value]
    key_header = key_col[1] if key_col else "key"
    has_source_col = "source" in present_all
    width = len(t.header)
    ref_fields = REFERENCE_FIELDS.get(label, {})
    bar = ctx.bar(len(t.rows), t.file)
    for rownum, cells in t.rows:
        bar.update(1)
        loc = Loc(t.file, rownum)
        data: dict[str, Any] = {}
        present = present_all
        if t.sparse:
            present = {f for i, _, f, _ in cols if i < len(cells) and cells[i] is not ABSENT}
        bad = False
        failed: set[str] = set()
        if len(cells) > width and not _is_blank(cells[width:]):
            ctx.problem(t.file, rownum, None, f"本行有 {len(cells) - width} 个单元格超出表头范围（列名缺失？）")
            bad = True
        for idx, h, fname, factor in cols:
            raw = cells[idx] if idx < len(cells) else None
            if raw is None or raw is ABSENT or raw == "":
                continue
            try:
                val, note = specs[fname].convert(raw, factor)
            except ValueError as e:
                ctx.problem(t.file, rownum, h, str(e))
                bad = True
                failed.add(fname)
                continue
            if val is not None:
                data[fname] = val
                if note:
                    ctx.conv_note(t.file, h, note, rownum, raw, val)
        if key_from_uscc:
            if "uscc" in data:
                data["key"] = str(data["uscc"]).upper()
            else:
                ctx.problem(t.file, rownum, key_header, "缺少统一社会信用代码（本文件没有 key 列，以统一社会信用代码为键）")
                continue
        key = data.get("key")
        old = existing.get(key) if key else None
        if old:
            for f, v in old.items():
                if f in model_fields and f not in present and f != "source" and f != "key":
                    data[f] = v
        obj, probs = validate(label, data, loc)
        if bad or probs or obj is None:  # a bad cell: still validated, to report the row's other problems too
            ctx.problems.extend(p for p in probs if p.field not in failed)
            b.row_failed(label, data, loc)
            continue
        if has_source_col and "source" in present:
            src = data.get("source")
            plan.source = None if (src is None or src == "manual") else src
        else:
            plan.source = t.source_name or t.file
        plan.add_node(obj, loc, key_field=key_header)
        if old and ref_fields:
            _stale_references(plan, label, obj, old)
    bar.close()
    plan.source = None


def _stale_references(plan: Plan, label: Label, obj: Any, old: dict[str, Any]) -> None:
    """Relations implied by the stored node's reference fields that the new values no longer imply."""
    for fname, (rtype, target, direction) in REFERENCE_FIELDS[label].items():
        before = old.get(fname)
        if before is None:
            continue
        before_set = set(before) if isinstance(before, list) else {before}
        now = getattr(obj, fname)
        now_set = set(now) if isinstance(now, list) else ({now} if now is not None else set())
        for ref in before_set - now_set:
            if direction == "out":
                plan.delete_rels.append((rtype, label.value, obj.key, target.value, ref))
            else:
                plan.delete_rels.append((rtype, target.value, ref, label.value, obj.key))


def _parse_label_cell(raw: Any) -> Label | None:
    t = _cell_text(raw)
    if t is None:
        return None
    if t in _CN_LABEL:
        return _CN_LABEL[t]
    return parse_label(t)


def _rel_table(b: _Build, t: Table) -> None:
    ctx = b.ctx
    rtype: str = t.kind  # type: ignore[assignment]
    rt = RELATIONS[rtype]
    cols, ok = _map_columns(t, ctx)
    present_all = {c[2] for c in cols}
    missing = _required_columns(rtype, present_all)
    for f in missing:
        ctx.problem(t.file, t.header_row or None, f, f"缺少必需列“{f}”（{_field_cn(rtype, f)}）")
    b.file_rows[t.file] = (_kind_text(rtype), len(t.rows))
    hmap = ctx.header_maps.setdefault(t.file, {})
    for _, h, f, _ in cols:
        hmap[f] = h
    if missing or not ok:
        return
    by_field = {f: (i, h, fac) for i, h, f, fac in cols}
    prop_cols = [(i, h, f, fac) for i, h, f, fac in cols if f not in ("src", "dst", "src_label", "dst_label")]
    has_source_col = "source" in present_all
    seen: dict[tuple[str, str, str, str], int] = {}
    bar = ctx.bar(len(t.rows), t.file)
    for rownum, cells in t.rows:
        bar.update(1)
        bad = False

        def cell(f: str) -> Any:
            i = by_field[f][0]
            return cells[i] if i < len(cells) else None

        ends = {}
        for end, labs in (("src", rt.src), ("dst", rt.dst)):
            lab_f = f"{end}_label"
            lab: Label | None = labs[0] if len(labs) == 1 else None
            if lab_f in by_field:
                try:
                    given = _parse_label_cell(cell(lab_f))
                except ValueError as e:
                    ctx.problem(t.file, rownum, by_field[lab_f][1], str(e))
                    bad = True
                    continue
                if given is not None:
                    if given not in labs:
                        ctx.problem(t.file, rownum, by_field[lab_f][1],
                                    f"关系 {rtype} 的{'起点' if end == 'src' else '终点'}应为 "
                                    f"{'/'.join(l.value for l in labs)}，实际 {given.value}")
                        bad = True
                        continue
                    lab = given
            if lab is None:
                ctx.problem(t.file, rownum, by_field.get(lab_f, (0, lab_f))[1], "缺少必填值（类别）")
                bad = True
                continue
            key = _cell_text(cell(end))
            if key is None:
                ctx.problem(t.file, rownum, by_field[end][1], "缺少必填值")
                bad = True
                continue
            ends[end] = (lab, key)
        props: dict[str, Any] = {}
        for idx, h, fname, factor in prop_cols:
            raw = cells[idx] if idx < len(cells) else None
            try:
                val, note = REL_PROP_SPECS[fname].convert(raw, factor)
            except ValueError as e:
                ctx.problem(t.file, rownum, h, str(e))
                bad = True
                continue
            if val is None:
                continue
            rng = _REL_PROP_RANGES.get(fname)
            if rng and ((rng[0] is not None and val < rng[0]) or (rng[1] is not None and val > rng[1])):
                lo, hi = rng
                ctx.problem(t.file, rownum, h, f"数值超出范围: {raw!r}（应在 {lo} 到 {hi if hi is not None else '∞'} 之间）")
                bad = True
                continue
            props[fname] = val
            if note:
                ctx.conv_note(t.file, h, note, rownum, raw, val)
        if bad:
            continue
        if not has_source_col or (t.sparse and (by_field["source"][0] >= len(cells) or cells[by_field["source"][0]] is ABSENT)):
            props["source"] = t.source_name or t.file
        (sl, sk), (dl, dk) = ends["src"], ends["dst"]
        if rtype == "UPSTREAM_OF" and sk == dk:
            ctx.problem(t.file, rownum, by_field["dst"][1], f"环节 {sk} 不能是自己的上游")
            continue
        k4 = (sl.value, sk, dl.value, dk)
        if k4 in seen:
            ctx.problem(t.file, rownum, by_field["src"][1], f"重复的关系 {sk} -{rtype}-> {dk}（首次出现于第{seen[k4]}行）")
            continue
        seen[k4] = rownum
        b.pending.append(_PendingRel(RelRec(rtype, sl.value, sk, dl.value, dk, props), Loc(t.file, rownum),
                                     by_field["src"][1], by_field["dst"][1]))
    bar.close()


def _add_pending(b: _Build) -> None:
    """Relations from relation files: endpoints must exist in this import or in the store (the problem names the
    src or dst column precisely); then they join the plan."""
    plan, ctx = b.plan, b.ctx
    wanted: dict[str, set[str]] = defaultdict(set)
    for p in b.pending:
        r = p.rel
        for lab, key in ((r.src_label, r.src_key), (r.dst_label, r.dst_key)):
            if (lab, key) not in plan.nodes:
                wanted[lab].add(key)
    for lab, key, _, _ in b.failed_refs:
        if (lab, key) not in plan.nodes:
            wanted[lab].add(key)
    existing = {lab: ctx.store.existing_keys(lab, keys) for lab, keys in wanted.items()}
    for lab, key, loc, fname in b.failed_refs:
        if (lab, key) not in plan.nodes and key not in existing.get(lab, ()) and key not in b.failed_keys.get(lab, ()):
            ctx.problem(loc.file, loc.row, fname, f"引用了不存在的{LABEL_CN[Label(lab)]} {key!r}")
    plan.source = None
    for p in b.pending:
        r = p.rel
        ok = True
        for lab, key, fld, end in ((r.src_label, r.src_key, p.src_field, "起点"), (r.dst_label, r.dst_key, p.dst_field, "终点")):
            if (lab, key) not in plan.nodes and key not in existing.get(lab, ()):
                why = "（该行本身未通过校验）" if key in b.failed_keys.get(lab, ()) else ""
                ctx.problem(p.loc.file, p.loc.row, fld, f"引用了不存在的{LABEL_CN[Label(lab)]} {key!r}（{r.type} {end}）{why}")
                ok = False
        if not ok:
            continue
        k = (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key)
        if k in plan.rels:
            other = plan.rels[k]
            a = {x: v for x, v in other.props.items() if x != "source"}
            c = {x: v for x, v in r.props.items() if x != "source"}
            if a != c:
                first = plan.rel_locs[k][0]
                ctx.problem(p.loc.file, p.loc.row, p.src_field,
                            f"关系 {r.src_key} -{r.type}-> {r.dst_key} 与 {first.file} 第{first.row}行重复且属性不同")
            continue
        plan.add_rel(r, p.loc, field=p.src_field)


# ===================================================================================== interchange format
INTERCHANGE_FILES: dict[str, tuple[tuple[str, ...], bool]] = {
    "enterprises": (("id", "name"), True),
    "segments": (("id", "name", "chain"), True),
    "memberships": (("enterprise_id", "segment_id"), True),
    "products": (("enterprise_id", "product"), False),
    "segment_links": (("upstream_id", "downstream_id"), False),
    "supplies": (("supplier_id", "customer_id"), False),
}


@dataclass
class InterchangeData:
    """A dataset in the interchange format as plain python data (no store needed).

    enterprises: [{"id", "name", optional "region", "founded", "tags" (list) and any other column as text}]
    segments: [{"id", "name", "chain", optional "stream" (上游/中游/下游), "parent_id"}]
    memberships: [{"enterprise_id", "segment_id" [, "weight"]}]
    products: [{"enterprise_id", "product", "weight" (float or None)}]
    segment_links: [{"upstream_id", "downstream_id"}]
    supplies: [{"supplier_id", "customer_id" [, "share"]}]
    rows: file stem → row number (header = 1) of each item above, in the same order.
    """

    path: str
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    segment_links: list[dict[str, Any]] = field(default_factory=list)
    supplies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=dict)

    @property
    def chains(self) -> list[str]:
        return sorted({s["chain"] for s in self.segments})

    def members_of(self) -> dict[str, list[str]]:
        """segment id → enterprise ids."""
        out: dict[str, list[str]] = defaultdict(list)
        for m in self.memberships:
            out[m["segment_id"]].append(m["enterprise_id"])
        return dict(out)


def is_interchange_folder(path: Path) -> bool:
    return path.is_dir() and (path / "memberships.csv").is_file()


def read_interchange(path: str | Path, *, check_refs: bool = True, progress: bool = False) -> InterchangeData:
    """Read a dataset interchange folder into plain lists/dicts. Raises ValidationFailed naming file, row and
    column for: missing files or columns, empty ids, duplicate ids, bad weights, and (check_refs) ids that no
    file of the dataset defines."""
    ctx = _Ctx(store=None, progress=progress)  # type: ignore[arg-type]
    data = _read_interchange(Path(path), ctx, check_refs=check_refs)
    if ctx.problems:
        raise ValidationFailed(ctx.problems)
    data.notes = ctx.notes + data.notes
    return data


def _read_interchange(root: Path, ctx: _Ctx, *, check_refs: bool) -> InterchangeData:
    data = InterchangeData(path=str(root))
    for stem, (required, mandatory) in INTERCHANGE_FILES.items():
        p = root / f"{stem}.csv"
        name = p.name
        if not p.is_file():
            if mandatory:
                ctx.problem(name, None, None, f"数据交换格式缺少文件 {name}")
            continue
        try:
            raw = p.read_bytes()
        except OSError as e:
            ctx.problem(name, None, None, f"无法读取文件：{e}")
            continue
        if not raw.strip():
            ctx.problem(name, None, None, "文件为空")
            continue
        text, note, prob = decode_bytes(raw, name)
        if prob:
            ctx.problem(name, None, None, prob)
            continue
        if note:
            ctx.notes.append(note)
        try:
            rows = _rows_from_text(text, ",")
        except csv.Error as e:
            ctx.problem(name, None, None, f"CSV 格式错误：{e}")
            continue
        header = [(_cell_text(h) or "").lower() for h in rows[0]] if rows else []
        body = [(i + 1, r) for i, r in enumerate(rows) if i > 0 and not _is_blank(r)]
        if not body:
            ctx.problem(name, None, None, "文件为空（只有表头，没有数据行）")
            continue
        miss = [c for c in required if c not in header]
        for c in miss:
            ctx.problem(name, 1, c, f"缺少必需列“{c}”")
        if miss:
            continue
        dup_cols = {h for h in header if h and header.count(h) > 1}
        for h in sorted(dup_cols):
            ctx.problem(name, 1, h, f"列“{h}”出现了多次")
        if dup_cols:
            continue
        items, rownums = _interchange_items(stem, name, header, body, required, ctx)
        setattr(data, stem, items)
        data.rows[stem] = rownums
    if check_refs and not ctx.problems:
        _interchange_refs(data, ctx)
    return data


def _interchange_items(stem: str, name: str, header: list[str], body: list[tuple[int, list[str]]],
                       required: tuple[str, ...], ctx: _Ctx) -> tuple[list[dict[str, Any]], list[int]]:
    items: list[dict[str, Any]] = []
    rownums: list[int] = []
    idx = [(i, h) for i, h in enumerate(header) if h]
    seen: dict[Any, int] = {}
    dups = 0
    bar = ctx.bar(len(body), name)
    for rownum, cells in body:
        bar.update(1)
        d: dict[str, Any] = {}
        for i, h in idx:
            v = _cell_text(cells[i]) if i < len(cells) else None
            if v is not None:
                d[h] = v
        bad = False
        for c in required:
            if c not in d:
                ctx.problem(name, rownum, c, "缺少必填值")
                bad = True
        if stem == "enterprises" and "tags" in d:
            d["tags"] = split_list(d["tags"]) or []
        if stem == "segments" and "stream" in d:
            s = d["stream"]
            d["stream"] = STREAM_ALIASES.get(s.lower(), s)
        for wf in ("weight", "share"):
            if wf in d:
                try:
                    d[wf], _ = parse_number(d[wf], "ratio")
                except ValueError as e:
                    ctx.problem(name, rownum, wf, str(e))
                    bad = True
        if stem == "products" and "weight" not in d:
            d["weight"] = None
        if bad:
            continue
        if stem in ("enterprises", "segments"):
            ident = d["id"]
            if ident in seen:
                ctx.problem(name, rownum, "id", f"重复的键 {ident!r}（首次出现于第{seen[ident]}行）")
                continue
        else:
            ident = tuple(d[c] for c in required)
            if ident in seen:
                dups += 1
                continue
        seen[ident] = rownum
        items.append(d)
        rownums.append(rownum)
    bar.close()
    if dups:
        ctx.notes.append(f"{name}：{dups} 行与前面的行重复（相同 {'/'.join(required)}），已合并")
    return items, rownums


def _interchange_refs(data: InterchangeData, ctx: _Ctx) -> None:
    ents = {e["id"] for e in data.enterprises}
    segs = {s["id"] for s in data.segments}
    checks = (
        ("memberships", (("enterprise_id", ents, "企业"), ("segment_id", segs, "环节"))),
        ("products", (("enterprise_id", ents, "企业"),)),
        ("segment_links", (("upstream_id", segs, "环节"), ("downstream_id", segs, "环节"))),
        ("supplies", (("supplier_id", ents, "企业"), ("customer_id", ents, "企业"))),
    )
    for stem, cols in checks:
        for item, row in zip(getattr(data, stem), data.rows.get(stem, [])):
            for col, known, cn in cols:
                if item[col] not in known:
                    ctx.problem(f"{stem}.csv", row, col, f"引用了不存在的{cn} {item[col]!r}")


_KEY_BAD = re.compile(r"[\s/\\?#]+")


def text_key(text: str) -> str:
    """A node key from free text (chain names, product names): whitespace and / \\ ? # become _."""
    return _KEY_BAD.sub("_", text.strip()).strip("_")[:128]


def _interchange_into_plan(b: _Build, data: InterchangeData) -> None:
    ctx, plan, store = b.ctx, b.plan, b.ctx.store
    rows = data.rows
    for stem in INTERCHANGE_FILES:
        if stem in rows:
            b.file_rows[f"{stem}.csv"] = (f"数据交换格式 {stem}", len(rows[stem]))

    # chains: reuse a stored chain whose key, name or alias is the text; otherwise create one
    chain_key: dict[str, str] = {}
    stored_chains = list(store.iter_nodes(Label.IndustryChain.value))
    by_text: dict[str, str] = {}
    for k, p in stored_chains:
        for t in [k, p.get("name"), *(p.get("aliases") or [])]:
            if t:
                by_text.setdefault(t, k)
    for s, row in zip(data.segments, rows.get("segments", [])):
        text = s["chain"]
        if text in chain_key:
            continue
        if text in by_text:
            chain_key[text] = by_text[text]
            continue
        k = text_key(text)
        chain_key[text] = k
        if (Label.IndustryChain.value, k) in plan.nodes:
            continue
        plan.source = "segments.csv"
        obj, probs = validate(Label.IndustryChain, {"key": k, "name": text}, Loc("segments.csv", row))
        if probs:
            ctx.problems.extend(Problem(p.file, p.row, "chain", p.message) for p in probs)
            continue
        plan.add_node(obj, Loc("segments.csv", row), key_field="chain")
    created_chains = [t for t, k in chain_key.items() if (Label.IndustryChain.value, k) in plan.nodes]
    if created_chains:
        ctx.notes.append(f"segments.csv：新建产业链 {len(created_chains)} 条（{'、'.join(created_chains[:10])}"
                         f"{' …' if len(created_chains) > 10 else ''}）")

    # segments
    seg_ids = {s["id"] for s in data.segments}
    seg_existing = store.get_many(Label.Segment.value, list(seg_ids))
    unknown_parent = 0
    stored_parents = store.existing_keys(Label.Segment.value, {s["parent_id"] for s in data.segments if "parent_id" in s} - seg_ids)
    for s, row in zip(data.segments, rows.get("segments", [])):
        d: dict[str, Any] = {"key": s["id"], "name": s["name"], "chain": chain_key[s["chain"]]}
        if "stream" in s:
            d["stream"] = s["stream"]
        if "parent_id" in s:
            if s["parent_id"] in seg_ids or s["parent_id"] in stored_parents:
                d["parent"] = s["parent_id"]
            else:
                unknown_parent += 1
        _interchange_node(b, Label.Segment, d, Loc("segments.csv", row), "segments.csv", seg_existing.get(s["id"]),
                          {"key": "id", "chain": "chain", "stream": "stream", "parent": "parent_id"}, {"stream", "parent"})
    if unknown_parent:
        ctx.notes.append(f"segments.csv：{unknown_parent} 个 parent_id 不是已知环节，已忽略")

    # enterprises
    extra_cols: dict[str, str] = {}
    ignored: set[str] = set()
    cols = {c for e in data.enterprises for c in e} - {"id", "name"}
    for c in sorted(cols):
        fname, _, prob = resolve_header(Label.Enterprise, c)
        if fname and not prob and fname not in ("key", "name", "source", "synthetic"):
            extra_cols[c] = fname
        else:
            ignored.add(c)
    if ignored:
        ctx.notes.append(f"enterprises.csv：忽略模型之外的列 {', '.join(sorted(ignored))}")
    regions = _region_resolver(b, {e[c] for e in data.enterprises for c, f in extra_cols.items() if f == "region" and c in e})
    ent_existing = store.get_many(Label.Enterprise.value, [e["id"] for e in data.enterprises])
    dropped_region = 0
    examples: list[str] = []
    specs = node_specs(Label.Enterprise)
    bar = ctx.bar(len(data.enterprises), "enterprises.csv")
    for e, row in zip(data.enterprises, rows.get("enterprises", [])):
        bar.update(1)
        d = {"key": e["id"], "name": e["name"]}
        colmap = {"key": "id", "name": "name"}
        optional = set()
        for c, fname in extra_cols.items():
            if c not in e:
                continue
            raw = e[c]
            if fname == "region":
                r = regions(raw)
                if r is None:
                    dropped_region += 1
                    if len(examples) < 3 and str(raw) not in examples:
                        examples.append(str(raw))
                    continue
                d["region"] = r
            else:
                try:
                    val, _ = specs[fname].convert(raw)
                except ValueError:
                    ctx.conv_note("enterprises.csv", c, "无法解析，已忽略", row, raw, None)
                    continue
                if val is not None:
                    d[fname] = val
            colmap[fname] = c
            if fname != "uscc":  # a wrong USCC is an error, not noise to drop
                optional.add(fname)
        _interchange_node(b, Label.Enterprise, d, Loc("enterprises.csv", row), "enterprises.csv",
                          ent_existing.get(e["id"]), colmap, optional)
    bar.close()
    if dropped_region:
        ctx.notes.append(f"enterprises.csv：{dropped_region} 个地区不是已知行政区（如 {'、'.join(examples)}），未设置 region")

    # products
    prod_key: dict[str, str] = {}
    for p, row in zip(data.products, rows.get("products", [])):
        text = p["product"]
        if text in prod_key:
            continue
        k = text_key(text)
        prod_key[text] = k
    stored_products = store.existing_keys(Label.Product.value, set(prod_key.values()))
    plan.source = "products.csv"
    for p, row in zip(data.products, rows.get("products", [])):
        k = prod_key[p["product"]]
        if k in stored_products or (Label.Product.value, k) in plan.nodes:
            continue
        obj, probs = validate(Label.Product, {"key": k, "name": p["product"]}, Loc("products.csv", row))
        if probs:
            ctx.problems.extend(Problem(x.file, x.row, "product", x.message) for x in probs)
            continue
        plan.add_node(obj, Loc("products.csv", row), key_field="product")
    plan.source = None

    # relations
    def pend(stem: str, rtype: str, sl: Label, sf: str, dl: Label, df: str, keyfn=lambda v: v,
             props: tuple[str, ...] = ()) -> None:
        for item, row in zip(getattr(data, stem), rows.get(stem, [])):
            pr = {x: item[x] for x in props if item.get(x) is not None}
            pr["source"] = f"{stem}.csv"
            dk = keyfn(item[df])
            if rtype == "UPSTREAM_OF" and item[sf] == dk:
                ctx.problem(f"{stem}.csv", row, df, f"环节 {dk} 不能是自己的上游")
                continue
            b.pending.append(_PendingRel(RelRec(rtype, sl.value, item[sf], dl.value, dk, pr),
                                         Loc(f"{stem}.csv", row), sf, df))

    pend("memberships", "IN_SEGMENT", Label.Enterprise, "enterprise_id", Label.Segment, "segment_id", props=("weight",))
    pend("products", "MAKES", Label.Enterprise, "enterprise_id", Label.Product, "product", keyfn=lambda v: prod_key[v],
         props=("weight",))
    pend("segment_links", "UPSTREAM_OF", Label.Segment, "upstream_id", Label.Segment, "downstream_id")
    pend("supplies", "SUPPLIES", Label.Enterprise, "supplier_id", Label.Enterprise, "customer_id", props=("share",))


def _region_resolver(b: _Build, values: set[str]):
    """Region text → Region key when it is a known key (store or this import) or the unique name of one."""
    store, plan = b.ctx.store, b.plan
    known = store.existing_keys(Label.Region.value, values) if values else set()
    known |= {k for (lab, k) in plan.nodes if lab == Label.Region.value and k in values}
    names: dict[str, str | None] = {}
    if values - known:
        for k, p in store.iter_nodes(Label.Region.value):
            n = p.get("name")
            names[n] = None if n in names else k
        for (lab, k), rec in plan.nodes.items():
            if lab == Label.Region.value:
                n = rec.props.get("name")
                names[n] = None if n in names and names[n] != k else k

    def resolve(v: str) -> str | None:
        if v in known:
            return v
        return names.get(v)

    return resolve


def _interchange_node(b: _Build, label: Label, d: dict[str, Any], loc: Loc, source: str, old: dict | None,
                      colmap: dict[str, str], optional: set[str]) -> None:
    """Validate one interchange node; a bad optional value is dropped with a note, a bad id or name is a problem."""
    ctx, plan = b.ctx, b.plan
    if old:
        present = set(d)
        for f, v in old.items():
            if f in MODELS[label].model_fields and f not in present and f not in ("source", "key"):
                d[f] = v
    obj, probs = validate(label, d, loc)
    if probs and optional:
        drop = {p.field for p in probs if p.field in optional}
        if drop and all(p.field in optional for p in probs):
            for f in drop:
                ctx.conv_note(loc.file or "", colmap.get(f, f), "取值无效，已忽略",
                              loc.row or 0, d.get(f), None)
                d.pop(f, None)
            obj, probs = validate(label, d, loc)
    if probs or obj is None:
        ctx.problems.extend(
            Problem(p.file, p.row, colmap.get("key") if p.field is None and p.message.startswith("key ")
                    else colmap.get(p.field or "", p.field), p.message)
            for p in probs)
        b.row_failed(label, d, loc)
        return
    plan.source = source
    plan.add_node(obj, loc, key_field=colmap.get("key", "key"))
    plan.source = None
    if old and REFERENCE_FIELDS.get(label):
        _stale_references(plan, label, obj, old)


# ===================================================================================== import entry point
def _kind_rank(kind: Label | str) -> tuple[int, int]:
    if isinstance(kind, Label):
        return (0, LABEL_ORDER.index(kind))
    return (1, list(RELATIONS).index(kind))


def _collect(path: Path, ctx: _Ctx) -> tuple[list[Table], Path | None]:
    """Tables to import, in dependency order; and the interchange folder when there is one."""
    tables: list[Table] = []
    interchange: Path | None = None
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
        if is_interchange_folder(path):
            interchange = path
            files = [p for p in files if p.suffix.lower() != ".csv" or p.stem not in INTERCHANGE_FILES]
        skipped = [p.name for p in files if p.suffix.lower() not in TABLE_SUFFIXES + (".xls",)]
        if skipped:
            ctx.notes.append(f"忽略非数据文件：{', '.join(skipped)}")
        for p in files:
            if p.suffix.lower() in TABLE_SUFFIXES + (".xls",):
                tables.extend(read_tables(p, p.name, ctx))
        if not files and interchange is None:
            ctx.problem(path.name, None, None, "文件夹中没有可导入的文件（.csv/.xlsx/.json）")
    elif path.is_file():
        if path.suffix.lower() not in TABLE_SUFFIXES + (".xls",):
            ctx.problem(path.name, None, None, "不支持的文件类型：请用 .csv、.xlsx 或 .json")
        else:
            tables.extend(read_tables(path, path.name, ctx))
    else:
        raise FileNotFoundError(f"找不到 {path}")
    for t in tables:
        t.source_name = t.file.split("[", 1)[0]
    tables.sort(key=lambda t: _kind_rank(t.kind))
    return tables, interchange


def import_path(store: GraphStore, path: str | Path, *, actor: str = "cli", progress: bool = True) -> ImportReport:
    """Import a file or a folder (native files and/or the dataset interchange format) in one atomic write.

    Everything is validated first; on any problem ValidationFailed lists every problem (file, row, column,
    message) and nothing is written. Returns an ImportReport; re-importing the same data writes nothing.
    """
    p = Path(path)
    ctx = _Ctx(store=store, progress=progress)
    tables, interchange = _collect(p, ctx)
    for i, t in enumerate(tables):
        ctx.file_order.setdefault(t.file, i)
    b = _Build(ctx)
    for t in tables:
        if isinstance(t.kind, Label):
            _node_table(b, t)
    idata = None
    if interchange is not None:
        before = len(ctx.problems)
        idata = _read_interchange(interchange, ctx, check_refs=False)
        if len(ctx.problems) == before:
            _interchange_into_plan(b, idata)
    for t in tables:
        if not isinstance(t.kind, Label):
            _rel_table(b, t)
    _add_pending(b)
    plan = b.plan
    plan.check(store)
    problems = _finish_problems(ctx, plan.problems)
    if problems:
        raise ValidationFailed(problems)
    # Stale reference relations — unless this import brings them again.
    plan.delete_rels = list(dict.fromkeys(k for k in plan.delete_rels if k not in plan.rels))
    report = ImportReport(path=str(path))
    report.notes = ctx.notes + _conversion_notes(ctx)
    total_rows = sum(n for _, n in b.file_rows.values())
    per_file = _attribute(b) if len(b.file_rows) > 1 else None
    if progress and total_rows > PROGRESS_MIN_ROWS:
        print(f"写入 {len(plan.nodes)} 个节点、{len(plan.rels)} 条关系…", file=sys.stderr, flush=True)
    result = plan.commit(store, audit=AuditEntry(actor=actor, action="import", target=str(path),
                                                 after={"rows": total_rows}))
    report.nodes_written, report.rels_written = result.nodes_written, result.rels_written
    report.deleted, report.version = result.deleted, result.version
    for f, (kind, n) in b.file_rows.items():
        if per_file is None:
            nw, rw = result.nodes_written, result.rels_written
        else:
            nw, rw = per_file.get(f, (0, 0))
        report.files.append({"file": f, "kind": kind, "rows": n, "nodes_written": nw, "rels_written": rw})
    return report


def _finish_problems(ctx: _Ctx, plan_problems: list[Problem]) -> list[Problem]:
    """All problems, fields named as the file's own column headers, in file and row order."""
    out = []
    for p in ctx.problems + plan_problems:
        if p.field is None and p.message.startswith("key "):  # model-level check of the key (USCC-shaped key)
            p = Problem(p.file, p.row, "key", p.message)
        hm = ctx.header_maps.get(p.file or "")
        if hm and p.field in hm:
            p = Problem(p.file, p.row, hm[p.field], p.message)
        out.append(p)
    seen = set()
    uniq = []
    for p in out:
        if p not in seen:
            seen.add(p)
            uniq.append(p)
    order = ctx.file_order
    uniq.sort(key=lambda p: (order.get(p.file or "", len(order)), p.row if p.row is not None else -1))
    return uniq


def _conversion_notes(ctx: _Ctx) -> list[str]:
    out = []
    for (file, header, note), (n, row, raw, val) in ctx.conv_notes.items():
        ex = f"第{row}行 {raw!r}" + (f" → {val:g}" if isinstance(val, (int, float)) else "")
        out.append(f"{file} 列“{header}”：{n} 个值 {note}（如 {ex}）")
    return out


def _attribute(b: _Build) -> dict[str, tuple[int, int]]:
    """Per file (nodes, relations) that the write will insert or change — for a multi-file import, whose store
    write reports only totals."""
    plan, store = b.plan, b.ctx.store
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    new_nodes: set[tuple[str, str]] = set()
    node_existing: dict[tuple[str, str], dict[str, Any] | None] = {}
    by_label: dict[str, list[str]] = defaultdict(list)
    for (lab, key) in plan.nodes:
        if key not in b.existing.get(lab, {}):
            by_label[lab].append(key)
    fetched = {lab: store.get_many(lab, keys) for lab, keys in by_label.items()}
    for (lab, key), rec in plan.nodes.items():
        old = b.existing.get(lab, {}).get(key) or fetched.get(lab, {}).get(key)
        node_existing[(lab, key)] = old
        if old is None:
            new_nodes.add((lab, key))
            changed = True
        else:
            changed = {k: v for k, v in old.items() if k != "key"} != rec.props
        if changed:
            counts[plan.node_locs[(lab, key)].file or ""][0] += 1
    maybe: dict[str, dict[tuple, RelRec]] = defaultdict(dict)
    for k, rel in plan.rels.items():
        file = plan.rel_locs[k][0].file or ""
        if (rel.src_label, rel.src_key) in new_nodes or (rel.dst_label, rel.dst_key) in new_nodes:
            counts[file][1] += 1
        else:
            maybe[rel.type][k] = rel
    for rtype, rels in maybe.items():
        found: dict[tuple, dict[str, Any]] = {}
        for r in store.iter_relations(rtype):
            k = (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key)
            if k in rels:
                found[k] = r.props
        for k, rel in rels.items():
            if found.get(k) != rel.props:
                counts[plan.rel_locs[k][0].file or ""][1] += 1
    return {f: (c[0], c[1]) for f, c in counts.items()}


# ===================================================================================== export
def _implied_relation_keys(label: Label, key: str, props: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    for fname, (rtype, target, direction) in REFERENCE_FIELDS.get(label, {}).items():
        v = props.get(fname)
        if v is None:
            continue
        for ref in v if isinstance(v, list) else [v]:
            if direction == "out":
                yield (rtype, label.value, key, target.value, ref)
            else:
                yield (rtype, target.value, ref, label.value, key)


def _export_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        items = [str(x) for x in v]
        if any(LIST_SEPARATORS.search(x) for x in items) or (items and items[0].startswith("[")):
            return orjson.dumps(items).decode()
        return ";".join(items)
    if isinstance(v, float):
        return repr(v)
    return v


def export_store(store: GraphStore, out_dir: str | Path, fmt: str = "csv", *, progress: bool = False) -> list[Path]:
    """Write the whole graph in the native import format; returns the files written.

    csv / xlsx: one file per node kind (<plural>.csv, e.g. enterprises.csv) and one per relation type
    (rel_<TYPE>.csv); CSV is UTF-8 with BOM so that Excel shows Chinese correctly. json: one document
    graph.json {"nodes": [...], "relations": [...]}. Relations that a node's reference field implies
    (Segment.chain → PART_OF …) are carried by that column and not repeated, so the export imports back
    into an empty store unchanged.
    """
    if fmt not in ("csv", "xlsx", "json"):
        raise ValueError("导出格式只能是 csv、xlsx 或 json")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    implied: set[tuple[str, str, str, str, str]] = set()
    json_nodes: list[dict[str, Any]] = []
    json_rels: list[dict[str, Any]] = []
    for label in LABEL_ORDER:
        fields = [f for f in MODELS[label].model_fields]
        header = ["key", "name"] + [f for f in fields if f not in ("key", "name")]
        rows: list[list[Any]] = []
        has_refs = label in REFERENCE_FIELDS
        for key, props in store.iter_nodes(label.value):
            if has_refs:
                implied.update(_implied_relation_keys(label, key, props))
            if fmt == "json":
                json_nodes.append({"label": label.value, "key": key, **props})
            else:
                rows.append([key] + [_export_value(props.get(f)) for f in header[1:]])
        if rows:
            written.append(_write_table(out, PLURALS[label], header, rows, fmt))
    for rtype, rt in RELATIONS.items():
        rels = [r for r in store.iter_relations(rtype)
                if (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key) not in implied]
        if not rels:
            continue
        rels.sort(key=lambda r: (r.src_label, r.src_key, r.dst_label, r.dst_key))
        if fmt == "json":
            for r in rels:
                # "source": null says "no recorded source" (an absent key would make the import stamp one)
                json_rels.append({"type": r.type, "src_label": r.src_label, "src_key": r.src_key,
                                  "dst_label": r.dst_label, "dst_key": r.dst_key, "source": None, **r.props})
            continue
        multi_src, multi_dst = len(rt.src) > 1, len(rt.dst) > 1
        prop_names = list(rt.props) + ["source"]
        header = (["src_label"] if multi_src else []) + ["src"] + (["dst_label"] if multi_dst else []) + ["dst"] + prop_names
        rows = []
        for r in rels:
            row = ([r.src_label] if multi_src else []) + [r.src_key] + ([r.dst_label] if multi_dst else []) + [r.dst_key]
            rows.append(row + [_export_value(r.props.get(p)) for p in prop_names])
        written.append(_write_table(out, f"rel_{rtype}", header, rows, fmt))
    if fmt == "json":
        target = out / "graph.json"
        target.write_bytes(orjson.dumps({"nodes": json_nodes, "relations": json_rels},
                                        option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
        written.append(target)
    return written


def _write_table(out: Path, stem: str, header: list[str], rows: list[list[Any]], fmt: str) -> Path:
    if fmt == "csv":
        target = out / f"{stem}.csv"
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return target
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if len(rows) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"{stem} 有 {len(rows)} 行，超过 Excel 单表上限 {XLSX_MAX_ROWS - 1} 行：请导出为 csv 或 json")
    target = out / f"{stem}.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(stem[:31])
    ws.append(header)
    for r in rows:
        cells = []
        for v in r:
            if isinstance(v, str) and v.startswith("="):
                c = WriteOnlyCell(ws, value=v)
                c.data_type = "s"  # text, never a formula
                cells.append(c)
            else:
                cells.append(v)
        ws.append(cells)
    wb.save(target)
    return target
