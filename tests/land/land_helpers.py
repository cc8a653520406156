"""Helpers for checking the 土地超市 matcher: a plain one-pair-at-a-time reference of the hard rules (and a base
project/parcel pair passing all of them), random instances, a brute-force optimum, and the CSV files the
`land-assign` CLI reads. The graphs the tests run on are factories.land_world() and factories.land_market(); the
store and the app come from conftest.py (`store`, `api_env`)."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np

from graph.schema import LandParcel, Project, utc_timestamp_text
from land.checks import check_records


NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def by_key(items, field="parcel"):
    return {x[field]: x for x in items}


BASE_PROJECT = dict(key="PX", name="测试项目", chain="ic", total_investment_wan=24000, land_min_mu=70, land_max_mu=90,
                    expected_tax_wan=1200, expected_output_wan=40000, energy_tce_per_wan=0.4, pollution_class="一般",
                    max_price_wan_per_mu=40, power_need_kva=5000, needs_rail=True, land_needed_by="2026-06-30")


BASE_PARCEL = dict(key="QX", name="测试地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=30,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, min_output_wan_per_mu=500,
                   max_energy_tce_per_wan=0.5, allowed_pollution=["轻污染", "一般"], allowed_chains=["ic"],
                   power_capacity_kva=8000, rail_access=True, deliverable_on="2026-03-31")


def check_pair(project_changes, parcel_changes):
    pr = Project(**{**BASE_PROJECT, **project_changes}).model_dump(mode="json")
    pc = LandParcel(**{**BASE_PARCEL, **parcel_changes}).model_dump(mode="json")
    return check_records(pr, pc, now=NOW, chain_names={"ic": "集成电路", "bio": "生物医药"})


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
        # exactly the documented rule: total ≥ requirement × area, in decimal (no floating-point division)
        if need is not None and (have is None or Decimal(repr(have)) < Decimal(repr(need)) * Decimal(repr(a))):
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


def reference_unknown(pr: Project, pc: LandParcel) -> set[str]:
    """The rules whose fact is missing on the project or the parcel (a failure of one of them is 待核实, not a
    failure on a known fact), written out plainly."""
    missing = {"invest": pr.total_investment_wan is None, "tax": pr.expected_tax_wan is None,
               "output": pr.expected_output_wan is None, "energy": pr.energy_tce_per_wan is None,
               "pollution": pr.pollution_class is None, "chain": pr.chain is None,
               "price": pc.price_wan_per_mu is None}
    return {rule for rule, gone in missing.items() if gone}


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
