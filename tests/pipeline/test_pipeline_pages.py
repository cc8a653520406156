"""招商项目库 on the officer's workbench (issue 17): the 阶段流转 and 跟踪记录 forms on the project page and the board
call the same commands with the same roles as the API, an illegal step comes back as the page's message with its
reason, 落地 is accepted as 注册 everywhere (API, CLI, form, Excel import), the pages and the Excel export show names
(firm, chain, park) instead of codes while the export still re-imports exactly, and times are in 北京时间."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from conftest import point_cli_at
from factories import INJECT, graph_data
from graph.schema import Enterprise, IndustryChain, Park, Project, Region, Segment
from graph.uscc import make_uscc
from graph.writer import write_objects
from pipeline import board as pb
from pipeline.html import beijing

USCC = make_uscc("9", "1", "330800", "MA2XXXXX")


def objects():
    return [
        Region(key="330800", name="衢州市", level="city"),
        IndustryChain(key="ie.remanufacturing", name="再制造", aliases=["再制造产业"]),
        Segment(key="ie.reman.engine", name="发动机再制造", chain="ie.remanufacturing"),
        Park(key="changshan_ez", name="浙江常山经济开发区", region="330800"),
        Park(key="longyou_ez", name="浙江龙游经济开发区", region="330800"),
        Enterprise(key=USCC, name=f"衢州再造动力有限公司{INJECT}（合成）", region="330800"),
        *[Project(key=k, name=f"{k} 再制造项目（合成）", investor=USCC, chain="ie.remanufacturing",
                  segment="ie.reman.engine", region="330800", park="changshan_ez", owner="张三", stage=stage,
                  stage_on="2025-01-02", total_investment_wan=20000, signed_on="2025-01-02" if stage == "签约" else None)
          for k, stage in (("S1", "线索"), ("S2", "线索"), ("S3", "线索"), ("S4", "签约"), ("S5", "线索"),
                           ("S6", "线索"), ("S7", "签约"))],
        Project(key="L1", name="龙游项目（合成）", park="longyou_ez", stage="线索", stage_on="2025-01-02"),
    ]


@pytest.fixture(scope="module")
def app_data():
    return graph_data(objects(), park="longyou_ez")


def message(r) -> tuple[str, bool]:
    """The page message a form's 303 carries back, and whether it is a success."""
    assert r.status_code == 303, r.text[:300]
    q = parse_qs(urlsplit(r.headers["location"]).query)
    return q["cm_msg"][0], q["cm_ok"][0] == "1"


# ------------------------------------------------------------------------------------------------ forms
def test_the_stage_form_moves_the_project_and_the_page_shows_stage_and_history(api_env):
    c, csrf = api_env.signed_in("officer")
    page = c.get("/pages/pipeline/S1").text
    assert "id='stage-form'" in page and "<option value='接洽'>" in page
    assert "<option value='签约'" not in page  # only the legal next stages are offered
    r = c.post("/pages/pipeline/S1/stage", data={"csrf": csrf, "to": "接洽", "note": "首次拜访", "back": "/pages/pipeline/S1"})
    text, ok = message(r)
    assert ok and "已进入“接洽”" in text and urlsplit(r.headers["location"]).path == "/pages/pipeline/S1"
    assert api_env.store.get("Project", "S1")["stage"] == "接洽"
    assert pb.stage_history(api_env.store.get("Project", "S1"))[-1]["by"].startswith("officer-user(")
    page = c.get(r.headers["location"]).text
    assert "id='cm-flash' class='flash ok'" in page and "接洽（" in page and "首次拜访" in page
    assert "<td>officer-user</td>" in page  # who, by name (the audit log keeps the key id and role)


def test_an_illegal_step_is_refused_with_its_reason_as_the_message_and_nothing_is_written(api_env):
    c, csrf = api_env.signed_in("officer")
    version = api_env.store.version()
    text, ok = message(c.post("/pages/pipeline/S2/stage", data={"csrf": csrf, "to": "签约"}))
    assert not ok and text.startswith("冲突：") and "不能从“线索”跳到“签约”：须依次经过“接洽、洽谈”" in text
    text, ok = message(c.post("/pages/pipeline/S4/stage", data={"csrf": csrf, "to": "洽谈", "note": "x"}))
    assert not ok and "已签约项目不能退回" in text
    text, ok = message(c.post("/pages/pipeline/S2/stage", data={"csrf": csrf, "to": "接洽", "on": "2999-01-01"}))
    assert not ok and "晚于今天" in text
    assert api_env.store.version() == version


def test_the_forms_keep_the_apis_roles_and_park_scope(api_env):
    viewer, vcsrf = api_env.signed_in("viewer")
    assert viewer.post("/pages/pipeline/S3/stage", data={"csrf": vcsrf, "to": "接洽"}).status_code == 403
    assert "id='stage-form'" not in viewer.get("/pages/pipeline/S3").text
    officer, _ = api_env.signed_in("officer")
    assert officer.post("/pages/pipeline/S3/stage", data={"csrf": "forged", "to": "接洽"}).status_code == 403
    park_admin, pcsrf = api_env.signed_in("park_admin")  # of longyou_ez: S3 is in changshan_ez
    text, ok = message(park_admin.post("/pages/pipeline/S3/stage", data={"csrf": pcsrf, "to": "接洽"}))
    assert not ok and "园区管理员只能操作本园区" in text
    assert "id='stage-form'" not in park_admin.get("/pages/pipeline/S3").text
    text, ok = message(park_admin.post("/pages/pipeline/L1/stage", data={"csrf": pcsrf, "to": "接洽"}))
    assert ok and api_env.store.get("Project", "L1")["stage"] == "接洽"
    assert api_env.store.get("Project", "S3")["stage"] == "线索"


def test_the_tracking_form_records_the_note_and_next_action(api_env):
    c, csrf = api_env.signed_in("officer")
    r = c.post("/pages/pipeline/S5/tracking", data={"csrf": csrf, "note": "电话回访，企业确认下周考察",
                                                     "next_action": "陪同考察常山经开区", "next_action_on": "2099-01-05"})
    text, ok = message(r)
    assert ok and "陪同考察常山经开区" in text
    p = api_env.store.get("Project", "S5")
    assert pb.tracking_log(p)[-1]["note"] == "电话回访，企业确认下周考察" and p["next_action_on"] == "2099-01-05"
    page = c.get("/pages/pipeline/S5").text
    assert "电话回访，企业确认下周考察" in page and "登记时间（北京时间）" in page
    text, ok = message(c.post("/pages/pipeline/S5/tracking", data={"csrf": csrf, "note": "  "}))
    assert not ok and "跟踪记录不能为空" in text


def test_the_board_carries_both_forms_for_an_officer_and_comes_back_to_the_board(api_env):
    c, csrf = api_env.signed_in("officer")
    board = c.get("/pages/pipeline", params={"park": "常山"}).text
    assert "<summary>办理</summary>" in board and "action='/pages/pipeline/S6/stage'" in board
    assert "action='/pages/pipeline/S6/tracking'" in board
    back = "/pages/pipeline?park=%E5%B8%B8%E5%B1%B1"
    r = c.post("/pages/pipeline/S6/stage", data={"csrf": csrf, "to": "接洽", "back": back})
    text, ok = message(r)
    assert ok and urlsplit(r.headers["location"]).path == "/pages/pipeline"
    assert parse_qs(urlsplit(r.headers["location"]).query)["park"] == ["常山"]
    anon = api_env.client.get("/pages/pipeline").text
    assert "<summary>办理</summary>" not in anon and "/stage'" not in anon


# ------------------------------------------------------------------------------------------------ 落地
def test_luodi_is_the_alias_of_zhuce_in_the_form_and_the_api(api_env):
    c, csrf = api_env.signed_in("officer")
    page = c.get("/pages/pipeline/S4").text
    assert "<option value='注册'>注册（落地）</option>" in page
    text, ok = message(c.post("/pages/pipeline/S4/stage", data={"csrf": csrf, "to": "落地"}))
    assert ok and "已进入“注册（落地）”" in text and api_env.store.get("Project", "S4")["stage"] == "注册"
    r = api_env.client.post("/api/v1/pipeline/projects/S7/stage", json={"to": "落地"}, headers=api_env.h("officer"))
    assert r.status_code == 200, r.text
    assert r.json()["project"]["stage"] == "注册" and r.json()["history"][-1]["to"] == "注册"
    r = api_env.client.post("/api/v1/pipeline/projects", headers=api_env.h("officer"),
                            json={"key": "N1", "name": "直接落地项目（合成）", "stage": "落地", "on": "2025-01-02"})
    assert r.status_code == 201, r.text
    assert r.json()["project"]["stage"] == "注册" and r.json()["project"]["signed_on"] == "2025-01-02"
    assert api_env.client.get("/api/v1/pipeline/rules").json()["aliases"] == {"落地": "注册"}


def test_luodi_in_the_cli_and_in_an_excel_import(sqlite_store, tmp_path, monkeypatch):
    from api.settings import get_settings
    from pipeline import commands as cmd
    from pipeline.cli import app

    write_objects(sqlite_store, objects())
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    point_cli_at(monkeypatch, sqlite_store)
    try:
        out = CliRunner().invoke(app, ["projects", "stage", "S4", "--to", "落地", "--on", "2025-02-01"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert "注册（落地）" in out.output and sqlite_store.get("Project", "S4")["stage"] == "注册"
    wb = Workbook()
    wb.active.append(["项目编号", "阶段", "阶段日期"])
    wb.active.append(["S7", "落地", "2025-02-03"])
    buf = io.BytesIO()
    wb.save(buf)
    res = cmd.import_xlsx(sqlite_store, buf.getvalue(), actor="导入人")
    assert res.stage_changes == ["S7: 签约→注册"] and sqlite_store.get("Project", "S7")["stage"] == "注册"


# ------------------------------------------------------------------------------------------------ names, times
def test_the_project_page_and_the_board_show_names_not_codes(api_env):
    page = api_env.client.get("/pages/pipeline/S3").text
    facts = page[page.index("<table class='facts'>"):page.index("</table>")]
    assert "衢州再造动力有限公司" in facts and "再制造" in facts and "发动机再制造" in facts
    assert "浙江常山经济开发区" in facts and "衢州市" in facts
    for code in (USCC + "<", ">ie.remanufacturing", ">changshan_ez", ">330800"):
        assert code not in facts
    assert INJECT not in page
    assert f"href='/pages/enterprises/{USCC}'" in facts and "href='/pages/parks/changshan_ez'" in facts
    assert "href='/pages/chains/ie.remanufacturing/map'" in facts
    board = api_env.client.get("/pages/pipeline").text
    assert "衢州再造动力有限公司" in board and "浙江常山经济开发区" in board
    assert not re.search(r">[^<]*(changshan_ez|ie\.remanufacturing|91330800MA2XXXXX0C)[^<]*<", board)


def test_the_policy_calculator_is_not_under_the_pipeline_header(api_env):
    for path in ("/pages/pipeline", "/pages/pipeline/S3"):
        text = api_env.client.get(path).text
        header = text[text.index("<header>"):text.index("</header>")]
        assert "招商项目库" in header and "incentives" not in header and "政策" not in header
        assert "href='/pages/incentives'" in text  # it is in the navigation bar, under its own name
    # the navigation marks 项目库 on a filtered board too (the query string does not make it the home page)
    assert "<a href='/pages/pipeline' class=on>" in api_env.client.get("/pages/pipeline?park=常山").text


def test_the_export_shows_names_and_still_reimports_exactly(api_env):
    client, store = api_env.client, api_env.store
    r = client.get("/api/v1/pipeline/export.xlsx", params={"park": "浙江常山经济开发区"})
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    row = next({h: c.value for h, c in zip(header, cells)} for cells in ws.iter_rows(min_row=2) if cells[0].value == "S3")
    assert row["投资方"].startswith("衢州再造动力有限公司") and row["产业链"] == "再制造" and row["意向园区"] == "浙江常山经济开发区"
    assert row["环节"] == "发动机再制造" and row["拟落地行政区"] == "衢州市"
    assert row["投资方统一社会信用代码"] == USCC and row["产业链代码"] == "ie.remanufacturing" and row["园区代码"] == "changshan_ez"
    version = store.version()
    back = client.post("/api/v1/pipeline/import", content=r.content, headers=api_env.h("officer"))
    assert back.status_code == 200, back.text
    assert back.json()["updated"] == 0 and back.json()["created"] == 0 and store.version() == version


def test_an_import_takes_names_and_refuses_a_name_that_contradicts_its_code(api_env):
    client, store = api_env.client, api_env.store

    def sheet(*rows):
        wb = Workbook()
        for r in rows:
            wb.active.append(list(r))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    ok = client.post("/api/v1/pipeline/import", headers=api_env.h("officer"), content=sheet(
        ["项目编号", "项目名称", "产业链", "环节", "意向园区", "投资方"],
        ["N2", "按名称导入（合成）", "再制造", "发动机再制造", "常山经济开发区", "衢州再造动力有限公司"]))
    assert ok.status_code == 200, ok.text
    n2 = store.get("Project", "N2")
    assert (n2["chain"], n2["segment"], n2["park"], n2["investor"]) == (
        "ie.remanufacturing", "ie.reman.engine", "changshan_ez", USCC)
    bad = client.post("/api/v1/pipeline/import", headers=api_env.h("officer"), content=sheet(
        ["项目编号", "意向园区", "园区代码"], ["N2", "浙江龙游经济开发区", "changshan_ez"],
        ["N3", "智造新成", None]))
    assert bad.status_code == 422
    errs = {(e["row"], e["field"]): e["message"] for e in bad.json()["errors"]}
    assert "与代码列的 changshan_ez 不一致" in errs[(2, "意向园区")]
    assert "不存在" in errs[(3, "意向园区")] and store.get("Project", "N3") is None


def test_times_are_shown_in_beijing_time():
    assert beijing("2026-11-20T17:30:00Z") == "2026-11-21 01:30"
    assert beijing(None) == "—"
