"""土地超市 API, page and CLI: matching in both directions, batch assignment, reservations with roles, park scope,
409 on conflict (also under 60 truly concurrent requests against a running server), the storefront page
(offline, escaped), and `chainmatch land-assign` on CSV files (bad rows named, nothing written)."""
from __future__ import annotations

import csv
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from land import pages as pages_land
from api.app import create_app
from api.auth import create_key
from land.cli import app as land_cli
from land import router as land_router
from api.settings import Settings
from graph.schema import Enterprise, IndustryChain, LandParcel, Park, Project, Region, Segment
from conftest import new_store, point_cli_at
from graph.store import RelRec
from graph.writer import write_objects

INJECT = "<script>alert('x')</script>"


def objects(n_racers: int = 60):
    objs = [
        Region(key="330800", name="衢州市", level="city", lat=28.97, lon=118.87),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="440300", name="深圳市", level="city", lat=22.54, lon=114.06),
        IndustryChain(key="ic", name="集成电路"),
        IndustryChain(key="bio", name="生物医药"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic"),
        Segment(key="ic.pkg", name="封测", chain="ic"),
        Park(key="qz", name="衢州智造新城", region="330802", leading_chains=["ic"], lat=28.95, lon=118.85),
        Park(key="sz", name=f"深圳园{INJECT}", region="440300", leading_chains=["bio"]),
        Enterprise(key="F1", name="衢州晶圆（合成）", region="330802"),
        LandParcel(key="A", name="智造新城A地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=25,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, readiness=["七通一平", "标准地"],
                   allowed_chains=["ic"]),
        LandParcel(key="B", name=f"深圳B地块{INJECT}", park="sz", region="440300", area_mu=120, price_wan_per_mu=45,
                   min_invest_intensity_wan_per_mu=250),
        LandParcel(key="C", name="智造新城C地块", park="qz", region="330802", area_mu=85, price_wan_per_mu=20,
                   readiness=["五通一平"]),
        LandParcel(key="R", name="预留测试地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=20),
        LandParcel(key="S", name="深圳出让测试地块", park="sz", region="440300", area_mu=80, price_wan_per_mu=20),
        LandParcel(key="RACE", name="抢地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=20),
        Project(key="P1", name="封测基地项目", chain="ic", segment="ic.pkg", park="qz", total_investment_wan=26000,
                land_min_mu=70, land_max_mu=90, expected_tax_wan=1300, max_price_wan_per_mu=40),
        Project(key="P2", name="生物药项目", chain="bio", total_investment_wan=40000, land_min_mu=100, land_max_mu=130),
        Project(key="P9", name="大项目", chain="ic", total_investment_wan=90000, land_min_mu=500, land_max_mu=600),
    ]
    objs += [Project(key=f"race{k:02d}", name=f"抢地项目{k}", chain="ic", total_investment_wan=30000,
                     land_min_mu=60, land_max_mu=100) for k in range(n_racers)]
    return objs


def build_app(store, d):
    app = create_app(Settings(sqlite_path=str(d / "land.db"), snapshot_dir=str(d / "snaps")), store=store)
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/api/v1/land/match" not in paths:  # until api/app.py includes it
        app.include_router(land_router.router, prefix="/api/v1")
    if "/pages/land" not in paths:
        app.include_router(pages_land.router)
    return app


@pytest.fixture(scope="module")
def env(backend, tmp_path_factory):
    d = tmp_path_factory.mktemp("landapi")
    store = new_store(backend, d / "land.db")
    write_objects(store, objects(), [RelRec("IN_SEGMENT", "Enterprise", "F1", "Segment", "ic.fab")])
    keys = {role: create_key(store, name=f"{role}-user", role=role, park="qz" if role == "park_admin" else None)[1]
            for role in ("admin", "officer", "park_admin", "viewer")}
    keys["park_admin_sz"] = create_key(store, name="sz-admin", role="park_admin", park="sz")[1]
    app = build_app(store, d)
    with TestClient(app) as client:
        yield client, keys, store, app
    store.close()


def h(keys, role):
    return {"X-API-Key": keys[role]}


# ------------------------------------------------------------------------------------------------ matching
def test_match_by_key_ranks_and_explains(env):
    client, *_ = env
    r = client.post("/api/v1/land/match", json={"project": "P1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["project"]["project"] == "P1"
    feasible = [m["parcel"] for m in body["feasible"]]
    assert feasible[0] == "A" and set(feasible) == {"A", "C", "R", "RACE", "S"}
    top = body["feasible"][0]
    assert abs(sum(b["points"] for b in top["breakdown"]) - top["score"]) < 0.05
    assert {"rule": "invest", "label": "固定资产投资强度", "outcome": "pass",
            "message": "投资强度 325 万元/亩 ≥ 要求 300 万元/亩"} in top["checks"]
    miss = {m["parcel"]: m for m in body["infeasible"]}
    assert [f["message"] for f in miss["B"]["failures"]] == [
        "面积 120 亩 > 需求上限 90 亩", "投资强度 216.67 万元/亩 < 要求 250 万元/亩", "地价 45 万元/亩 > 可接受上限 40 万元/亩"]
    assert body["weights"]["chain_park"] == 20


def test_match_inline_project_with_filters_and_weights(env):
    client, *_ = env
    inline = {"chain": "ic", "total_investment_wan": 26000, "land_min_mu": 70, "land_max_mu": 90,
              "expected_tax_wan": 1300, "max_price_wan_per_mu": 40}
    r = client.post("/api/v1/land/match", json={"project_data": inline, "park": "qz", "limit": 2,
                                                 "weights": {"price": 100, "chain_park": 0, "cluster": 0, "area": 0,
                                                             "readiness": 0, "preferred": 0, "distance": 0}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["project"]["name"] == "临时项目"
    assert [m["parcel"] for m in body["feasible"]] == ["C", "R"]  # cheapest first (20 万元/亩, ties by key)
    assert body["feasible"][0]["score"] == 50.0  # 1 − 20/40
    assert all(m["park"] == "qz" for m in body["feasible"] + body["infeasible"])
    r = client.post("/api/v1/land/match", json={"project": "P1", "region": "330800", "include_transferred": True})
    listed = {m["parcel"] for m in r.json()["feasible"] + r.json()["infeasible"]}
    assert listed == {"A", "C", "R", "RACE"}  # 衢州市 includes 柯城区; the 深圳 parcels are left out


@pytest.mark.parametrize("body, status, text", [
    ({"project": "nope"}, 404, "项目 'nope' 不存在"),
    ({}, 422, "project 与 project_data 须且只须给出一个"),
    ({"project": "P1", "project_data": {"chain": "ic"}}, 422, "须且只须"),
    ({"project_data": {"park": "mars"}}, 422, "未知园区 'mars'"),
    ({"project_data": {"land_min_mu": 90, "land_max_mu": 70}}, 422, "用地需求（亩）下限 90 大于上限 70"),
    ({"project_data": {"land_use": "9999"}}, 422, "未知用地性质代码"),
    ({"project_data": {"land_min_mu": -5}}, 422, "数值过小"),
    ({"project": "P1", "park": "mars"}, 422, "未知园区 'mars'"),
    ({"project": "P1", "weights": {"price": -1}}, 422, "weights.price"),
    ({"project": "P1", "weights": {"area": True}}, 422, "area 应为数字，不能是 true"),
    ({"project": "P1", "weights": {"cluster": 1e308, "readiness": 1e308}}, 422, "weights.cluster"),
    ({"project_data": {"total_investment_wan": False}}, 422, "total_investment_wan 应为数字"),
])
def test_match_bad_requests_are_problem_json(env, body, status, text):
    client, *_ = env
    r = client.post("/api/v1/land/match", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert text in r.text


def test_parcel_to_projects_and_enterprise_extension_point(env):
    client, _, _, app = env
    r = client.get("/api/v1/parcels/A/projects", params={"infeasible_limit": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["parcel"]["parcel"] == "A" and [m["project"] for m in body["feasible"]][0] == "P1"
    miss = {m["project"]: m for m in body["infeasible"]}
    assert "产业链「生物医药」不在产业准入范围（集成电路）" in [f["message"] for f in miss["P2"]["failures"]]
    assert client.get("/api/v1/parcels/nope/projects").status_code == 404
    # the target recommender answers for the parcel's chains; its only ic firm is already local, so none to attract
    r = client.get("/api/v1/parcels/A/enterprises")
    body = r.json()
    assert r.status_code == 200 and body["chains"] == ["ic"] and body["region"] == "330802" and body["items"] == []

    class FakeRecommender:
        def recommend_for_parcel(self, snapshot, *, parcel, chains, region, limit):
            return [{"enterprise": "F1", "name": "衢州晶圆（合成）", "score": 1.0, "reasons": [f"{parcel}:{chains}:{region}"]}]

    app.state.land_enterprise_recommender = FakeRecommender()
    try:
        r = client.get("/api/v1/parcels/A/enterprises")
        assert r.status_code == 200 and r.json()["items"][0]["reasons"] == ["A:['ic']:330802"]
    finally:
        del app.state.land_enterprise_recommender


def test_assign_is_one_to_one_and_reports_unmatched(env):
    client, *_ = env
    r = client.post("/api/v1/land/assign", json={"projects": ["P1", "P2", "P9"], "include_pairs": True})
    assert r.status_code == 200, r.text
    body = r.json()
    got = {(a["project"], a["parcel"]) for a in body["assigned"]}
    assert ("P2", "B") in got and len({p for _, p in got}) == len(got)
    assert {p for p, _ in got} == {"P1", "P2"}
    assert [u["project"] for u in body["unmatched"]] == ["P9"]
    assert body["unmatched"][0]["reason"].startswith("没有满足硬性条件的地块")
    pairs = {(p["project"], p["parcel"]): p["score"] for p in body["pairs"]}
    assert body["total_score"] == pytest.approx(sum(pairs[g] for g in got), abs=0.02)
    best_p1 = max(s for (p, _), s in pairs.items() if p == "P1")
    assert pairs[next(g for g in got if g[0] == "P1")] == best_p1  # no competition for P1's best parcel
    r = client.post("/api/v1/land/assign", json={"projects": ["P1", "ghost"], "parcels": ["A", "nowhere"]})
    assert r.status_code == 422
    assert [e["message"] for e in r.json()["errors"]] == ["未知项目 'ghost'", "未知地块 'nowhere'"]


# ------------------------------------------------------------------------------------------------ reservations
def test_reservation_roles_scope_and_conflicts(env):
    client, keys, store, _ = env
    url = "/api/v1/parcels/R/reserve"
    body = {"project": "P1", "ttl_hours": 48}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=h(keys, "viewer")).status_code == 403
    r = client.post(url, json=body, headers=h(keys, "park_admin_sz"))
    assert r.status_code == 403 and "本园区（sz）" in r.json()["detail"]
    r = client.post(url, json=body, headers=h(keys, "officer"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reserved" and r.json()["reserved_by"] == "P1" and r.json()["rev"] == 1
    r = client.post(url, json={"project": "P2"}, headers=h(keys, "park_admin"))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert "已被项目 P1预留" in r.json()["detail"]
    # the matcher sees the reservation at once (the snapshot follows the store's version)
    miss = {m["parcel"]: m for m in client.post("/api/v1/land/match", json={"project": "P9"}).json()["infeasible"]}
    assert miss["R"]["failures"][0]["message"].startswith("地块已被项目「封测基地项目」预留，至 ")
    # officers cannot transfer; the park's own admin can, to the project holding the reservation
    assert client.post("/api/v1/parcels/R/transfer", json={"project": "P1"}, headers=h(keys, "officer")).status_code == 403
    r = client.post("/api/v1/parcels/R/transfer", json={"project": "P2"}, headers=h(keys, "park_admin"))
    assert r.status_code == 409
    r = client.post("/api/v1/parcels/R/release", json={"project": "P1", "reason": "测试释放"}, headers=h(keys, "park_admin"))
    assert r.status_code == 200 and r.json()["status"] == "available" and r.json()["rev"] == 2
    r = client.post("/api/v1/parcels/R/release", headers=h(keys, "officer"))
    assert r.status_code == 409 and "未被预留" in r.json()["detail"]
    r = client.post("/api/v1/parcels/R/transfer", json={"project": "P1"}, headers=h(keys, "park_admin"))
    assert r.status_code == 200 and r.json()["status"] == "transferred" and r.json()["transferred_to"] == "P1"
    r = client.post(url, json=body, headers=h(keys, "admin"))
    assert r.status_code == 409 and "已出让" in r.json()["detail"]
    audit = client.get("/api/v1/audit", headers=h(keys, "admin")).json()
    mine = [(a["action"], a["actor"].split("(")[0]) for a in audit if a["target"] == "LandParcel/R"]
    assert mine == [("land.transfer", "park_admin-user"), ("land.release", "park_admin-user"),
                    ("land.reserve", "officer-user")]


def test_reservation_rule_violation_and_missing(env):
    client, keys, *_ = env
    r = client.post("/api/v1/parcels/S/reserve", json={"project": "P1"}, headers=h(keys, "officer"))
    assert r.status_code == 200  # unrestricted 80 亩 parcel
    r = client.post("/api/v1/parcels/A/reserve", json={"project": "P2"}, headers=h(keys, "officer"))
    assert r.status_code == 422
    assert {e["rule"] for e in r.json()["errors"]} == {"area", "tax", "chain"}
    assert "产业链「生物医药」不在产业准入范围（集成电路）" in r.json()["detail"]
    assert client.post("/api/v1/parcels/nope/reserve", json={"project": "P1"}, headers=h(keys, "officer")).status_code == 404
    r = client.post("/api/v1/parcels/C/reserve", json={"project": "ghost"}, headers=h(keys, "officer"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "project"
    r = client.post("/api/v1/parcels/C/reserve", json={"project": "P1", "ttl_hours": 0}, headers=h(keys, "officer"))
    assert r.status_code == 422
    assert client.post("/api/v1/land/sweep", headers=h(keys, "officer")).status_code == 403
    assert client.post("/api/v1/land/sweep", headers=h(keys, "admin")).json() == {"released": [], "count": 0}


def test_sixty_concurrent_reservations_exactly_one_wins(env):
    """A real server (uvicorn on 127.0.0.1) and 60 client threads released together at one parcel."""
    _, keys, store, app = env
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    n = 60
    gate = threading.Barrier(n, timeout=30)

    def fire(k: int) -> int:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            gate.wait()
            r = c.post("/api/v1/parcels/RACE/reserve", json={"project": f"race{k:02d}"}, headers=h(keys, "officer"))
            return r.status_code

    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            codes = list(pool.map(fire, range(n)))
    finally:
        server.should_exit = True
        thread.join(20)
    assert codes.count(200) == 1 and codes.count(409) == n - 1, sorted(codes)
    parcel = store.get("LandParcel", "RACE")
    assert parcel["status"] == "reserved" and parcel["rev"] == 1
    assert len([a for a in store.list_audit(limit=500) if a["target"] == "LandParcel/RACE"]) == 1


# ------------------------------------------------------------------------------------------------ page
def test_storefront_page_filters_offline_and_escaped(env):
    client, *_ = env
    r = client.get("/pages/land")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "土地超市" in page and "default-src 'none'" in r.headers["content-security-policy"]
    for external in ("http://", "https://", "<script", "src=", "<link", "@import"):
        assert external not in page, external
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # the injected names, inert
    assert "智造新城A地块" in page and "智造新城C地块" in page
    only = lambda **q: client.get("/pages/land", params=q).text  # noqa: E731
    p = only(chain="ic")
    assert "智造新城A地块" in p and "深圳B地块" in p  # B is unrestricted
    p = only(chain="bio")
    assert "智造新城A地块" not in p and "深圳B地块" in p  # A admits only 集成电路
    p = only(area_min="100", area_max="")
    assert "深圳B地块" in p and "智造新城A地块" not in p
    p = only(invest="22000")  # 22000/80 = 275 < A's 300
    assert "智造新城A地块" not in p and "智造新城C地块" in p
    p = only(park="sz")
    assert "深圳B地块" in p and "智造新城C地块" not in p
    p = only(standard="1")
    assert "智造新城A地块" in p and "智造新城C地块" not in p
    p = only(area_min="abc", park=INJECT)
    assert "面积下限应为数字" in p and "<script>alert" not in p and "未知园区" in p


def test_storefront_parcel_detail_lists_projects(env):
    client, *_ = env
    page = client.get("/pages/land", params={"parcel": "A"}).text
    assert "封测基地项目" in page and "适合的项目" in page and "园区主导产业契合" in page
    assert "项目未填达产年税收，无法满足亩均税收要求（≥ 15 万元/亩）" in page  # the 60 抢地项目 lack a tax figure
    page = client.get("/pages/land", params={"parcel": "B"}).text
    assert "<script>alert" not in page and "深圳B地块&lt;script&gt;" in page
    assert "地块 nope 不存在" in client.get("/pages/land", params={"parcel": "nope"}).text


# ------------------------------------------------------------------------------------------------ CLI
PROJECT_COLS = ["key", "name", "chain", "park", "total_investment_wan", "land_min_mu", "land_max_mu", "land_use",
                "expected_tax_wan", "max_price_wan_per_mu", "pollution_class"]
PARCEL_COLS = ["key", "name", "park", "region", "area_mu", "land_use", "price_wan_per_mu",
               "min_invest_intensity_wan_per_mu", "min_tax_wan_per_mu", "allowed_chains", "readiness", "status"]


def write_csv(path: Path, cols, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(rows)


def read_csv(path: Path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def cli_inputs(tmp_path):
    pj, pc = tmp_path / "projects.csv", tmp_path / "parcels.csv"
    write_csv(pj, PROJECT_COLS, [
        ["P1", "封测项目", "ic", "qz", "26000", "70", "90", "0601", "1300", "40", "一般"],
        ["P2", "药厂项目", "bio", "", "40000", "90", "130", "0601", "", "", ""],
        ["P3", "同样想要A的项目", "ic", "qz", "30000", "75", "85", "0601", "1500", "40", ""],
        ["P4", "没有地的项目", "ic", "", "90000", "500", "600", "", "", "", ""],
    ])
    write_csv(pc, PARCEL_COLS, [
        ["A", "A地块", "qz", "330802", "80", "0601", "25", "300", "15", "ic", "七通一平;标准地", "available"],
        ["B", "B地块", "sz", "440300", "120", "0601", "45", "250", "", "", "", "available"],
        ["C", "C地块", "qz", "330802", "85", "工业用地", "30", "", "", "", "", "可供"],
        ["D", "D地块", "qz", "330802", "80", "0601", "20", "", "", "", "", "transferred"],
    ])
    return pj, pc


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


def test_cli_with_a_store_checks_parks_there_and_uses_the_graph(tmp_path, env, monkeypatch):
    from api.settings import get_settings

    _, _, store, _ = env
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
    from graph.writer import ValidationFailed

    for name in ("node_specs", "resolve_header", "decode_bytes"):
        monkeypatch.setattr(land_csv, name, None)
    pj, pc = cli_inputs(tmp_path)
    rows = list(csv.reader(pc.open(encoding="utf-8")))
    rows[3][PARCEL_COLS.index("land_use")] = "0601"  # 工业用地 (a name) needs the import helpers' aliases
    rows[3][PARCEL_COLS.index("status")] = "available"
    write_csv(pc, rows[0], rows[1:])
    projects, parcels = land_csv.load_inputs(pj, pc)
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
    assert "parcels.csv 第1行 字段 area_mu: 缺少必需的列 area_mu" in r.output
    assert r.output.count("area_mu") == 1 and not out.exists()


def test_cli_project_without_land_use_is_unrestricted(tmp_path):
    pj, pc = cli_inputs(tmp_path)
    write_csv(pc, PARCEL_COLS, [["W", "仓储地块", "qz", "330802", "600", "0604", "20", "", "", "", "", "available"]])
    out, scores = tmp_path / "A.csv", tmp_path / "S.csv"
    r = CliRunner().invoke(land_cli, ["land-assign", "--projects", str(pj), "--parcels", str(pc),
                                      "--output", str(out), "--scores", str(scores)])
    assert r.exit_code == 0, r.output
    assert {(p["project"], p["parcel"]) for p in read_csv(scores)} == {("P4", "W")}  # P4 left land_use empty


def test_match_inline_project_without_land_use_is_unrestricted(env):
    client, *_ = env
    r = client.post("/api/v1/land/match", json={"project_data": {"chain": "ic"}, "infeasible_limit": 500})
    assert r.status_code == 200, r.text
    # 未填则不限: no land-use rule is checked at all (a project defaulting to 0601 would show a passed check)
    assert r.json()["feasible"] and not [c for m in r.json()["feasible"] for c in m["checks"] if c["rule"] == "land_use"]
