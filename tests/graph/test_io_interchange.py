"""The dataset interchange format (../shared/datasets/README.md): one write per folder, every problem in one pass."""
from __future__ import annotations

from io_helpers import *  # noqa: F401,F403  (the store fixture, put, fails and the names the tests use)


# ---------------------------------------------------------------------------------------------- interchange
def test_interchange_folder_imports_in_one_write(store, tmp_path):
    d = interchange_folder(tmp_path / "ds")
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
    d = interchange_folder(tmp_path / "ds", gbk=True)
    put(d / "memberships.csv", "enterprise_id,segment_id\n688268,s.gas\n999999,s.gas\n", "gbk")
    fails(store, d, file="memberships.csv", row=3, field="enterprise_id", says="999999")


def test_interchange_duplicate_enterprise_id(store, tmp_path):
    d = interchange_folder(tmp_path / "ds")
    put(d / "enterprises.csv", "id,name\n688268,华特气体\n600373.SH,中文传媒\n300001,特锐德\n688268,又一个\n")
    fails(store, d, file="enterprises.csv", row=5, field="id", says="重复的键")


def test_read_interchange_plain_data(tmp_path):
    d = interchange_folder(tmp_path / "ds")
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
    d = interchange_folder(tmp_path / "ds")
    put(d / "memberships.csv", "enterprise_id,segment_id\n")
    report = import_path(store, d, progress=False)
    assert store.get("Enterprise", "688268") is not None and store.neighbours("Enterprise", "688268",
                                                                               rel_type="IN_SEGMENT") == []
    assert any("memberships.csv" in n and "只有表头" in n for n in report.notes)
    assert len(read_interchange(d).memberships) == 0


def test_every_problem_of_every_interchange_file_in_one_pass(store, tmp_path):
    """A problem in one file (an empty mandatory file, a missing column) does not hide the others'."""
    d = interchange_folder(tmp_path / "ds")
    put(d / "memberships.csv", "")  # empty: no header at all
    put(d / "segments.csv", "id,name\ns.gas,电子特气\n")  # no chain column
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,000000\n")  # an unknown customer
    with pytest.raises(ValidationFailed) as e:
        import_path(store, d, progress=False)
    where = {(p.file, p.row, p.field) for p in e.value.problems}
    assert ("memberships.csv", None, None) in where and ("segments.csv", 1, "chain") in where
    assert ("supplies.csv", 2, "customer_id") in where  # checked against enterprises.csv, which was read fine

def test_interchange_bad_uscc_is_an_error_but_bad_optional_values_are_dropped(store, tmp_path):
    d = interchange_folder(tmp_path / "ds")
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
