"""Import values: encodings, units, separators, entities, Chinese headers — a cell reads the same from any file."""
from __future__ import annotations

from io_helpers import *  # noqa: F401,F403  (the store fixture, put, fails and the names the tests use)


# ---------------------------------------------------------------------------------------------- values
def test_gbk_file_imports_with_chinese_intact(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"统一社会信用代码,企业名称,所在地区\n{USCC_A},衢州甲材料有限公司,330800\n", "gbk")
    report = import_path(store, f, progress=False)
    assert store.get("Enterprise", USCC_A)["name"] == "衢州甲材料有限公司"
    assert any("GBK" in n for n in report.notes)
    assert "GBK" in str(report)


def test_html_entities_are_unescaped(store, tmp_path):
    f = put(tmp_path / "enterprises.csv",
            f"key,name,business_scope\n{USCC_A},甲&amp;乙&#x4E2D;芯 &quot;科技&quot;,封装&amp;amp;测试\n")
    import_path(store, f, progress=False)
    node = store.get("Enterprise", USCC_A)
    assert node["name"] == '甲&乙中芯 "科技"'
    assert node["business_scope"] == "封装&测试"


def test_numbers_with_units_and_separators(store, tmp_path):
    f = put(tmp_path / "enterprises.csv",
            "key,name,revenue_wan,registered_capital_wan,employees,recent_financing_wan,capacity_growth\n"
            f'{USCC_A},甲,"1,200",300万元,"1,200人",1.2亿,35%\n'
            f"{USCC_B},乙,１２，３００,1.2亿元,８０,500千元,0.1\n")
    import_path(store, f, progress=False)
    a, b = store.get("Enterprise", USCC_A), store.get("Enterprise", USCC_B)
    assert (a["revenue_wan"], a["registered_capital_wan"], a["employees"], a["recent_financing_wan"]) == (1200, 300, 1200, 12000)
    assert a["capacity_growth"] == pytest.approx(0.35)
    assert (b["revenue_wan"], b["registered_capital_wan"], b["employees"], b["recent_financing_wan"]) == (12300, 12000, 80, 50)


def test_parcel_units_and_hectares_are_explained(store, tmp_path):
    f = put(tmp_path / "parcels.csv",
            "key,name,region,park,area_mu,price_wan_per_mu,density_max,land_use,readiness,status\n"
            "p1,北区地块,330800,qz-zz,120亩,25 万元/亩,65%,工业用地,七通一平；标准地,可供地\n"
            "p2,南区地块,330800,qz-zz,5公顷,30,35,0601,标准地|五通一平,已出让\n")
    report = import_path(store, f, progress=False)
    p1, p2 = store.get("LandParcel", "p1"), store.get("LandParcel", "p2")
    assert (p1["area_mu"], p1["price_wan_per_mu"], p1["density_max"]) == (120, 25, 65)
    assert p1["land_use"] == "0601" and p1["readiness"] == ["七通一平", "标准地"] and p1["status"] == "available"
    assert p2["area_mu"] == 75 and p2["status"] == "transferred" and p2["readiness"] == ["标准地", "五通一平"]
    assert any("公顷" in n and "第3行" in n for n in report.notes)
    # the park reference became a relation
    assert [n.key for n in store.neighbours("LandParcel", "p1", rel_type="HAS_PARCEL")] == ["qz-zz"]


def test_chinese_headers_with_units(store, tmp_path):
    f = put(tmp_path / "企业.csv",
            "统一社会信用代码,企业名称,所在地区,营业收入(万元),注册资本（元）,成立日期,标签\n"
            f"{USCC_A},甲,330800,5000,\"3,000,000\",2015/6/1,专精特新、高新技术\n")
    report = import_path(store, f, progress=False)
    e = store.get("Enterprise", USCC_A)
    assert (e["uscc"], e["region"], e["revenue_wan"], e["registered_capital_wan"]) == (USCC_A, "330800", 5000, 300)
    assert e["founded"] == "2015-06-01" and e["tags"] == ["专精特新", "高新技术"]
    assert report.files[0]["kind"].startswith("Enterprise")


def test_title_row_above_header_is_skipped(store, tmp_path):
    f = put(tmp_path / "regions.csv", "衢州市行政区清单,,\nkey,name,level\n330802,柯城区,county\n")
    import_path(store, f, progress=False)
    assert store.get("Region", "330802")["level"] == "county"


def test_parse_number_unit_rules():
    assert parse_number("1.2亿", "money") == (12000, None)
    assert parse_number("2000平方米", "area")[0] == 3
    assert parse_number("35%", "pct")[0] == 35
    with pytest.raises(ValueError, match="应为数字"):
        parse_number("1,2,3", "plain")
    with pytest.raises(ValueError, match="应为整数"):
        parse_number("1.5", "count", integer=True)
