"""One Chinese message for each kind of validation error pydantic (or FastAPI) reports — used for API 422s and
for import/row problems alike, so a user reads the same sentence whichever way the data came in."""
from __future__ import annotations

from typing import Any

from graph.schema import text_problem

_RANGE = {"greater_than_equal": ("数值过小", "应不小于 {ge}"), "greater_than": ("数值过小", "应大于 {gt}"),
          "less_than_equal": ("数值过大", "应不大于 {le}"), "less_than": ("数值过大", "应小于 {lt}")}


def _num(v: Any) -> Any:
    return f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def validation_message(err: dict[str, Any]) -> str:
    """A Chinese message for one pydantic error dict (`type`, `ctx`, `input`, `msg`)."""
    t = err.get("type", "")
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if t == "missing":
        return "缺少必填值"
    if t == "extra_forbidden":
        return "未知字段"
    if t == "json_invalid":
        return f"JSON 格式错误（{ctx.get('error', '无法解析')}）"
    if t in _RANGE:
        what, bound = _RANGE[t]
        return f"{what}: {got!r}（{bound.format_map({k: _num(v) for k, v in ctx.items()})}）"
    if t == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"过短（至少 {ctx.get('min_length')} 个字符）"
    if t == "too_short":
        return f"过短（至少 {ctx.get('min_length')} 项）"
    if t == "string_too_long":
        return f"过长：{len(got) if isinstance(got, str) else '?'} 个字符（至多 {ctx.get('max_length')} 个）"
    if t == "too_long":
        return f"过多：{ctx.get('actual_length', '?')} 项（至多 {ctx.get('max_length')} 项）"
    if t == "string_pattern_mismatch":
        why = text_problem(got) if isinstance(got, str) else None
        return why or f"格式不正确: {str(got)[:60]!r}"
    if t in ("literal_error", "enum"):
        return f"取值 {got!r} 不在允许范围内（可选 {str(ctx.get('expected', '')).replace(' or ', '、')}）"
    if t in ("bool_parsing", "bool_type"):
        return f"应为布尔值 true/false，实际 {got!r}"
    if t in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "finite_number"):
        return f"应为数字，实际 {got!r}"
    if t in ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"):
        return f"应为日期（如 2021-06-30），实际 {got!r}"
    if t == "string_unicode":
        return "不是有效的 Unicode 文本（含孤立的代理字符）"
    if t == "string_type":
        return f"应为文本，实际 {got!r}"
    if t in ("list_type", "tuple_type", "set_type"):
        return "应为数组"
    if t in ("dict_type", "model_type", "model_attributes_type"):
        return "应为 JSON 对象"
    if "parsing" in t or t.endswith("_type"):
        return f"格式不正确: {got!r}"
    msg = str(err.get("msg", "无效")).removeprefix("Value error, ")
    return msg if _has_cjk(msg) else f"取值无效（{msg}）"


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)
