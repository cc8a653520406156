"""土地超市 API: matching in both directions, batch assignment, names through the resolver, reservations with
roles and park scope, 409 on conflict (also under 60 truly concurrent requests against a running server)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from factories import graph_data, land_market


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_market(), park="qz").with_keys(park_admin_sz=("park_admin", "sz"))


def h(keys, role):
    return {"X-API-Key": keys[role]}


def test_match_by_key_ranks_and_explains(api_env):
    client = api_env.client
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


def test_match_answers_the_quick_question_with_parcels_to_verify(api_env):
    """80 亩, 投资强度 ≥ 300 万元/亩, nothing else known: not "0 fitting" — A (its tax and chain requirements cannot
    be checked) comes as 可能符合，待核实 with what to check; the answer's other fields are as before."""
    quick = {"land_min_mu": 64, "land_max_mu": 96, "total_investment_wan": 24000}
    r = api_env.client.post("/api/v1/land/match", json={"project_data": quick, "park": "qz"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"project", "feasible", "infeasible", "to_verify", "counts", "weights"}
    assert {m["parcel"] for m in body["feasible"]} == {"C", "R", "RACE"}
    (a,) = body["to_verify"]
    assert a["parcel"] == "A" and a["summary"] == "待核实：亩均税收（项目未填）、产业准入（项目未填）"
    assert [c["outcome"] for c in a["verify"]] == ["verify", "verify"] and a["score"] > 0
    assert "A" in {m["parcel"] for m in body["infeasible"]} and body["counts"]["to_verify"] == 1
    short = {**quick, "total_investment_wan": 20000}  # 250 < 300 万元/亩: a failure on a known fact
    body = api_env.client.post("/api/v1/land/match", json={"project_data": short, "park": "qz"}).json()
    assert body["to_verify"] == []
    assert "投资强度 250 万元/亩 < 要求 300 万元/亩" in [f["message"] for f in
                                                     {m["parcel"]: m for m in body["infeasible"]}["A"]["failures"]]


def test_match_inline_project_with_filters_and_weights(api_env):
    client = api_env.client
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
def test_match_bad_requests_are_problem_json(api_env, body, status, text):
    client = api_env.client
    r = client.post("/api/v1/land/match", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert text in r.text


def test_match_inline_project_without_land_use_is_unrestricted(api_env):
    client = api_env.client
    r = client.post("/api/v1/land/match", json={"project_data": {"chain": "ic"}, "infeasible_limit": 500})
    assert r.status_code == 200, r.text
    # 未填则不限: no land-use rule is checked at all (a project defaulting to 0601 would show a passed check)
    assert r.json()["feasible"] and not [c for m in r.json()["feasible"] for c in m["checks"] if c["rule"] == "land_use"]


def test_parcel_to_projects_and_enterprise_extension_point(api_env):
    client, app = api_env.client, api_env.app
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


def test_assign_is_one_to_one_and_reports_unmatched(api_env):
    client = api_env.client
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


def test_reservation_roles_scope_and_conflicts(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
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
    assert "已被项目「封测基地项目」预留（至 " in r.json()["detail"] and "北京时间）" in r.json()["detail"]
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


def test_reservation_rule_violation_and_missing(api_env):
    client, keys = api_env.client, api_env.keys
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


def test_sixty_concurrent_reservations_exactly_one_wins(api_env):
    """A real server (uvicorn on 127.0.0.1) and 60 client threads released together at one parcel."""
    keys, store, app = api_env.keys, api_env.store, api_env.app
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


# ------------------------------------------------------------------------------------------------ names
def test_match_and_assign_take_chain_and_park_names(api_env):
    client = api_env.client
    inline = {"chain": "集成电路", "total_investment_wan": 26000, "land_min_mu": 70, "land_max_mu": 90,
              "expected_tax_wan": 1300, "max_price_wan_per_mu": 40}
    by_name = client.post("/api/v1/land/match", json={"project_data": inline, "park": "衢州智造新城"})
    by_key = client.post("/api/v1/land/match", json={"project_data": {**inline, "chain": "ic"}, "park": "qz"})
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["project"]["chain"] == "集成电路"
    assert by_name.json()["feasible"] == by_key.json()["feasible"]
    assert "A" in [m["parcel"] for m in by_name.json()["feasible"]]  # A admits only ic: the name met its 产业准入
    r = client.post("/api/v1/land/assign", json={"projects": ["P1"], "park": "衢州智造新城"})
    assert r.status_code == 200 and {a["park"] for a in r.json()["assigned"]} == {"qz"}


@pytest.mark.parametrize("body, field, text", [
    ({"project_data": {"chain": "集成电漏"}}, "project_data.chain", "未知产业链 '集成电漏'；您是不是要找：集成电路（ic）"),
    ({"project": "P1", "park": "衢州智造新成"}, "park", "未知园区 '衢州智造新成'；您是不是要找：衢州智造新城（qz）"),
])
def test_a_misspelt_name_is_refused_with_a_suggestion(api_env, body, field, text):
    client = api_env.client
    r = client.post("/api/v1/land/match", json=body)
    assert r.status_code == 422, r.text
    assert text in r.json()["detail"] and r.json()["errors"][0]["field"] == field
    r = client.post("/api/v1/land/assign", json={"park": "衢州智造新成"})
    assert r.status_code == 422 and "您是不是要找：衢州智造新城（qz）" in r.json()["errors"][0]["message"]
