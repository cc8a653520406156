"""/pages/land/map's form and table (land.map_page) and the parcels without coordinates in GET /api/v1/land/map, on
both backends (api_env), on the seeded demo data plus: a park without parcels, a city without coordinates holding
one parcel outside any park (so nothing locates it), and a park of 105 more parcels (306 in all — more than the
page's table lists).

The form shows the filter the map RESOLVED (a park, region or chain typed by name is selected by its key; a park or
region without parcels is an option of its own), so pressing 筛选 again keeps it; the table lists every parcel the
summary counts — those without coordinates first, marked — and a cut table says how many it leaves out and links
to the 土地超市 listing."""
from __future__ import annotations

import html as htmllib
import json
import re

import pytest

from factories import AppData, seeded, text_of
from graph.schema import LandParcel, Park, Region
from graph.writer import write_objects
from land.map_page import TABLE_ROWS

EMPTY_PARK = "kongbai_park"
NO_COORD_REGION = "339900"
BULK = 105


def _extra() -> list:
    objs = [Park(key=EMPTY_PARK, name="衢州空白测试园（合成）", region="330800", lat=28.99, lon=118.90, synthetic=True),
            Region(key=NO_COORD_REGION, name="无坐标测试市", level="city"),
            LandParcel(key="nocoord-1", name="无坐标测试地块（合成）", region=NO_COORD_REGION, area_mu=40,
                       synthetic=True),
            Park(key="bulk_park", name="批量测试园（合成）", region="330800", lat=28.90, lon=118.80, synthetic=True)]
    objs += [LandParcel(key=f"bulk-{i:03d}", name=f"批量测试地块{i:03d}（合成）", park="bulk_park", region="330800",
                        area_mu=30 + i % 50, lat=28.90 + (i % 10) * 0.002, lon=118.80 + (i // 10) * 0.002,
                        synthetic=True) for i in range(BULK)]
    return objs


@pytest.fixture(scope="module")
def app_data():
    base = seeded(scale=200, seed=7)

    def fill(store):
        base.fill(store)
        write_objects(store, _extra())

    return AppData(fill, base.park, base.settings)


def _page(api_env, **params) -> str:
    r = api_env.client.get("/pages/land/map", params=params)
    assert r.status_code == 200, r.text[:300]
    return r.text


def _selected(html: str, name: str) -> list[str]:
    select = re.search(rf"<select name='{name}'[^>]*>(.*?)</select>", html, re.S).group(1)
    return [htmllib.unescape(v) for v in re.findall(r"<option value='([^']*)' selected>", select)]


def _option_label(html: str, name: str, value: str) -> str | None:
    select = re.search(rf"<select name='{name}'[^>]*>(.*?)</select>", html, re.S).group(1)
    m = re.search(rf"<option value='{re.escape(value)}'[^>]*>([^<]*)</option>", select)
    return htmllib.unescape(m.group(1)) if m else None


def _form(html: str) -> dict[str, str]:
    """What the browser would send on 筛选 as the page stands: selected options, typed boxes, the ticked box."""
    form = re.search(r"<form class='filters'[^>]*id='lm-filters'>(.*?)</form>", html, re.S).group(1)
    out = {}
    for name in re.findall(r"<select name='([^']+)'", form):
        sel = _selected(form, name)
        first = re.search(rf"<select name='{name}'[^>]*><option value='([^']*)'", form).group(1)
        out[name] = sel[0] if sel else htmllib.unescape(first)
    for name, value in re.findall(r"<input name='([^']+)'[^>]*value='([^']*)'", form):
        out[name] = htmllib.unescape(value)
    if re.search(r"name='standard' value='1' checked", form):
        out["standard"] = "1"
    return out


def _data(html: str) -> dict:
    return json.loads(re.search(r"id='land-map-data'>(.*?)</script>", html, re.S).group(1))


def _table_keys(html: str) -> list[str]:
    table = re.search(r"<table id='lm-table'>(.*?)</table>", html, re.S).group(1)
    return re.findall(r"<a href='/pages/land\?parcel=([^']+)'>", table)


@pytest.mark.parametrize("field,typed,key", [("park", "智造新城", "quzhou_zhizao"), ("region", "衢州", "330800"),
                                             ("chain", "芯片", "ic"), ("park", "衢州智造新城", "quzhou_zhizao")])
def test_the_form_selects_a_filter_given_by_name(api_env, field, typed, key):
    html = _page(api_env, **{field: typed})
    assert _data(html)["filters"][field] == key
    assert _selected(html, field) == [key]


def test_a_filter_given_by_name_survives_pressing_the_button(api_env):
    first = _page(api_env, park="智造新城", region="衢州", chain="芯片", area_min="20")
    sent = _form(first) | {"status": "available"}  # the officer changes 状态 and presses 筛选
    assert sent["park"] == "quzhou_zhizao" and sent["region"] == "330800" and sent["chain"] == "ic"
    again = _data(_page(api_env, **sent))
    assert again["filters"] == {**_data(first)["filters"], "status": "available"}
    assert 0 < again["counts"]["matched"] < _data(first)["counts"]["matched"]


@pytest.mark.parametrize("typed", [EMPTY_PARK, "衢州空白测试园（合成）"])
def test_a_park_without_parcels_is_an_option_and_stays_selected(api_env, typed):
    html = _page(api_env, park=typed)  # the park page's "在地图上查看本园区地块"
    assert _selected(html, "park") == [EMPTY_PARK]
    assert "衢州空白测试园（合成）" in _option_label(html, "park", EMPTY_PARK)
    assert "共 0 块地块" in text_of(html) and "没有符合条件的地块" in html
    assert _option_label(_page(api_env), "park", EMPTY_PARK) is None  # not offered when not asked for
    resent = _data(_page(api_env, **(_form(html) | {"status": "reserved"})))
    assert resent["filters"]["park"] == EMPTY_PARK and resent["counts"]["matched"] == 0


def test_a_region_without_parcels_is_an_option_and_stays_selected(api_env):
    html = _page(api_env, region="石家庄市")
    assert _selected(html, "region") == ["130100"] and _option_label(html, "region", "130100").startswith("石家庄市")
    assert _data(_page(api_env, **_form(html)))["filters"]["region"] == "130100"


def test_a_dropped_filter_is_not_selected(api_env):
    html = _page(api_env, park="火星园区", status="sold")
    assert "未知园区" in html and _selected(html, "park") == [] and _selected(html, "status") == ["all"]


def test_parcels_without_coordinates_are_in_the_answer_and_the_table(api_env):
    body = api_env.client.get("/api/v1/land/map", params={"region": NO_COORD_REGION}).json()
    assert body["parcels"]["features"] == [] and body["counts"]["without_coordinates"] == 1
    assert [p["key"] for p in body["unlocated"]] == ["nocoord-1"]
    one = body["unlocated"][0]
    assert one["name"] == "无坐标测试地块（合成）" and one["located"] is None and one["region_name"] == "无坐标测试市"
    assert one["area_mu"] == 40 and one["url"] == "/pages/land?parcel=nocoord-1"
    html = _page(api_env, region=NO_COORD_REGION)
    assert "1 块没有坐标" in text_of(html)
    assert _table_keys(html) == ["nocoord-1"] and "没有符合条件的地块" not in html
    row = re.search(r"<tr class='lm-unlocated'><td><a href='/pages/land\?parcel=nocoord-1'>(.*?)</tr>", html, re.S)
    assert row and "无坐标" in row.group(1)


def test_the_whole_answer_lists_every_parcel_once(api_env):
    body = api_env.client.get("/api/v1/land/map").json()
    keys = [f["id"] for f in body["parcels"]["features"]] + [p["key"] for p in body["unlocated"]]
    assert len(keys) == len(set(keys)) == body["counts"]["shown"] == body["counts"]["matched"] == 200 + 1 + BULK
    assert body["counts"]["without_coordinates"] == len(body["unlocated"]) == 1


def test_a_cut_table_says_what_it_leaves_out_and_links_to_the_listing(api_env):
    html = _page(api_env)
    keys = _table_keys(html)
    matched = 200 + 1 + BULK
    assert len(keys) == TABLE_ROWS < matched and keys[0] == "nocoord-1"  # the parcel not on the map comes first
    note = re.search(r"<p id='lm-table-more'[^>]*>(.*?)</p>", html, re.S)
    assert note, "the cut table says so"
    assert f"另有 {matched - TABLE_ROWS} 块未列出" in text_of(note.group(0))
    href = htmllib.unescape(re.search(r"href='([^']+)'", note.group(1)).group(1))
    assert href.startswith("/pages/land?") and "status=all" in href
    listing = api_env.client.get(href).text
    assert f"共 <b>{matched}</b> 块地块" in listing
    # filtered the same way: the listing link carries the map's filters
    cut = _page(api_env, park="批量测试园（合成）", area_max="1000")
    assert len(_table_keys(cut)) == BULK and "lm-table-more" not in cut


@pytest.mark.parametrize("path", ["/pages/land", "/pages/land/match"])
def test_the_listing_and_match_forms_keep_a_park_without_parcels_too(api_env, path):
    r = api_env.client.get(path, params={"park": "衢州空白测试园（合成）"})
    assert r.status_code == 200, r.text[:300]
    selects = re.findall(r"<select name='park'[^>]*>(.*?)</select>", r.text, re.S)  # /pages/land: 项目找地, then the list
    asked = [sel for sel in selects if f"<option value='{EMPTY_PARK}' selected>" in sel]
    assert len(asked) == 1 and "衢州空白测试园（合成）（暂无地块）" in htmllib.unescape(asked[0])
