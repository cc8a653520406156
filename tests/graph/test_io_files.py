"""Import behaviour: re-import changes nothing, sources and audit, moved references, XLSX and JSON files, folders."""
from __future__ import annotations

from io_helpers import *  # noqa: F401,F403  (the store fixture, put, fails and the names the tests use)


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
