"""土地超市 hard rules: each rule fails alone with its numbers, unstated needs are 待核实, reservations count,
the vectorised rules equal a plain reference, exactly-on-the-limit per-亩 figures pass, 未填则不限."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from factories import graph_data, land_world
from graph.schema import LandParcel, Project
from graph.snapshot import Snapshot
from land.assignment import feasible_pairs
from land.data import LandData, land_data
from land.ranking import rank_parcels
from land.rules import RULE_BIT, RULES, check_pairs, now_seconds
from land_helpers import BASE_PARCEL, BASE_PROJECT, NOW, by_key, check_pair, random_instance, reference_failures


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_world(), park="qz")


@pytest.fixture
def data(store):
    return land_data(Snapshot.build(store))


def test_base_pair_passes_every_rule():
    bits, failures = check_pair({}, {})
    assert bits == 0 and failures == []


@pytest.mark.parametrize("project_changes, parcel_changes, rule, message", [
    ({}, {"status": "transferred"}, "status", "地块已出让"),
    ({}, {"status": "reserved", "reserved_by": "OTHER", "expires_at": "2026-02-01T00:00:00Z"}, "status",
     "地块已被项目 OTHER预留，至 2026-02-01 08:00 北京时间"),
    ({"total_investment_wan": 30000, "expected_tax_wan": 1500, "expected_output_wan": 50000}, {"area_mu": 95}, "area",
     "面积 95 亩 > 需求上限 90 亩"),
    ({"total_investment_wan": 20000}, {"area_mu": 60, "min_invest_intensity_wan_per_mu": 300}, "area",
     "面积 60 亩 < 需求下限 70 亩"),
    # the project states its land use (未填则不限: without one it takes any, see the defect test below)
    ({"land_use": "0601"}, {"land_use": "0604"}, "land_use", "用地性质 0604 仓储用地 ≠ 项目需要 0601 工业用地"),
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
    bits, failures = check_pair(project_changes, parcel_changes)
    assert bits == RULE_BIT[rule], [f.message for f in failures]
    assert [(f.rule, f.message) for f in failures] == [(rule, message)]


def test_unrestricted_parcel_and_unstated_needs_do_not_fail():
    bits, _ = check_pair({"chain": None, "pollution_class": None, "total_investment_wan": None},
                     {"allowed_chains": [], "allowed_pollution": [], "min_invest_intensity_wan_per_mu": None})
    assert bits == 0
    # needs the parcel does not state are 待核实, not failures
    bits, failures = check_pair({}, {"power_capacity_kva": None, "rail_access": None, "deliverable_on": None})
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
    feasible = by_key(r.feasible)
    # E is reserved for P2 itself (active), G's reservation expired: both available to P2
    assert {"E", "G"} <= set(feasible)
    assert next(c for c in feasible["E"]["checks"] if c["rule"] == "status")["message"].startswith("已为本项目预留")
    assert "过期" in next(c for c in feasible["G"]["checks"] if c["rule"] == "status")["message"]
    # for P1 the active reservation of E blocks, naming the holder; D (transferred) is hidden unless asked
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW)
    miss = by_key(r.infeasible)
    assert miss["E"]["failures"][0]["message"] == "地块已被项目「原料药项目」预留，至 2030-01-01 08:00 北京时间"
    assert "D" not in miss and r.counts["transferred_hidden"] == 1
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW, include_transferred=True)
    assert by_key(r.infeasible)["D"]["failures"][0]["message"] == "地块已出让"
    # after the reservation expires E is available to anyone: only its missing price still fails for P1
    later = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
    e_later = by_key(rank_parcels(data, data.projects.pos("P1"), now=later).infeasible)["E"]
    assert [f["rule"] for f in e_later["failures"]] == ["price"]


def _bits_to_rules(bits: int) -> set[str]:
    return {name for name, _ in RULES if bits & RULE_BIT[name]}


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_rules_equal_the_plain_reference(seed):
    rng = np.random.default_rng(seed)
    projects, parcels = random_instance(rng, 12, 15)
    d = LandData.from_records(projects, parcels)
    pi, qi = (x.ravel() for x in np.meshgrid(np.arange(len(projects)), np.arange(len(parcels)), indexing="ij"))
    bits = check_pairs(d.projects, d.parcels, pi, qi, now_seconds(NOW))
    for k in range(len(pi)):
        assert _bits_to_rules(int(bits[k])) == reference_failures(projects[pi[k]], parcels[qi[k]], NOW), (pi[k], qi[k])
    # the range-pruned batch enumeration finds exactly the feasible pairs of the full grid
    fp, fq = feasible_pairs(d, now=NOW)
    assert set(zip(fp.tolist(), fq.tolist())) == {(int(a), int(b)) for a, b, x in zip(pi, qi, bits) if x == 0}


@pytest.mark.parametrize("have_field, need_field", [
    ("total_investment_wan", "min_invest_intensity_wan_per_mu"),
    ("expected_tax_wan", "min_tax_wan_per_mu"),
    ("expected_output_wan", "min_output_wan_per_mu"),
])
def test_per_mu_figure_exactly_on_the_limit_passes(have_field, need_field):
    # 136675 万元 on 273.35 亩 is exactly 500 万元/亩; in floating point 136675 / 273.35 = 499.99999999999994
    bits, failures = check_pair({"land_min_mu": 200, "land_max_mu": 300, have_field: 136675},
                            {"area_mu": 273.35, "min_invest_intensity_wan_per_mu": None, "min_tax_wan_per_mu": None,
                             "min_output_wan_per_mu": None, need_field: 500})
    assert bits == 0, [f.message for f in failures]
    bits, failures = check_pair({"land_min_mu": 200, "land_max_mu": 300, have_field: 136674},
                            {"area_mu": 273.35, "min_invest_intensity_wan_per_mu": None, "min_tax_wan_per_mu": None,
                             "min_output_wan_per_mu": None, need_field: 500})
    assert bits != 0  # one 万元 short is short


def test_project_without_land_use_takes_any_parcel():
    pr = Project(**{k: v for k, v in BASE_PROJECT.items()})
    pc = LandParcel(**{**BASE_PARCEL, "land_use": "0604"})
    d = LandData.from_records([pr], [pc])
    assert check_pairs(d.projects, d.parcels, np.zeros(1, np.int64), np.zeros(1, np.int64), now_seconds(NOW))[0] == 0
    assert check_pair({}, {"land_use": "0604"})[0] == 0  # the reservation path: the same rule
    assert check_pair({"land_use": "0601"}, {"land_use": "0604"})[0] == RULE_BIT["land_use"]
