"""Cell values → python values: text, numbers with units, yes/no, dates, lists.

Every reader ends up here, so a CSV cell, an Excel number and a JSON value clean up the same way; which parser a
field's cells go through (and the choices people write for it) is its FieldSpec, in graph/io/specs.py.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterable

import orjson



class _Absent:
    """A JSON object without this key (the column is absent for this row)."""

    def __repr__(self) -> str:  # pragma: no cover
        return "<absent>"


ABSENT = _Absent()
LIST_SEPARATORS = re.compile(r"[;；、|]")
# What spreadsheets write for "no value" in number and date columns.
NULL_MARKERS = frozenset({"-", "--", "—", "——", "/", "n/a", "na", "null", "none", "无", "暂无", "不详", "未知"})

# ===================================================================================== text
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


def cell_text(raw: Any) -> str | None:
    """A cell as text (Excel numbers without a spurious .0), or None when empty."""
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, str):
        return clean_text(raw) or None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def is_blank(cells: Iterable[Any]) -> bool:
    for c in cells:  # a plain loop: this runs once per row
        if c is None or c is ABSENT or (isinstance(c, str) and not c.strip()):
            continue
        return False
    return True


# ===================================================================================== numbers and units
class UnitError(ValueError):
    pass


_NUM_RE = re.compile(r"^([+-]?)(\d[\d,]*|(?=\.\d))(\.\d+)?([eE][+-]?\d+)?(.*)$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")
_PLAIN_NUM = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")
_MAGNITUDE = {"": 1, "十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6,
              "千万": 10**7, "亿": 10**8, "十亿": 10**9, "百亿": 10**10}
_MAG_RE = "(十万|百万|千万|十亿|百亿|十|百|千|万|亿)?"
_MAG_PREFIX = re.compile(rf"^{_MAG_RE}(.*)$")
_MONEY_RE = re.compile(rf"^{_MAG_RE}(元|元人民币|人民币|rmb|cny)?$")
_FOREIGN = ("美元", "usd", "$", "欧元", "eur", "€", "港元", "港币", "hkd", "日元", "jpy")
_HECTARE, _SQM, _KM2 = (Decimal(15), "1公顷=15亩"), (Decimal("0.0015"), "1亩=2000/3平方米"), (Decimal(1500), "1平方公里=1500亩")
_AREA_UNITS = {"亩": (Decimal(1), None), "公顷": _HECTARE, "ha": _HECTARE, "hm2": _HECTARE,
               "平方米": _SQM, "平米": _SQM, "m2": _SQM, "平方公里": _KM2, "km2": _KM2}
_COUNT_WORDS = ("人", "个", "家", "项", "件", "名", "年", "户", "次")
_TCE_UNITS = ("", "吨标煤/万元", "tce/万元", "吨/万元", "吨标准煤/万元")
UNIT_CN = {"money": "万元", "area": "亩", "money_per_area": "万元/亩", "pct": "%", "ratio": "比例",
           "tce": "吨标煤/万元", "count": "个数", "plain": ""}


def _magnitude(suffix: str) -> tuple[int, str]:
    """'万人' → (10000, '人'); '公顷' → (1, '公顷')."""
    m = _MAG_PREFIX.match(suffix)
    return _MAGNITUDE[m.group(1) or ""], m.group(2)


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
    return Decimal(mag) / Decimal(10000), (None if mag >= 10000 else f"按 {suffix}→万元 换算（÷{10000 // mag}）")


def _area_factor(suffix: str) -> tuple[Decimal, str | None]:
    if suffix == "":
        return Decimal(1), None
    mag, base = _magnitude(suffix)
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
    one = (Decimal(1), None)
    if kind == "money":
        return _money_factor(s, header=header)
    if kind == "area":
        return _area_factor(s)
    if kind == "money_per_area":
        if "/" not in s:
            return _money_factor(s, header=header)
        money, _, area = s.partition("/")
        mf, mnote = _money_factor(money, header=header) if money else one
        af, anote = _area_factor(area)
        return mf / af, "；".join(n for n in (mnote, anote) if n) or None
    if kind == "pct":
        if s in ("", "%"):
            return one
        raise UnitError(f"单位“{suffix}”与本字段单位（%）不符")
    if kind == "ratio":
        if s in ("", "%"):
            return (Decimal("0.01"), None) if s else one
        raise UnitError(f"单位“{suffix}”不适用于比例字段（写 0.35 或 35%）")
    if kind == "tce":
        if s in _TCE_UNITS:
            return one
        raise UnitError(f"单位“{suffix}”与本字段单位（吨标煤/万元）不符")
    if kind == "count":
        mag, rest = _magnitude(s)
        if rest == "" or rest in _COUNT_WORDS:
            return Decimal(mag), None
        raise UnitError(f"无法识别的单位 {suffix!r}")
    if s in ("", "°"):
        return one
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
    text = str(raw) if str(raw).isascii() else unicodedata.normalize("NFKC", str(raw))
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
        if integer and val != val.to_integral_value():
            raise ValueError(f"应为整数，实际 {raw!r}")
        return int(val) if integer else float(val)
    if not integer:
        return float(val)
    if isinstance(val, float):
        if not val.is_integer():
            raise ValueError(f"应为整数，实际 {raw!r}")
        return int(val)
    return val


# ===================================================================================== other value kinds
_TRUE = {"true", "t", "1", "yes", "y", "是", "真", "对", "√"}
_FALSE = {"false", "f", "0", "no", "n", "否", "假", "错", "×"}
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?(?:[ T].*)?$")


def parse_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    t = cell_text(raw)
    if t is None or t.lower() in NULL_MARKERS:
        return None
    if t.lower() in _TRUE:
        return True
    if t.lower() in _FALSE:
        return False
    raise ValueError(f"应为 是/否（true/false），实际 {raw!r}")


def parse_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    t = cell_text(raw)
    if t is None or t.lower() in NULL_MARKERS:
        return None
    t = unicodedata.normalize("NFKC", t)
    try:
        if len(t) >= 10 and t[4] == "-" and t[7] == "-":
            return dt.date.fromisoformat(t[:10])
        if re.fullmatch(r"\d{8}", t):
            return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
        if re.fullmatch(r"\d{4}年?", t):  # year only: 1 January
            return dt.date(int(t[:4]), 1, 1)
        m = _DATE_RE.match(t)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        pass
    raise ValueError(f"应为日期（如 2021-06-30），实际 {raw!r}")


def _item_text(item: Any) -> str | None:
    """One list item as text: an object (a dated record of a firm's history, written as a JSON array of objects
    in one cell) as its JSON text, for the model to check field by field."""
    if isinstance(item, dict):
        return orjson.dumps(item).decode("utf-8")
    return cell_text(item)


def split_list(raw: Any) -> list[str] | None:
    """A list cell: `a;b`, `a；b`, `a、b`, `a|b`, or a JSON array `["a、b", "c"]` (what export writes when an item
    itself contains a separator) — or of objects `[{"on": "2025-03-01", "round": "A轮"}]` (a firm's dated records)."""
    if raw is None or raw is ABSENT:
        return None
    if isinstance(raw, (list, tuple)):
        return [x for x in map(_item_text, raw) if x]
    t = cell_text(raw)
    if t is None:
        return []
    if t.startswith("[") and t.endswith("]"):
        try:
            arr = orjson.loads(t)
        except orjson.JSONDecodeError:
            arr = None
        if isinstance(arr, list):
            return [x for x in map(_item_text, arr) if x]
    return [x for x in (p.strip() for p in LIST_SEPARATORS.split(t)) if x]
