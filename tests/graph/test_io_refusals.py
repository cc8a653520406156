"""Import refusals: every bad file names its file, row and column (in the file's own headers) and writes nothing."""
from __future__ import annotations

from io_helpers import *  # noqa: F401,F403  (the store fixture, put, fails and the names the tests use)


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

# ---------------------------------------------------------------------------------------------- the writer's checks, named in the file's terms
def test_relation_file_unknown_end_is_named_by_its_own_header(store, tmp_path):
    put(tmp_path / "e" / "enterprises.csv", f"key,name\n{USCC_A},甲\n")
    import_path(store, tmp_path / "e", progress=False)
    f = put(tmp_path / "rel_SUPPLIES.csv", f"起点,终点,占比\n{USCC_A},{USCC_B},20%\n{USCC_C},{USCC_A},0.1\n")
    probs = fails(store, f, file="rel_SUPPLIES.csv", row=2, field="终点", says=f"不存在的企业 '{USCC_B}'")
    assert any((p.row, p.field) == (3, "起点") and USCC_C in p.message for p in probs)
    assert not any(p.row == 2 and p.field == "起点" for p in probs)


def test_interchange_unknown_end_is_named_by_its_column(store, tmp_path):
    d = interchange_folder(tmp_path / "ds")
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
    d = interchange_folder(tmp_path / "ds")
    import_path(store, d, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", "600373.SH", rel_type="LOCATED_IN")] == ["330800"]
    text = (d / "enterprises.csv").read_text(encoding="utf-8").replace("中文传媒,330800", "中文传媒,440300")
    put(d / "enterprises.csv", text)
    report = import_path(store, d, progress=False)
    assert [n.key for n in store.neighbours("Enterprise", "600373.SH", rel_type="LOCATED_IN")] == ["440300"]
    assert report.deleted == 1
