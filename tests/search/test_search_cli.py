"""`chainmatch search <q>`: the same search as the API, in a terminal — ranked hits with kind and reason, a helpful
line when nothing matches, a Chinese refusal for an unknown kind."""
from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from conftest import point_cli_at
from factories import tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise
from graph.writer import write_objects


def test_search_command(monkeypatch, sqlite_store, tmp_path):
    write_objects(sqlite_store, tiny_graph_objects() + [Enterprise(key="E-HX", name="华芯国际微电子有限公司（测试）")],
                  tiny_graph_relations())
    point_cli_at(monkeypatch, sqlite_store)
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["search", "hxgj"])
        assert r.exit_code == 0, r.output
        assert r.output.splitlines()[1].startswith("企业\t华芯国际微电子有限公司（测试）") and "拼音首字母" in r.output
        r = CliRunner().invoke(app, ["search", "无此企业无此园区"])
        assert r.exit_code == 0 and "没有找到" in r.output
        r = CliRunner().invoke(app, ["search", "华芯", "--label", "星球"])
        assert r.exit_code == 2 and "未知类别" in r.output
    finally:
        get_settings.cache_clear()
