"""The `chainmatch` command line speaks Chinese also when it is used wrongly (api/cli_common.ChineseGroup), and
takes park names where it takes a park (the resolver, as the API does)."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from conftest import point_cli_at
from factories import tiny_graph_objects, tiny_graph_relations
from graph.writer import write_objects


@pytest.mark.parametrize("args, says", [
    (["keys", "create", "--role", "viewer"], "错误：缺少选项 '--name'。"),
    (["keys", "create", "--nmae", "x"], "错误：没有选项 --nmae；您是不是要找：--name"),
    (["keys", "revoke"], "错误：缺少参数 'KEY_ID'。"),
    (["sed"], "错误：没有命令 'sed'；您是不是要找 'seed'"),
    (["seed", "--scale", "很多"], "错误：'--scale' 的值无效"),
    (["keys", "list", "多余"], "错误：多余的参数"),
])
def test_usage_errors_are_chinese_with_exit_code_2(args, says):
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "用法：" in r.output and "查看帮助" in r.output
    assert "Missing" not in r.output and "No such" not in r.output and "Usage" not in r.output


def test_keys_create_takes_a_park_name(sqlite_store, monkeypatch, tmp_path):
    write_objects(sqlite_store, tiny_graph_objects(), tiny_graph_relations())
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    point_cli_at(monkeypatch, sqlite_store)
    try:
        ok = CliRunner().invoke(app, ["keys", "create", "--name", "园区", "--role", "park_admin", "--park", "衢州智造新城"])
        assert ok.exit_code == 0, ok.output
        assert "园区 qz-zz" in ok.output
        bad = CliRunner().invoke(app, ["keys", "create", "--name", "园区", "--role", "park_admin", "--park", "智造新区"])
        assert bad.exit_code == 2 and "园区 '智造新区' 不存在" in bad.output
    finally:
        get_settings.cache_clear()
