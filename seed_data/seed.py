"""Write the seed into a store: real facts (chains, segments, regions, parks, policy items, UPSTREAM_OF links), then
the deterministic synthetic data of seed_data.generator.

Facts go through graph.writer.Plan, validated, in one commit. Synthetic data goes in commits of about
`commit_size` records (one commit at the default scale). Up to VALIDATE_UP_TO firms each record is
validated against its pydantic model and every reference checked (about 30 s per 100k firms); above that, or with
`validate_records=False`, the fast path of generator.record_chunks writes the same rows without pydantic (tests
check, row for row, that both paths write identical databases).

Idempotent: the same (scale, seed) writes nothing the second time (`nodes_written == rels_written == 0`) and does
not move the store's version. A large seed interrupted half-way is completed by running it again. Seeding with a
different scale or seed adds to what is there; it does not remove the earlier synthetic data.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

from graph.schema import MODELS, Label
from graph.store import Batch, GraphStore, RelRec
from graph.writer import Plan
from graph.validation import Loc, ValidationFailed, validate
from seed_data.facts import fact_links, fact_nodes, load_chains, policy_nodes
from seed_data.generator import REFERENCE_DATE, Facts, SyntheticWorld, record_chunks

FACTS_FILE = "seed_data/facts/chains.json"
VALIDATE_UP_TO = 100_000


def seed_facts(store: GraphStore) -> dict[str, int]:
    """Chains, segments, regions, parks, policy items and UPSTREAM_OF links in one all-or-nothing commit."""
    plan = Plan()
    problems = []
    n_nodes = 0
    facts = fact_nodes() + [(Label.Policy, row) for row in policy_nodes()]  # policies: seed_data/facts/policies.json
    for i, (label, data) in enumerate(facts, start=1):
        obj, probs = validate(label, data, Loc(f"seed_data/facts ({Label(label).value})", i))
        if probs or obj is None:
            problems.extend(probs)
            continue
        # relations implied by a fact's reference fields keep that fact's source
        plan.source = obj.source
        plan.add_node(obj)
        n_nodes += 1
    if problems:
        raise ValidationFailed(problems)
    chains = load_chains()
    chain_source = {c["key"]: c.get("source") or chains["source"] for c in chains["chains"]}
    seg_chain = {s["key"]: c["key"] for c in chains["chains"] for s in c["segments"]}
    for up, down in fact_links():
        same = seg_chain.get(up) is not None and seg_chain.get(up) == seg_chain.get(down)
        src = chain_source[seg_chain[up]] if same else chains["source"]
        plan.source = None
        plan.add_rel(RelRec("UPSTREAM_OF", "Segment", up, "Segment", down, {"source": src}), Loc(FACTS_FILE))
    result = plan.commit(store)
    return {"nodes": n_nodes, "relations": len(plan.rels), "nodes_written": result.nodes_written,
            "rels_written": result.rels_written}


def seed_store(store: GraphStore, *, scale: int = 3000, seed: int = 42, progress: bool = True,
               validate_records: bool | None = None, commit_size: int = 200_000,
               chunk_size: int = 50_000, as_of: dt.date = REFERENCE_DATE) -> dict[str, Any]:
    """Write facts + synthetic data; returns what was generated and what was written.

    validate_records: None = validate up to VALIDATE_UP_TO firms, fast path above.
    as_of: the data's "today" (synthetic dates are planned relative to it; fixed by default).

    {"facts": {...}, "synthetic": {label/type: count}, "nodes_written", "rels_written", "version", "seconds"}
    """
    t0 = time.perf_counter()
    if validate_records is None:
        validate_records = scale <= VALIDATE_UP_TO
    facts_counts = seed_facts(store)
    world = SyntheticWorld(Facts.load(), scale=scale, seed=seed, as_of=as_of)
    counts = world.counts()
    total = sum(counts.values())
    bar = _bar(total, progress, f"合成数据 scale={scale} seed={seed}")
    written = {"nodes": 0, "rels": 0}

    def commit(plan: Plan | None, batch: Batch | None = None) -> None:
        if plan is not None:
            if not plan.nodes and not plan.rels:
                return
            r = plan.commit(store)
        else:
            assert batch is not None
            if not len(batch):
                return
            r = store.write(batch)
        written["nodes"] += r.nodes_written
        written["rels"] += r.rels_written

    try:
        if validate_records:
            plan = Plan(source=world.source)
            size = 0
            for nodes in world.node_chunks(chunk_size):
                for label, data in nodes:
                    obj = MODELS[label](**data)  # a generator bug fails here, naming the field
                    plan.add_node(obj)
                size += len(nodes)
                bar.update(len(nodes))
                if size >= commit_size:
                    commit(plan)
                    plan, size = Plan(source=world.source), 0
            for rels in world.relation_chunks(chunk_size):
                for rel in rels:
                    plan.add_rel(rel)
                size += len(rels)
                bar.update(len(rels))
                if size >= commit_size:
                    commit(plan)
                    plan, size = Plan(source=world.source), 0
            commit(plan)
        else:
            batch = Batch()
            for nodes, rels in record_chunks(world, chunk_size):
                batch.nodes.extend(nodes)
                batch.rels.extend(rels)
                bar.update(len(nodes) + sum(1 for r in rels if r.type in counts))
                if len(batch) >= commit_size:
                    commit(None, batch)
                    batch = Batch()
            commit(None, batch)
    finally:
        bar.close()
    return {
        "facts": facts_counts,
        "synthetic": counts,
        "nodes_written": facts_counts["nodes_written"] + written["nodes"],
        "rels_written": facts_counts["rels_written"] + written["rels"],
        "validated": validate_records,
        "version": store.version(),
        "seconds": round(time.perf_counter() - t0, 2),
    }


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool, desc: str):
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="条", unit_scale=True, mininterval=0.5)
