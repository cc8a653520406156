"""The dated records of a firm that 企业尽调 reads its 扩张指数 and 外迁预警 from: financing rounds, capital changes,
branches (新设/迁出/注销), headcount and hiring, and yearly indicators (营业收入, 税收, 产值).

Each is a list field of Enterprise whose entries are JSON-object texts — stored flat like a project's stage history,
so both store backends hold them as lists of strings — with an ISO date `on` (or a `year` for yearly indicators).
An entry may arrive as an object (API, a JSON array in a spreadsheet cell) or as its text; it is checked field by
field (the message names the entry and the field) and written back as canonical text (`entry_text`: keys sorted,
no spaces), so the same fact always reads the same and importing it again changes nothing.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable

from graph.schema.fields import iso_date_text

BRANCH_KINDS = ("新设", "迁出", "注销")
YEAR_MIN, YEAR_MAX = 1900, 2100


def entry_text(entry: dict[str, Any]) -> str:
    """The canonical text of one entry (what the stores hold)."""
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _number(e: dict[str, Any], name: str, *, integer: bool = False, required: bool = False) -> float | int | None:
    v = e.get(name)
    if v is None:
        if required:
            raise ValueError(f"缺少 {name}")
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} 应为非负数字，实际 {v!r}")
    if integer:
        if float(v) != int(v):
            raise ValueError(f"{name} 应为整数，实际 {v!r}")
        return int(v)
    return int(v) if float(v).is_integer() else float(v)  # 5000.0 and 5000 are one fact: one text


def _text(e: dict[str, Any], name: str, *, required: bool = False, limit: int = 200) -> str | None:
    v = e.get(name)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise ValueError(f"缺少 {name}")
        return None
    if not isinstance(v, str) or len(v) > limit or any(ord(c) < 32 for c in v):
        raise ValueError(f"{name} 应为不超过 {limit} 字的单行文本，实际 {str(v)[:60]!r}")
    return v.strip()


def _date(e: dict[str, Any]) -> str:
    v = e.get("on")
    try:
        t = iso_date_text(v) if isinstance(v, str) else None
    except ValueError:
        t = None
    if not t:
        raise ValueError(f"日期 on 应为 YYYY-MM-DD，实际 {v!r}")
    return t


def _financing(e: dict[str, Any]) -> dict[str, Any]:
    investors = e.get("investors")
    if investors is not None:
        if not isinstance(investors, list) or not all(isinstance(x, str) and x.strip() for x in investors):
            raise ValueError(f"investors 应为投资方名称的列表，实际 {str(investors)[:60]!r}")
        investors = [x.strip() for x in investors]
    out = {"on": _date(e), "round": _text(e, "round", required=True), "amount_wan": _number(e, "amount_wan"),
           "investors": investors or None}
    return out


def _capital(e: dict[str, Any]) -> dict[str, Any]:
    return {"on": _date(e), "from_wan": _number(e, "from_wan", required=True),
            "to_wan": _number(e, "to_wan", required=True)}


def _branch(e: dict[str, Any]) -> dict[str, Any]:
    kind = e.get("kind")
    if kind not in BRANCH_KINDS:
        raise ValueError(f"kind 应为 {'/'.join(BRANCH_KINDS)} 之一，实际 {kind!r}")
    return {"on": _date(e), "kind": kind, "region": _text(e, "region", required=True), "name": _text(e, "name")}


def _headcount(e: dict[str, Any]) -> dict[str, Any]:
    out = {"on": _date(e), "employees": _number(e, "employees", integer=True),
           "openings": _number(e, "openings", integer=True)}
    if out["employees"] is None and out["openings"] is None:
        raise ValueError("employees（在职人数）与 openings（招聘岗位数）至少填一项")
    return out


def _indicator(e: dict[str, Any]) -> dict[str, Any]:
    y = e.get("year")
    if isinstance(y, bool) or not isinstance(y, int) or not YEAR_MIN <= y <= YEAR_MAX:
        raise ValueError(f"year 应为 {YEAR_MIN}–{YEAR_MAX} 的整数年份，实际 {y!r}")
    out = {"year": y, "revenue_wan": _number(e, "revenue_wan"), "tax_wan": _number(e, "tax_wan"),
           "output_wan": _number(e, "output_wan")}
    if all(out[k] is None for k in ("revenue_wan", "tax_wan", "output_wan")):
        raise ValueError("revenue_wan、tax_wan、output_wan 至少填一项")
    return out


@dataclass(frozen=True)
class HistoryKind:
    """One kind of dated record: its Enterprise field, Chinese name, the keys an entry may have and its check."""

    field: str
    title: str
    keys: tuple[str, ...]
    check: Callable[[dict[str, Any]], dict[str, Any]]
    by_year: bool = False


HISTORIES: dict[str, HistoryKind] = {h.field: h for h in (
    HistoryKind("financing_rounds", "融资记录", ("on", "round", "amount_wan", "investors"), _financing),
    HistoryKind("capital_changes", "注册资本变更", ("on", "from_wan", "to_wan"), _capital),
    HistoryKind("branches", "分支机构变动", ("on", "kind", "region", "name"), _branch),
    HistoryKind("headcount_history", "用工与招聘", ("on", "employees", "openings"), _headcount),
    HistoryKind("yearly_indicators", "年度经营指标", ("year", "revenue_wan", "tax_wan", "output_wan"), _indicator, True),
)}


def parse_entry(kind: HistoryKind, raw: Any) -> dict[str, Any]:
    """One entry (object or its JSON text) checked and without empty values; ValueError says what is wrong."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValueError(f"不是 JSON 对象文本：{raw[:60]!r}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"应为 JSON 对象，实际 {str(raw)[:60]!r}")
    extra = sorted(set(raw) - set(kind.keys))
    if extra:
        raise ValueError(f"未知字段 {', '.join(extra)}（可用：{', '.join(kind.keys)}）")
    return {k: v for k, v in kind.check(raw).items() if v is not None}


def check_history(field: str, value: Any) -> list[str]:
    """A history field's entries as canonical texts, ordered by date (or year); a ValueError names the entry
    (第N条) and its field. Used by the Enterprise model as a `before` validator."""
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"应为记录列表，实际 {str(value)[:60]!r}")
    kind = HISTORIES[field]
    parsed = []
    for i, raw in enumerate(value, start=1):
        try:
            parsed.append(parse_entry(kind, raw))
        except ValueError as err:
            raise ValueError(f"第{i}条：{err}") from None
    if kind.by_year:
        years = [p["year"] for p in parsed]
        dup = sorted({y for y in years if years.count(y) > 1})
        if dup:
            raise ValueError(f"年份 {', '.join(map(str, dup))} 出现多次，每年只能有一条")
    order = sorted(parsed, key=lambda p: (p.get("year", 0), p.get("on", "")))
    return [entry_text(p) for p in order]
