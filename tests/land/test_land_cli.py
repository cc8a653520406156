"""`chainmatch land-assign` on CSV files: assignment and every feasible pair written, bad rows named and nothing
written, a graph from --db/--store, required columns at the header, 未填则不限, chain names."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import point_cli_at
from factories import graph_data, land_market
from land.cli import app as land_cli
from land_helpers import PARCEL_COLS, PROJECT_COLS, cli_inputs, read_csv, write_csv


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_market(), park="qz").with_keys(park_admin_sz=("park_admin", "sz"))


def test_cli_land_assign_writes_assignment_and_every_feasible_pair(tmp_path):
    pj, pc = cli_inputs(tmp_path)
    out, scores = tmp_path / "out" / "A.csv", tmp_path / "out" / "S.csv"
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc),
                                      "--output", str(out), "--scores", str(scores)])
    assert r.exit_code == 0, r.output
    assert "分配 3 对，未匹配项目 1 个" in r.output
    chosen = read_csv(out)
    pairs = read_csv(scores)
    assert list(chosen[0]) == ["project", "project_name", "parcel", "parcel_name", "park", "area_mu", "price_wan_per_mu",
                               "score", "score_chain_park", "score_cluster", "score_area", "score_price",
                               "score_readiness", "score_preferred", "score_distance", "reasons"]
    feasible = {(p["project"], p["parcel"]) for p in pairs}
    # P1: A, C · P2: B · P3: A, C (C via 工业用地 → 0601, 可供 → available) · P4: none · D is transferred
    assert feasible == {("P1", "A"), ("P1", "C"), ("P2", "B"), ("P3", "A"), ("P3", "C")}
    got = {(c["project"], c["parcel"]) for c in chosen}
    assert got == {(p["project"], p["parcel"]) for p in pairs if p["chosen"] == "1"}
    assert {p for p, _ in got} == {"P1", "P2", "P3"} and len({q for _, q in got}) == 3
    s = {(p["project"], p["parcel"]): float(p["score"]) for p in pairs}
    best = max(s[("P1", "A")] + s[("P3", "C")], s[("P1", "C")] + s[("P3", "A")])
    assert sum(s[g] for g in got if g[0] != "P2") == pytest.approx(best, abs=0.011)
    assert all(c["reasons"] for c in chosen)


@pytest.mark.parametrize("which, row, col, value, message", [
    ("parcels", 2, "area_mu", "-80", "parcels.csv 第2行 字段 area_mu: 数值过小"),
    ("projects", 3, "land_max_mu", "80", "projects.csv 第3行 字段 land_max_mu: 用地需求（亩）下限 90 大于上限 80"),
    ("projects", 2, "park", "火星园", "projects.csv 第2行 字段 park: 未知园区 '火星园'（不是地块文件中出现的园区）"),
    ("parcels", 3, "land_use", "9999", "parcels.csv 第3行 字段 land_use: 未知用地性质代码 '9999'"),
    ("projects", 4, "total_investment_wan", "很多", "projects.csv 第4行 字段 total_investment_wan: 应为数字"),
])
def test_cli_bad_input_names_row_and_field_and_writes_nothing(tmp_path, which, row, col, value, message):
    pj, pc = cli_inputs(tmp_path)
    path, cols = (pj, PROJECT_COLS) if which == "projects" else (pc, PARCEL_COLS)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][cols.index(col)] = value
    write_csv(path, rows[0], rows[1:])
    out, scores = tmp_path / "A.csv", tmp_path / "S.csv"
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc),
                                      "--output", str(out), "--scores", str(scores)])
    assert r.exit_code == 2
    assert message in r.output
    assert "未写入任何数据" in r.output
    assert not out.exists() and not scores.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_with_a_store_checks_parks_there_and_uses_the_graph(tmp_path, api_env, monkeypatch):
    from api.settings import get_settings

    store = api_env.store
    pj, pc = cli_inputs(tmp_path)
    out = tmp_path / "A.csv"
    # --db names a SQLite file; --store uses the configured store, whichever backend it is
    graph = ["--db", str(store.path)] if store.backend == "sqlite" else ["--store"]
    point_cli_at(monkeypatch, store)
    try:
        _cli_with_a_store(tmp_path, pj, pc, out, graph)
    finally:
        get_settings.cache_clear()


def _cli_with_a_store(tmp_path, pj, pc, out, graph):
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output", str(out),
                                      *graph, "--weights", "chain_park=100,cluster=0,area=0,price=0,"
                                      "readiness=0,preferred=0,distance=0"])
    assert r.exit_code == 0, r.output
    rows = {c["project"]: c for c in read_csv(out)}
    assert rows["P1"]["score_chain_park"] == "1.0000"  # 衢州智造新城 leads 集成电路 (from the graph)
    assert float(rows["P1"]["score"]) == 100.0
    rows = list(csv.reader(pc.open(encoding="utf-8")))
    rows[2][PARCEL_COLS.index("park")] = "nowhere"
    write_csv(pc, rows[0], rows[1:])
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output",
                                      str(tmp_path / "x.csv"), *graph])
    assert r.exit_code == 2 and "parcels.csv 第3行 字段 park: 未知园区 'nowhere'（库中不存在）" in r.output
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output",
                                      str(tmp_path / "x.csv"), "--db", str(pj), "--store"])
    assert r.exit_code == 2 and "只能选一个" in r.output
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output",
                                      str(tmp_path / "x.csv"), "--weights", "speed=3"])
    assert r.exit_code == 2 and "--weights" in r.output


def test_csv_reading_without_the_import_helpers(tmp_path, monkeypatch):
    """The tool's own contract (headers = field names, the model reads the cells) also holds on its own."""
    from land import csv_files as land_csv
    from graph.validation import ValidationFailed

    for name in ("node_specs", "resolve_header", "decode_bytes"):
        monkeypatch.setattr(land_csv, name, None)
    pj, pc = cli_inputs(tmp_path)
    rows = list(csv.reader(pc.open(encoding="utf-8")))
    rows[3][PARCEL_COLS.index("land_use")] = "0601"  # 工业用地 (a name) needs the import helpers' aliases
    rows[3][PARCEL_COLS.index("status")] = "available"
    write_csv(pc, rows[0], rows[1:])
    projects, parcels, _ = land_csv.load_inputs(pj, pc)
    assert [p.key for p in projects] == ["P1", "P2", "P3", "P4"]
    assert parcels[0].readiness == ["七通一平", "标准地"] and parcels[0].allowed_chains == ["ic"]
    rows[1][PARCEL_COLS.index("area_mu")] = "-3"
    write_csv(pc, rows[0], rows[1:])
    with pytest.raises(ValidationFailed) as e:
        land_csv.load_inputs(pj, pc)
    assert [(p.file, p.row, p.field) for p in e.value.problems] == [("parcels.csv", 2, "area_mu")]


def test_cli_missing_required_column_is_an_error_at_the_header(tmp_path):
    pj, pc = cli_inputs(tmp_path)
    write_csv(pc, [c for c in PARCEL_COLS if c != "area_mu"], [])
    out = tmp_path / "A.csv"
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output", str(out)])
    assert r.exit_code == 2, r.output
    assert "parcels.csv 第1行 字段 area_mu: 缺少必需的列" in r.output and "共 1 个问题" in r.output
    assert r.output.count("缺少必需的列") == 1 and not out.exists()


def test_cli_project_without_land_use_is_unrestricted(tmp_path):
    pj, pc = cli_inputs(tmp_path)
    write_csv(pc, PARCEL_COLS, [["W", "仓储地块", "qz", "330802", "600", "0604", "20", "", "", "", "", "available"]])
    out, scores = tmp_path / "A.csv", tmp_path / "S.csv"
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc),
                                      "--output", str(out), "--scores", str(scores)])
    assert r.exit_code == 0, r.output
    assert {(p["project"], p["parcel"]) for p in read_csv(scores)} == {("P4", "W")}  # P4 left land_use empty


def _rewrite(path: Path, cols, row: int, col: str, value: str) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[row - 1][cols.index(col)] = value
    write_csv(path, rows[0], rows[1:])


def test_cli_chain_names_resolve_against_the_graph(tmp_path, api_env, monkeypatch):
    from api.settings import get_settings

    store = api_env.store
    graph = ["--db", str(store.path)] if store.backend == "sqlite" else ["--store"]
    point_cli_at(monkeypatch, store)
    try:
        pj, pc = cli_inputs(tmp_path)
        _rewrite(pj, PROJECT_COLS, 2, "chain", "集成电路")  # P1 by name
        _rewrite(pc, PARCEL_COLS, 2, "allowed_chains", "集成电路")  # A's 产业准入 by name
        out = tmp_path / "A.csv"
        r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output",
                                          str(out), *graph])
        assert r.exit_code == 0, r.output
        p1 = {c["project"]: c for c in read_csv(out)}["P1"]
        assert p1["score_chain_park"] == "1.0000" and "主导产业含「集成电路」" in p1["reasons"]
        _rewrite(pj, PROJECT_COLS, 2, "chain", "集成电漏")
        r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc), "--output",
                                          str(tmp_path / "x.csv"), *graph])
        assert r.exit_code == 2
        assert ("projects.csv 第2行 字段 chain: 未知产业链 '集成电漏'（库中不存在）；您是不是要找：集成电路（ic）"
                in r.output)
        assert not (tmp_path / "x.csv").exists()
    finally:
        get_settings.cache_clear()


def test_cli_without_a_graph_reports_chains_only_one_file_uses(tmp_path):
    pj, pc = cli_inputs(tmp_path)
    _rewrite(pj, PROJECT_COLS, 4, "chain", "集成电漏")  # P3
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc),
                                      "--output", str(tmp_path / "A.csv")])
    assert r.exit_code == 0, r.output  # compared as written, as before: reported, not refused
    assert "提示：projects.csv 第4行 字段 chain: 产业链 '集成电漏' 不在地块文件的任何产业准入中" in r.output
