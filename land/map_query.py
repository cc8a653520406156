"""The 土地超市 map's question: the filters an officer typed or linked (names or keys, numbers as text on the
page) turned into a `land.map_data.MapFilter`, and the one function GET /api/v1/land/map answers with.

The API refuses a bad filter (unknown chain/park/region, a range whose lower end is above its upper end) with
kernel.errors.Invalid naming the field (→ 422 problem+json in Chinese); the page collects the same messages and
shows them above the map, ignoring that filter.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from graph.snapshot import Snapshot
from kernel.errors import Invalid
from land.data import land_data
from land.map_data import MAP_STATUSES, MapFilter, map_layers
from land.names import resolve_key

RANGES = (("area_min", "area_max", "面积（亩）"), ("invest_min", "invest_max", "投资规模（万元）"))
LABELS = {"chain": "产业类型", "park": "园区", "region": "行政区", "status": "状态", "area_min": "面积下限",
          "area_max": "面积上限", "invest_min": "投资规模下限", "invest_max": "投资规模上限"}


def map_filter(snap: Snapshot, *, chain: str | None = None, park: str | None = None, region: str | None = None,
               status: str = "all", area_min: float | None = None, area_max: float | None = None,
               invest_min: float | None = None, invest_max: float | None = None,
               standard_only: bool = False) -> MapFilter:
    """The filters as keys; Invalid (naming the field) for an unknown name, a status not in MAP_STATUSES or an
    empty range."""
    keys: dict[str, str | None] = {}
    for kind, text in (("chain", chain), ("park", park), ("region", region)):
        keys[kind] = resolve_key(snap, kind, text.strip(), field=kind) if text and text.strip() else None
    if status not in MAP_STATUSES:
        msg = f"状态 {status!r} 不在允许范围内（可选 {'、'.join(MAP_STATUSES)}）"
        raise Invalid(msg, errors=[{"field": "status", "message": msg}])
    numbers = {"area_min": area_min, "area_max": area_max, "invest_min": invest_min, "invest_max": invest_max}
    for lo, hi, what in RANGES:
        if numbers[lo] is not None and numbers[hi] is not None and numbers[lo] > numbers[hi]:
            msg = f"{what}下限 {numbers[lo]:g} 大于上限 {numbers[hi]:g}"
            raise Invalid(msg, errors=[{"field": lo, "message": msg}])
    return MapFilter(chain=keys["chain"], park=keys["park"], region=keys["region"], status=status,
                     standard_only=standard_only, **numbers)


def land_map(snap: Snapshot, *, limit: int = 2000, now: dt.datetime | None = None, **filters: Any) -> dict[str, Any]:
    """GET /land/map: the filtered parcels, their parks and regions as GeoJSON FeatureCollections."""
    return map_layers(land_data(snap), map_filter(snap, **filters), limit=limit, now=now)


def page_filter(snap: Snapshot, typed: dict[str, str | None], errors: list[str]) -> MapFilter:
    """The page's filters from the query string as typed: a bad value is added to `errors` and left out."""
    kw: dict[str, Any] = {"standard_only": (typed.get("standard") or "") in ("1", "on", "true", "yes")}
    for field in ("chain", "park", "region"):
        kw[field] = typed.get(field) or None
    kw["status"] = typed.get("status") or "all"
    for field in ("area_min", "area_max", "invest_min", "invest_max"):
        kw[field] = _number(typed.get(field), LABELS[field], errors)
    while True:
        try:
            return map_filter(snap, **kw)
        except Invalid as err:
            errors.append(err.message)
            field = (err.errors or [{}])[0].get("field")
            if field not in kw or kw[field] in (None, "all"):
                return MapFilter()
            kw[field] = "all" if field == "status" else None


def _number(text: str | None, label: str, errors: list[str]) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        v = float(text.strip())
    except ValueError:
        v = float("nan")
    if not (v >= 0 and v < float("inf")):
        errors.append(f"{label}应为非负数：{text}")
        return None
    return v
