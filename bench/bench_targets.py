"""Target recommender benchmark: top-50 targets for one segment at 1M synthetic enterprises, warm, beside one
matrix–vector product over the same feature matrix in the same run.

    .venv/bin/python bench/bench_targets.py                     # 1,000,000 firms (first run builds the store: ~4 min, ~2.7 GB)
    .venv/bin/python bench/bench_targets.py --scale 100000      # a quick run

Steps:
  1. the store: `--dir` (default /tmp/chainmatch-bench-targets) keeps `scale{N}-seed{S}.db` and its snapshot cache;
     built once with seed_data.seed.seed_store (fast path above 100k firms) and reused. The generator's source hash
     is kept beside it; a store built by another generator version is reported (delete the file to rebuild);
  2. load the analytic snapshot from the cache; build the engine (TargetEngine: static features, segment fit,
     adjacency, weights learned from the synthetic project history) — timed, once;
  3. the first query for the region (builds the region state: local firms, ties, funds, distances, gap analysis);
  4. warm: `--repeat` times rank_targets(region, chain, segment, k=50) — the whole answer including reasons and the
     pydantic result — median and p95;
  5. the bound: the engine's feature matrix for that region and segment over *all* firms (E × 17, what scoring every
     firm would read) times the weight vector, `--repeat` times in the same run, median and p95; the ratio
     query / bound (goal ≤ 3×; target p95 ≤ 50 ms). The candidate-only mat-vec is printed too;
  6. other views, warm medians: chain only (gap segments chosen), 链主, fund, similar enterprises.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.snapshot import SnapshotCache  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402

TARGET_P95_MS = 50.0
TARGET_RATIO = 3.0


def generator_hash() -> str:
    """The generator's code: seed_data/generator.py and its parts in seed_data/synthetic/."""
    h = hashlib.sha256()
    for f in [ROOT / "seed_data" / "generator.py", *sorted((ROOT / "seed_data" / "synthetic").glob("*.py"))]:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def ensure_store(directory: Path, scale: int, seed: int) -> tuple[Path, dict]:
    from seed_data.seed import seed_store

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / f"scale{scale}-seed{seed}.db"
    meta_path = directory / f"scale{scale}-seed{seed}.json"
    if db.exists():
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return db, meta
    partial = directory / (db.name + ".partial")
    for p in directory.glob(partial.name + "*"):
        p.unlink()
    print(f"building the store once: {scale:,} firms, seed {seed} → {db} (several minutes)", flush=True)
    t0 = time.perf_counter()
    store = SQLiteStore(str(partial))
    info = seed_store(store, scale=scale, seed=seed, progress=True)
    cache = SnapshotCache(store, str(directory / "snapshots"))
    cache.get()
    cache.flush()  # the cache may write in the background: have it on disk before the store is closed
    store.close()
    os.replace(partial, db)
    meta = {"generator_sha256_16": generator_hash(), "built_seconds": round(time.perf_counter() - t0, 1),
            "synthetic": info["synthetic"]}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return db, meta


def timed(fn, repeat: int) -> tuple[np.ndarray, object]:
    out = None
    ts = np.empty(repeat)
    for i in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts[i] = time.perf_counter() - t
    return ts * 1000.0, out


def stats(ms: np.ndarray) -> str:
    return f"median {np.median(ms):7.2f} ms · p95 {np.percentile(ms, 95):7.2f} ms"


def peak_rss_gb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/chainmatch-bench-targets"))
    ap.add_argument("--region", default="330800", help="default 衢州")
    ap.add_argument("--chain", default="ic")
    ap.add_argument("--segment", default="ic.packaging", help="default 封装测试 (a gap of 衢州 in the seed)")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=200)
    return ap.parse_args()


def open_snapshot(args: argparse.Namespace):
    """The kept store for this scale and seed (built on first use) and its snapshot, loaded from the cache."""
    db, meta = ensure_store(args.dir, args.scale, args.seed)
    if meta.get("generator_sha256_16") != generator_hash():
        print(f"note: {db.name} was built by another version of seed_data/generator.py (or before the hash was kept);"
              " timings are unaffected, learned weights may differ. Delete the file to rebuild.")
    store = SQLiteStore(str(db))
    t0 = time.perf_counter()
    snap = SnapshotCache(store, str(args.dir / "snapshots")).get()
    t_snap = time.perf_counter() - t0
    print(f"store {db.name}: {snap.n('Enterprise'):,} enterprises · snapshot loaded in {t_snap:.1f} s")
    return store, snap


def build_engine(snap):
    """TargetEngine for the snapshot (features, segment fit, adjacency, learned weights), timed once."""
    from targets import TargetEngine

    t0 = time.perf_counter()
    eng = TargetEngine.of(snap)
    t_engine = time.perf_counter() - t0
    w = eng.weights_out()
    print(f"engine built in {t_engine:.1f} s · weights {w.source} ({w.positives} landed of {w.projects} projects"
          f"{'' if w.auc is None else f', AUC {w.auc:.2f}'}) · {eng.fit_note}")
    return eng


def measure_query(snap, args: argparse.Namespace):
    """The first query for the region, then `--repeat` warm queries, then the first query for a region no project
    is in; returns the warm timings (ms) and the warm answer."""
    from targets import rank_targets

    q = dict(region=args.region, chain=args.chain, segment=args.segment, k=args.k)
    t0 = time.perf_counter()
    first = rank_targets(snap, **q)
    t_first = time.perf_counter() - t0
    print(f"first query for the region (region state + gap analysis): {t_first * 1000:.0f} ms · "
          f"{first.candidates:,} candidates, {first.excluded_local} local excluded")

    query_ms, out = timed(lambda: rank_targets(snap, **q), args.repeat)
    cold = "440300" if args.region != "440300" else "110100"
    t0 = time.perf_counter()
    rank_targets(snap, region=cold, chain=args.chain, segment=args.segment, k=args.k)
    t_cold = time.perf_counter() - t0
    print(f"first query for a region no project is in ({cold}: region state + gap analysis): {t_cold * 1000:.0f} ms")
    return query_ms, out


@dataclass(frozen=True)
class Bound:
    """The mat-vec a query can never beat: every firm's feature row times the weights (and the candidates' alone)."""
    shape: tuple[int, int]
    ms: np.ndarray
    cand_shape: tuple[int, int]
    cand_ms: np.ndarray


def measure_bound(eng, st, E: int, args: argparse.Namespace) -> Bound:
    """The engine's feature matrix for this region and segment over all E firms, times the weight vector."""
    s = eng.resolve_segment(args.segment, eng.resolve_chain(args.chain))
    firms = np.arange(E)
    fit = np.asarray(eng.fit[:, [s]].toarray()).ravel()
    X = eng.features(st, firms, fit, np.full(E, s, dtype=np.int64))
    X = np.nan_to_num(X, nan=0.0)
    wv = eng.weights.scaled
    bound_ms, _ = timed(lambda: X @ wv, args.repeat)
    cand, seg, cfit = eng.candidates_for([s])
    Xc = np.nan_to_num(eng.features(st, cand, cfit, seg), nan=0.0)
    cand_ms, _ = timed(lambda: Xc @ wv, args.repeat)
    return Bound(X.shape, bound_ms, Xc.shape, cand_ms)


def print_ratio_table(args: argparse.Namespace, out, query_ms: np.ndarray, bound: Bound) -> None:
    """Warm query against the bound: medians and p95s, the ratio and its goals, and the top 3 with reasons."""
    print(f"\ntop-{args.k} for {out.region.name} · {out.segments[0].name} ({out.segments[0].klass}), warm, "
          f"{args.repeat} runs:")
    print(f"  rank_targets (full answer with reasons)  {stats(query_ms)}")
    print(f"  bound: X @ w, X = {bound.shape[0]:,} × {bound.shape[1]} float64     {stats(bound.ms)}")
    print(f"  (candidates only: {bound.cand_shape[0]:,} × {bound.cand_shape[1]} mat-vec  {stats(bound.cand_ms)})")
    ratio = np.median(query_ms) / np.median(bound.ms)
    ratio95 = np.percentile(query_ms, 95) / np.percentile(bound.ms, 95)
    p95 = float(np.percentile(query_ms, 95))
    print(f"  ratio query / bound: median {ratio:.2f}× · p95 {ratio95:.2f}× (goal ≤ {TARGET_RATIO:g}×)  "
          f"p95 {p95:.1f} ms (goal ≤ {TARGET_P95_MS:g} ms): "
          f"{'met' if p95 <= TARGET_P95_MS and ratio <= TARGET_RATIO else 'NOT met'}")
    print("  top 3:")
    for it in out.items[:3]:
        print(f"    {it.rank}. {it.name} ({it.region_name}) {it.score:.3f}: {'；'.join(it.reasons)}")


def measure_other_views(snap, eng, st, out, args: argparse.Namespace) -> None:
    """Warm medians of the other recommenders: chain only, 链主, fund, similar enterprises."""
    from targets import rank_fund_targets, rank_leader_targets, rank_targets, similar_enterprises

    print("\nother views, warm (median of 20):")
    reps = 20
    ms, chain_out = timed(lambda: rank_targets(snap, region=args.region, chain=args.chain, k=args.k), reps)
    print(f"  chain only ({len(chain_out.segments)} gap segments, {chain_out.candidates:,} candidates)  {stats(ms)}")
    leaders = np.flatnonzero(eng.leader_any & st.local)
    if len(leaders):
        lk = str(eng.idx.firm_keys[leaders[0]])
        rank_leader_targets(snap, leader=lk, k=args.k)
        ms, lo = timed(lambda: rank_leader_targets(snap, leader=lk, k=args.k), reps)
        print(f"  链主 {eng.idx.firm_names[leaders[0]]} ({lo.candidates:,} candidates)  {stats(ms)}")
    if snap.n("Fund"):
        fk = str(eng.fund_keys[int(np.argmax(np.diff(eng.IF.indptr)))])
        ms, fo = timed(lambda: rank_fund_targets(snap, fund=fk, region=args.region, k=args.k), reps)
        print(f"  fund {fk} ({fo.candidates:,} candidates)  {stats(ms)}")
    if out.items:
        ek = out.items[0].enterprise
        similar_enterprises(snap, enterprise=ek, k=args.k)
        ms, so = timed(lambda: similar_enterprises(snap, enterprise=ek, k=args.k), reps)
        print(f"  similar to {out.items[0].name} ({so.candidates:,} candidates)  {stats(ms)}")


def main() -> None:
    args = parse_args()
    store, snap = open_snapshot(args)
    eng = build_engine(snap)
    query_ms, out = measure_query(snap, args)
    st = eng.region_state(eng.resolve_region(args.region))
    bound = measure_bound(eng, st, snap.n("Enterprise"), args)
    print_ratio_table(args, out, query_ms, bound)
    measure_other_views(snap, eng, st, out, args)
    print(f"\npeak RSS {peak_rss_gb():.2f} GB")
    store.close()


if __name__ == "__main__":
    main()
