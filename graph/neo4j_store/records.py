"""How ChainMatch records become Neo4j property maps and back, shared by the Neo4j backend's reads and writes.

Neo4j holds flat properties only (text, numbers, booleans, homogeneous lists of those; null removes a property),
so `clean_props` refuses what it cannot hold, naming the property; `as_row` and `bare_props` give the shapes the
SQLite backend returns, so both backends answer alike (tests/graph/test_store_contract.py).
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import orjson

from graph.store import AuditEntry, StoreError

dumps = orjson.dumps
SCALARS = (str, int, float, bool)


def clean_props(props: dict[str, Any], where: str, *, drop: str | None = None) -> dict[str, Any]:
    """Neo4j cannot store null (setting null removes the property), maps, or lists of non-scalars."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        if v is None or k == drop:
            continue
        if isinstance(v, SCALARS):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            if any(x is None or not isinstance(x, SCALARS) for x in v):
                raise StoreError(f"{where}: 属性 {k!r} 的列表只能包含文本、数字或布尔值")
            kinds = {str if isinstance(x, str) else bool if isinstance(x, bool) else float for x in v}
            if len(kinds) > 1:  # Neo4j stores homogeneous arrays only
                raise StoreError(f"{where}: 属性 {k!r} 的列表混有文本、数字、布尔值，Neo4j 只能存同一类型的列表")
            out[k] = list(v)
        else:
            raise StoreError(f"{where}: 属性 {k!r} 的值类型 {type(v).__name__} 无法存入 Neo4j（只支持扁平属性）")
    return out


def as_row(key: str, props: dict[str, Any]) -> dict[str, Any]:
    """The shape SQLiteStore returns: properties with sorted names, then "key"."""
    d = {k: props[k] for k in sorted(props) if k != "key"}
    d["key"] = key
    return d


def bare_props(props: dict[str, Any], drop: str | None = "key") -> dict[str, Any]:
    return {k: props[k] for k in sorted(props) if k != drop}


def chunks(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def check_field(field: str) -> str:
    """Same rule as SQLiteStore._expr: plain names only."""
    if field in ("key", "name"):
        return field
    if not field.replace("_", "").isalnum():
        raise ValueError(f"非法字段名 {field!r}")
    return field


def audit_params(e: AuditEntry) -> dict[str, Any]:
    """An audit entry as statement parameters; before/after as JSON text (Neo4j properties cannot be maps)."""
    return {"at": e.at, "actor": e.actor, "action": e.action, "target": e.target,
            "before": None if e.before is None else dumps(e.before).decode(),
            "after": None if e.after is None else dumps(e.after).decode()}
