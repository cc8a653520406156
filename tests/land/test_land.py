"""土地超市 matcher: hard rules with numbers, scores with reasons, both directions, optimal batch assignment
(checked by brute force), reservations with optimistic concurrency, and the storefront filters."""
from __future__ import annotations

import datetime as dt
import math
import threading

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from graph.schema import (
    Enterprise, IndustryChain, LandParcel, Park, Project, Region, Segment, utc_timestamp_text,
)
from graph.snapshot import Snapshot
from graph.store import RelRec
from graph.writer import write_objects
from land import matching as land
from land.matching import (
    COMPONENTS, RULES, LandData, LandWeights, assign, check_pairs, check_records, feasible_pairs, land_data,
    list_parcels, optimal_assignment, rank_parcels, rank_projects,
)
from land.reservations import (
    InvalidRequest, ParcelForbidden, ParcelNotFound, ReservationConflict, RuleViolation, effective_status,
    release_parcel, reserve_parcel, sweep_expired_reservations, transfer_parcel,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


# ------------------------------------------------------------------------------------------------ graph
def graph_objects():
    return [
        Region(key="330000", name="浙江省", level="province", lat=30.27, lon=120.15),
        Region(key="330800", name="衢州市", level="city", parent="330000", lat=28.97, lon=118.87),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="330881", name="江山市", level="county", parent="330800", lat=28.74, lon=118.63),
        Region(key="440300", name="深圳市", level="city", lat=22.54, lon=114.06),
        IndustryChain(key="ic", name="集成电路"),
        IndustryChain(key="bio", name="生物医药"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic", stream="中游"),
        Segment(key="ic.pkg", name="封测", chain="ic", stream="中游"),
        Segment(key="ic.app", name="终端应用", chain="ic", stream="下游"),
        Segment(key="bio.api", name="原料药", chain="bio", stream="上游"),
        Park(key="qz", name="衢州智造新城", region="330802", leading_chains=["ic"], lat=28.95, lon=118.85),
        Park(key="js", name="江山经开区", region="330881", leading_chains=["bio"]),
        Park(key="sz", name="深圳园", region="440300", leading_chains=["ic"]),
        Enterprise(key="F1", name="衢州晶圆（合成）", region="330802"),
        Enterprise(key="F2", name="江山终端（合成）", region="330881"),
        Enterprise(key="F3", name="深圳晶圆（合成）", region="440300"),
        Enterprise(key="F4", name="封测集团（合成）", region="440300", lat=22.6, lon=114.0),
        LandParcel(key="A", name="智造新城A地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=25,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, readiness=["七通一平", "标准地"],
                   allowed_chains=["ic"], allowed_pollution=["轻污染", "一般"], lat=28.95, lon=118.86),
        LandParcel(key="B", name="江山B地块", park="js", region="330881", area_mu=85, price_wan_per_mu=20,
                   min_invest_intensity_wan_per_mu=250, allowed_chains=["bio"], readiness=["五通一平"]),
        LandParcel(key="C", name="深圳C地块", park="sz", region="440300", area_mu=75, price_wan_per_mu=38),
        LandParcel(key="D", name="已出让D地块", park="qz", region="330802", area_mu=80, status="transferred"),
        LandParcel(key="E", name="预留E地块", park="qz", region="330802", area_mu=82, status="reserved",
                   reserved_by="P2", expires_at="2030-01-01T00:00:00Z"),
        LandParcel(key="G", name="过期预留G地块", park="qz", region="330802", area_mu=78, price_wan_per_mu=30,
                   status="reserved", reserved_by="P2", expires_at="2025-06-01T00:00:00Z"),
        Project(key="P1", name="封测基地项目", investor="F4", chain="ic", segment="ic.pkg", park="qz",
                total_investment_wan=26000, land_min_mu=70, land_max_mu=90, expected_tax_wan=1300,
                expected_output_wan=50000, energy_tce_per_wan=0.3, pollution_class="一般", max_price_wan_per_mu=40),
        Project(key="P2", name="原料药项目", chain="bio", segment="bio.api", region="330881",
                total_investment_wan=30000, land_min_mu=75, land_max_mu=100, pollution_class="一般"),
        Project(key="P3", name="已投产项目", chain="ic", stage="投产", total_investment_wan=90000,
                land_min_mu=70, land_max_mu=90),
    ]


def graph_relations():
    return [
        RelRec("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg"),
        RelRec("UPSTREAM_OF", "Segment", "ic.pkg", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", "F1", "Segment", "ic.fab"),
        RelRec("IN_SEGMENT", "Enterprise", "F2", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", "F3", "Segment", "ic.fab"),
        RelRec("IN_SEGMENT", "Enterprise", "F4", "Segment", "ic.pkg"),
        RelRec("SUPPLIES", "Enterprise", "F4", "Enterprise", "F2"),
    ]


@pytest.fixture
def store(any_store):
    """The land graph on each backend (reservations rely on the store's preconditions)."""
    write_objects(any_store, graph_objects(), graph_relations())
    return any_store


@pytest.fixture
def data(store):
    return land_data(Snapshot.build(store))


def _by_key(items, field="parcel"):
    return {x[field]: x for x in items}


# ------------------------------------------------------------------------------------------------ hard rules
BASE_PROJECT = dict(key="PX", name="测试项目", chain="ic", total_investment_wan=24000, land_min_mu=70, land_max_mu=90,
                    expected_tax_wan=1200, expected_output_wan=40000, energy_tce_per_wan=0.4, pollution_class="一般",
                    max_price_wan_per_mu=40, power_need_kva=5000, needs_rail=True, land_needed_by="2026-06-30")
BASE_PARCEL = dict(key="QX", name="测试地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=30,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, min_output_wan_per_mu=500,
                   max_energy_tce_per_wan=0.5, allowed_pollution=["轻污染", "一般"], allowed_chains=["ic"],
                   power_capacity_kva=8000, rail_access=True, deliverable_on="2026-03-31")


def _check(project_changes, parcel_changes):
    pr = Project(**{**BASE_PROJECT, **project_changes}).model_dump(mode="json")
    pc = LandParcel(**{**BASE_PARCEL, **parcel_changes}).model_dump(mode="json")
    return check_records(pr, pc, now=NOW, chain_names={"ic": "集成电路", "bio": "生物医药"})


def test_base_pair_passes_every_rule():
    bits, failures = _check({}, {})
    assert bits == 0 and failures == []


@pytest.mark.parametrize("project_changes, parcel_changes, rule, message", [
    ({}, {"status": "transferred"}, "status", "地块已出让"),
    ({}, {"status": "reserved", "reserved_by": "OTHER", "expires_at": "2026-02-01T00:00:00Z"}, "status",
     "地块已被项目 OTHER预留，至 2026-02-01 00:00 UTC"),
    ({"total_investment_wan": 30000, "expected_tax_wan": 1500, "expected_output_wan": 50000}, {"area_mu": 95}, "area",
     "面积 95 亩 > 需求上限 90 亩"),
    ({"total_investment_wan": 20000}, {"area_mu": 60, "min_invest_intensity_wan_per_mu": 300}, "area",
     "面积 60 亩 < 需求下限 70 亩"),
    ({}, {"land_use": "0604"}, "land_use", "用地性质 0604 仓储用地 ≠ 项目需要 0601 工业用地"),
    ({"total_investment_wan": 20000}, {}, "invest", "投资强度 250 万元/亩 < 要求 300 万元/亩"),
    ({"expected_tax_wan": 800}, {}, "tax", "亩均税收 10 万元/亩 < 要求 15 万元/亩"),
    ({"expected_output_wan": 36000}, {}, "output", "亩均产出 450 万元/亩 < 要求 500 万元/亩"),
    ({"energy_tce_per_wan": 0.8}, {}, "energy", "单位能耗 0.8 吨标煤/万元 > 上限 0.5 吨标煤/万元"),
    ({"pollution_class": "重污染"}, {}, "pollution", "污染类别「重污染」不在允许范围（轻污染、一般）"),
    ({"chain": "bio"}, {}, "chain", "产业链「生物医药」不在产业准入范围（集成电路）"),
    ({}, {"price_wan_per_mu": 45}, "price", "地价 45 万元/亩 > 可接受上限 40 万元/亩"),
    ({}, {"power_capacity_kva": 2000}, "power", "电力容量 2000 kVA < 需求 5000 kVA"),
    ({}, {"rail_access": False}, "rail", "地块无铁路专用线（项目需要）"),
    ({}, {"deliverable_on": "2026-09-30"}, "timeline", "计划交地 2026-09-30 晚于项目最晚用地时间 2026-06-30"),
    # a requirement the project cannot show it meets is not met
    ({"total_investment_wan": None}, {}, "invest", "项目未填总投资，无法满足投资强度要求（≥ 300 万元/亩）"),
    ({"energy_tce_per_wan": None}, {}, "energy", "项目未填单位能耗，无法核验上限 0.5 吨标煤/万元"),
    ({"pollution_class": None}, {}, "pollution", "项目未填污染类别（或类别无法识别），地块仅允许：轻污染、一般"),
    ({"chain": None}, {}, "chain", "项目未填产业链，地块产业准入仅限：集成电路"),
    ({}, {"price_wan_per_mu": None}, "price", "地块未标价，无法确认不超过可接受上限 40 万元/亩"),
])
def test_each_rule_fails_alone_with_its_numbers(project_changes, parcel_changes, rule, message):
    bits, failures = _check(project_changes, parcel_changes)
    assert bits == land.RULE_BIT[rule], [f.message for f in failures]
    assert [(f.rule, f.message) for f in failures] == [(rule, message)]


def test_unrestricted_parcel_and_unstated_needs_do_not_fail():
    bits, _ = _check({"chain": None, "pollution_class": None, "total_investment_wan": None},
                     {"allowed_chains": [], "allowed_pollution": [], "min_invest_intensity_wan_per_mu": None})
    assert bits == 0
    # needs the parcel does not state are 待核实, not failures
    bits, failures = _check({}, {"power_capacity_kva": None, "rail_access": None, "deliverable_on": None})
    assert bits == 0 and failures == []
    pr = Project(**BASE_PROJECT)
    pc = LandParcel(**{**BASE_PARCEL, "power_capacity_kva": None, "rail_access": None, "deliverable_on": None})
    d = LandData.from_records([pr], [pc])
    r = rank_parcels(d, 0, now=NOW)
    checks = {c["rule"]: c for c in r.feasible[0]["checks"]}
    assert {k: checks[k]["outcome"] for k in ("power", "rail", "timeline")} == {k: "verify" for k in ("power", "rail", "timeline")}
    assert checks["power"]["message"] == "地块未写明电力容量（项目需求 5000 kVA），待核实"
    assert checks["invest"] == {"rule": "invest", "label": "固定资产投资强度", "outcome": "pass",
                                "message": "投资强度 300 万元/亩 ≥ 要求 300 万元/亩"}


def test_reservations_in_rules(data):
    i = data.projects.pos("P2")
    r = rank_parcels(data, i, now=NOW)
    feasible = _by_key(r.feasible)
    # E is reserved for P2 itself (active), G's reservation expired: both available to P2
    assert {"E", "G"} <= set(feasible)
    assert next(c for c in feasible["E"]["checks"] if c["rule"] == "status")["message"].startswith("已为本项目预留")
    assert "过期" in next(c for c in feasible["G"]["checks"] if c["rule"] == "status")["message"]
    # for P1 the active reservation of E blocks, naming the holder; D (transferred) is hidden unless asked
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW)
    miss = _by_key(r.infeasible)
    assert miss["E"]["failures"][0]["message"] == "地块已被项目「原料药项目」预留，至 2030-01-01 00:00 UTC"
    assert "D" not in miss and r.counts["transferred_hidden"] == 1
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW, include_transferred=True)
    assert _by_key(r.infeasible)["D"]["failures"][0]["message"] == "地块已出让"
    # after the reservation expires E is available to anyone: only its missing price still fails for P1
    later = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
    e_later = _by_key(rank_parcels(data, data.projects.pos("P1"), now=later).infeasible)["E"]
    assert [f["rule"] for f in e_later["failures"]] == ["price"]


# ------------------------------------------------------------------------------------------------ scores
def test_project_to_parcels_ranked_with_breakdown(data):
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW)
    assert [m["parcel"] for m in r.feasible] == ["A", "G", "C"]
    a = r.feasible[0]
    parts = {b["component"]: b for b in a["breakdown"]}
    assert [b["component"] for b in a["breakdown"]] == [c for c, _ in COMPONENTS]
    assert math.isclose(sum(b["points"] for b in a["breakdown"]), a["score"], abs_tol=0.02)
    assert parts["chain_park"]["score"] == 1.0 and parts["chain_park"]["reason"] == "园区「衢州智造新城」主导产业含「集成电路」"
    # 衢州市: F1 (晶圆制造, upstream of 封测) in 柯城区, F2 (终端应用, downstream) in 江山市, and F2 is F4's customer
    assert parts["cluster"]["reason"] == "衢州市已有上游环节企业 1 家、下游环节企业 1 家、投资方的供应商/客户 1 家"
    assert math.isclose(parts["cluster"]["score"], 1 - math.exp(-(1 + 1 + 2 * 1) / land.CLUSTER_SCALE), abs_tol=1e-4)
    assert parts["area"]["score"] == 1.0 and parts["area"]["reason"] == "面积 80 亩，需求 70–90 亩（目标 80 亩）"
    assert math.isclose(parts["price"]["score"], 1 - 25 / 40)
    assert parts["readiness"]["score"] == 1.0
    assert parts["preferred"]["score"] == 1.0 and parts["preferred"]["reason"] == "位于意向园区「衢州智造新城」"
    assert parts["distance"]["reason"].startswith("距意向园区「衢州智造新城」 ")
    assert parts["distance"]["score"] > 0.95
    # C in 深圳: park leads ic too, but no local up/downstream firms, far from the 意向园区
    c = _by_key(r.feasible)["C"]
    cparts = {b["component"]: b for b in c["breakdown"]}
    assert cparts["cluster"]["reason"] == "深圳市已有上游环节企业 1 家、下游环节企业 0 家、投资方的供应商/客户 0 家"
    assert cparts["preferred"]["score"] == 0.0 and cparts["distance"]["score"] < 0.01
    # B: wrong chain for its 产业准入, and the reasons carry the numbers
    b = _by_key(r.infeasible)["B"]
    assert [f["message"] for f in b["failures"]] == ["产业链「集成电路」不在产业准入范围（生物医药）"]
    assert r.counts["excluded_by_rule"] == {"地块可供": 1, "产业准入": 1, "地价": 1}  # E: reserved and unpriced


def test_weights_are_configurable(data):
    i = data.projects.pos("P1")
    only_price = LandWeights(chain_park=0, cluster=0, area=0, price=1, readiness=0, preferred=0, distance=0)
    r = rank_parcels(data, i, now=NOW, weights=only_price)
    scores = {m["parcel"]: m["score"] for m in r.feasible}
    assert scores == {"A": pytest.approx(100 * (1 - 25 / 40), abs=0.01), "G": pytest.approx(100 * (1 - 30 / 40), abs=0.01),
                      "C": pytest.approx(100 * (1 - 38 / 40), abs=0.01)}
    assert [m["parcel"] for m in r.feasible] == ["A", "G", "C"]
    with pytest.raises(ValueError):
        LandWeights(chain_park=0, cluster=0, area=0, price=0, readiness=0, preferred=0, distance=0)


def test_region_preference_and_neutral_unknowns(data):
    r = rank_parcels(data, data.projects.pos("P2"), now=NOW)
    b = {x["component"]: x for x in _by_key(r.feasible)["B"]["breakdown"]}
    assert b["preferred"]["score"] == land.REGION_PREF_SCORE and b["preferred"]["reason"] == "位于意向行政区「江山市」内"
    assert b["price"]["score"] == land.NEUTRAL and "未填可接受上限" in b["price"]["reason"]
    assert b["readiness"]["score"] == 0.35  # 五通一平 0.7 × 0.5, not 标准地


def test_parcel_to_projects_agrees_with_the_other_direction(data):
    r = rank_projects(data, data.parcels.pos("A"), now=NOW)
    assert [m["project"] for m in r.feasible] == ["P1"]
    assert r.counts["landed_hidden"] == 1  # P3 (投产) left out
    miss = _by_key(r.infeasible, "project")
    assert [f["message"] for f in miss["P2"]["failures"]] == [
        "项目未填达产年税收，无法满足亩均税收要求（≥ 15 万元/亩）", "产业链「生物医药」不在产业准入范围（集成电路）"]
    forward = _by_key(rank_parcels(data, data.projects.pos("P1"), now=NOW).feasible)["A"]
    assert r.feasible[0]["score"] == forward["score"]
    assert r.feasible[0]["breakdown"] == forward["breakdown"]
    r = rank_projects(data, data.parcels.pos("A"), now=NOW, include_landed=True)
    assert "P3" in _by_key(r.feasible + r.infeasible, "project")


def test_inline_project_gives_the_same_answer(store, data):
    stored = store.get("Project", "P1")
    inline = Project(**{k: v for k, v in stored.items() if k not in ("source", "synthetic")})
    view, i = data.with_project(inline)
    a = rank_parcels(view, i, now=NOW).as_dict()
    b = rank_parcels(data, data.projects.pos("P1"), now=NOW).as_dict()
    assert a["feasible"] == b["feasible"]
    assert [x["parcel"] for x in a["infeasible"]] == [x["parcel"] for x in b["infeasible"]]


def test_land_data_is_built_once_per_snapshot(store):
    snap = Snapshot.build(store)
    assert land_data(snap) is land_data(snap)
    assert land_data(Snapshot.build(store)) is not land_data(snap)


# ------------------------------------------------------------------------------------------------ random instances
POOL_CHAINS = ("ic", "bio", "nev")
POOL_PARKS = ("k1", "k2", "k3")


def random_instance(rng: np.random.Generator, n_projects: int, n_parcels: int):
    def maybe(p, value):
        return value if rng.random() < p else None

    projects = []
    for i in range(n_projects):
        lo = float(rng.integers(20, 90))
        projects.append(Project(
            key=f"p{i}", name=f"项目{i}", chain=maybe(0.9, str(rng.choice(POOL_CHAINS))),
            park=maybe(0.5, str(rng.choice(POOL_PARKS))),
            total_investment_wan=maybe(0.9, float(rng.integers(50, 400)) * lo),
            land_min_mu=maybe(0.9, lo), land_max_mu=maybe(0.9, lo + float(rng.integers(0, 60))),
            land_use=str(rng.choice(["0601", "0601", "0601", "0604"])),
            expected_tax_wan=maybe(0.8, float(rng.integers(5, 40)) * lo),
            expected_output_wan=maybe(0.8, float(rng.integers(100, 900)) * lo),
            energy_tce_per_wan=maybe(0.8, float(rng.choice([0.1, 0.3, 0.5, 0.8]))),
            pollution_class=maybe(0.85, str(rng.choice(["轻污染", "一般", "重污染"]))),
            max_price_wan_per_mu=maybe(0.7, float(rng.integers(15, 60))),
            power_need_kva=maybe(0.3, float(rng.integers(1, 20)) * 1000),
            needs_rail=maybe(0.3, bool(rng.random() < 0.5)),
            land_needed_by=maybe(0.3, f"2026-{int(rng.integers(1, 13)):02d}-15"),
        ))
    parcels = []
    for j in range(n_parcels):
        status = str(rng.choice(["available"] * 6 + ["reserved", "transferred"]))
        reserved = status == "reserved"
        parcels.append(LandParcel(
            key=f"q{j}", name=f"地块{j}", park=str(rng.choice(POOL_PARKS)), region="r1",
            area_mu=float(rng.integers(15, 160)), land_use=str(rng.choice(["0601", "0601", "0601", "0604"])),
            price_wan_per_mu=maybe(0.9, float(rng.integers(10, 60))),
            readiness=[x for x in ("七通一平", "标准地") if rng.random() < 0.5],
            status=status,
            reserved_by=f"p{int(rng.integers(0, n_projects))}" if reserved and rng.random() < 0.7 else None,
            expires_at=str(rng.choice(["2025-06-01T00:00:00Z", "2027-01-01T00:00:00Z"])) if reserved else None,
            min_invest_intensity_wan_per_mu=maybe(0.7, float(rng.choice([200, 250, 300, 350]))),
            min_tax_wan_per_mu=maybe(0.5, float(rng.choice([8, 15, 25]))),
            min_output_wan_per_mu=maybe(0.5, float(rng.choice([200, 400, 600]))),
            max_energy_tce_per_wan=maybe(0.5, float(rng.choice([0.2, 0.5, 1.0]))),
            allowed_pollution=[] if rng.random() < 0.5 else ["轻污染", "一般"],
            allowed_chains=[] if rng.random() < 0.5 else [str(rng.choice(POOL_CHAINS))],
            power_capacity_kva=maybe(0.5, float(rng.integers(1, 20)) * 1000),
            rail_access=maybe(0.5, bool(rng.random() < 0.5)),
            deliverable_on=maybe(0.4, f"2026-{int(rng.integers(1, 13)):02d}-01"),
        ))
    return projects, parcels


def reference_failures(pr: Project, pc: LandParcel, now: dt.datetime) -> set[str]:
    """The hard rules written out plainly, one pair at a time, independent of the vectorised code."""
    f = set()
    now_text = utc_timestamp_text(now)
    if pc.status == "transferred":
        f.add("status")
    elif pc.status == "reserved":
        active = pc.expires_at is None or pc.expires_at > now_text
        if active and pc.reserved_by != pr.key:
            f.add("status")
    a = pc.area_mu
    if (pr.land_min_mu is not None and a < pr.land_min_mu) or (pr.land_max_mu is not None and a > pr.land_max_mu):
        f.add("area")
    if pr.land_use is not None and pc.land_use != pr.land_use:
        f.add("land_use")
    for rule, need, have in (("invest", pc.min_invest_intensity_wan_per_mu, pr.total_investment_wan),
                             ("tax", pc.min_tax_wan_per_mu, pr.expected_tax_wan),
                             ("output", pc.min_output_wan_per_mu, pr.expected_output_wan)):
        if need is not None and (have is None or have / a < need):
            f.add(rule)
    if pc.max_energy_tce_per_wan is not None and (pr.energy_tce_per_wan is None
                                                  or pr.energy_tce_per_wan > pc.max_energy_tce_per_wan):
        f.add("energy")
    if pc.allowed_pollution and pr.pollution_class not in pc.allowed_pollution:
        f.add("pollution")
    if pc.allowed_chains and pr.chain not in pc.allowed_chains:
        f.add("chain")
    if pr.max_price_wan_per_mu is not None and (pc.price_wan_per_mu is None
                                                or pc.price_wan_per_mu > pr.max_price_wan_per_mu):
        f.add("price")
    if pr.power_need_kva is not None and pc.power_capacity_kva is not None and pr.power_need_kva > pc.power_capacity_kva:
        f.add("power")
    if pr.needs_rail is True and pc.rail_access is False:
        f.add("rail")
    if pr.land_needed_by and pc.deliverable_on and pc.deliverable_on > pr.land_needed_by:
        f.add("timeline")
    return f


def _bits_to_rules(bits: int) -> set[str]:
    return {name for name, _ in RULES if bits & land.RULE_BIT[name]}


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_rules_equal_the_plain_reference(seed):
    rng = np.random.default_rng(seed)
    projects, parcels = random_instance(rng, 12, 15)
    d = LandData.from_records(projects, parcels)
    pi, qi = (x.ravel() for x in np.meshgrid(np.arange(len(projects)), np.arange(len(parcels)), indexing="ij"))
    bits = check_pairs(d.projects, d.parcels, pi, qi, land.now_seconds(NOW))
    for k in range(len(pi)):
        assert _bits_to_rules(int(bits[k])) == reference_failures(projects[pi[k]], parcels[qi[k]], NOW), (pi[k], qi[k])
    # the range-pruned batch enumeration finds exactly the feasible pairs of the full grid
    fp, fq = feasible_pairs(d, now=NOW)
    assert set(zip(fp.tolist(), fq.tolist())) == {(int(a), int(b)) for a, b, x in zip(pi, qi, bits) if x == 0}


def brute_force_best(edges: dict[tuple[int, int], float], n_projects: int) -> float:
    by_project: dict[int, list[tuple[int, float]]] = {}
    for (i, j), s in edges.items():
        by_project.setdefault(i, []).append((j, s))
    best = 0.0

    def go(i: int, used: frozenset, total: float) -> None:
        nonlocal best
        if i == n_projects:
            best = max(best, total)
            return
        go(i + 1, used, total)  # leave project i unmatched
        for j, s in by_project.get(i, []):
            if j not in used:
                go(i + 1, used | {j}, total + s)

    go(0, frozenset(), 0.0)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_assignment_is_optimal_and_never_breaks_a_rule(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    projects, parcels = random_instance(rng, n, m)
    d = LandData.from_records(projects, parcels)
    res = assign(d, now=NOW)
    edges = {}
    for i, pr in enumerate(projects):
        for j, pc in enumerate(parcels):
            if not reference_failures(pr, pc, NOW):
                edges[(i, j)] = None
    pairs = list(zip(res.pair_projects.tolist(), res.pair_parcels.tolist()))
    assert set(pairs) == set(edges)  # every feasible pair scored (S), nothing else
    scores = dict(zip(pairs, res.pair_scores.tolist()))
    chosen = [pairs[e] for e in res.chosen.tolist()]
    assert len({i for i, _ in chosen}) == len(chosen) == len({j for _, j in chosen})  # one-to-one
    for i, j in chosen:
        assert not reference_failures(projects[i], parcels[j], NOW)
    assert math.isclose(res.total_score, sum(scores[c] for c in chosen), abs_tol=1e-9)
    assert math.isclose(res.total_score, brute_force_best(scores, n), abs_tol=1e-9)


@pytest.mark.parametrize("method", ["sparse", "dense", "auto"])
def test_unmatched_is_allowed_where_max_cardinality_would_lose_score(method):
    # A–x 100, A–y 1, B–x 1: the best total leaves B unmatched (100), a "match everyone" solver would pick 2
    chosen, total = optimal_assignment(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([100.0, 1.0, 1.0]),
                                       method=method)
    assert total == 100.0 and chosen.tolist() == [0]
    assert optimal_assignment(np.zeros(0), np.zeros(0), np.zeros(0), method=method)[1] == 0.0
    with pytest.raises(ValueError, match="重复"):
        optimal_assignment(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2.0]), method=method)


@pytest.mark.parametrize("seed", range(30))
def test_both_solvers_match_brute_force(seed):
    rng = np.random.default_rng(500 + seed)
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 8))
    feas = rng.random((n, m)) < rng.uniform(0.1, 0.9)
    s = np.round(rng.random((n, m)) * 100, 2) - (10 if seed % 3 == 0 else 0)  # negative scores too
    r, c = np.nonzero(feas)
    best = brute_force_best({(int(i), int(j)): float(s[i, j]) for i, j in zip(r, c)}, n)
    for method in ("sparse", "dense"):
        chosen, total = optimal_assignment(r, c, s[r, c], method=method)
        assert math.isclose(total, best, abs_tol=1e-9), method
        assert len(set(r[chosen].tolist())) == len(chosen) == len(set(c[chosen].tolist()))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("method", ["sparse", "dense"])
def test_optimal_assignment_equals_dense_linear_sum_assignment(seed, method):
    rng = np.random.default_rng(seed)
    n, m = 40, 55
    feas = rng.random((n, m)) < 0.25
    s = np.round(rng.random((n, m)) * 100, 3)
    r, c = np.nonzero(feas)
    chosen, total = optimal_assignment(r, c, s[r, c], method=method)
    cost = np.full((n, m + n), np.inf)
    cost[:, :m][feas] = -s[feas]
    cost[np.arange(n), m + np.arange(n)] = 0.0
    rr, cc = linear_sum_assignment(cost)
    assert math.isclose(total, -cost[rr, cc].sum(), abs_tol=1e-6)
    assert len(set(c[chosen].tolist())) == len(chosen)


def test_batch_on_the_graph_is_optimal_and_explained(data):
    res = assign(data, now=NOW)
    out = res.as_dict()
    pairs = list(zip(res.pair_projects.tolist(), res.pair_parcels.tolist()))
    scores = dict(zip(pairs, res.pair_scores.tolist()))
    named = {(str(data.projects.keys[i]), str(data.parcels.keys[j])) for i, j in pairs}
    # P1: A, C, G · P2: B, C, G and E (reserved for P2 itself) · P3 (no tax figure, so not A): C, G
    assert named == {("P1", "A"), ("P1", "C"), ("P1", "G"), ("P2", "B"), ("P2", "C"), ("P2", "E"), ("P2", "G"), ("P3", "C"), ("P3", "G")}
    assert math.isclose(res.total_score, brute_force_best(scores, len(data.projects)), abs_tol=1e-9)
    assert out["unmatched"] == [] and out["counts"]["assigned"] == 3
    for a in out["assigned"]:
        assert all(c["outcome"] != "fail" for c in a["checks"])
        assert math.isclose(sum(b["points"] for b in a["breakdown"]), a["score"], abs_tol=0.02)


def test_unmatched_reasons_distinguish_no_option_from_lost_competition():
    base = dict(land_min_mu=50, land_max_mu=100, total_investment_wan=50000, chain="ic")
    projects = [Project(key="a", name="甲", **base), Project(key="b", name="乙", **base),
                Project(key="c", name="丙", **{**base, "land_min_mu": 500, "land_max_mu": 600})]
    parcels = [LandParcel(key="x", name="唯一地块", region="r", area_mu=80)]
    res = assign(LandData.from_records(projects, parcels), now=NOW)
    reasons = {u["project"]: u["reason"] for u in res.as_dict()["unmatched"]}
    assert len(res.chosen) == 1 and len(reasons) == 2
    loser = ({"a", "b"} - {str(res.data.projects.keys[res.pair_projects[res.chosen[0]]])}).pop()
    assert reasons[loser].startswith("有 1 块可行地块，但都分配给了其他项目")
    assert reasons["c"].startswith("没有满足硬性条件的地块")


# ------------------------------------------------------------------------------------------------ storefront
def test_list_parcels_filters(data):
    keys = lambda idx: sorted(data.parcels.keys[idx].tolist())  # noqa: E731
    idx, total = list_parcels(data, now=NOW)
    assert keys(idx) == ["A", "B", "C", "G"] and total == 4  # E reserved (active), D transferred
    assert keys(list_parcels(data, chain="bio", now=NOW)[0]) == ["B", "C", "G"]  # 产业准入 admits bio, or unrestricted
    assert keys(list_parcels(data, area_min=79, area_max=85, now=NOW)[0]) == ["A", "B"]
    assert keys(list_parcels(data, invest_wan=22000, now=NOW)[0]) == ["B", "C", "G"]  # 22000/80 = 275 < 300 for A
    assert keys(list_parcels(data, park="qz", now=NOW)[0]) == ["A", "G"]
    assert keys(list_parcels(data, standard_only=True, now=NOW)[0]) == ["A"]
    assert keys(list_parcels(data, status="all", now=NOW)[0]) == ["A", "B", "C", "D", "E", "G"]
    assert keys(list_parcels(data, status="reserved", now=NOW)[0]) == ["E"]
    idx, total = list_parcels(data, status="all", limit=2, offset=2, now=NOW)
    assert len(idx) == 2 and total == 6


# ------------------------------------------------------------------------------------------------ reservations
def test_reserve_release_transfer_with_versions_and_audit(store):
    p = reserve_parcel(store, parcel="A", project="P1", actor="tester", ttl_hours=24, now=NOW)
    assert p["status"] == "reserved" and p["rev"] == 1 and p["reserved_by"] == "P1"
    assert p["reserved_at"] == "2026-01-01T00:00:00Z" and p["expires_at"] == "2026-01-02T00:00:00Z"
    stored = store.get("LandParcel", "A")
    assert stored["status"] == "reserved" and stored["min_invest_intensity_wan_per_mu"] == 300  # other facts kept
    with pytest.raises(ReservationConflict, match="已被本项目预留"):
        reserve_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    with pytest.raises(ReservationConflict, match="预留给的是 P1"):
        release_parcel(store, parcel="A", actor="tester", project="P2")
    p = release_parcel(store, parcel="A", actor="tester", project="P1", reason="项目暂缓")
    assert p["status"] == "available" and p["rev"] == 2 and "reserved_by" not in p
    with pytest.raises(ReservationConflict, match="未被预留"):
        release_parcel(store, parcel="A", actor="tester")
    p = transfer_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    assert p["status"] == "transferred" and p["transferred_to"] == "P1" and p["rev"] == 3
    with pytest.raises(ReservationConflict, match="已出让"):
        reserve_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    audit = [a for a in store.list_audit(limit=20) if a["target"] == "LandParcel/A"]
    assert [a["action"] for a in audit] == ["land.transfer", "land.release", "land.reserve"]  # newest first
    rel = next(a for a in audit if a["action"] == "land.release")
    assert rel["before"]["reserved_by"] == "P1" and rel["after"] == {"status": "available", "rev": 2, "note": "项目暂缓"}


def test_reserve_checks_rules_project_and_scope(store):
    with pytest.raises(RuleViolation) as e:
        reserve_parcel(store, parcel="B", project="P1", actor="t", now=NOW)
    assert e.value.errors == [{"field": "chain", "rule": "chain", "label": "产业准入",
                               "message": "产业链「集成电路」不在产业准入范围（生物医药）"}]
    with pytest.raises(ParcelNotFound):
        reserve_parcel(store, parcel="nope", project="P1", actor="t", now=NOW)
    with pytest.raises(InvalidRequest, match="项目 'nope' 不存在"):
        reserve_parcel(store, parcel="A", project="nope", actor="t", now=NOW)
    with pytest.raises(ParcelForbidden):
        reserve_parcel(store, parcel="A", project="P1", actor="t", park_scope="js", now=NOW)
    assert reserve_parcel(store, parcel="A", project="P1", actor="t", park_scope="qz", now=NOW)["status"] == "reserved"
    with pytest.raises(ReservationConflict, match="已被 P2 预留"):
        transfer_parcel(store, parcel="E", project="P1", actor="t", now=NOW)
    assert store.get("LandParcel", "B").get("rev") is None  # nothing written by the refusals


def test_expired_reservation_is_replaced_lazily_and_swept(store):
    assert effective_status(store.get("LandParcel", "G"), NOW) == "available"
    p = reserve_parcel(store, parcel="G", project="P1", actor="t", now=NOW)
    assert p["reserved_by"] == "P1" and p["rev"] == 1
    entry = next(a for a in store.list_audit(limit=5) if a["target"] == "LandParcel/G")
    assert "替换已过期的预留（P2" in entry["after"]["note"]
    # a sweep after P1's reservation ran out releases it; an active one (E, until 2030) stays
    later = NOW + dt.timedelta(days=30)
    assert sweep_expired_reservations(store, actor="sweeper", now=later) == ["G"]
    assert store.get("LandParcel", "G")["status"] == "available"
    assert store.get("LandParcel", "E")["status"] == "reserved"
    assert sweep_expired_reservations(store, actor="sweeper", now=later) == []


class RacingStore:
    """A store whose reads wait at a barrier, so that two reservations both read the parcel before either
    writes — the interleaving optimistic concurrency exists for."""

    def __init__(self, inner, parties):
        self._inner = inner
        self._barrier = threading.Barrier(parties, timeout=10)

    def get(self, label, key):
        r = self._inner.get(label, key)
        if label == "LandParcel":
            self._barrier.wait()
        return r

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_two_reservations_that_read_the_same_version_one_wins(store):
    racing = RacingStore(store, 2)
    results: dict[str, object] = {}

    def go(project):
        try:
            results[project] = reserve_parcel(racing, parcel="G", project=project, actor=project, now=NOW)
        except ReservationConflict as e:
            results[project] = e

    write_objects(store, [Project(key="P4", name="另一个封测项目", chain="ic", total_investment_wan=30000,
                                  land_min_mu=70, land_max_mu=90)])
    threads = [threading.Thread(target=go, args=(p,)) for p in ("P1", "P4")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    wins = [k for k, v in results.items() if isinstance(v, dict)]
    losses = [v for v in results.values() if isinstance(v, ReservationConflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert "并发" in losses[0].message  # the store's precondition failed, not the service's own check
    g = store.get("LandParcel", "G")
    assert g["reserved_by"] == wins[0] and g["rev"] == 1
    assert len([a for a in store.list_audit(limit=10) if a["target"] == "LandParcel/G"]) == 1


# ------------------------------------------------------------------------------------------------ issue 13 defects
@pytest.mark.parametrize("have_field, need_field", [
    ("total_investment_wan", "min_invest_intensity_wan_per_mu"),
    ("expected_tax_wan", "min_tax_wan_per_mu"),
    ("expected_output_wan", "min_output_wan_per_mu"),
])
def test_per_mu_figure_exactly_on_the_limit_passes(have_field, need_field):
    # 136675 万元 on 273.35 亩 is exactly 500 万元/亩; in floating point 136675 / 273.35 = 499.99999999999994
    bits, failures = _check({"land_min_mu": 200, "land_max_mu": 300, have_field: 136675},
                            {"area_mu": 273.35, "min_invest_intensity_wan_per_mu": None, "min_tax_wan_per_mu": None,
                             "min_output_wan_per_mu": None, need_field: 500})
    assert bits == 0, [f.message for f in failures]
    bits, failures = _check({"land_min_mu": 200, "land_max_mu": 300, have_field: 136674},
                            {"area_mu": 273.35, "min_invest_intensity_wan_per_mu": None, "min_tax_wan_per_mu": None,
                             "min_output_wan_per_mu": None, need_field: 500})
    assert bits != 0  # one 万元 short is short


def test_project_without_land_use_takes_any_parcel():
    pr = Project(**{k: v for k, v in BASE_PROJECT.items()})
    pc = LandParcel(**{**BASE_PARCEL, "land_use": "0604"})
    d = LandData.from_records([pr], [pc])
    assert check_pairs(d.projects, d.parcels, np.zeros(1, np.int64), np.zeros(1, np.int64), land.now_seconds(NOW))[0] == 0
    assert _check({}, {"land_use": "0604"})[0] == 0  # the reservation path: the same rule
    assert _check({"land_use": "0601"}, {"land_use": "0604"})[0] == land.RULE_BIT["land_use"]
