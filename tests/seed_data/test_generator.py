"""The synthetic generator and the seed: deterministic, valid, marked synthetic, chain-shaped, idempotent."""
from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter, defaultdict

import numpy as np
import orjson
import pytest

from graph.schema import MODELS, Label
from graph.schema.firm_history import HISTORIES
from graph.sqlite_store import SQLiteStore
from graph.uscc import make_uscc, validate_uscc
from graph.writer import check_relation_shape, node_record, reference_relations
from seed_data.generator import (
    SEED_CITIES,
    Facts,
    SyntheticWorld,
    make_usccs,
    node_rec,
    record_chunks,
    reference_rels,
    source_for,
)
from seed_data.seed import seed_store


@pytest.fixture(scope="module")
def facts():
    return Facts.load()


@pytest.fixture(scope="module")
def world(facts):
    return SyntheticWorld(facts, scale=3000, seed=42)


@pytest.fixture(scope="module")
def records(world):
    nodes = [x for chunk in world.node_chunks() for x in chunk]
    rels = [x for chunk in world.relation_chunks() for x in chunk]
    return nodes, rels


def _digest(world: SyntheticWorld, chunk_size: int = 50_000) -> tuple[str, str]:
    """sha256 of all node rows and of all relation rows, in the order they are produced."""
    hn, hr = hashlib.sha256(), hashlib.sha256()
    for nodes, rels in record_chunks(world, chunk_size):
        for n in nodes:
            hn.update(orjson.dumps([n.label, n.key, n.props], option=orjson.OPT_SORT_KEYS))
        for r in rels:
            hr.update(orjson.dumps([r.type, r.src_label, r.src_key, r.dst_label, r.dst_key, r.props],
                                   option=orjson.OPT_SORT_KEYS))
    return hn.hexdigest(), hr.hexdigest()


def _firm_segments(rels):
    """firm key → (primary segment, all segments) from IN_SEGMENT (the primary has the largest weight)."""
    by_firm: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in rels:
        if r.type == "IN_SEGMENT":
            by_firm[r.src_key].append((r.props["weight"], r.dst_key))
    return {k: (max(v)[1], {s for _, s in v}) for k, v in by_firm.items()}


# ----------------------------------------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_records_whatever_the_chunk_size(facts, world):
    again = SyntheticWorld(facts, scale=3000, seed=42)
    assert _digest(world) == _digest(again) == _digest(again, chunk_size=777)


# sha256 of (node rows, relation rows) per (scale, seed, as_of), on the shipped facts and the current schema. The
# generator's output is part of its contract (demo data, benchmarks and cached databases depend on it): a change to
# the code that moves these digests is a change of the data, not a refactoring. If the data is meant to change
# (or the facts or a model's defaults did), bump GENERATOR_VERSION and re-pin the digests.
PINNED_DIGESTS = {
    (3000, 42, "2025-06-30"): ("aa246f27505739a39a6a27563d1e1a7ba69b06a7eed0589075339ff2699e8ce9",
                               "46b9ee5316318e7d426ccf34a0733697e7e4baa04f28ed16f61a8c241b145632"),
    (700, 7, "2024-02-29"): ("9ace90d6145e1abded0436e43c26e735fe34841004407b897c009e0145c8a4ee",
                             "8a4300fd6571641fbbd1b9a294dbb80301198477ffd0ea25bfca1664e924cb60"),
    (0, 1, "2025-06-30"): ("ab239de6063341449babe8d962d824ef4c0339f600208e13a903de71b4d8e029",
                           "6bdd5f5d861138116231a52b2b25a717d7331ee70604fab5f9662fd7658d445b"),
}


@pytest.mark.parametrize("scale,seed,as_of", sorted(PINNED_DIGESTS))
def test_records_are_pinned_byte_for_byte(facts, scale, seed, as_of):
    import datetime as dt

    world = SyntheticWorld(facts, scale=scale, seed=seed, as_of=dt.date.fromisoformat(as_of))
    assert _digest(world) == PINNED_DIGESTS[(scale, seed, as_of)]


def test_as_of_moves_every_date_and_nothing_else(facts, records):
    """`make run` seeds as of today: the same world, every date shifted by the same number of days."""
    import datetime as dt

    from seed_data.generator import REFERENCE_DATE

    later = SyntheticWorld(facts, scale=3000, seed=42, as_of=REFERENCE_DATE + dt.timedelta(days=400))
    base = {(label, d["key"]): d for label, d in records[0]}
    shifted = dates = 0
    for label, d in (x for chunk in later.node_chunks() for x in chunk):
        b = base[(label, d["key"])]
        assert set(d) == set(b), (label, d["key"])
        for f, v in d.items():
            if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":  # a date or a timestamp
                dates += 1
                shifted += (dt.date.fromisoformat(v[:10]) - dt.date.fromisoformat(b[f][:10]) == dt.timedelta(days=400)
                            and v[10:] == b[f][10:])
            elif f in HISTORIES:  # a firm's dated records: every date shifted, years follow the data's year
                assert len(v) == len(b[f]), (d["key"], f)
                for new, old in zip(map(orjson.loads, v), map(orjson.loads, b[f])):
                    if "on" in old:
                        dates += 1
                        shifted += dt.date.fromisoformat(new.pop("on")) - dt.date.fromisoformat(old.pop("on")) == \
                            dt.timedelta(days=400)
                    if "year" in old:
                        assert new.pop("year") - old.pop("year") == later.as_of.year - REFERENCE_DATE.year
                    assert new == old, (d["key"], f)
            elif f not in ("stage_history", "tracking_log"):
                assert v == b[f], (label, d["key"], f)
    assert dates > 1000 and shifted == dates
    projects = [d for label, d in (x for chunk in later.node_chunks() for x in chunk) if label == Label.Project]
    assert max(p["stage_on"] for p in projects) <= (REFERENCE_DATE + dt.timedelta(days=400)).isoformat()


def test_another_seed_gives_other_records(facts, world):
    other = SyntheticWorld(facts, scale=3000, seed=43)
    mine, theirs = _digest(world), _digest(other)
    assert mine[0] != theirs[0] and mine[1] != theirs[1]
    assert set(other.f_key.tolist()) != set(world.f_key.tolist())


# ----------------------------------------------------------------------------------------------- validity
def test_every_record_validates_and_every_relation_has_an_allowed_shape(records, facts):
    nodes, rels = records
    for label, data in nodes:
        MODELS[label](**data)  # raises on any invalid field
    assert all(check_relation_shape(r) is None for r in rels)
    # every relation endpoint exists among the generated nodes or the facts
    known = {(lab.value, d["key"]) for lab, d in nodes}
    known |= {("Segment", s["key"]) for s in facts.segments} | {("IndustryChain", c["key"]) for c in facts.chains}
    missing = [r for r in rels if (r.src_label, r.src_key) not in known or (r.dst_label, r.dst_key) not in known]
    assert missing == []


def test_fast_path_rows_equal_validated_rows(records, world):
    """record_chunks skips pydantic; what it builds must be exactly what the validated path would write."""
    nodes, _ = records
    stamp = {"source": world.source}
    for label, data in nodes:
        obj = MODELS[label](**data)
        assert node_rec(label, data) == node_record(obj), data["key"]
        expected = [type(r)(r.type, r.src_label, r.src_key, r.dst_label, r.dst_key, {**r.props, **stamp})
                    for r in reference_relations(obj)]
        assert reference_rels(label, data, stamp) == expected


def test_fast_path_sample_at_a_larger_scale_validates(facts):
    world = SyntheticWorld(facts, scale=30_000, seed=7)
    seen = Counter()
    for i, (nodes, _) in enumerate(record_chunks(world, 10_000)):
        for rec in nodes[:: 97]:
            obj = MODELS[Label(rec.label)](key=rec.key, **rec.props)
            assert obj.props() == rec.props
            seen[rec.label] += 1
    assert seen["Enterprise"] > 200 and seen["LandParcel"] > 0 and seen["Project"] > 0 and seen["Fund"] > 0


def test_usccs_are_valid_unique_and_equal_to_make_uscc(world):
    keys = world.f_key.tolist()
    assert len(set(keys)) == len(keys) == 3000
    for k in keys:
        assert validate_uscc(k) == k
    serials = np.array([0, 1, 30, 31, 12345678, 31**7 - 1], dtype=np.int64)
    divisions = np.array([b"330800"] * len(serials), dtype="S6")
    for code, s in zip(make_usccs(divisions, serials).tolist(), serials.tolist()):
        body = "Y"
        v = s
        digits = []
        for _ in range(7):
            digits.append("0123456789ABCDEFGHJKLMNPQRTUWXY"[v % 31])
            v //= 31
        body += "".join(reversed(digits))
        assert code == make_uscc("9", "1", "330800", body)


def test_firm_uscc_carries_its_region_code(records):
    nodes, _ = records
    for label, d in nodes:
        if label == Label.Enterprise:
            assert d["key"] == d["uscc"] and d["key"][2:8] == d["region"]


def test_everything_is_marked_synthetic(records, world):
    nodes, rels = records
    assert world.source == source_for(42) == "synthetic:chainmatch-generator v2 seed=42"
    for label, d in nodes:
        assert d["synthetic"] is True and d["source"] == world.source
        if label == Label.Product:
            # a product is a generic word from the segment keywords (萤石, IGBT …), not an entity: no suffix, since
            # 合成 in a material's name would mean "chemically synthesised"
            assert d["key"].startswith("syn.product.")
            continue
        assert "示例" in d["name"] and d["name"].endswith("（合成）"), d["name"]
        if label != Label.Enterprise:
            assert d["key"].startswith("syn.")
        for f in ("manager", "owner"):
            if d.get(f):
                assert d[f].endswith("（合成）")
    assert all(r.props.get("source") == world.source for r in rels)


# ----------------------------------------------------------------------------------------------- chain shape
def test_supplies_follow_the_segment_dag(records, world, facts):
    """Rule: for SUPPLIES s → c, the supplier's primary segment is a direct UPSTREAM_OF predecessor of the
    customer's primary segment (a fact link). Hence never equal, never downstream."""
    _, rels = records
    links = set(facts.links)
    segs = _firm_segments(rels)
    supplies = [r for r in rels if r.type == "SUPPLIES"]
    assert supplies
    for r in supplies:
        assert r.src_key != r.dst_key
        assert (segs[r.src_key][0], segs[r.dst_key][0]) in links, (r.src_key, r.dst_key)
    assert len({(r.src_key, r.dst_key) for r in supplies}) == len(supplies)


def test_supply_volume_and_leaders(records, world):
    nodes, rels = records
    n = world.scale
    supplies = [r for r in rels if r.type == "SUPPLIES"]
    assert 2.0 <= len(supplies) / n <= 3.2
    leads = [r for r in rels if r.type == "LEADS"]
    assert 0.01 * n <= len(leads) <= 0.02 * n
    firms = {d["key"]: d for lab, d in nodes if lab == Label.Enterprise}
    leaders = {r.src_key for r in leads}
    for r in leads:
        f = firms[r.src_key]
        assert f["size"] == "大型" and "链主" in f["tags"]
        region = world.regions[f["region"]]
        assert r.props["region"] == (f["region"] if region["level"] == "city" else region["parent"])
    indeg = Counter(r.dst_key for r in supplies)
    leader_mean = np.mean([indeg[k] for k in leaders])
    other_mean = np.mean([indeg[k] for k in firms if k not in leaders])
    assert leader_mean > 5 * other_mean
    assert sum("链主" in f["tags"] for f in firms.values()) == len(leaders)
    listed = sum("上市" in f["tags"] for f in firms.values())
    assert 0.003 * n <= listed <= 0.05 * n


def test_second_segment_is_adjacent(records, facts):
    _, rels = records
    adjacent = set(facts.links) | {(b, a) for a, b in facts.links}
    segs = _firm_segments(rels)
    two = [(p, s) for p, s in segs.values() if len(s) == 2]
    assert 0.1 * len(segs) < len(two) < 0.3 * len(segs)
    for primary, both in two:
        (other,) = both - {primary}
        assert (primary, other) in adjacent


def test_sizes_of_funds_parcels_projects_and_their_references(records, facts):
    nodes, rels = records
    by = defaultdict(list)
    for lab, d in nodes:
        by[lab].append(d)
    assert len(by[Label.Fund]) >= 20 and len(by[Label.LandParcel]) >= 200 and len(by[Label.Project]) >= 100
    assert len(by[Label.Product]) >= 200
    parks = {p["key"]: p for p in facts.parks}
    for p in by[Label.LandParcel]:
        assert p["park"] in parks and p["region"] == parks[p["park"]]["region"]
        assert 20 <= p["area_mu"] <= 800 and p["green_ratio_max"] <= 20 and p["term_years"] == 50
        assert set(p["allowed_chains"]) <= set(parks[p["park"]]["leading_chains"])
    assert Counter(p["status"] for p in by[Label.LandParcel]).most_common(1)[0][0] == "available"
    if "reserved_by" in MODELS[Label.LandParcel].model_fields:  # schema with reservation holders
        projects = {pr["key"]: pr for pr in by[Label.Project]}
        held = [p for p in by[Label.LandParcel] if p["status"] != "available"]
        assert held
        for p in held:
            holder = p.get("reserved_by") if p["status"] == "reserved" else p.get("transferred_to")
            assert holder in projects and projects[holder]["park"] == p["park"]
    firms = {d["key"] for d in by[Label.Enterprise]}
    stages = Counter()
    for pr in by[Label.Project]:
        assert pr["investor"] in firms and pr["segment"].startswith(pr["chain"] + ".")
        if pr["park"]:
            assert pr["region"] == parks[pr["park"]]["region"]
        assert (pr["signed_on"] is not None) == (pr["stage"] in ("签约", "注册", "开工", "投产", "达产"))
        stages[pr["stage"]] += 1
    assert len(stages) >= 6
    portfolio = Counter(r.src_key for r in rels if r.type == "INVESTED_IN")
    assert len(portfolio) == len(by[Label.Fund]) and min(portfolio.values()) >= 4 and max(portfolio.values()) <= 40


def test_seed_cities_have_a_few_hundred_firms_with_strong_and_empty_ic_segments(records, world, facts):
    nodes, rels = records
    regions = {r["key"]: r for r in facts.regions}

    def city_of(region):
        return region if regions[region]["level"] == "city" else regions[region]["parent"]

    firm_city = {d["key"]: city_of(d["region"]) for lab, d in nodes if lab == Label.Enterprise}
    ic = [s["key"] for s in facts.segments if s["chain"] == "ic"]
    for city in SEED_CITIES:
        assert 150 <= sum(c == city for c in firm_city.values()) <= 450, city
        count = Counter(r.dst_key for r in rels if r.type == "IN_SEGMENT" and firm_city[r.src_key] == city)
        per = [count[s] for s in ic]
        assert min(per) == 0 and max(per) >= 5 and max(per) >= 2.5 * np.mean(per), (city, per)
    衢州 = Counter(r.dst_key for r in rels if r.type == "IN_SEGMENT" and firm_city[r.src_key] == "330800")
    assert 衢州["ic.packaging"] == 0  # the guide's example gap


# ----------------------------------------------------------------------------------------------- the seed
def test_seed_store_is_idempotent(tmp_path):
    store = SQLiteStore(tmp_path / "seed.db")
    try:
        first = seed_store(store, scale=3000, seed=42, progress=False)
        assert first["nodes_written"] > 3000 and first["rels_written"] > 3000 * 4
        v = store.version()
        counts = store.counts()
        second = seed_store(store, scale=3000, seed=42, progress=False)
        assert second["nodes_written"] == 0 and second["rels_written"] == 0
        assert store.version() == v and store.counts() == counts
        assert counts["nodes"]["Enterprise"] == 3000 and counts["relations"]["UPSTREAM_OF"] > 0
        # facts keep their own source; synthetic nodes theirs
        assert store.get("Park", "quzhou_zhizao")["synthetic"] is False
        fund = store.get("Fund", "syn.fund.000000")
        assert fund["synthetic"] is True and fund["source"] == source_for(42)
    finally:
        store.close()


def test_fast_seed_writes_the_same_rows_as_the_validated_seed(tmp_path):
    paths = []
    for validate_records in (True, False):
        path = tmp_path / f"v{validate_records}.db"
        store = SQLiteStore(path)
        seed_store(store, scale=400, seed=5, progress=False, validate_records=validate_records, commit_size=1000)
        store.close()
        paths.append(path)
    a, b = (sqlite3.connect(p) for p in paths)
    for q in ("SELECT label, key, name, props FROM nodes ORDER BY label, key",
              "SELECT s.label, s.key, r.type, d.label, d.key, r.props, r.w FROM rels r "
              "JOIN nodes s ON s.id = r.src JOIN nodes d ON d.id = r.dst ORDER BY 1, 2, 3, 4, 5"):
        assert a.execute(q).fetchall() == b.execute(q).fetchall()
