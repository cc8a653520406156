"""The 土地超市 test world: a small graph (衢州 and 深圳 parks, parcels A–G, projects P1–P3), the API app over a
store on each backend, CSV helpers, random instances and a plain one-pair-at-a-time reference of the hard rules.
Test modules import the fixtures they use from here (`store`, `data`, `env`)."""
from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from conftest import new_store
from graph.schema import (
    Enterprise, IndustryChain, LandParcel, Park, Project, Region, Segment, utc_timestamp_text,
)
from graph.snapshot import Snapshot
from graph.store import RelRec
from graph.writer import write_objects
from land import pages as pages_land, router as land_router
from land.checks import check_records
from land.data import land_data


NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


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
