"""招商项目库: legal, dated stage transitions (illegal jumps rejected with a clear message, nothing written),
tracking, concurrency, audit; classification edges; overdue / stalled; evaluation against 标准地 numbers; Excel
round trip with all-or-nothing import; landed projects from the snapshot (also on the seeded synthetic data).
Store tests run on every backend (SQLite and the Neo4j `make test` starts)."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from graph.schema import LandParcel, Park, Region
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.writer import ValidationFailed, write_objects
from pipeline import board as pb, commands as cmd, evaluation, excel, queries, rules
from seed_data.seed import seed_store

TODAY = dt.date(2025, 6, 30)


def base_objects():
    return [
        Region(key="330800", name="衢州市", level="city"),
        Park(key="qz", name="衢州智造新城", region="330800"),
        Park(key="ly", name="龙游经济开发区", region="330800"),
        LandParcel(key="A", name="A地块", park="qz", region="330800", area_mu=100, min_invest_intensity_wan_per_mu=300,
                   min_tax_wan_per_mu=15, min_output_wan_per_mu=500, status="transferred", transferred_to="P1"),
    ]


@pytest.fixture
def store(any_store):
    write_objects(any_store, base_objects())
    return any_store


def new(store, key="P1", **kw):
    data = {"key": key, "name": f"项目{key}", "park": "qz", "total_investment_wan": 25000, "jobs": 100} | kw
    on = data.pop("on", "2025-01-02")
    return cmd.create_project(store, data=data, actor="张三(officer)", on=on, today=TODAY)


def walk(store, key, *steps):
    p = None
    for to, on in steps:
        p = cmd.change_stage(store, key=key, to=to, on=on, actor="张三(officer)", today=TODAY)
    return p


def test_the_legal_path_is_dated_and_recorded(store):
    p = new(store)
    assert p["stage"] == "线索" and p["stage_on"] == "2025-01-02"
    p = walk(store, "P1", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-03-01"), ("注册", "2025-03-15"),
             ("开工", "2025-04-01"), ("投产", "2025-06-01"), ("达产", "2025-06-30"))
    hist = pb.stage_history(p)
    assert [(e.get("from"), e["to"], e["on"]) for e in hist] == [
        (None, "线索", "2025-01-02"), ("线索", "接洽", "2025-01-10"), ("接洽", "洽谈", "2025-02-01"),
        ("洽谈", "签约", "2025-03-01"), ("签约", "注册", "2025-03-15"), ("注册", "开工", "2025-04-01"),
        ("开工", "投产", "2025-06-01"), ("投产", "达产", "2025-06-30")]
    assert all(e["by"] == "张三(officer)" and e["at"].endswith("Z") for e in hist)
    assert p["signed_on"] == "2025-03-01" and p["stage"] == "达产" and p["stage_on"] == "2025-06-30"
    audit = store.list_audit(limit=20)
    stage_entries = [a for a in audit if a["action"].startswith("project.stage")]
    assert len(stage_entries) == 7
    last = next(a for a in audit if a["action"] == "project.stage 投产→达产")
    assert last["before"]["stage"] == "投产" and last["after"]["stage"] == "达产" and last["actor"] == "张三(officer)"


@pytest.mark.parametrize("steps,to,needle", [
    ((), "洽谈", "不能从“线索”跳到“洽谈”：须依次经过“接洽”；当前可转入：接洽"),
    ((), "签约", "须依次经过“接洽、洽谈”"),
    ((("接洽", "2025-01-10"), ("洽谈", "2025-02-01")), "开工", "须依次经过“签约、注册”"),
    ((("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-03-01")), "洽谈", "已签约项目不能退回“洽谈”"),
    ((("接洽", "2025-01-10"), ("洽谈", "2025-02-01")), "线索", "签约前只能退回上一阶段"),
    ((), "线索", "项目已处于“线索”阶段"),
    ((), "搁置", "未知阶段“搁置”"),
])
def test_illegal_transitions_are_rejected_and_nothing_is_written(store, steps, to, needle):
    new(store)
    walk(store, "P1", *steps)
    before, version = store.get("Project", "P1"), store.version()
    with pytest.raises(rules.IllegalTransition) as e:
        cmd.change_stage(store, key="P1", to=to, on="2025-06-01", actor="u", today=TODAY)
    assert needle in e.value.message and e.value.status == 409
    assert store.get("Project", "P1") == before and store.version() == version


def test_dates_must_follow_the_history_and_not_be_in_the_future(store):
    new(store)
    walk(store, "P1", ("接洽", "2025-02-01"))
    with pytest.raises(rules.InvalidRequest, match="早于2025-02-01"):
        cmd.change_stage(store, key="P1", to="洽谈", on="2025-01-31", actor="u", today=TODAY)
    with pytest.raises(rules.InvalidRequest, match="晚于今天"):
        cmd.change_stage(store, key="P1", to="洽谈", on="2025-07-01", actor="u", today=TODAY)
    with pytest.raises(rules.InvalidRequest, match="字段 on"):
        cmd.change_stage(store, key="P1", to="洽谈", on="昨天", actor="u", today=TODAY)
    p = cmd.change_stage(store, key="P1", to="洽谈", on="2025-02-01", actor="u", today=TODAY)  # same day is fine
    assert p["stage"] == "洽谈"


def test_falling_back_before_signing_needs_a_reason(store):
    new(store)
    walk(store, "P1", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"))
    with pytest.raises(rules.InvalidRequest, match="回退须说明原因"):
        cmd.change_stage(store, key="P1", to="接洽", on="2025-03-01", actor="u", today=TODAY)
    p = cmd.change_stage(store, key="P1", to="接洽", on="2025-03-01", note="企业投资计划推迟", actor="u", today=TODAY)
    assert pb.stage_history(p)[-1] | {"at": None} == {"on": "2025-03-01", "from": "洽谈", "to": "接洽", "by": "u",
                                                      "at": None, "note": "企业投资计划推迟"}


def test_a_stale_read_loses_to_the_first_writer(store):
    new(store)
    stale = store.get("Project", "P1")
    walk(store, "P1", ("接洽", "2025-01-10"))

    class StaleReads:
        """The store as a second officer saw it a moment ago (reads stale, writes real)."""

        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        def get(self, label, key):
            return dict(stale) if (label, key) == ("Project", "P1") else self.real.get(label, key)

    version = store.version()
    with pytest.raises(rules.ProjectConflict, match="刚被他人修改"):
        cmd.change_stage(StaleReads(store), key="P1", to="接洽", on="2025-01-11", actor="李四", today=TODAY)
    assert store.version() == version and len(pb.stage_history(store.get("Project", "P1"))) == 2


def test_tracking_and_next_action(store):
    new(store)
    p = cmd.add_tracking(store, key="P1", note="电话回访", on="2025-06-01", next_action="赴企业拜访",
                        next_action_on="2025-06-20", actor="u", today=TODAY)
    p = cmd.add_tracking(store, key="P1", note="企业来访", on="2025-06-08", actor="u", today=TODAY)
    assert [e["note"] for e in pb.tracking_log(p)] == ["电话回访", "企业来访"]
    assert p["next_action"] == "赴企业拜访" and p["next_action_on"] == "2025-06-20"
    with pytest.raises(rules.InvalidRequest, match="早于2025-06-08"):
        cmd.add_tracking(store, key="P1", note="补记", on="2025-06-01", actor="u", today=TODAY)
    with pytest.raises(rules.InvalidRequest, match="不能为空"):
        cmd.add_tracking(store, key="P1", note="  ", actor="u", today=TODAY)
    with pytest.raises(rules.ProjectNotFound):
        cmd.add_tracking(store, key="nope", note="x", actor="u", today=TODAY)


def test_update_refuses_stage_and_logs_and_park_scope_holds(store):
    new(store)
    with pytest.raises(rules.InvalidRequest, match="阶段与跟踪记录只能通过"):
        cmd.update_project(store, key="P1", changes={"stage": "签约"}, actor="u")
    p = cmd.update_project(store, key="P1", changes={"owner": "王五", "total_investment_wan": 120000}, actor="u")
    assert p["owner"] == "王五" and p["stage_history"]  # history kept
    with pytest.raises(rules.ProjectForbidden):
        cmd.change_stage(store, key="P1", to="接洽", actor="u", today=TODAY, park="ly")
    with pytest.raises(rules.ProjectForbidden):
        cmd.update_project(store, key="P1", changes={"park": "ly"}, actor="u", park="qz")
    with pytest.raises(ValidationFailed) as e:
        cmd.update_project(store, key="P1", changes={"park": "no-such-park"}, actor="u")
    assert e.value.problems[0].field == "park"
    with pytest.raises(rules.ProjectConflict, match="已存在"):
        new(store)


@pytest.mark.parametrize("invest,expected", [(None, None), (0, "一般"), (9999.99, "一般"), (10000, "重点"),
                                             (99999.99, "重点"), (100000, "重大"), (2_000_000, "重大")])
def test_classification_edges(invest, expected):
    assert rules.classify(invest) == expected


def test_classification_thresholds_are_configurable_and_checked():
    r = rules.PipelineRules(key_wan=Decimal(5000), major_wan=Decimal(50000), stall_days=14)
    assert rules.classify(5000, r) == "重点" and rules.classify(50000, r) == "重大" and rules.classify(4999, r) == "一般"
    with pytest.raises(rules.InvalidRequest, match="应高于"):
        rules.PipelineRules(key_wan=Decimal(50000), major_wan=Decimal(50000))


def test_overdue_stalled_and_board(store):
    new(store, "P1", on="2025-01-02")  # no activity since: stalled
    new(store, "P2", on="2025-06-20", total_investment_wan=150000)
    cmd.add_tracking(store, key="P2", note="推进会", on="2025-06-25", next_action="签约", next_action_on="2025-06-27",
                    actor="u", today=TODAY)
    new(store, "P3", on="2025-06-29", total_investment_wan=5000, next_action="拜访", next_action_on="2025-07-15")
    recs = cmd.project_records(store)
    od = pb.overdue(recs, today=TODAY)
    assert [(v["key"], v["overdue_days"]) for v in od] == [("P2", 3)]
    st = pb.stalled(recs, today=TODAY)
    assert [(v["key"], v["idle_days"]) for v in st] == [("P1", 179)]
    assert [v["key"] for v in pb.stalled(recs, today=TODAY, rules=rules.PipelineRules(stall_days=500))] == []
    b = pb.board(recs, today=TODAY)
    assert b["total"] == 3 and b["overdue"] == 1 and b["stalled"] == 1 and b["landed"] == 0
    assert b["by_class"] == {"一般": 1, "重点": 1, "重大": 1, "未填总投资": 0}
    first = b["stages"][0]
    assert first["stage"] == "线索" and first["count"] == 3 and first["projects"][0]["key"] == "P2"  # overdue first
    assert cmd.project_records(store, park="ly") == []


def test_evaluation_against_the_parcels_standard_land_numbers(store):
    new(store)
    walk(store, "P1", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-03-01"))
    p = cmd.update_project(store, key="P1", changes={"actual_investment_wan": 28000, "actual_tax_wan": 1500,
                                                    "actual_output_wan": 60000, "actual_jobs": 80}, actor="u")
    ev = evaluation.evaluate(p, evaluation.parcel_of(Snapshot.build(store), "P1"))
    by = {i["name"]: i for i in ev["indicators"]}
    assert ev["parcel"] == "A" and ev["area_mu"] == 100
    assert by["投资强度"]["value"] == 280 and by["投资强度"]["outcome"] == "shortfall"
    assert by["投资强度"]["message"] == "投资强度 280 万元/亩 < 要求 300 万元/亩，差 20 万元/亩（按 100 亩共差 2000 万元）"
    assert by["亩均税收"]["value"] == 15 and by["亩均税收"]["outcome"] == "pass"  # 15 exactly meets ≥ 15
    assert by["亩均产出"]["value"] == 600 and by["亩均产出"]["outcome"] == "pass"
    assert by["就业"]["outcome"] == "shortfall" and "差 20 人" in by["就业"]["message"]
    assert ev["shortfalls"] == ["投资强度", "就业"] and not ev["ok"]
    # planned figures when nothing actual is recorded, and the basis says so
    p2 = new(store, "P2", expected_tax_wan=2000)
    ev2 = evaluation.evaluate(p2, None)
    assert ev2["parcel"] is None and any("未找到" in n for n in ev2["notes"])
    assert all(i["outcome"] in ("unknown",) for i in ev2["indicators"][:3])
    p2 = cmd.update_project(store, key="P2", changes={"land_area_mu": 50}, actor="u")
    ev2 = evaluation.evaluate(p2, None)
    assert ev2["indicators"][0]["value"] == 500 and ev2["indicators"][0]["basis"] == "计划总投资 ÷ 实际用地面积"
    assert [e["project"] for e in evaluation.evaluations(Snapshot.build(store))] == ["P1"]  # only landed projects


def _sheet_bytes(rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_round_trip_with_a_legal_stage_change(store):
    new(store)
    walk(store, "P1", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"))
    buf = io.BytesIO()
    assert excel.export_xlsx(cmd.project_records(store), buf, today=TODAY) == 1
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["项目编号", "项目名称", "阶段", "阶段日期", "分类"]
    row = {h: c.value for h, c in zip(header, ws[2])}
    assert row["阶段"] == "洽谈" and row["分类"] == "重点" and row["总投资(万元)"] == 25000
    ws.cell(2, header.index("阶段") + 1, "签约")
    ws.cell(2, header.index("阶段日期") + 1, "2025-05-08")
    ws.cell(2, header.index("总投资(万元)") + 1, "1,200")
    ws.append(["P9", "新导入项目", "线索", None, None, None, None, None, None, "qz", "3亿元"])
    out = io.BytesIO()
    wb.save(out)
    res = cmd.import_xlsx(store, out.getvalue(), actor="导入人", file_name="周报.xlsx", today=TODAY)
    assert res.created == ["P9"] and res.updated == ["P1"] and res.stage_changes == ["P1: 洽谈→签约"]
    p1 = store.get("Project", "P1")
    assert p1["stage"] == "签约" and p1["signed_on"] == "2025-05-08" and p1["total_investment_wan"] == 1200
    assert pb.stage_history(p1)[-1]["note"] == "导入（周报.xlsx）"
    p9 = store.get("Project", "P9")
    assert p9["total_investment_wan"] == 30000 and p9["stage_on"] == TODAY.isoformat()
    # importing the same export again changes nothing
    buf2 = io.BytesIO()
    excel.export_xlsx(cmd.project_records(store), buf2, today=TODAY)
    version = store.version()
    res = cmd.import_xlsx(store, buf2.getvalue(), actor="导入人", today=TODAY)
    assert res.updated == [] and sorted(res.unchanged) == ["P1", "P9"] and store.version() == version


def test_excel_import_is_all_or_nothing_and_names_row_and_column(store):
    new(store)
    data = _sheet_bytes([
        ["项目编号", "项目名称", "阶段", "总投资", "意向园区"],
        ["P1", "项目P1", "开工", "300万元", "qz"],  # illegal jump 线索 → 开工
        ["P7", "新项目", "线索", "很多", "qz"],  # not a number
        ["P8", "新项目8", "线索", "1,200", "nowhere"],  # unknown park
    ])
    version = store.version()
    with pytest.raises(ValidationFailed) as e:
        cmd.import_xlsx(store, data, actor="u", file_name="台账.xlsx", today=TODAY)
    got = {(p.row, p.field) for p in e.value.problems}
    assert {(2, "阶段"), (3, "总投资"), (4, "意向园区")} <= got
    assert any("须依次经过“接洽、洽谈、签约、注册”" in p.message for p in e.value.problems)
    assert store.version() == version and store.get("Project", "P7") is None
    with pytest.raises(ValidationFailed, match="未知列"):
        cmd.import_xlsx(store, _sheet_bytes([["项目编号", "奇怪的列"], ["P1", 1]]), actor="u", today=TODAY)
    with pytest.raises(rules.InvalidRequest, match="无法读取"):
        cmd.import_xlsx(store, b"not a workbook", actor="u", today=TODAY)


def test_excel_rows_are_numbered_as_excel_shows_them_under_a_title_row(store):
    new(store)
    data = _sheet_bytes([
        [None, None],
        ["衢州市招商项目库（2025年6月）"],
        ["项目编号", "项目名称", "总投资"],
        ["P7", "新项目", "很多"],
    ])
    with pytest.raises(ValidationFailed) as e:
        cmd.import_xlsx(store, data, actor="u", file_name="台账.xlsx", today=TODAY)
    assert [(p.row, p.field) for p in e.value.problems] == [(4, "总投资")]


def test_excel_export_keeps_formula_like_text_as_text(store):
    new(store)
    cmd.update_project(store, key="P1", changes={"name": "=HYPERLINK(\"http://x\",\"点我\")"}, actor="u")
    buf = io.BytesIO()
    excel.export_xlsx(cmd.project_records(store), buf, today=TODAY)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    name = ws.cell(2, [c.value for c in ws[1]].index("项目名称") + 1)
    assert name.data_type == "s" and name.value.startswith("=HYPERLINK")


def test_landed_projects_from_the_snapshot(store):
    new(store, "P1")
    walk(store, "P1", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-03-01"), ("注册", "2025-03-02"))
    new(store, "P2")
    walk(store, "P2", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"))
    new(store, "P3")
    walk(store, "P3", ("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-05-01"))
    landed = queries.landed_projects(Snapshot.build(store))
    assert list(landed.keys) == ["P1", "P3"] and list(landed.stage) == ["注册", "签约"]
    assert list(landed.signed_on) == ["2025-03-01", "2025-05-01"] and list(landed.park) == ["qz", "qz"]
    assert list(landed.signed_before("2025-04-01")) == [True, False]


def test_seeded_projects_have_consistent_dated_histories(tmp_path):
    store = SQLiteStore(tmp_path / "seed.db")
    seed_store(store, scale=300, seed=7, progress=False)
    projects = cmd.project_records(store)
    assert len(projects) >= 100
    for p in projects:
        hist = pb.stage_history(p)
        assert [e["to"] for e in hist] == list(rules.STAGES[: rules.STAGE_INDEX[p["stage"]] + 1])
        assert [e["on"] for e in hist] == sorted(e["on"] for e in hist) and hist[-1]["on"] == p["stage_on"]
        if rules.STAGE_INDEX[p["stage"]] >= rules.SIGNED:
            assert next(e["on"] for e in hist if e["to"] == "签约") == p["signed_on"]
    landed = queries.landed_projects(Snapshot.build(store))
    assert set(landed.keys.tolist()) == {p["key"] for p in projects if rules.STAGE_INDEX[p["stage"]] >= rules.SIGNED}
    assert (landed.signed_on != "").all()
    b = pb.board(projects, today=dt.date(2025, 6, 30))
    assert b["overdue"] > 0 and b["stalled"] > 0 and b["landed"] == len(landed)
    assert any(not e["ok"] for e in evaluation.evaluations(Snapshot.build(store)))  # some landed projects fall short of their parcel
    policies, total = store.find("Policy", limit=5)
    assert total >= 40 and all(p["doc_no"] in ("衢政办发〔2025〕30号", None) for p in policies)
    store.close()
