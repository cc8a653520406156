"""招商项目库 over HTTP and the CLI with chains and parks given as people type them (issue 13, names): 集成电路,
半导体 and 衢州智造新城 resolve through kernel.resolve like on the map; a name that resolves to nothing (智造新城:
the resolver does not drop the city prefix) is a 404 problem with suggestions, never an empty board. The board's
owner filter selects on the snapshot."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import point_cli_at
from factories import graph_data
from graph.schema import IndustryChain, Park, Project, Region
from graph.writer import write_objects


def objects():
    return [
        Region(key="330800", name="衢州市", level="city"),
        IndustryChain(key="ic", name="集成电路", aliases=["半导体"]),
        Park(key="quzhou_zhizao", name="衢州智造新城", region="330800"),
        Park(key="longyou_ez", name="浙江龙游经济开发区", region="330800"),
        Project(key="P1", name="封测项目（合成）", park="quzhou_zhizao", chain="ic", owner="张三", stage="线索",
                stage_on="2025-01-02", total_investment_wan=20000),
        Project(key="P2", name="龙游项目（合成）", park="longyou_ez", owner="李四", stage="线索", stage_on="2025-01-02"),
    ]


@pytest.fixture(scope="module")
def app_data():
    return graph_data(objects(), park="quzhou_zhizao")


def keys_on(board: dict) -> list[str]:
    return [p["key"] for st in board["stages"] for p in st["projects"]]


@pytest.mark.parametrize("park", ["衢州智造新城", "quzhou_zhizao", " 衢州智造新城 ", "智造新城"])
def test_the_board_takes_a_park_by_key_or_name(api_env, park):
    client = api_env.client
    r = client.get("/api/v1/pipeline/board", params={"park": park, "today": "2025-06-30"})
    assert r.status_code == 200, r.text
    assert keys_on(r.json()) == ["P1"]
    for path in ("overdue", "stalled", "evaluations"):
        assert client.get(f"/api/v1/pipeline/{path}", params={"park": park}).status_code == 200
    page = client.get("/pages/pipeline", params={"park": park})
    assert page.status_code == 200 and "封测项目（合成）" in page.text and "龙游项目" not in page.text


@pytest.mark.parametrize("park", ["智造新成", "制造新城"])
def test_an_unknown_park_is_a_404_with_suggestions_not_an_empty_board(api_env, park):
    client = api_env.client
    r = client.get("/api/v1/pipeline/board", params={"park": park})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "衢州智造新城（quzhou_zhizao）" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "park"
    assert client.get("/api/v1/pipeline/export.xlsx", params={"park": "无此园区"}).status_code == 404


def test_the_owner_filter(api_env):
    client = api_env.client
    assert keys_on(client.get("/api/v1/pipeline/board", params={"owner": "李四"}).json()) == ["P2"]
    assert keys_on(client.get("/api/v1/pipeline/board", params={"owner": "张三", "park": "浙江龙游经济开发区"}).json()) == []


def test_a_project_is_created_and_patched_with_chain_and_park_names(api_env):
    client, auth = api_env.client, api_env.h("officer")
    body = {"key": "P3", "name": "名称建档项目（合成）", "chain": "集成电路", "park": "衢州智造新城", "on": "2025-01-02"}
    r = client.post("/api/v1/pipeline/projects", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["project"]["chain"] == "ic" and r.json()["project"]["park"] == "quzhou_zhizao"
    r = client.patch("/api/v1/pipeline/projects/P3", json={"chain": "半导体", "park": "浙江龙游"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["project"]["chain"] == "ic" and r.json()["project"]["park"] == "longyou_ez"
    bad = client.post("/api/v1/pipeline/projects", json=body | {"key": "P4", "chain": "生物医药"}, headers=auth)
    assert bad.status_code in (404, 422) and "集成电路（ic）" in bad.json()["detail"]
    assert client.get("/api/v1/pipeline/projects/P4").status_code == 404


def test_the_cli_board_takes_a_park_name(sqlite_store, tmp_path, monkeypatch):
    """The CLI opens the configured store (SQLite here), so this runs once, not per backend."""
    from api.settings import get_settings
    from pipeline.cli import app

    write_objects(sqlite_store, objects())
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    point_cli_at(monkeypatch, sqlite_store)
    try:
        ok = CliRunner().invoke(app, ["projects", "board", "--park", "衢州智造新城", "--today", "2025-06-30"])
        bad = CliRunner().invoke(app, ["projects", "board", "--park", "智造新成"])
    finally:
        get_settings.cache_clear()
    assert ok.exit_code == 0, ok.output
    assert "共 1 个项目" in ok.output
    assert bad.exit_code != 0 and "衢州智造新城" in bad.output
