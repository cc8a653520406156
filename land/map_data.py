"""土地超市 map data (一图): the parcels, parks and region outlines an officer sees on /pages/land/map, as GeoJSON
FeatureCollections — the same answer GET /api/v1/land/map gives.

Filters (`MapFilter`): 产业类型 (the chain a parcel's 产业准入 admits), 投资规模 (parcel area in 亩, and the total
investment its 投资强度 requirement asks = area × 投资强度, in 万元), park, region (with its sub-regions), status
(可供/已预留/已出让; an expired reservation counts as 可供) and 仅标准地. Each parcel carries its 标准地 indicators, its
colour by status and how many projects meet all its hard rules now (land.assignment.feasible_pairs, the matcher's
own rules; the ranked list with reasons is GET /api/v1/parcels/{key}/projects).

What is drawn from data and what is approximate: a parcel's point is its own coordinates (else its park's, else its
region's — `located` says which); a parcel none of these locates is not drawn but listed in the answer's
`unlocated`. Its square footprint of its area around that point is an approximation, and so is a park's outline
(the hull of its parcels' points, widened by 400 m: land.map_shapes; exterior rings counter-clockwise as RFC 7946
asks). Region outlines are the bundled administrative boundaries (land.outlines).

Read side: the snapshot's land arrays (land.data) only.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np

from graph.schema import LAND_USES
from land import outlines
from land.assignment import feasible_pairs
from land.data import LandData
from land.map_shapes import MU_M2, park_outline
from land.rules import LANDED_STAGES, STATUS_CN, now_seconds
from land.tables import LAND_USE_CODES

STATUS_KEYS = ("available", "reserved", "transferred")
STATUS_COLOURS = {"available": "#2e7d32", "reserved": "#e08a00", "transferred": "#8a8f98"}
MAP_STATUSES = ("all", *STATUS_KEYS)
APPROXIMATE = ("地块位置取自数据中的坐标；地块方块按面积示意，不是测绘红线。",
               "园区范围由其地块位置推算（外扩 400 米），仅为示意，不是规划红线。",
               "行政区轮廓为简化后的公开边界数据，仅供示意，不作为权属或界线依据。")


@dataclass(frozen=True)
class MapFilter:
    """The map's filters, as keys and numbers (names already resolved by the caller)."""

    chain: str | None = None
    park: str | None = None
    region: str | None = None
    status: str = "all"
    area_min: float | None = None
    area_max: float | None = None
    invest_min: float | None = None  # 万元: total investment the parcel's 投资强度 asks (area × 投资强度)
    invest_max: float | None = None
    standard_only: bool = False


def effective_status(data: LandData, now_s: float) -> np.ndarray:
    """0 可供 (incl. an expired reservation), 1 已预留, 2 已出让 — per parcel."""
    st = data.parcels.status.astype(np.int8).copy()
    st[data.parcels.available(now_s)] = 0
    return st


def required_investment(data: LandData) -> np.ndarray:
    """万元 a project must invest to meet the parcel's 投资强度 (area × 投资强度); 0 where nothing is required."""
    Q = data.parcels
    return np.where(np.isfinite(Q.req_invest), Q.area * np.maximum(Q.req_invest, 0.0), 0.0)


def select(data: LandData, f: MapFilter, now_s: float) -> np.ndarray:
    """Indices of the parcels passing the filters, by park name then key."""
    Q, ctx = data.parcels, data.ctx
    m = np.ones(len(Q), dtype=bool)
    if f.status != "all":
        m &= effective_status(data, now_s) == STATUS_KEYS.index(f.status)
    if f.chain:
        c = ctx.chains.code(f.chain)
        m &= Q.chain_any | (Q.chain_allowed[:, c] if c >= 0 else False)
    if f.park:
        m &= Q.park == ctx.parks.code(f.park)
    if f.region:
        r = ctx.regions.code(f.region)
        m &= (ctx.region_anc[Q.region] == r).any(axis=1) if r >= 0 else False
    req = required_investment(data)
    for values, lo, hi in ((Q.area, f.area_min, f.area_max), (req, f.invest_min, f.invest_max)):
        if lo is not None:
            m &= values >= lo
        if hi is not None:
            m &= values <= hi
    if f.standard_only:
        m &= Q.ready_std
    idx = np.nonzero(m)[0]
    return idx[np.lexsort((Q.keys[idx], ctx.park_names[Q.park[idx]]))]


def feasible_counts(data: LandData, rows: np.ndarray, now: dt.datetime | None = None) -> np.ndarray:
    """Per parcel (len(Q)): how many projects not yet on their land meet all its hard rules."""
    P = data.projects
    projects = np.nonzero(~np.isin(P.stage, LANDED_STAGES))[0] if len(P) else np.zeros(0, np.int64)
    if not len(rows) or not len(projects):
        return np.zeros(len(data.parcels), dtype=np.int64)
    _, cols = feasible_pairs(data, projects, rows, now=now)
    return np.bincount(cols, minlength=len(data.parcels))


def _num(x: float) -> float | None:
    x = float(x)
    return round(x, 4) if math.isfinite(x) else None


def _located(data: LandData, j: int) -> str | None:
    """Whose coordinates place the parcel: its own, its park's, its region's — None when nothing does."""
    Q, ctx = data.parcels, data.ctx
    if not (math.isfinite(float(Q.lat[j])) and math.isfinite(float(Q.lon[j]))):
        return None
    if math.isfinite(float(Q.num["lat"][j])) and math.isfinite(float(Q.num["lon"][j])):
        return "parcel"
    pk = int(Q.park[j])
    return "park" if pk >= 0 and math.isfinite(float(ctx.park_lat[pk])) else "region"


def _chains(data: LandData, j: int) -> list[str]:
    Q, ctx = data.parcels, data.ctx
    return [] if Q.chain_any[j] else [ctx.chain_name(int(c)) for c in np.nonzero(Q.chain_allowed[j, :-1])[0]]


def _match_link(data: LandData, j: int) -> str:
    """项目找地 asked for this parcel's park, area and (when it admits one chain) chain."""
    Q, ctx = data.parcels, data.ctx
    pk = int(Q.park[j])
    q = {"park": str(ctx.parks.keys[pk]) if pk >= 0 else "", "area": f"{float(Q.area[j]):g}"}
    admitted = np.nonzero(Q.chain_allowed[j, :-1])[0]
    if not Q.chain_any[j] and len(admitted):
        q["chain"] = str(ctx.chains.keys[int(admitted[0])])
    return "/pages/land/match?" + urlencode({k: v for k, v in q.items() if v})


def parcel_properties(data: LandData, j: int, status: int, feasible: int) -> dict[str, Any]:
    """One parcel as the map shows it: who it is, its status and colour, its 标准地 indicators and links."""
    Q, ctx = data.parcels, data.ctx
    key, lu = str(Q.keys[j]), (LAND_USE_CODES[int(Q.land_use[j])] if int(Q.land_use[j]) >= 0 else "")
    pk, st = int(Q.park[j]), STATUS_KEYS[status]
    num = Q.num
    deliver = float(Q.deliverable[j])
    return {
        "key": key, "name": str(Q.names[j]),
        "park": str(ctx.parks.keys[pk]) if pk >= 0 else None, "park_name": ctx.park_name(pk) or None,
        "region": str(ctx.regions.keys[int(Q.region[j])]) if int(Q.region[j]) >= 0 else None,
        "region_name": ctx.region_name(int(Q.region[j])) or None,
        "status": st, "status_label": STATUS_CN[st], "colour": STATUS_COLOURS[st],
        "area_mu": _num(Q.area[j]), "land_use": lu or None, "land_use_name": LAND_USES.get(lu) if lu else None,
        "far_min": _num(num["far_min"][j]), "far_max": _num(num["far_max"][j]),
        "invest_intensity_wan_per_mu": _num(num["min_invest_intensity_wan_per_mu"][j]),
        "tax_wan_per_mu": _num(num["min_tax_wan_per_mu"][j]), "output_wan_per_mu": _num(num["min_output_wan_per_mu"][j]),
        "energy_tce_per_wan": _num(num["max_energy_tce_per_wan"][j]),
        "required_investment_wan": _num(required_investment(data)[j]),
        "price_wan_per_mu": _num(num["price_wan_per_mu"][j]),
        "deliverable_on": dt.date.fromordinal(int(deliver)).isoformat() if math.isfinite(deliver) else None,
        "allowed_chains": _chains(data, j), "chains_unrestricted": bool(Q.chain_any[j]),
        "readiness": str(Q.readiness[j]) or None, "standard": bool(Q.ready_std[j]),
        "feasible_projects": int(feasible), "located": _located(data, j),
        "side_m": _num(math.sqrt(max(float(Q.area[j]), 0.0) * MU_M2)),
        "url": "/pages/land?" + urlencode({"parcel": key}), "match_url": _match_link(data, j),
        "projects_api": f"/api/v1/parcels/{quote(key, safe='')}/projects?limit=5&infeasible_limit=0",
    }


def has_point(data: LandData, rows: np.ndarray) -> np.ndarray:
    """Per row: the parcel has a point on the map (its own coordinates, else its park's, else its region's)."""
    Q = data.parcels
    return np.isfinite(Q.lat[rows]) & np.isfinite(Q.lon[rows])


def parcel_collection(data: LandData, rows: np.ndarray, st: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """The parcels with coordinates as GeoJSON points (lon, lat), properties as parcel_properties (`st`: every
    parcel's effective_status)."""
    Q = data.parcels
    feats = [{"type": "Feature", "id": str(Q.keys[j]),
              "geometry": {"type": "Point", "coordinates": [round(float(Q.lon[j]), 6), round(float(Q.lat[j]), 6)]},
              "properties": parcel_properties(data, int(j), int(st[j]), int(counts[j]))}
             for j in rows[has_point(data, rows)].tolist()]
    return {"type": "FeatureCollection", "features": feats}


def unlocated_parcels(data: LandData, rows: np.ndarray, st: np.ndarray, counts: np.ndarray) -> list[dict[str, Any]]:
    """The parcels nothing locates (no coordinates of their own, their park's or their region's): not drawn, but
    listed — each as parcel_properties, `located` None — so the page's table and API clients still see them."""
    return [parcel_properties(data, int(j), int(st[j]), int(counts[j])) for j in rows[~has_point(data, rows)].tolist()]


def park_collection(data: LandData, parks: list[int]) -> dict[str, Any]:
    """The parks' approximate outlines (from all their parcels, whatever the filter) with name and link."""
    Q, ctx = data.parcels, data.ctx
    feats = []
    for p in parks:
        mine = (Q.park == p) & np.isfinite(Q.lat) & np.isfinite(Q.lon)
        geom = park_outline(float(ctx.park_lat[p]), float(ctx.park_lon[p]), Q.lat[mine], Q.lon[mine])
        if geom is None:
            continue
        key = str(ctx.parks.keys[p])
        feats.append({"type": "Feature", "id": key, "geometry": geom, "properties": {
            "key": key, "name": ctx.park_name(p), "parcels": int((Q.park == p).sum()), "approximate": True,
            "url": f"/pages/parks/{quote(key, safe='')}",
            "map_url": "/pages/land/map?" + urlencode({"park": key})}})
    return {"type": "FeatureCollection", "features": feats}


def region_collection(data: LandData, codes: set[int]) -> dict[str, Any]:
    """The outlines around what is shown: each region's city, the city's counties, and the regions themselves."""
    ctx = data.ctx
    keys: list[str] = []
    for r in sorted(codes):
        city = int(ctx.region_city[r])
        for code in (city, r):
            if code >= 0:
                k = str(ctx.regions.keys[code])
                keys += [k, *outlines.children(k)]
    ordered = sorted(dict.fromkeys(keys), key=lambda k: (k[-2:] != "00", k))  # cities under their counties
    return {"type": "FeatureCollection", "features": outlines.features(ordered)}


def _bbox(*collections: dict[str, Any]) -> list[float] | None:
    pts = [c for fc in collections for f in fc["features"] for c in _coords(f["geometry"])]
    if not pts:
        return None
    a = np.asarray(pts, dtype=float)
    return [round(float(a[:, 0].min()), 5), round(float(a[:, 1].min()), 5),
            round(float(a[:, 0].max()), 5), round(float(a[:, 1].max()), 5)]


def _coords(geom: dict[str, Any]) -> list[list[float]]:
    c = geom["coordinates"]
    depth = {"Point": 0, "Polygon": 1, "MultiPolygon": 2}[geom["type"]]
    for _ in range(depth):
        c = [x for part in c for x in part]
    return [c] if depth == 0 else c


def map_layers(data: LandData, f: MapFilter, *, limit: int = 2000, now: dt.datetime | None = None) -> dict[str, Any]:
    """The whole map answer: parcels (at most `limit`: those with a point as GeoJSON, the others in `unlocated`),
    their parks and the regions around them, legend, counts."""
    Q, ctx = data.parcels, data.ctx
    now_s = now_seconds(now)
    matched = select(data, f, now_s)
    rows = matched[:limit]
    counts = feasible_counts(data, rows, now)
    status = effective_status(data, now_s)
    parcels = parcel_collection(data, rows, status, counts)
    unlocated = unlocated_parcels(data, rows, status, counts)
    park_codes = sorted({int(p) for p in Q.park[rows].tolist() if p >= 0}
                        | ({ctx.parks.code(f.park)} - {-1} if f.park else set()))
    parks = park_collection(data, park_codes)
    region_codes = {int(r) for r in Q.region[rows].tolist() if r >= 0} | {int(ctx.park_region[p]) for p in park_codes
                                                                          if int(ctx.park_region[p]) >= 0}
    if f.region and ctx.regions.code(f.region) >= 0:
        region_codes.add(ctx.regions.code(f.region))
    regions = region_collection(data, region_codes)
    st = status[rows]
    asked = {"type": "FeatureCollection", "features": outlines.features([f.region] if f.region else [])}
    return {
        "parcels": parcels, "unlocated": unlocated, "parks": parks, "regions": regions,
        "bbox": _bbox(parcels, parks, asked) or _bbox(regions),  # what is shown (and the region asked for)
        "filters": asdict(f),
        "counts": {"matched": int(len(matched)), "shown": int(len(rows)), "truncated": bool(len(matched) > limit),
                   "without_coordinates": len(unlocated),
                   "by_status": {k: int((st == i).sum()) for i, k in enumerate(STATUS_KEYS)}},
        "legend": {"status": [{"status": k, "label": STATUS_CN[k], "colour": STATUS_COLOURS[k]} for k in STATUS_KEYS],
                   "approximate": list(APPROXIMATE), "outlines_source": outlines.source()},
    }
