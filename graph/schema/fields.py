"""Field types and bounds shared by every ChainMatch model and request body: bounded text without control
characters, keys, ISO dates and UTC timestamps as canonical text, and numbers that are never true/false (nor NaN).
"""
from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, model_validator

# ---------------------------------------------------------------------------------------------- text bounds
# Every text field is bounded (real data fits: company names are under 100 characters, 经营范围 under 4,000) and
# carries no control characters: C0/C1 controls (NUL, BEL …), DEL and the bidi embedding/override/isolate marks
# U+202A–U+202E, U+2066–U+2069 (they reverse how a name reads on screen and break spreadsheets). Single-line
# fields also refuse tab and line breaks; long free text (description, 经营范围, summary, logs) keeps them. Lone
# surrogates are refused by the string type itself. A refusal names the field (422 in the API, file/row/field on
# import); nothing is stripped silently. The same limits are in the OpenAPI schema (maxLength, pattern).
KEY_MAX = 128
NAME_MAX = 200
TEXT_MAX = 200  # codes, kinds, owners, managers, short notes
SOURCE_MAX = 1000  # where a fact comes from (a citation with its document number and address)
LONG_TEXT_MAX = 4000  # description, summary
SCOPE_MAX = 8000  # 经营范围 (business_scope)
ITEM_MAX = 200  # one tag, alias, keyword, readiness item
LIST_MAX = 1000  # items in one list field
LOG_ENTRY_MAX = 4000  # one stage-history / tracking entry (JSON text)
LOG_MAX = 2000  # entries in a project's stage history or tracking log
COUNT_MAX = 100_000_000  # people, patents, branches: far above any real firm
SAFE_INT = 2**53 - 1  # the largest integer every JSON reader (and both stores) holds exactly
CONTROL = r"\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069"  # refused in single-line text
BLOCK_CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069"  # refused in free text
LINE_PATTERN = f"^[^{CONTROL}]*$"
BLOCK_PATTERN = f"^[^{BLOCK_CONTROL}]*$"
_CONTROL_RE = re.compile(f"[{CONTROL}]")
_BLOCK_CONTROL_RE = re.compile(f"[{BLOCK_CONTROL}]")

Text = Annotated[str, StringConstraints(max_length=TEXT_MAX, pattern=LINE_PATTERN)]
SourceText = Annotated[str, StringConstraints(max_length=SOURCE_MAX, pattern=LINE_PATTERN)]
NameText = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=LINE_PATTERN)]
KeyRef = Annotated[str, StringConstraints(max_length=KEY_MAX, pattern=LINE_PATTERN)]  # a reference to a node key
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT_MAX, pattern=BLOCK_PATTERN)]
ScopeText = Annotated[str, StringConstraints(max_length=SCOPE_MAX, pattern=BLOCK_PATTERN)]
Item = Annotated[str, StringConstraints(max_length=ITEM_MAX, pattern=LINE_PATTERN)]
LogEntry = Annotated[str, StringConstraints(max_length=LOG_ENTRY_MAX, pattern=BLOCK_PATTERN)]


def bounded_text(max_length: int, *, multiline: bool = False, min_length: int | None = None) -> Any:
    """A text type with its own limit and the same character rules (for request fields with other limits)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=BLOCK_PATTERN if multiline else LINE_PATTERN)]


def text_problem(value: Any, *, multiline: bool = False) -> str | None:
    """Why this text breaks the rules above (the first control character and where), or None."""
    if not isinstance(value, str):
        return None
    m = (_BLOCK_CONTROL_RE if multiline else _CONTROL_RE).search(value)
    if m is None:
        return None
    kind = "换行或制表符" if m.group() in "\t\n\r" else "控制字符或文字方向控制符"
    return f"第 {m.start() + 1} 个字符 U+{ord(m.group()):04X} 是{kind}，不允许出现在{'文本' if multiline else '单行文本'}中"


_KEY_RE = re.compile(f"^[^\\s/\\\\?#{CONTROL}]{{1,{KEY_MAX}}}$")


_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def iso_date_text(v: Any) -> str | None:
    """A date (object or text such as 2026-03-31, 2026/3/31, 2026年3月31日) as canonical `YYYY-MM-DD` text.

    Dates that matching compares are kept as this text (not dt.date) so the analytic snapshot holds them as a
    sorted categorical vocabulary and comparisons stay vectorised."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    t = str(v).strip()
    if not t:
        return None
    m = _ISO_DATE_RE.match(t)
    if not m:
        raise ValueError(f"应为日期（如 2026-03-31），实际 {t!r}")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise ValueError(f"日期无效：{t!r}") from None


def _date_not_a_number(v: Any) -> Any:
    """Pydantic reads a JSON number as a Unix timestamp for a date (9e-231 → 1970-01-01); a date must be text."""
    if isinstance(v, (int, float)):
        raise ValueError(f"应为日期文本（如 2026-03-31），不能是数字 {v!r}")
    return v


# A date field of a domain model or request body: ISO text (or a date object), never a number.
Date = Annotated[dt.date, BeforeValidator(_date_not_a_number)]


def utc_timestamp_text(v: Any) -> str | None:
    """A moment as canonical UTC text `YYYY-MM-DDTHH:MM:SSZ` (sorts as time; naive input is taken as UTC)."""
    if v is None:
        return None
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return None
        try:
            v = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"应为时间（ISO 8601，如 2026-03-31T08:00:00Z），实际 {t!r}") from None
    elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    if not isinstance(v, dt.datetime):
        raise ValueError(f"应为时间（ISO 8601），实际 {v!r}")
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.timezone.utc)
    return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_key(v: str) -> str:
    v = (v or "").strip()
    if not _KEY_RE.match(v):
        raise ValueError(f"key 不能为空、不能含空白、控制字符或 / \\ ? #，且不超过{KEY_MAX}字符")
    return v


def _is_number(annotation: Any) -> bool:
    """int/float (optionally inside Optional/Annotated/Union), and not a type that also admits bool."""
    if annotation in (int, float):
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _is_number(args[0])
    return bool(args) and bool not in args and any(_is_number(a) for a in args)


def _is_bool(annotation: Any) -> bool:
    """bool, or bool | None."""
    if annotation is bool:
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and args == [bool]


_TYPED_FIELDS: dict[type, tuple[dict[str, str], dict[str, str]]] = {}


def reject_bool_numbers(cls: type[BaseModel], data: Any) -> Any:
    """A model `before` validator: JSON true/false is not a number, and a number or text is not true/false.
    Pydantic's lax mode would read true as 1 and 0 or "no" as false, so a client's mistake (or a spreadsheet's TRUE
    in a numeric column) would silently become a value."""
    if not isinstance(data, dict):
        return data
    typed = _TYPED_FIELDS.get(cls)
    if typed is None:
        nums = {(f.alias or n): n for n, f in cls.model_fields.items() if _is_number(f.annotation)}
        bools = {(f.alias or n): n for n, f in cls.model_fields.items() if _is_bool(f.annotation)}
        nums.update({n: n for n in list(nums.values())})
        bools.update({n: n for n in list(bools.values())})
        typed = _TYPED_FIELDS[cls] = (nums, bools)
    for given, name in typed[0].items():
        v = data.get(given)
        if isinstance(v, bool):
            raise ValueError(f"{name} 应为数字，不能是 {str(v).lower()}")
        if isinstance(v, int) and abs(v) > SAFE_INT:  # beyond what JSON readers and the stores hold exactly
            raise ValueError(f"{name} 超出可表示的范围（绝对值至多 {SAFE_INT}）")
    for given, name in typed[1].items():
        v = data.get(given)
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"{name} 应为 true 或 false，不能是 {v!r}")
    return data


class StrictNumbers(BaseModel):
    """Base for request and domain models: numbers are not true/false and vice versa, and NaN/Infinity (which JSON
    parsers accept) are not numbers."""

    model_config = ConfigDict(allow_inf_nan=False)
    _no_bool_numbers = model_validator(mode="before")(classmethod(reject_bool_numbers))
