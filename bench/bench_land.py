"""土地超市 benchmark: one project against 10,000 parcels, and the optimal 1,000 × 10,000 assignment, beside
scipy's linear_sum_assignment alone on the same cost matrix.

    .venv/bin/python bench/bench_land.py                        # 1,000 projects × 10,000 parcels (the targets)
    .venv/bin/python bench/bench_land.py --projects 200 --parcels 2000 --repeats 3    # a quick run

Steps, all in one run so the ratios compare like with like on this machine:
  1. a synthetic world (regions, chains with UPSTREAM_OF segments, parks, firms with IN_SEGMENT/SUPPLIES, parcels
     and projects with 标准地 figures drawn like seed_data/generator.py) written to a fresh SQLite store, then the
     analytic snapshot and the matcher's arrays (land.data.land_data) built from it — timed once, reported;
  2. project → parcels: land.ranking.rank_parcels for --queries random projects over all parcels, as the API
     calls it (hard rules, scores, top 20 with breakdown and checks, 50 nearest misses with reasons); median and
     p90 against the 20 ms target; the vectorised core alone (rules + scores + sort) is shown too;
  3. batch: land.assignment.assign over every project × every parcel (feasible pairs, scores, exact optimum),
     --repeats times, median against the 3 s target, with its stages;
  4. the lower bound: scipy.optimize.linear_sum_assignment alone on the same cost matrix — every feasible pair's
     −score, +inf elsewhere, plus one zero-cost dummy column per project so leaving a project unmatched is
     allowed (the smallest dense formulation of the same problem); matrix construction is not timed. The two
     totals must agree. Goal: our whole batch ≤ 1.5 × that.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.optimize import linear_sum_assignment  # noqa: E402

from graph.schema import (  # noqa: E402
    Enterprise, IndustryChain, LandParcel, Park, Project, Region, Segment,
)
from graph.snapshot import Snapshot  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402
from graph.store import RelRec  # noqa: E402
from graph.writer import write_objects  # noqa: E402
from land.assignment import assign, feasible_pairs, optimal_assignment, solver_for  # noqa: E402
from land.data import land_data  # noqa: E402
from land.ranking import rank_parcels  # noqa: E402
from land.rules import check_pairs, now_seconds  # noqa: E402
from land.scoring import score_pairs  # noqa: E402

SINGLE_TARGET_MS = 20.0
BATCH_TARGET_S = 3.0
RATIO_GOAL = 1.5
READINESS = (["七通一平", "标准地"], ["七通一平"], ["五通一平", "标准地"], ["五通一平"], ["标准地"])
POLLUTION = ([], ["轻污染"], ["轻污染", "一般"], ["轻污染", "一般", "重污染"])


def world(n_projects: int, n_parcels: int, n_firms: int, seed: int):
    rng = np.random.default_rng(seed)
    objs: list = [Region(key="R00", name="示例省", level="province", lat=30.0, lon=118.0)]
    cities, counties = [], []
    for c in range(30):
        ck = f"R{c + 1:02d}00"
        lat, lon = 24 + rng.uniform(0, 12), 108 + rng.uniform(0, 14)
        objs.append(Region(key=ck, name=f"示例市{c}", level="city", parent="R00", lat=lat, lon=lon))
        cities.append((ck, lat, lon))
        for k in range(5):
            kk = f"{ck}{k:02d}"
            objs.append(Region(key=kk, name=f"示例县{c}-{k}", level="county", parent=ck,
                               lat=lat + rng.normal(0, 0.2), lon=lon + rng.normal(0, 0.2)))
            counties.append(kk)
    chains = [f"c{i}" for i in range(8)]
    segs: dict[str, list[str]] = {}
    rels: list[RelRec] = []
    for ch in chains:
        objs.append(IndustryChain(key=ch, name=f"示例产业链{ch}"))
        segs[ch] = [f"{ch}.s{k}" for k in range(6)]
        for k, s in enumerate(segs[ch]):
            objs.append(Segment(key=s, name=f"环节{s}", chain=ch, stream=("上游", "中游", "下游")[min(k // 2, 2)]))
            if k:
                rels.append(RelRec("UPSTREAM_OF", "Segment", segs[ch][k - 1], "Segment", s))
    parks = []
    for p in range(60):
        region = counties[int(rng.integers(len(counties)))]
        lead = sorted(set(rng.choice(chains, size=int(rng.integers(1, 4))).tolist()))
        objs.append(Park(key=f"pk{p:02d}", name=f"示例园区{p}", region=region, leading_chains=lead))
        parks.append((f"pk{p:02d}", region, lead))
    all_segs = [s for ch in chains for s in segs[ch]]
    for f in range(n_firms):
        objs.append(Enterprise(key=f"f{f:06d}", name=f"示例企业{f}", region=counties[int(rng.integers(len(counties)))]))
        rels.append(RelRec("IN_SEGMENT", "Enterprise", f"f{f:06d}", "Segment", all_segs[int(rng.integers(len(all_segs)))]))
    for _ in range(n_firms):
        a, b = rng.integers(n_firms, size=2)
        if a != b:
            rels.append(RelRec("SUPPLIES", "Enterprise", f"f{a:06d}", "Enterprise", f"f{b:06d}"))
    rels = list({(r.type, r.src_key, r.dst_key): r for r in rels}.values())
    for j in range(n_parcels):
        pk, region, lead = parks[int(rng.integers(len(parks)))]
        mode = rng.random()
        allowed = lead if mode < 0.55 else ([lead[0]] if mode < 0.75 else [])
        big = rng.random() < 0.05
        area = float(rng.uniform(300, 800)) if big else float(np.clip(rng.lognormal(np.log(60), 0.7), 20, 300))
        objs.append(LandParcel(
            key=f"q{j:06d}", name=f"示例地块{j}", park=pk, region=region, area_mu=round(area, 2),
            land_use=str(rng.choice(["0601"] * 23 + ["0604", "0809"])), price_wan_per_mu=round(float(rng.uniform(10, 60)), 1),
            readiness=READINESS[int(rng.integers(len(READINESS)))],
            status=str(rng.choice(["available"] * 18 + ["reserved", "transferred"])),
            min_invest_intensity_wan_per_mu=float(rng.choice([250, 300, 350, 400, 450, 500])),
            min_tax_wan_per_mu=float(rng.choice([8, 10, 15, 20, 25, 30])),
            min_output_wan_per_mu=float(rng.choice([200, 300, 400, 500, 600, 800])),
            max_energy_tce_per_wan=float(rng.choice([0.1, 0.2, 0.3, 0.5])) if rng.random() < 0.8 else None,
            allowed_pollution=POLLUTION[int(rng.integers(len(POLLUTION)))], allowed_chains=allowed,
        ))
    for i in range(n_projects):
        ch = chains[int(rng.integers(len(chains)))]
        invest = float(np.clip(rng.lognormal(np.log(30_000), 1.0), 2_000, 800_000))
        area = float(np.clip(invest / rng.uniform(250, 700), 10, 600))
        output = invest * rng.uniform(0.8, 2.5)
        pk = parks[int(rng.integers(len(parks)))][0] if rng.random() < 0.7 else None
        objs.append(Project(
            key=f"p{i:05d}", name=f"示例项目{i}", chain=ch, segment=segs[ch][int(rng.integers(6))], park=pk,
            investor=f"f{int(rng.integers(n_firms)):06d}", total_investment_wan=round(invest),
            land_min_mu=round(area * 0.85, 1), land_max_mu=round(area * 1.15, 1), expected_output_wan=round(output),
            expected_tax_wan=round(output * rng.uniform(0.03, 0.08)), energy_tce_per_wan=round(float(rng.uniform(0.05, 0.6)), 2),
            pollution_class=str(rng.choice(["轻污染", "一般", "重污染"], p=[0.6, 0.35, 0.05])),
            max_price_wan_per_mu=round(float(rng.uniform(20, 70)), 1),
        ))
    return objs, rels


def median_p90(xs: list[float]) -> tuple[float, float]:
    s = sorted(xs)
    return statistics.median(s), s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--parcels", type=int, default=10_000)
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=200, help="single-project queries timed")
    ap.add_argument("--repeats", type=int, default=5, help="batch runs timed")
    ap.add_argument("--seed", type=int, default=7)
    return ap.parse_args()


def build_land_data(args: argparse.Namespace):
    """The synthetic world written to a fresh SQLite store, its snapshot, and the matcher's arrays — each timed once."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        objs, rels = world(args.projects, args.parcels, args.firms, args.seed)
        store = SQLiteStore(Path(d) / "bench.db")
        write_objects(store, objs, rels)
        t_world = time.perf_counter() - t0
        t0 = time.perf_counter()
        snap = Snapshot.build(store)
        t_snap = time.perf_counter() - t0
        store.close()
    t0 = time.perf_counter()
    data = land_data(snap)
    t_index = time.perf_counter() - t0
    print(f"world: {len(data.projects)} projects, {len(data.parcels)} parcels, {args.firms} firms — written in "
          f"{t_world:.1f}s, snapshot {t_snap:.2f}s, matcher arrays {t_index * 1000:.0f} ms (once per snapshot)")
    return data


def measure_single_project(data, n_queries: int, seed: int) -> None:
    """1 project × all parcels: rank_parcels as the API calls it, and its vectorised core alone."""
    P, Q = data.projects, data.parcels
    rng = np.random.default_rng(seed)
    queries = rng.integers(len(P), size=n_queries)
    rank_parcels(data, int(queries[0]))  # warm up
    full, core, feas = [], [], []
    now_s = now_seconds()
    qi = np.arange(len(Q))
    for i in queries.tolist():
        t0 = time.perf_counter()
        r = rank_parcels(data, i, limit=20, infeasible_limit=50)
        full.append((time.perf_counter() - t0) * 1000)
        feas.append(r.counts["feasible"])
        t0 = time.perf_counter()
        pi = np.full(len(qi), i)
        ok = check_pairs(P, Q, pi, qi, now_s) == 0
        total, _ = score_pairs(P, Q, data.ctx, pi[ok], qi[ok])
        np.argsort(-total)[:20]
        core.append((time.perf_counter() - t0) * 1000)
    fm, fp = median_p90(full)
    cm, cp = median_p90(core)
    print(f"\n1 project × {len(Q)} parcels ({n_queries} queries, median {statistics.median(feas):.0f} feasible):")
    print(f"  rank_parcels (rules, scores, top 20 explained, 50 misses explained): median {fm:.2f} ms, p90 {fp:.2f} ms "
          f"— target ≤ {SINGLE_TARGET_MS:.0f} ms: {'OK' if fm <= SINGLE_TARGET_MS else 'MISSED'}")
    print(f"  vectorised core only (rules + scores + sort):                     median {cm:.2f} ms, p90 {cp:.2f} ms")


def measure_batch(data, repeats: int):
    """Every project × every parcel with land.assignment.assign, and its three stages timed apart; returns the
    assignment, the median run and the stage medians."""
    P, Q = data.projects, data.parcels
    assign(data)  # warm up
    runs, stages = [], []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = assign(data)
        runs.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        pp, qq = feasible_pairs(data)
        t2 = time.perf_counter()
        sc, _ = score_pairs(P, Q, data.ctx, pp, qq)
        t3 = time.perf_counter()
        optimal_assignment(pp, qq, sc)
        t4 = time.perf_counter()
        stages.append((t2 - t1, t3 - t2, t4 - t3))
    assert result is not None
    n, m = len(P), len(Q)
    bm = statistics.median(runs)
    st = [statistics.median(s[k] for s in stages) for k in range(3)]
    print(f"\nbatch {n} × {m}: {len(result.pair_scores)} feasible pairs ({len(result.pair_scores) / (n * m):.2%} of the grid), "
          f"{len(result.chosen)} assigned, total score {result.total_score:.2f}")
    print(f"  assign() median {bm:.3f} s over {repeats} runs — target ≤ {BATCH_TARGET_S:.0f} s: "
          f"{'OK' if bm <= BATCH_TARGET_S else 'MISSED'}")
    solver = solver_for(len(result.pair_scores), len(np.unique(result.pair_projects)), len(np.unique(result.pair_parcels)))
    solver = {"sparse": "sparse LAPJVsp", "dense": "dense linear_sum_assignment"}[solver]
    print(f"    stages (medians): feasible pairs {st[0]:.3f} s · scores {st[1]:.3f} s · exact optimum ({solver}) {st[2]:.3f} s")
    return result, bm, st


def measure_bound(result, n: int, m: int, repeats: int, bm: float, st: list[float]) -> bool:
    """The lower bound: linear_sum_assignment alone on the same cost matrix (built untimed), the ratio of our batch
    to it; True when both found the same optimum."""
    cost = np.full((n, m + n), np.inf)
    cost[result.pair_projects, result.pair_parcels] = -result.pair_scores
    cost[np.arange(n), m + np.arange(n)] = 0.0
    lsa = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rr, cc = linear_sum_assignment(cost)
        lsa.append(time.perf_counter() - t0)
    lsa_total = -cost[rr, cc].sum()
    lm = statistics.median(lsa)
    agree = abs(lsa_total - result.total_score) < 1e-6 * max(1.0, abs(lsa_total))
    print(f"  linear_sum_assignment alone on the same {n} × {m + n} cost matrix: median {lm:.3f} s, "
          f"total {lsa_total:.2f} ({'same optimum' if agree else 'DIFFERENT OPTIMUM'})")
    print(f"  ratio assign() / linear_sum_assignment = {bm / lm:.2f}× (goal ≤ {RATIO_GOAL}×: "
          f"{'OK' if bm / lm <= RATIO_GOAL else 'MISSED'}); our solver step alone / linear_sum_assignment = {st[2] / lm:.2f}×")
    return agree


def main() -> None:
    args = parse_args()
    data = build_land_data(args)
    measure_single_project(data, args.queries, args.seed)
    result, bm, st = measure_batch(data, args.repeats)
    if not measure_bound(result, len(data.projects), len(data.parcels), args.repeats, bm, st):
        sys.exit(1)


if __name__ == "__main__":
    main()
