"""Approximate shapes the 土地超市 map draws where the data has only points: a park's outline from its parcels.

ChainMatch keeps a park's and a parcel's coordinates, not their surveyed outlines, so the map says what it draws:
a park is the convex hull of its own point and its parcels' points, widened by PARK_MARGIN_KM (and at least a circle
of PARK_RADIUS_KM around the park's point when its parcels are few or close together); the map script draws a parcel as a square of
its area around its point (side_m = √(area × MU_M2)). Computed in a local kilometre plane (equirectangular at the
park's latitude), which is exact enough at park scale. The polygon goes out wound as RFC 7946 asks (exterior
counter-clockwise).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

MU_M2 = 10000.0 / 15.0  # 1 亩 in m²
PARK_MARGIN_KM = 0.4
PARK_RADIUS_KM = 1.5
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320


def park_outline(lat: float, lon: float, parcel_lat: np.ndarray, parcel_lon: np.ndarray) -> dict[str, Any] | None:
    """GeoJSON polygon (lon/lat, 5 decimals) around a park's point and its parcels' points; None with no point."""
    lats = np.concatenate([[lat], parcel_lat]).astype(float)
    lons = np.concatenate([[lon], parcel_lon]).astype(float)
    ok = np.isfinite(lats) & np.isfinite(lons)
    if not ok.any():
        return None
    lats, lons = lats[ok], lons[ok]
    lat0, lon0 = float(lats[0]), float(lons[0])
    kx = KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    pts = shapely.multipoints(np.column_stack([(lons - lon0) * kx, (lats - lat0) * KM_PER_DEG_LAT]))
    hull = shapely.convex_hull(pts)
    shape = hull.buffer(PARK_MARGIN_KM)
    if shape.area < math.pi * PARK_RADIUS_KM ** 2 / 2:  # too few or too close parcels: at least a small circle
        shape = shape.union(shapely.Point(0, 0).buffer(PARK_RADIUS_KM))
    back = shapely.transform(shape, lambda xy: np.column_stack([xy[:, 0] / kx + lon0, xy[:, 1] / KM_PER_DEG_LAT + lat0]))
    # RFC 7946 §3.1.6: exterior ring counter-clockwise (shapely's buffer/union do not promise an orientation)
    return mapping(shapely.orient_polygons(shapely.set_precision(back, 1e-5)))
