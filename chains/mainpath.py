"""The chain's main path (主干): search path counts (SPC, Hummon & Doreian 1989) on the chain's own UPSTREAM_OF
DAG — each segment's share of the source→sink paths through it, its depth (layer), and the segments on the
main path (share ≥ main_path_min_share, plus the global main path: the route with the largest total share)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chains.index import ChainIndex
from chains.models import STREAM_ORDER, AnalysisConfig


@dataclass
class ChainDag:
    segs: np.ndarray  # segment indices of the chain
    pos: dict[int, int]
    edges: list[tuple[int, int]]  # in-chain (segment indices)
    depth: dict[int, int]
    share: dict[int, float]
    main: set[int]


def chain_dag(idx: ChainIndex, chain: int, config: AnalysisConfig) -> ChainDag:
    segs = idx.chain_segments(chain)
    # stable order: stream, then key
    order = sorted(segs.tolist(), key=lambda s: (STREAM_ORDER.get(idx.seg_stream[s] or "", 1), idx.seg_keys[s]))
    segs = np.asarray(order, dtype=np.int64)
    pos = {s: i for i, s in enumerate(order)}
    inside = np.isin(idx.up_src, segs) & np.isin(idx.up_dst, segs)
    edges = sorted(set(zip(idx.up_src[inside].tolist(), idx.up_dst[inside].tolist())))
    preds: dict[int, list[int]] = {s: [] for s in order}
    succ: dict[int, list[int]] = {s: [] for s in order}
    for u, v in edges:
        preds[v].append(u)
        succ[u].append(v)
    indeg = {s: len(preds[s]) for s in order}
    topo: list[int] = []
    queue = [s for s in order if indeg[s] == 0]
    while queue:
        s = queue.pop(0)
        topo.append(s)
        for v in succ[s]:
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    if len(topo) < len(order):  # a cycle cannot come through the writer; keep the rest in stable order
        topo += [s for s in order if s not in set(topo)]
    depth: dict[int, int] = {}
    n_minus: dict[int, int] = {}
    for s in topo:
        depth[s] = max((depth[u] + 1 for u in preds[s] if u in depth), default=0)
        n_minus[s] = sum(n_minus.get(u, 0) for u in preds[s]) or 1
    n_plus: dict[int, int] = {}
    for s in reversed(topo):
        n_plus[s] = sum(n_plus.get(v, 0) for v in succ[s]) or 1
    total = sum(n_minus[s] for s in order if not succ[s]) or 1
    share = {s: n_minus[s] * n_plus[s] / total for s in order}
    main = {s for s in order if share[s] >= config.main_path_min_share}
    # global main path: the source→sink route with the largest total SPC share (DP in topological order)
    best: dict[int, tuple[float, int]] = {}
    for s in topo:
        # best predecessor: largest total, ties to the first in display order
        prev = max(((best[u][0], -pos[u], u) for u in preds[s] if u in best), default=(0.0, 0, -1))
        best[s] = (prev[0] + share[s], prev[2])
    sinks = [s for s in order if not succ[s]]
    if sinks:
        s = max(sinks, key=lambda x: (best[x][0], -pos[x]))
        while s >= 0:
            main.add(s)
            s = best[s][1]
    return ChainDag(segs, pos, edges, depth, share, main)

