"""Import benchmark: synthetic firms → SQLite store, beside raw sqlite3 executemany of the same rows.

    .venv/bin/python bench/bench_import.py --scale 1000000     # the README's benchmark (several minutes)
    .venv/bin/python bench/bench_import.py --scale 100000      # a quick run

Steps, all in one run so the ratios compare like with like on this machine:
  1. plan the synthetic world (seed_data.generator) and format its rows chunk by chunk (fast path, no pydantic);
     generation time is measured on its own;
  2. write every chunk with SQLiteStore.write (one transaction per chunk of --chunk records) into a fresh store;
  3. write the same rows — the same node rows (id, label, key, name, props-JSON, indexed-field columns) and
     relation rows (src id, type, dst id, props-JSON, weight), made by the store's own node_row/rel_rows_by_id but
     outside the timer, with the ids the store gave the same nodes (read back by key, also outside the timer)
     — with plain `INSERT` + executemany into a fresh database with the identical schema (graph.sqlite_store DDL,
     same PRAGMAs, page size and page cache, one transaction per chunk, every index maintained as rows go in):
     the lower bound for "putting these rows into SQLite". It does less than the store: no key → id resolution,
     no upsert checks, no JSON encoding, no change log;
  4. build the analytic snapshot (graph.snapshot) and save it to the cache (SnapshotCache);
  5. a small write (--small new synthetic firms with their relations) and the incremental refresh it causes:
     SnapshotCache.get() patches the snapshot from the store's change log instead of rebuilding it;
  6. cold start: a fresh interpreter opens the store and gets the snapshot from the cache; it reports the time
     from its launch (CLOCK_MONOTONIC is system-wide on Linux) to snapshot ready, and its peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.snapshot import Snapshot, SnapshotCache  # noqa: E402
from graph.sqlite_store import (  # noqa: E402
    BIG_WRITE_CACHE_KIB, BIG_WRITE_ROWS, CACHE_KIB, DDL, INSERT_NODE_ID, IX_COLS, SQLiteStore, configure, node_row,
    rel_rows_by_id,
)
from graph.store import Batch, NodeRec, RelRec  # noqa: E402
from seed_data.generator import generate, record_chunks  # noqa: E402
from seed_data.seed import seed_facts  # noqa: E402

TARGET_ROWS_PER_S = 200_000
TARGET_RATIO = 2.0
TARGET_COLD_S = 3.0
TARGET_RSS_GB = 3.0

NODE_COLS = ", ".join(("id", "label", "key", "name", "props", *IX_COLS))
RAW_NODE = INSERT_NODE_ID  # plain INSERT with the id
RAW_REL = "INSERT INTO rels(src, type, dst, props, w) VALUES (?, ?, ?, ?, ?)"  # plain INSERT, ends by id

COLD_START = r"""
import time
t_in = time.monotonic()
import json, sys


def hwm_gb():
    # VmHWM: this process's own peak RSS. (ru_maxrss would not do: Linux keeps it across fork/exec, so a child
    # started from a big parent reports the parent's peak.)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024

sys.path.insert(0, sys.argv[1])
from graph.sqlite_store import SQLiteStore
from graph.snapshot import SnapshotCache
t_imp = time.monotonic()
store = SQLiteStore(sys.argv[2])
snap = SnapshotCache(store, sys.argv[3]).get()
t_ready = time.monotonic()
print(json.dumps({
    "since_launch_s": t_ready - float(sys.argv[4]),
    "in_process_s": t_ready - t_in,
    "imports_s": t_imp - t_in,
    "load_s": t_ready - t_imp,
    "built_seconds": snap.built_seconds,
    "version": snap.version,
    "enterprises": snap.n("Enterprise"),
    "rss_gb": hwm_gb(),
}))
"""


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # ru_maxrss is KiB on Linux


def open_raw(path: Path, chunk: int) -> sqlite3.Connection:
    """A database with SQLiteStore's schema and connection settings (including the bigger page cache it gives a
    write of BIG_WRITE_ROWS or more), written with plain sqlite3."""
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn, BIG_WRITE_CACHE_KIB if chunk >= BIG_WRITE_ROWS else CACHE_KIB)
    conn.execute("BEGIN")
    for stmt in DDL:
        conn.execute(stmt)
    conn.execute("COMMIT")
    return conn


def node_ids(store: SQLiteStore, recs) -> dict[str, dict[str, int]]:
    """label → key → the id the store gave each of these nodes (read outside the timer)."""
    by_label: dict[str, set[str]] = {}
    for label, key in recs:
        by_label.setdefault(label, set()).add(key)
    return {label: store.node_ids(label, keys) for label, keys in by_label.items()}


def node_rows(store: SQLiteStore, nodes) -> list[tuple]:
    ids = node_ids(store, ((n.label, n.key) for n in nodes))
    return [(ids[n.label][n.key], *node_row(n)) for n in nodes]


def rel_rows(store: SQLiteStore, rels) -> list[tuple]:
    """The rows the store itself writes for these relations by id (rels-table columns src, type, dst, props, w)."""
    ids = node_ids(store, (k for r in rels for k in ((r.src_label, r.src_key), (r.dst_label, r.dst_key))))
    return list(rel_rows_by_id(ids, rels))


def verdict(ok: bool) -> str:
    return "达标" if ok else "未达标"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1_000_000, help="synthetic enterprises (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk", type=int, default=100_000, help="records per write transaction")
    ap.add_argument("--dir", type=Path, default=None, help="working directory (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the databases and the snapshot cache")
    ap.add_argument("--small", type=int, default=100, help="firms in the small write after the import (default 100)")
    return ap.parse_args()


@dataclass(frozen=True)
class Workdir:
    """Where one run keeps its two databases (ours, raw) and the snapshot cache."""
    path: Path
    ours: Path
    raw: Path
    cache: Path

    @classmethod
    def of(cls, path: Path) -> Workdir:
        return cls(path, path / "ours.db", path / "raw.db", path / "snapshots")

    def remove_databases(self) -> None:
        """Delete both databases (with their WAL files) and the snapshot cache."""
        for p in (self.ours, self.raw):
            for suffix in ("", "-wal", "-shm"):
                Path(str(p) + suffix).unlink(missing_ok=True)
        shutil.rmtree(self.cache, ignore_errors=True)


@dataclass
class ImportRun:
    """What writing the synthetic world into both databases cost: generation, our store, the raw bound."""
    t_plan: float = 0.0
    t_format: float = 0.0
    t_ours: float = 0.0
    t_ser: float = 0.0
    t_raw: float = 0.0
    cpu_ours: float = 0.0
    cpu_raw: float = 0.0
    n_nodes: int = 0
    n_rels: int = 0
    per_type: dict[str, int] = field(default_factory=dict)
    same_counts: bool = False

    @property
    def rows(self) -> int:
        return self.n_nodes + self.n_rels

    def write_chunk(self, store: SQLiteStore, raw: sqlite3.Connection, batch: Batch) -> None:
        """One chunk into our store (timed), its rows made outside the timer, then the same rows into raw (timed)."""
        if not len(batch):
            return
        c0, t0 = time.process_time(), time.perf_counter()
        store.write(batch)
        c1, t1 = time.process_time(), time.perf_counter()
        nr, rr = node_rows(store, batch.nodes), rel_rows(store, batch.rels)
        c2, t2 = time.process_time(), time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(RAW_NODE, nr)
        raw.executemany(RAW_REL, rr)
        raw.execute("COMMIT")
        c3, t3 = time.process_time(), time.perf_counter()
        self.cpu_ours += c1 - c0
        self.cpu_raw += c3 - c2
        self.t_ours += t1 - t0
        self.t_ser += t2 - t1
        self.t_raw += t3 - t2
        self.n_nodes += len(batch.nodes)
        self.n_rels += len(batch.rels)
        for r in batch.rels:
            self.per_type[r.type] = self.per_type.get(r.type, 0) + 1


def print_header(args: argparse.Namespace, work: Path) -> None:
    print(f"ChainMatch import benchmark: scale={args.scale:,} seed={args.seed} chunk={args.chunk:,} dir={work}")
    print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (other processes share the CPUs: compare ratios, not absolutes)")


def copy_facts(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    """The seed facts (small) written by our store, copied row for row into the raw database, untimed."""
    src = store._conn()
    raw.execute("BEGIN")
    raw.executemany(RAW_NODE, src.execute(f"SELECT {NODE_COLS} FROM nodes ORDER BY id"))
    raw.executemany(RAW_REL, src.execute("SELECT src, type, dst, props, w FROM rels"))
    raw.execute("COMMIT")


def import_world(store: SQLiteStore, raw: sqlite3.Connection, scale: int, seed: int, chunk: int) -> ImportRun:
    """Generate the synthetic world and write it chunk by chunk into both databases; closes `raw` at the end."""
    run = ImportRun()
    t = time.perf_counter()
    world = generate(scale, seed)
    run.t_plan = time.perf_counter() - t
    batch = Batch()
    t = time.perf_counter()
    for nodes, rels in record_chunks(world, min(chunk, 50_000)):
        run.t_format += time.perf_counter() - t
        batch.nodes.extend(nodes)
        batch.rels.extend(rels)
        if len(batch) >= chunk:
            run.write_chunk(store, raw, batch)
            batch = Batch()
        t = time.perf_counter()
    run.t_format += time.perf_counter() - t
    run.write_chunk(store, raw, batch)
    del batch
    counts_ours = store.counts()
    raw_nodes = raw.execute("SELECT count(*) FROM nodes").fetchone()[0]
    raw_rels = raw.execute("SELECT count(*) FROM rels").fetchone()[0]
    run.same_counts = ((sum(counts_ours["nodes"].values()), sum(counts_ours["relations"].values()))
                       == (raw_nodes, raw_rels))
    raw.close()
    return run


def print_generation(run: ImportRun) -> None:
    t_gen = run.t_plan + run.t_format
    print("\n== generation ==")
    print(f"  plan (all randomness, arrays)   {run.t_plan:8.1f} s")
    print(f"  format rows (NodeRec/RelRec)    {run.t_format:8.1f} s")
    print(f"  total                           {t_gen:8.1f} s   ({run.n_nodes:,} nodes, {run.n_rels:,} relations)")
    print("  relations: " + ", ".join(f"{k} {v:,}" for k, v in sorted(run.per_type.items(), key=lambda kv: -kv[1])))


def print_import(run: ImportRun, wd: Workdir) -> None:
    """Our store against the raw executemany bound: rates, CPU time, the ratio and its target, database sizes."""
    rows, t_ours, t_raw, cpu_ours, cpu_raw = run.rows, run.t_ours, run.t_raw, run.cpu_ours, run.cpu_raw
    ours_rate, raw_rate = rows / t_ours, rows / t_raw
    ratio = t_ours / t_raw
    print("\n== import ==")
    print(f"  rows written                    {rows:>12,}   (both databases hold the same counts: {run.same_counts})")
    print(f"  ours  SQLiteStore.write         {t_ours:8.1f} s   {ours_rate:>10,.0f} rows/s   "
          f"target >= {TARGET_ROWS_PER_S:,}: {verdict(ours_rate >= TARGET_ROWS_PER_S)}")
    print(f"  raw   executemany INSERT        {t_raw:8.1f} s   {raw_rate:>10,.0f} rows/s   (rows pre-serialised)")
    print(f"  (rows to JSON, ends to ids      {run.t_ser:8.1f} s   — inside 'ours', outside 'raw')")
    print(f"  CPU time: ours {cpu_ours:.1f} s ({rows / max(cpu_ours, 1e-9):,.0f} rows per CPU-s), raw {cpu_raw:.1f} s "
          f"({rows / max(cpu_raw, 1e-9):,.0f} rows per CPU-s); wall/CPU {t_ours / max(cpu_ours, 1e-9):.2f} "
          f"(> 1: waiting for the disk or for a CPU); load average now {os.getloadavg()[0]:.1f}")
    print(f"  ratio ours / raw                {ratio:8.2f} x   target <= {TARGET_RATIO}: {verdict(ratio <= TARGET_RATIO)}")
    print(f"  database size                   ours {wd.ours.stat().st_size / 2**30:.2f} GiB, "
          f"raw {wd.raw.stat().st_size / 2**30:.2f} GiB")


def measure_snapshot(store: SQLiteStore, cache_dir: Path) -> tuple[SnapshotCache, Snapshot]:
    """Build the analytic snapshot from the freshly imported store and save it to the cache."""
    print("\n== snapshot ==")
    cache = SnapshotCache(store, str(cache_dir))
    t = time.perf_counter()
    snap = cache.get()  # builds (store version is new) and saves to the cache
    cache.flush()
    t_get = time.perf_counter() - t
    t_build = snap.built_seconds
    files = list(cache_dir.glob("*.npz"))
    size = sum(f.stat().st_size for f in files)
    print(f"  Snapshot.build                  {t_build:8.1f} s   ({snap.n('Enterprise'):,} enterprises, "
          f"{sum(m.nnz for m in snap.adj.values()):,} edges)")
    print(f"  save to cache                   {t_get - t_build:8.1f} s   ({size / 2**20:,.0f} MiB)")
    return cache, snap


def small_writes(store: SQLiteStore, snap: Snapshot, small: int) -> tuple[tuple[str, Batch], ...]:
    """Two small writes as a user makes them after the import: `small` new firms with their relations (region,
    segment, a customer), then `small` existing firms with a changed revenue."""
    regions, segments, firms = snap.keys("Region"), snap.keys("Segment"), snap.keys("Enterprise")
    new_firms = [NodeRec("Enterprise", f"91990000BENCH{i:05d}", {
        "name": f"基准测试新设企业{i}（合成）", "source": "bench_import（合成）", "synthetic": True,
        "region": str(regions[(i * 37) % len(regions)]), "size": "小型", "revenue_wan": 1000.0 + i,
        "tags": ["专精特新"] if i % 3 == 0 else []}) for i in range(small)]
    new_rels = [rel for i, n in enumerate(new_firms) for rel in (
        RelRec("LOCATED_IN", "Enterprise", n.key, "Region", n.props["region"], {"source": "bench_import（合成）"}),
        RelRec("IN_SEGMENT", "Enterprise", n.key, "Segment", str(segments[(i * 11) % len(segments)]), {"weight": 1.0}),
        RelRec("SUPPLIES", "Enterprise", n.key, "Enterprise", str(firms[(i * 7919) % len(firms)]), {"share": 0.1}),
    )]
    updated = [NodeRec("Enterprise", str(k), {**store.get("Enterprise", str(k)), "revenue_wan": 123.0})
               for k in firms[:: max(1, len(firms) // small)][: small]]
    for n in updated:
        n.props.pop("key", None)
    return ((f"{len(new_firms)} new firms + {len(new_rels)} relations", Batch(nodes=new_firms, rels=new_rels)),
            (f"{len(updated)} firms updated", Batch(nodes=updated)))


def measure_small_writes(store: SQLiteStore, cache: SnapshotCache, snap: Snapshot, small: int) -> Snapshot:
    """Each small write, the incremental refresh SnapshotCache.get() makes of it, and the background save; returns
    the refreshed snapshot."""
    print("\n== small write at this scale, then SnapshotCache.get() ==")
    t_build = snap.built_seconds
    for what, batch in small_writes(store, snap, small):
        t = time.perf_counter()
        store.write(batch)
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        snap = cache.get()
        t_refresh = time.perf_counter() - t
        t = time.perf_counter()
        cache.flush()
        t_save = time.perf_counter() - t
        print(f"  {what:<36} write {t_write * 1000:6.0f} ms, refresh ({cache.last_refresh}) "
              f"{t_refresh * 1000:6.0f} ms (patch {snap.built_seconds * 1000:.0f} ms), background save {t_save:.1f} s")
    print(f"  versus a full rebuild           {t_build:8.1f} s   (the snapshot before this change)")
    return snap


def measure_cold_start(wd: Workdir, snap_version: int, snap_built: float) -> dict:
    """A fresh interpreter opens the store and loads the snapshot from the cache; its own report."""
    launch = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", COLD_START, str(ROOT), str(wd.ours), str(wd.cache), repr(launch)],
                          capture_output=True, text=True)
    wall = time.monotonic() - launch
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit("cold start subprocess failed")
    cold = json.loads(proc.stdout.strip().splitlines()[-1])
    from_cache = abs(cold["built_seconds"] - snap_built) < 1e-9 and cold["version"] == snap_version
    print("\n== cold start (fresh process: open store + SnapshotCache.get()) ==")
    print(f"  launch → snapshot ready         {cold['since_launch_s']:8.2f} s   target <= {TARGET_COLD_S}: "
          f"{verdict(cold['since_launch_s'] <= TARGET_COLD_S)}   (loaded from cache: {from_cache})")
    print(f"    of which imports {cold['imports_s']:.2f} s, open + load {cold['load_s']:.2f} s; "
          f"process wall incl. exit {wall:.2f} s")
    return cold


def print_memory(main_rss: float, cold: dict) -> None:
    print("\n== memory (peak RSS) ==")
    print(f"  main process                    {main_rss:8.2f} GB   target <= {TARGET_RSS_GB}: {verdict(main_rss <= TARGET_RSS_GB)}")
    print(f"  cold-start process              {cold['rss_gb']:8.2f} GB   target <= {TARGET_RSS_GB}: "
          f"{verdict(cold['rss_gb'] <= TARGET_RSS_GB)}")


def main() -> None:
    args = parse_args()
    wd = Workdir.of(args.dir or Path(tempfile.mkdtemp(prefix="chainmatch-bench-")))
    wd.path.mkdir(parents=True, exist_ok=True)
    wd.remove_databases()
    print_header(args, wd.path)

    store = SQLiteStore(wd.ours)
    seed_facts(store)
    raw = open_raw(wd.raw, args.chunk)
    copy_facts(store, raw)
    run = import_world(store, raw, args.scale, args.seed, args.chunk)
    print_generation(run)
    print_import(run, wd)

    cache, snap = measure_snapshot(store, wd.cache)
    snap = measure_small_writes(store, cache, snap, args.small)
    snap_version, snap_built = snap.version, snap.built_seconds
    main_rss = rss_gb()
    store.close()
    del snap, cache

    cold = measure_cold_start(wd, snap_version, snap_built)
    print_memory(main_rss, cold)

    if not args.keep and args.dir is None:
        shutil.rmtree(wd.path, ignore_errors=True)
    elif not args.keep:
        wd.remove_databases()


if __name__ == "__main__":
    main()
