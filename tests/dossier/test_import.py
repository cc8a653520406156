"""The 企业尽调 fields through the import format (docs/import-format.md): a firm's dated records as a JSON array of
objects in one cell, 园区 as a park reference (→ LOCATED_IN Park), 简称 and 上市板块; a bad entry is refused at its
file, row and column, naming the entry and its field, and nothing is written."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
from io_helpers import fails, put, store  # noqa: E402,F401

from graph.io import export_store, import_path  # noqa: E402
from graph.schema import Enterprise  # noqa: E402

HEAD = "key,name,region,简称,园区,上市板块,融资轮次,分支机构记录,年度指标\n"
GOOD_ROUNDS = '"[{""on"": ""2025/3/1"", ""round"": ""A轮"", ""amount_wan"": 5000, ""investors"": [""示例资本（合成）""]}]"'
GOOD_BRANCH = '"[{""on"": ""2025-02-01"", ""kind"": ""迁出"", ""region"": ""440300""}]"'
GOOD_YEARS = '"[{""year"": 2024, ""revenue_wan"": 900}, {""year"": 2023, ""revenue_wan"": 1000}]"'


def test_dated_records_park_and_short_name_import_and_export_round_trip(store, tmp_path):
    f = put(tmp_path / "enterprises.csv",
            HEAD + f"E1,甲示例（合成）,330800,示例甲,qz-zz,上交所科创板,{GOOD_ROUNDS},{GOOD_BRANCH},{GOOD_YEARS}\n")
    import_path(store, f, progress=False)
    e = store.get("Enterprise", "E1")
    assert e["short_name"] == "示例甲" and e["park"] == "qz-zz" and e["listing"] == "上交所科创板"
    assert e["financing_rounds"] == ['{"amount_wan":5000,"investors":["示例资本（合成）"],"on":"2025-03-01","round":"A轮"}']
    assert e["yearly_indicators"] == ['{"revenue_wan":1000,"year":2023}', '{"revenue_wan":900,"year":2024}']  # by year
    assert {(n.label, n.key) for n in store.neighbours("Enterprise", "E1", rel_type="LOCATED_IN", direction="out")} \
        == {("Region", "330800"), ("Park", "qz-zz")}
    out = tmp_path / "out"
    export_store(store, out, fmt="csv")
    version = store.version()
    report = import_path(store, out / "enterprises.csv", progress=False)  # the export reads back unchanged
    assert store.version() == version and report.nodes_written == report.rels_written == 0


@pytest.mark.parametrize("cell,column,says", [
    ('"[{""on"": ""2025-13-01"", ""round"": ""A轮""}]"', "融资轮次", "第1条：日期 on 应为 YYYY-MM-DD"),
    ('"[{""on"": ""2025-01-01""}]"', "融资轮次", "第1条：缺少 round"),
    ('"[{""on"": ""2025-01-01"", ""round"": ""A轮"", ""amount_wan"": -5}]"', "融资轮次", "amount_wan 应为非负数字"),
    ('"[{""on"": ""2025-01-01"", ""round"": ""A轮"", ""amout"": 5}]"', "融资轮次", "未知字段 amout"),
    ('"[{""on"": ""2025-01-01"", ""kind"": ""搬家"", ""region"": ""440300""}]"', "分支机构记录", "kind 应为 新设/迁出/注销"),
    ('"[{""year"": 2024, ""revenue_wan"": 1}, {""year"": 2024, ""tax_wan"": 1}]"', "年度指标", "年份 2024 出现多次"),
    ('"[{""year"": 2024}]"', "年度指标", "revenue_wan、tax_wan、output_wan 至少填一项"),
    ("不是JSON", "融资轮次", "第1条：不是 JSON 对象文本"),
])
def test_a_bad_entry_names_row_column_entry_and_field_and_nothing_is_written(store, tmp_path, cell, column, says):
    cols = {"融资轮次": "", "分支机构记录": "", "年度指标": ""}
    cols[column] = cell
    f = put(tmp_path / "enterprises.csv", HEAD + "E0,好企业（合成）,330800,,,,,,\n"
            + f"E1,甲示例（合成）,330800,,,,{cols['融资轮次']},{cols['分支机构记录']},{cols['年度指标']}\n")
    fails(store, f, file="enterprises.csv", row=3, field=column, says=says)


def test_an_unknown_park_is_refused(store, tmp_path):
    f = put(tmp_path / "enterprises.csv", "key,name,region,园区\nE1,甲示例（合成）,330800,无此园区\n")
    fails(store, f, file="enterprises.csv", row=2, field="园区", says="无此园区")


def test_the_model_takes_objects_and_texts_alike():
    a = Enterprise(key="X", name="x", capital_changes=[{"on": "2025-01-01", "from_wan": 100.0, "to_wan": 150}])
    b = Enterprise(key="X", name="x", capital_changes=['{"to_wan": 150.0, "from_wan": 100, "on": "2025/1/1"}'])
    assert a.capital_changes == b.capital_changes == ['{"from_wan":100,"on":"2025-01-01","to_wan":150}']
