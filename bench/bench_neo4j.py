"""Neo4j import benchmark: synthetic firms → Neo4jStore, beside SQLiteStore and the raw driver UNWIND of the same
rows, in one run; then the analytic snapshot built from Neo4j.

    make bench-neo4j                                        # 1M firms on a local Neo4j (heap/page cache 6 GiB)
    python tools/neo4j/local.py run -- .venv/bin/python bench/bench_neo4j.py --scale 50000   # a quick run

Needs NEO4J_URI (tools/neo4j/local.py sets it); the database is wiped first. Steps, all in one run:
  1. plan the synthetic world (seed_data.generator) once; every pass below formats the same rows from it;
  2. SQLite: SQLiteStore.write, one transaction per --chunk records, into a fresh file (the embedded default);
  3. raw: the same rows with the official driver alone — per chunk one managed transaction of
     `UNWIND $rows MERGE (n:RawLabel {key}) SET n = props` and `UNWIND $rows MATCH a MATCH b MERGE (a)-[r:T]->(b)
     SET r = props` in batches of the store's UNWIND size, into labels of their own ("Raw…", with the same
     uniqueness constraints) — rows grouped and shaped outside the timer. It does less than the store: no plan
     validation, no change detection, no write lock, no change log;
  4. ours: Neo4jStore.write of every chunk (validation, MERGE with change detection, the change log);
  5. Snapshot.build from Neo4j, beside Snapshot.build from SQLite; a small write and the patch it causes.
Raw runs first and its copy is deleted before ours is written, so both write into a database of the same size.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.neo4j_store import CHUNK, LABELS, Neo4jStore  # noqa: E402
from graph.snapshot import Snapshot, SnapshotCache  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402
from graph.store import Batch, NodeRec  # noqa: E402
from seed_data.generator import generate, record_chunks  # noqa: E402
from seed_data.seed import seed_facts  # noqa: E402

ANCHOR = "38–70k rows/s reported for UNWIND MERGE on one machine"


def chunks(world, size: int):
    """The world's records as write batches of about `size` records (the same for every pass)."""
    batch = Batch()
    for nodes, rels in record_chunks(world, min(size, 50_000)):
        batch.nodes.extend(nodes)
        batch.rels.extend(rels)
        if len(batch) >= size:
            yield batch
            batch = Batch()
    if len(batch):
        yield batch


def raw_rows(batch: Batch) -> tuple[dict[str, list[dict]], dict[tuple[str, str, str], list[dict]]]:
    nodes: dict[str, list[dict]] = {}
    for n in batch.nodes:
        nodes.setdefault(n.label, []).append({"key": n.key, "props": {**n.props, "key": n.key}})
    rels: dict[tuple[str, str, str], list[dict]] = {}
    for r in batch.rels:
        rels.setdefault((r.type, r.src_label, r.dst_label), []).append(
            {"src": r.src_key, "dst": r.dst_key, "props": r.props})
    return nodes, rels


def raw_write(driver, database, nodes, rels) -> None:
    def work(tx):
        for lab, rows in nodes.items():
            q = f"UNWIND $rows AS row MERGE (n:Raw{lab} {{key: row.key}}) SET n = row.props"
            for i in range(0, len(rows), CHUNK):
                tx.run(q, rows=rows[i:i + CHUNK]).consume()
        for (t, sl, dl), rows in rels.items():
            q = (f"UNWIND $rows AS row MATCH (a:Raw{sl} {{key: row.src}}) MATCH (b:Raw{dl} {{key: row.dst}}) "
                 f"MERGE (a)-[r:{t}]->(b) SET r = row.props")
            for i in range(0, len(rows), CHUNK):
                tx.run(q, rows=rows[i:i + CHUNK]).consume()

    with driver.session(database=database) as s:
        s.execute_write(work)


def drop_raw(driver, database) -> None:
    """Delete the raw copy in small transactions (firms first, so no single transaction detaches a dense node's
    million relations), then its constraints."""
    order = ["Enterprise"] + [lab for lab in LABELS if lab != "Enterprise"]
    with driver.session(database=database) as s:
        for lab in order:
            s.run(f"MATCH (n:Raw{lab}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 2000 ROWS").consume()
            s.run(f"DROP CONSTRAINT raw_{lab}_key IF EXISTS").consume()


def rate(rows: int, seconds: float) -> str:
    return f"{seconds:8.1f} s   {rows / max(seconds, 1e-9):>10,.0f} rows/s"


FACT_LABELS = ("IndustryChain", "Segment", "Region", "Park", "Policy")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1_000_000, help="synthetic enterprises (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk", type=int, default=100_000, help="records per write transaction")
    ap.add_argument("--small", type=int, default=100, help="firms updated in the small write after the import")
    return ap.parse_args()


def print_header(args: argparse.Namespace, uri: str) -> None:
    print(f"ChainMatch Neo4j import benchmark: scale={args.scale:,} seed={args.seed} chunk={args.chunk:,} "
          f"UNWIND batch={CHUNK:,}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Neo4j {os.environ.get('CHAINMATCH_NEO4J_VERSION', '?')}"
          f" at {uri} (server and this client share the CPUs: compare ratios, not absolutes)")


def measure_sqlite(lite: SQLiteStore, world, chunk: int) -> tuple[int, float]:
    """The embedded default: seed facts, then every batch with SQLiteStore.write; (rows per pass, seconds)."""
    seed_facts(lite)
    rows = 0
    t_lite = 0.0
    for batch in chunks(world, chunk):
        t = time.perf_counter()
        lite.write(batch)
        t_lite += time.perf_counter() - t
        rows += len(batch)
    return rows, t_lite


def open_neo4j(uri: str) -> Neo4jStore:
    """The Neo4j store named by the environment, wiped."""
    neo = Neo4jStore(uri, user=os.environ.get("NEO4J_USER", "neo4j"), password=os.environ.get("NEO4J_PASSWORD", ""),
                     database=os.environ.get("NEO4J_DATABASE"))
    neo.wipe_for_tests()
    return neo


def measure_raw(neo: Neo4jStore, lite: SQLiteStore, world, chunk: int) -> float:
    """The bound: the same batches with the driver's UNWIND MERGE into Raw* labels (facts copied first, rows shaped
    outside the timer); the raw copy is deleted afterwards so ours writes into a database of the same size."""
    driver, db = neo._driver, neo.database
    with driver.session(database=db) as s:
        for lab in LABELS:
            s.run(f"CREATE CONSTRAINT raw_{lab}_key IF NOT EXISTS FOR (n:Raw{lab}) REQUIRE n.key IS UNIQUE").consume()
        s.run("CALL db.awaitIndexes(300)").consume()
    facts = Batch(nodes=[NodeRec(lab, k, p) for lab in LABELS for k, p in lite.iter_nodes(lab) if lab in FACT_LABELS],
                  rels=[r for r in lite.iter_relations() if r.src_label in FACT_LABELS and r.dst_label in FACT_LABELS])
    raw_write(driver, db, *raw_rows(facts))
    t_raw = 0.0
    for batch in chunks(world, chunk):
        nodes, rels = raw_rows(batch)
        t = time.perf_counter()
        raw_write(driver, db, nodes, rels)
        t_raw += time.perf_counter() - t
    drop_raw(driver, db)
    return t_raw


def measure_ours(neo: Neo4jStore, world, chunk: int) -> float:
    """Neo4jStore.write of every batch after the seed facts (validation, MERGE with change detection, change log)."""
    seed_facts(neo)
    t_ours = 0.0
    for batch in chunks(world, chunk):
        t = time.perf_counter()
        neo.write(batch)
        t_ours += time.perf_counter() - t
    return t_ours


def print_import(neo: Neo4jStore, lite: SQLiteStore, rows: int, t_lite: float, t_raw: float, t_ours: float) -> None:
    print("\n== import ==")
    print(f"  SQLiteStore.write                  {rate(rows, t_lite)}")
    print(f"  raw driver UNWIND MERGE (Neo4j)    {rate(rows, t_raw)}   (anchor: {ANCHOR})")
    print(f"  Neo4jStore.write                   {rate(rows, t_ours)}   ratio ours / raw {t_ours / t_raw:.2f} x, "
          f"vs SQLite {t_ours / t_lite:.2f} x")
    print(f"  Neo4j and SQLite hold the same counts: {neo.counts() == lite.counts()}")


def measure_snapshot(neo: Neo4jStore, lite: SQLiteStore, small: int) -> None:
    """Snapshot.build from Neo4j beside SQLite, then `small` firms updated and the patch SnapshotCache makes."""
    print("\n== snapshot ==")
    t = time.perf_counter()
    snap_lite = Snapshot.build(lite)
    t_snap_lite = time.perf_counter() - t
    cache = SnapshotCache(neo, None)
    t = time.perf_counter()
    snap = cache.get()
    t_snap = time.perf_counter() - t
    edges = sum(m.nnz for m in snap.adj.values())
    print(f"  Snapshot.build from SQLite         {t_snap_lite:8.1f} s")
    print(f"  Snapshot.build from Neo4j          {t_snap:8.1f} s   ({snap.n('Enterprise'):,} enterprises, {edges:,} edges; "
          f"ratio to SQLite {t_snap / t_snap_lite:.2f} x; same edges: "
          f"{edges == sum(m.nnz for m in snap_lite.adj.values())})")
    firms = snap.keys("Enterprise")
    updated = []
    for k in firms[:: max(1, len(firms) // small)][: small]:
        props = neo.get("Enterprise", str(k))
        props.pop("key", None)
        updated.append(NodeRec("Enterprise", str(k), {**props, "revenue_wan": 321.0}))
    t = time.perf_counter()
    neo.write(Batch(nodes=updated))
    t_w = time.perf_counter() - t
    t = time.perf_counter()
    cache.get()
    t_patch = time.perf_counter() - t
    print(f"  {len(updated)} firms updated: write {t_w * 1000:.0f} ms, refresh ({cache.last_refresh}) "
          f"{t_patch * 1000:.0f} ms   (vs {t_snap:.1f} s full build)")


def main() -> None:
    args = parse_args()
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        raise SystemExit("需要 NEO4J_URI：用 `make bench-neo4j` 或 `python tools/neo4j/local.py run -- …` 运行")

    work = Path(tempfile.mkdtemp(prefix="chainmatch-bench-neo4j-"))
    print_header(args, uri)
    t = time.perf_counter()
    world = generate(args.scale, args.seed)
    print(f"\nplan the synthetic world            {time.perf_counter() - t:8.1f} s")

    lite = SQLiteStore(work / "ours.db")
    rows, t_lite = measure_sqlite(lite, world, args.chunk)
    print(f"rows per pass                       {rows:>12,}")
    neo = open_neo4j(uri)
    t_raw = measure_raw(neo, lite, world, args.chunk)
    t_ours = measure_ours(neo, world, args.chunk)
    print_import(neo, lite, rows, t_lite, t_raw, t_ours)
    measure_snapshot(neo, lite, args.small)
    neo.close()
    lite.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
