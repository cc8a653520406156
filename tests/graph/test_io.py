"""Import / export: every bad-input case names file, row and column and writes nothing; good files import
once (re-import changes nothing); CSV/XLSX/JSON and the dataset interchange format; export round-trips."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import USCC_A, USCC_B, USCC_C, tiny_graph_objects, tiny_graph_relations
from graph.io import (
    ImportReport,
    export_store,
    import_path,
    parse_number,
    read_interchange,
)
from graph.schema import IndustryChain, Park, Region, Segment
from graph.sqlite_store import SQLiteStore
from graph.writer import ValidationFailed, write_objects

BAD_USCC = USCC_A[:-1] + "C"


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "t.db")
    write_objects(s, [
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.pkg", name="封测", chain="ic", stream="中游"),
        Region(key="330000", name="浙江省", level="province"),
        Region(key="330800", name="衢州市", level="city", parent="330000"),
        Region(key="440300", name="深圳市", level="city"),
        Park(key="qz-zz", name="衢州智造新城", region="330800", leading_chains=["ic"]),
    ])
    yield s
    s.close()


def put(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def fails(store, path, *, file: str, row: int | None, field: str | None, says: str):
    """Import must fail with a problem at (file, row, field) whose message contains `says`; nothing written."""
    before, version = store.counts(), store.version()
    with pytest.raises(ValidationFailed) as e:
        import_path(store, path, progress=False)
    probs = e.value.problems
    hit = [p for p in probs if (p.file, p.row, p.field) == (file, row, field) and says in p.message]
    assert hit, f"no problem at {(file, row, field)} saying {says!r}; got:\n" + "\n".join(map(str, probs))
    assert store.counts() == before and store.version() == version
    assert "未写入任何数据" in str(e.value)
    return probs


# ---------------------------------------------------------------------------------------------- bad input
def test_unknown_column_is_named(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,colour\n{USCC_A},甲,red\n")
    fails(store, f, file="enterprises.csv", row=1, field="colour", says="未知列")


def test_missing_required_column_is_one_problem(store, tmp_path):
    f = put(tmp_path / "segments.csv", "key,name,stream\nic.x,新环节,上游\nic.y,另一个,下游\n")
    probs = fails(store, f, file="segments.csv", row=1, field="chain", says="缺少必需列")
    assert len(probs) == 1


def test_missing_required_value_names_row_and_field(store, tmp_path):
    f = put(tmp_path / "segments.csv", "key,name,chain\nic.x,新环节,ic\nic.y,另一个,\n")
    fails(store, f, file="segments.csv", row=3, field="chain", says="缺少必填值")


def test_bad_uscc_check_digit(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,uscc\ne1,甲,{USCC_B}\ne2,乙,{BAD_USCC}\n")
    fails(store, f, file="enterprises.csv", row=3, field="uscc", says="校验位")


def test_bad_uscc_as_key_under_chinese_header(store, tmp_path):
    f = put(tmp_path / "企业.csv", f"统一社会信用代码,企业名称\n{USCC_B},乙\n{BAD_USCC},甲\n")
    fails(store, f, file="企业.csv", row=3, field="统一社会信用代码", says="校验位")


def test_duplicate_key_inside_a_file(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name\n{USCC_A},甲\n{USCC_B},乙\n{USCC_A},甲二\n")
    probs = fails(store, f, file="enterprises.csv", row=4, field="key", says="重复的键")
    assert "第2行" in probs[0].message


def test_duplicate_relation_inside_a_file(store, tmp_path):
    write_objects(store, [])
    put(tmp_path / "e" / "enterprises.csv", f"key,name\n{USCC_A},甲\n{USCC_B},乙\n")
    import_path(store, tmp_path / "e", progress=False)
    f = put(tmp_path / "rel_SUPPLIES.csv", f"src,dst,share\n{USCC_A},{USCC_B},0.2\n{USCC_A},{USCC_B},0.3\n")
    fails(store, f, file="rel_SUPPLIES.csv", row=3, field="src", says="重复的关系")


def test_reference_to_unknown_node(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,region\n{USCC_A},甲,330800\n{USCC_B},乙,999999\n")
    fails(store, f, file="enterprises.csv", row=3, field="region", says="不存在的行政区 '999999'")


def test_relation_file_names_the_end_that_is_unknown(store, tmp_path):
    put(tmp_path / "e" / "enterprises.csv", f"key,name\n{USCC_A},甲\n")
    import_path(store, tmp_path / "e", progress=False)
    f = put(tmp_path / "rel_IN_SEGMENT.csv", f"src,dst,weight\n{USCC_A},ic.pkg,1\n{USCC_A},ic.nowhere,1\n{USCC_C},ic.pkg,1\n")
    probs = fails(store, f, file="rel_IN_SEGMENT.csv", row=3, field="dst", says="ic.nowhere")
    assert any((p.row, p.field) == (4, "src") and USCC_C in p.message for p in probs)


def test_reference_under_chinese_header_names_that_header(store, tmp_path):
    f = put(tmp_path / "企业.csv", f"统一社会信用代码,名称,所在地区\n{USCC_A},甲,火星\n")
    fails(store, f, file="企业.csv", row=2, field="所在地区", says="火星")


def test_empty_file_zero_bytes(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", "")
    fails(store, f, file="enterprises.csv", row=None, field=None, says="文件为空")


def test_an_empty_file_fails_and_a_header_only_file_is_zero_rows(store, tmp_path):
    f = put(tmp_path / "empty" / "enterprises.csv", "\n\n")
    fails(store, f, file="enterprises.csv", row=None, field=None, says="文件为空")
    version = store.version()
    report = import_path(store, put(tmp_path / "enterprises.csv", "key,name\n\n"), progress=False)
    assert store.version() == version and any("只有表头" in n for n in report.notes)
    # the header is still checked
    fails(store, put(tmp_path / "bad" / "enterprises.csv", "key,nmae\n"), file="enterprises.csv", row=1,
          field="nmae", says="未知列")


def test_unparseable_number(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,revenue_wan\n{USCC_A},甲,很多\n")
    fails(store, f, file="enterprises.csv", row=2, field="revenue_wan", says="应为数字")


def test_unit_that_contradicts_the_field(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,registered_capital_wan\n{USCC_A},甲,300元\n")
    probs = fails(store, f, file="enterprises.csv", row=2, field="registered_capital_wan", says="万元")
    assert "300元" in probs[0].message


def test_header_unit_that_contradicts_the_field(store, tmp_path):
    f = put(tmp_path / "parcels.csv", "key,name,region,面积(吨)\np1,地块,330800,12\n")
    fails(store, f, file="parcels.csv", row=1, field="面积(吨)", says="单位")


def test_neither_utf8_nor_gbk(store, tmp_path):
    f = tmp_path / "enterprises.csv"
    f.write_bytes(b"key,name\ne1,\x80\xff\xfe\n")
    fails(store, f, file="enterprises.csv", row=None, field=None, says="既不是 UTF-8 也不是 GBK")


def test_utf8_file_with_a_broken_byte_is_not_read_as_gbk(store, tmp_path):
    good = "".join(f"e{i},企业名称{i}\n" for i in range(30))
    f = tmp_path / "enterprises.csv"
    f.write_bytes(("key,name\n" + good).encode() + b"e99,\xe4\xb8\n")
    fails(store, f, file="enterprises.csv", row=None, field=None, says="第32行")


def test_bad_value_in_choice_field(store, tmp_path):
    f = put(tmp_path / "regions.csv", "key,name,level\n330100,杭州市,metropolis\n")
    fails(store, f, file="regions.csv", row=2, field="level", says="不在允许范围内")


def test_unknown_file_kind(store, tmp_path):
    f = put(tmp_path / "stuff.csv", "key,name\na,b\n")
    fails(store, f, file="stuff.csv", row=None, field=None, says="无法从文件名")


def test_all_problems_of_a_file_are_reported_together(store, tmp_path):
    f = put(tmp_path / "enterprises.csv",
            f"key,name,uscc,revenue_wan,region\ne1,甲,{BAD_USCC},1,330800\ne2,,,x,330800\ne3,丙,,1,000000\n")
    probs = fails(store, f, file="enterprises.csv", row=2, field="uscc", says="校验位")
    where = {(p.row, p.field) for p in probs}
    assert {(3, "name"), (3, "revenue_wan"), (4, "region")} <= where


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


# ---------------------------------------------------------------------------------------------- behaviour
def test_reimport_changes_nothing(store, tmp_path):
    f = put(tmp_path / "enterprises.csv",
            f"key,name,region,tags\n{USCC_A},甲,330800,专精特新\n{USCC_B},乙,440300,上市;链主\n")
    first = import_path(store, f, progress=False)
    assert (first.nodes_written, first.rels_written) == (2, 2)
    version = store.version()
    again = import_path(store, f, progress=False)
    assert (again.nodes_written, again.rels_written, again.deleted) == (0, 0, 0)
    assert again.files[0]["nodes_written"] == again.files[0]["rels_written"] == 0
    assert store.version() == version
    assert "没有变化" in str(again)


def test_source_is_the_file_and_audit_is_written(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,region\n{USCC_A},甲,330800\n")
    import_path(store, f, actor="alice", progress=False)
    assert store.get("Enterprise", USCC_A)["source"] == "enterprises.csv"
    rel = next(r for r in store.iter_relations("LOCATED_IN") if r.src_key == USCC_A)
    assert rel.props["source"] == "enterprises.csv"
    log = store.list_audit(actor="alice")
    assert log[0]["action"] == "import" and log[0]["after"] == {"rows": 1} and log[0]["target"] == str(f)


def test_changed_reference_moves_the_relation(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,region\n{USCC_A},甲,330800\n")
    import_path(store, f, progress=False)
    put(f, f"key,name,region\n{USCC_A},甲,440300\n")
    report = import_path(store, f, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", USCC_A, rel_type="LOCATED_IN")] == ["440300"]
    assert report.deleted == 1


def test_absent_columns_keep_stored_values_empty_cells_clear(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,region,revenue_wan,patents\n{USCC_A},甲,330800,5000,12\n")
    import_path(store, f, progress=False)
    put(f, f"key,name,patents\n{USCC_A},甲（更名）,\n")
    import_path(store, f, progress=False)
    e = store.get("Enterprise", USCC_A)
    assert e["name"] == "甲（更名）" and e["revenue_wan"] == 5000 and e["region"] == "330800"
    assert "patents" not in e


def test_relation_file_with_label_columns(store, tmp_path):
    put(tmp_path / "e" / "enterprises.csv", f"key,name\n{USCC_A},甲\n")
    import_path(store, tmp_path / "e", progress=False)
    f = put(tmp_path / "rel_LOCATED_IN.csv", f"起点类别,起点,终点类别,终点\n企业,{USCC_A},Park,qz-zz\n")
    import_path(store, f, progress=False)
    assert [(n.label, n.key) for n in store.neighbours("Enterprise", USCC_A, rel_type="LOCATED_IN")] == [("Park", "qz-zz")]
    bad = put(tmp_path / "rel_LOCATED_IN.csv", f"src,dst_label,dst\n{USCC_A},Park,qz-zz\n")
    fails(store, bad, file="rel_LOCATED_IN.csv", row=1, field="src_label", says="缺少必需列")


def test_cycle_in_upstream_links_is_refused(store, tmp_path):
    put(tmp_path / "d" / "segments.csv", "key,name,chain\na,甲,ic\nb,乙,ic\n")
    put(tmp_path / "d" / "rel_UPSTREAM_OF.csv", "src,dst\na,b\nb,a\n")
    before = store.counts()
    with pytest.raises(ValidationFailed) as e:
        import_path(store, tmp_path / "d", progress=False)
    assert "环路" in str(e.value) and e.value.problems[0].file == "rel_UPSTREAM_OF.csv"
    assert store.counts() == before


def test_xlsx_import_first_sheet(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["统一社会信用代码", "名称", "所在地区", "员工人数", "营业收入(亿元)", "成立日期"])
    import datetime as dt

    ws.append([USCC_A, "甲&amp;乙", 330800, 120.0, 1.5, dt.datetime(2015, 6, 1)])
    ws.append([None, None, None, None, None, None])
    ws.append([USCC_B, "丙", "440300", "1,200", None, "2016-01-02"])
    wb.save(tmp_path / "enterprises.xlsx")
    report = import_path(store, tmp_path / "enterprises.xlsx", progress=False)
    a, b = store.get("Enterprise", USCC_A), store.get("Enterprise", USCC_B)
    assert (a["name"], a["region"], a["employees"], a["revenue_wan"], a["founded"]) == ("甲&乙", "330800", 120, 15000, "2015-06-01")
    assert b["employees"] == 1200 and "revenue_wan" not in b
    assert report.rows == 2


def test_xlsx_bad_row_is_named_by_excel_row_number(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["key", "name", "uscc"])
    ws.append(["e1", "甲", USCC_A])
    ws.append([None])
    ws.append(["e2", "乙", BAD_USCC])
    wb.save(tmp_path / "enterprises.xlsx")
    fails(store, tmp_path / "enterprises.xlsx", file="enterprises.xlsx", row=4, field="uscc", says="校验位")


def test_xlsx_one_sheet_per_kind(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "segments"
    ws.append(["key", "name", "chain"])
    ws.append(["nev.bat", "动力电池", "nev"])
    ws2 = wb.create_sheet("chains")
    ws2.append(["key", "name", "aliases"])
    ws2.append(["nev", "新能源汽车", "电动车;NEV"])
    wb.save(tmp_path / "衢州招商台账.xlsx")
    import_path(store, tmp_path / "衢州招商台账.xlsx", progress=False)
    assert store.get("IndustryChain", "nev")["aliases"] == ["电动车", "NEV"]
    assert store.get("Segment", "nev.bat")["chain"] == "nev"


def test_json_list_of_objects(store, tmp_path):
    f = tmp_path / "projects.json"
    f.write_text(json.dumps([
        {"key": "pj1", "name": "封测扩产项目", "investor": None, "chain": "ic", "segment": "ic.pkg", "region": "330800",
         "stage": "已签约", "total_investment_wan": "5亿元", "land_min_mu": 80, "land_max_mu": "120亩"},
    ], ensure_ascii=False), encoding="utf-8")
    import_path(store, f, progress=False)
    p = store.get("Project", "pj1")
    assert (p["stage"], p["total_investment_wan"], p["land_max_mu"]) == ("签约", 50000, 120)
    targets = {n.key for n in store.neighbours("Project", "pj1", rel_type="TARGETS")}
    assert targets == {"ic", "ic.pkg"}


def test_json_bad_object_is_named(store, tmp_path):
    f = tmp_path / "projects.json"
    f.write_text(json.dumps([{"key": "pj1", "name": "x"}, {"key": "pj2", "name": "y", "jobs": "许多"}]), encoding="utf-8")
    fails(store, f, file="projects.json", row=2, field="jobs", says="应为数字")


# ---------------------------------------------------------------------------------------------- folders
def test_folder_import_is_atomic_when_one_file_is_bad(store, tmp_path):
    d = tmp_path / "batch"
    put(d / "chains.csv", "key,name\nnev,新能源汽车\n")
    put(d / "segments.csv", "key,name,chain\nnev.bat,动力电池,nev\nnev.mot,电机,\n")
    put(d / "enterprises.csv", f"key,name,region\n{USCC_A},甲,330800\n")
    fails(store, d, file="segments.csv", row=3, field="chain", says="缺少必填值")
    assert store.get("IndustryChain", "nev") is None and store.get("Enterprise", USCC_A) is None


def test_folder_reports_problems_of_all_files(store, tmp_path):
    d = tmp_path / "batch"
    put(d / "segments.csv", "key,name,chain\nnev.bat,动力电池,nochain\n")
    put(d / "enterprises.csv", f"key,name,uscc\ne1,甲,{BAD_USCC}\n")
    probs = fails(store, d, file="segments.csv", row=2, field="chain", says="nochain")
    assert any((p.file, p.row, p.field) == ("enterprises.csv", 2, "uscc") for p in probs)


def test_folder_in_dependency_order_with_per_file_counts(store, tmp_path):
    d = tmp_path / "batch"
    put(d / "segments.csv", "key,name,chain\nnev.bat,动力电池,nev\nnev.car,整车,nev\n")
    put(d / "chains.csv", "key,name\nnev,新能源汽车\n")
    put(d / "rel_UPSTREAM_OF.csv", "src,dst\nnev.bat,nev.car\n")
    put(d / "README.txt", "说明")
    report = import_path(store, d, progress=False)
    assert [f["file"] for f in report.files] == ["chains.csv", "segments.csv", "rel_UPSTREAM_OF.csv"]
    by = {f["file"]: (f["nodes_written"], f["rels_written"]) for f in report.files}
    assert by == {"chains.csv": (1, 0), "segments.csv": (2, 2), "rel_UPSTREAM_OF.csv": (0, 1)}
    again = import_path(store, d, progress=False)
    assert all(f["nodes_written"] == f["rels_written"] == 0 for f in again.files)
    assert (again.nodes_written, again.rels_written) == (0, 0)


# ---------------------------------------------------------------------------------------------- interchange
def _interchange(d: Path, *, gbk: bool = False) -> Path:
    enc = "gbk" if gbk else "utf-8"
    put(d / "enterprises.csv",
        "id,name,region,founded,tags,exchange\n"
        "600373.SH,中文传媒,330800,2002-03-04,上市;国企,SH\n"
        "688268,华特气体,广东省佛山市,2005-01-01,,SH\n"
        "300001,特锐德,深圳市,,专精特新,SZ\n", enc)
    put(d / "segments.csv",
        "id,name,chain,stream,parent_id\n"
        "s.gas,电子特气,集成电路,upstream,\n"
        "s.pkg2,先进封装,集成电路,下游,s.gas\n"
        "s.bat,动力电池,新能源 汽车,上游,\n", enc)
    put(d / "memberships.csv",
        "enterprise_id,segment_id\n688268,s.gas\n600373.SH,s.pkg2\n300001,s.bat\n300001,s.bat\n", enc)
    put(d / "products.csv", "enterprise_id,product,weight\n688268,电子特气,0.8\n688268,光刻气/激光气,0.2\n300001,箱式变电站,\n", enc)
    put(d / "segment_links.csv", "upstream_id,downstream_id\ns.gas,s.pkg2\n", enc)
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,600373.SH\n", enc)
    return d


def test_interchange_folder_imports_in_one_write(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    version = store.version()
    report = import_path(store, d, progress=False)
    assert store.version() == version + 1
    e = store.get("Enterprise", "600373.SH")
    assert e["name"] == "中文传媒" and e["region"] == "330800" and e["tags"] == ["上市", "国企"] and "uscc" not in e
    assert store.get("Enterprise", "688268").get("region") is None  # free-text location dropped …
    assert store.get("Enterprise", "300001")["region"] == "440300"  # … unless it names a known region
    assert any("未设置 region" in n for n in report.notes) and any("exchange" in n for n in report.notes)
    # chains: an existing chain is reused by name, a new one created from the text
    assert store.get("Segment", "s.gas")["chain"] == "ic" and store.get("Segment", "s.gas")["stream"] == "上游"
    assert store.get("IndustryChain", "新能源_汽车")["name"] == "新能源 汽车"
    assert store.get("IndustryChain", "ic")["name"] == "集成电路"  # untouched
    assert store.get("Segment", "s.pkg2")["parent"] == "s.gas"
    assert [n.key for n in store.neighbours("Enterprise", "688268", rel_type="IN_SEGMENT")] == ["s.gas"]
    makes = {n.key: n.rel_props.get("weight") for n in store.neighbours("Enterprise", "688268", rel_type="MAKES")}
    assert makes == {"电子特气": 0.8, "光刻气_激光气": 0.2}
    assert store.get("Product", "光刻气_激光气")["name"] == "光刻气/激光气"
    assert [n.key for n in store.neighbours("Segment", "s.gas", rel_type="UPSTREAM_OF", direction="out")] == ["s.pkg2"]
    assert [n.key for n in store.neighbours("Enterprise", "688268", rel_type="SUPPLIES", direction="out")] == ["600373.SH"]
    files = {f["file"]: f for f in report.files}
    assert files["memberships.csv"]["rels_written"] == 3 and files["enterprises.csv"]["nodes_written"] == 3
    again = import_path(store, d, progress=False)
    assert (again.nodes_written, again.rels_written) == (0, 0)


def test_interchange_gbk_and_unknown_reference(store, tmp_path):
    d = _interchange(tmp_path / "ds", gbk=True)
    put(d / "memberships.csv", "enterprise_id,segment_id\n688268,s.gas\n999999,s.gas\n", "gbk")
    fails(store, d, file="memberships.csv", row=3, field="enterprise_id", says="999999")


def test_interchange_duplicate_enterprise_id(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    put(d / "enterprises.csv", "id,name\n688268,华特气体\n600373.SH,中文传媒\n300001,特锐德\n688268,又一个\n")
    fails(store, d, file="enterprises.csv", row=5, field="id", says="重复的键")


def test_read_interchange_plain_data(tmp_path):
    d = _interchange(tmp_path / "ds")
    data = read_interchange(d)
    assert [e["id"] for e in data.enterprises] == ["600373.SH", "688268", "300001"]
    assert data.enterprises[0]["tags"] == ["上市", "国企"] and data.enterprises[1]["region"] == "广东省佛山市"
    assert data.segments[0] == {"id": "s.gas", "name": "电子特气", "chain": "集成电路", "stream": "上游"}
    assert len(data.memberships) == 3  # the repeated row is merged
    assert data.products[2] == {"enterprise_id": "300001", "product": "箱式变电站", "weight": None}
    assert data.chains == ["新能源 汽车", "集成电路"]
    assert data.members_of()["s.bat"] == ["300001"]
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,000000\n")
    with pytest.raises(ValidationFailed) as e:
        read_interchange(d)
    assert (e.value.problems[0].file, e.value.problems[0].row, e.value.problems[0].field) == ("supplies.csv", 2, "customer_id")


def test_a_header_only_interchange_file_is_zero_rows(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    put(d / "memberships.csv", "enterprise_id,segment_id\n")
    report = import_path(store, d, progress=False)
    assert store.get("Enterprise", "688268") is not None and store.neighbours("Enterprise", "688268",
                                                                               rel_type="IN_SEGMENT") == []
    assert any("memberships.csv" in n and "只有表头" in n for n in report.notes)
    assert len(read_interchange(d).memberships) == 0


def test_every_problem_of_every_interchange_file_in_one_pass(store, tmp_path):
    """A problem in one file (an empty mandatory file, a missing column) does not hide the others'."""
    d = _interchange(tmp_path / "ds")
    put(d / "memberships.csv", "")  # empty: no header at all
    put(d / "segments.csv", "id,name\ns.gas,电子特气\n")  # no chain column
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,000000\n")  # an unknown customer
    with pytest.raises(ValidationFailed) as e:
        import_path(store, d, progress=False)
    where = {(p.file, p.row, p.field) for p in e.value.problems}
    assert ("memberships.csv", None, None) in where and ("segments.csv", 1, "chain") in where
    assert ("supplies.csv", 2, "customer_id") in where  # checked against enterprises.csv, which was read fine


# ---------------------------------------------------------------------------------------------- export
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_then_import_round_trips(tmp_path, fmt):
    src = SQLiteStore(tmp_path / "src.db")
    write_objects(src, tiny_graph_objects(), tiny_graph_relations())
    d = _interchange(tmp_path / "ds")
    import_path(src, d, progress=False)
    out = tmp_path / f"out_{fmt}"
    files = export_store(src, out, fmt=fmt)
    assert files and all(f.exists() for f in files)
    dst = SQLiteStore(tmp_path / "dst.db")
    report = import_path(dst, out, progress=False)
    assert isinstance(report, ImportReport)
    assert dst.counts() == src.counts()
    for label, key in (("Enterprise", USCC_A), ("Enterprise", "600373.SH"), ("Park", "qz-zz"), ("Segment", "s.pkg2")):
        assert dst.get(label, key) == src.get(label, key)
    def rels(s):
        return sorted((r.type, r.src_key, r.dst_key, sorted(r.props.items())) for r in s.iter_relations())
    assert rels(dst) == rels(src)
    assert (import_path(dst, out, progress=False).nodes_written, import_path(dst, out, progress=False).rels_written) == (0, 0)
    src.close()
    dst.close()


def test_csv_export_is_utf8_with_bom_and_readable_by_excel_conventions(store, tmp_path):
    files = export_store(store, tmp_path / "out")
    regions = tmp_path / "out" / "regions.csv"
    assert regions in files
    raw = regions.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "衢州市" in raw.decode("utf-8-sig")
    assert not (tmp_path / "out" / "rel_LOCATED_IN.csv").exists()  # implied by the region columns


def test_list_items_with_separators_survive_csv(store, tmp_path):
    write_objects(store, [Segment(key="ic.x", name="刻蚀", chain="ic", keywords=["光刻、刻蚀", "CMP"])])
    export_store(store, tmp_path / "out")
    dst = SQLiteStore(tmp_path / "dst.db")
    import_path(dst, tmp_path / "out", progress=False)
    assert dst.get("Segment", "ic.x")["keywords"] == ["光刻、刻蚀", "CMP"]
    dst.close()


def test_large_file_shows_progress(store, tmp_path, capsys):
    rows = "".join(f"e{i:06d},企业{i},330800,{i}\n" for i in range(10_050))
    f = put(tmp_path / "enterprises.csv", "key,name,region,revenue_wan\n" + rows)
    report = import_path(store, f, progress=True)
    assert report.nodes_written == 10_050
    assert "enterprises.csv" in capsys.readouterr().err


def test_interchange_bad_uscc_is_an_error_but_bad_optional_values_are_dropped(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    put(d / "enterprises.csv", f"id,name,uscc,founded\n688268,华特气体,{BAD_USCC},去年\n600373.SH,中文传媒,,\n300001,特锐德,,\n")
    fails(store, d, file="enterprises.csv", row=2, field="uscc", says="校验位")
    put(d / "enterprises.csv", f"id,name,uscc,founded\n688268,华特气体,{USCC_A},去年\n600373.SH,中文传媒,,\n300001,特锐德,,\n")
    report = import_path(store, d, progress=False)
    e = store.get("Enterprise", "688268")
    assert e["uscc"] == USCC_A and "founded" not in e
    assert any("founded" in n and "第2行" in n for n in report.notes)


def test_placeholders_for_no_value_in_number_and_date_columns(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,revenue_wan,founded,patents\n{USCC_A},甲,-,暂无,—\n")
    import_path(store, f, progress=False)
    e = store.get("Enterprise", USCC_A)
    assert not {"revenue_wan", "founded", "patents"} & set(e)


def test_utf16_tab_separated_with_starred_headers_and_suffixed_name(store, tmp_path):
    f = tmp_path / "企业-衢州.csv"
    f.write_bytes(f"统一社会信用代码*\t企业名称*\t注册资本（万元）\n{USCC_A}\t甲公司\t3百万元\n".encode("utf-16"))
    report = import_path(store, f, progress=False)
    e = store.get("Enterprise", USCC_A)
    assert (e["name"], e["registered_capital_wan"]) == ("甲公司", 300)
    assert any("UTF-16" in n for n in report.notes)


# ---------------------------------------------------------------------------------------------- the writer's checks, named in the file's terms
def test_relation_file_unknown_end_is_named_by_its_own_header(store, tmp_path):
    put(tmp_path / "e" / "enterprises.csv", f"key,name\n{USCC_A},甲\n")
    import_path(store, tmp_path / "e", progress=False)
    f = put(tmp_path / "rel_SUPPLIES.csv", f"起点,终点,占比\n{USCC_A},{USCC_B},20%\n{USCC_C},{USCC_A},0.1\n")
    probs = fails(store, f, file="rel_SUPPLIES.csv", row=2, field="终点", says=f"不存在的企业 '{USCC_B}'")
    assert any((p.row, p.field) == (3, "起点") and USCC_C in p.message for p in probs)
    assert not any(p.row == 2 and p.field == "起点" for p in probs)


def test_interchange_unknown_end_is_named_by_its_column(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,600373.SH\n688268,000000\n")
    fails(store, d, file="supplies.csv", row=3, field="customer_id", says="000000")


def test_model_errors_name_the_files_own_headers(store, tmp_path):
    f = put(tmp_path / "企业.csv", f"编号,企业名称\n{BAD_USCC},甲\n")
    fails(store, f, file="企业.csv", row=2, field="编号", says="看似统一社会信用代码")
    f = put(tmp_path / "地块.csv", "地块编号,地块名称,行政区,面积,容积率下限,容积率上限\np1,北区,330800,10,2.0,1.0\n")
    fails(store, f, file="地块.csv", row=2, field="容积率上限", says="容积率下限 2 大于上限 1")
    f = put(tmp_path / "环节.csv", "key,环节名称,产业链,上级环节\nic.sub,子环节,ic,ic.none\n")
    fails(store, f, file="环节.csv", row=2, field="上级环节", says="不存在的环节 'ic.none'")


def test_failed_row_is_reported_once_and_its_bad_reference_too(store, tmp_path):
    d = tmp_path / "d"
    put(d / "enterprises.csv", f"key,name,revenue_wan,region\n{USCC_A},甲,很多,999999\n{USCC_B},乙,1,330800\n")
    put(d / "rel_SUPPLIES.csv", f"src,dst\n{USCC_A},{USCC_B}\n{USCC_B},{USCC_A}\n")
    probs = fails(store, d, file="enterprises.csv", row=2, field="revenue_wan", says="应为数字")
    assert any((p.file, p.row, p.field) == ("enterprises.csv", 2, "region") and "999999" in p.message for p in probs)
    # the relation rows end at the failed row: no second, misleading "不存在" for them
    assert not [p for p in probs if p.file == "rel_SUPPLIES.csv"]


def test_relation_given_by_a_reference_column_and_a_relation_file_is_one_fact(store, tmp_path):
    d = tmp_path / "d"
    put(d / "parks.csv", "key,name,region,leading_chains\nqz-2,衢州二园,330800,ic\n")
    put(d / "rel_HOSTS.csv", "src,dst\nqz-2,ic\nqz-2,ic\n")
    report = import_path(store, d, progress=False)
    hosts = [r for r in store.iter_relations("HOSTS") if r.src_key == "qz-2"]
    assert [(r.dst_key, r.props["source"]) for r in hosts] == [("ic", "parks.csv")]
    assert {f["file"]: f["rels_written"] for f in report.files} == {"parks.csv": 2, "rel_HOSTS.csv": 0}
    assert any("rel_HOSTS.csv：2 行" in n and "已合并" in n for n in report.notes)


def test_reimport_with_changed_references_drops_the_stale_relations(store, tmp_path):
    d = tmp_path / "d"
    put(d / "parks.csv", "key,name,region\nqz-2,衢州二园,330800\n")
    put(d / "parcels.csv", "key,name,region,park,area_mu\np1,地块,330800,qz-zz,10\n")
    put(d / "projects.csv", "key,name,park,region\npj1,项目,qz-zz,330800\n")
    import_path(store, d, progress=False)
    put(d / "parcels.csv", "key,name,region,park,area_mu\np1,地块,440300,qz-2,10\n")
    put(d / "projects.csv", "key,name,park,region\npj1,项目,qz-2,330800\n")
    report = import_path(store, d, progress=False)
    assert [n.key for n in store.neighbours("LandParcel", "p1", rel_type="HAS_PARCEL")] == ["qz-2"]
    assert [n.key for n in store.neighbours("LandParcel", "p1", rel_type="LOCATED_IN")] == ["440300"]
    located = {(n.label, n.key) for n in store.neighbours("Project", "pj1", rel_type="LOCATED_IN", direction="out")}
    assert located == {("Park", "qz-2"), ("Region", "330800")}
    assert report.deleted == 3  # HAS_PARCEL and LOCATED_IN of p1, the project's LOCATED_IN to the old park


def test_absent_reference_column_keeps_the_relation(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", f"key,name,region\n{USCC_A},甲,330800\n")
    import_path(store, f, progress=False)
    put(f, f"key,name\n{USCC_A},甲（更名）\n")
    report = import_path(store, f, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", USCC_A, rel_type="LOCATED_IN")] == ["330800"]
    assert report.deleted == 0 and report.nodes_written == 1


def test_interchange_reimport_with_changed_region_moves_located_in(store, tmp_path):
    d = _interchange(tmp_path / "ds")
    import_path(store, d, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", "600373.SH", rel_type="LOCATED_IN")] == ["330800"]
    text = (d / "enterprises.csv").read_text(encoding="utf-8").replace("中文传媒,330800", "中文传媒,440300")
    put(d / "enterprises.csv", text)
    report = import_path(store, d, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", "600373.SH", rel_type="LOCATED_IN")] == ["440300"]
    assert report.deleted == 1
