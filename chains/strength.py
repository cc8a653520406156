"""Segment strength (本地强度、全国强度、区位熵) for one scope: per segment the local and national firm counts,
the size-weighted strength Σ m(f,s)·w(f), the location quotient LQ and the local quality-tag counts — sparse
mat-vecs over all segments at once — and the national distribution (top regions of the scope's level and the
scope's rank among them). Formulas: chains/analysis.py's module docstring and docs/chain-analysis.md."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from chains.index import ChainIndex, binary
from chains.models import QUALITY_TAGS, AnalysisConfig, PeerRegion
from chains.scope import Scope


@dataclass
class Measures:
    """Per-segment vectors over all segments for one scope and config."""

    local_count: np.ndarray
    local_strength: np.ndarray
    national_count: np.ndarray
    national_strength: np.ndarray
    lq: np.ndarray  # NaN where national = 0
    share: np.ndarray
    tags: dict[str, np.ndarray]
    weights: np.ndarray  # per firm


def measures(idx: ChainIndex, scope: Scope, config: AnalysisConfig) -> Measures:
    S = idx.n_segments
    w = idx.size_weights(config)
    local = scope.firms.astype(np.float64)
    memT, binT = idx.memT, idx.binT
    if idx.n_firms:
        national_strength = np.asarray(memT @ w).ravel()
        local_strength = np.asarray(memT @ (w * local)).ravel()
        national_count = np.asarray(binT @ np.ones(idx.n_firms)).ravel()
        local_count = np.asarray(binT @ local).ravel()
        tags = {t: np.asarray(binT @ (local * m)).ravel() for t, m in idx.tag_masks.items()}
    else:
        national_strength = local_strength = national_count = local_count = np.zeros(S)
        tags = {t: np.zeros(S) for t in QUALITY_TAGS}
    if config.lq_basis == "count":
        num, den = local_count, national_count
    else:
        num, den = local_strength, national_strength
    lt, nt = num.sum(), den.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.where(den > 0, (num / lt if lt > 0 else np.zeros(S)) / (den / nt if nt > 0 else 1.0), np.nan)
        share = np.where(national_strength > 0, local_strength / national_strength, 0.0)
    lq = np.where((den > 0) & (num == 0), 0.0, lq)
    return Measures(local_count.round().astype(np.int64), local_strength, national_count.round().astype(np.int64),
                     national_strength, lq, share, {t: v.round().astype(np.int64) for t, v in tags.items()}, w)



def peer_stats(idx: ChainIndex, scope: Scope, segs: np.ndarray, w: np.ndarray, config: AnalysisConfig
                ) -> tuple[dict[int, list[PeerRegion]], dict[int, tuple[int | None, int | None]]]:
    """Top regions (same level as the scope) per segment, and the scope's rank among them."""
    level = scope.level if scope.kind == "region" else (
        idx.region_level[scope.region_index] if scope.region_index >= 0 else None)
    if level not in idx.region_ancestor or idx.n_firms == 0 or len(segs) == 0:
        return {}, {}
    group = np.where(idx.firm_region >= 0, idx.region_ancestor[level][np.maximum(idx.firm_region, 0)], -1)
    ok = group >= 0
    R = len(idx.region_keys)
    g = sp.csr_matrix((np.ones(int(ok.sum())), (np.flatnonzero(ok), group[ok])), shape=(idx.n_firms, R))
    sub = idx.mem_csc[:, segs]
    strength = (sub.T.multiply(w[None, :])).tocsr() @ g  # segs × regions
    counts = (binary(sub.tocsr()).T.tocsr() @ g)
    strength = np.asarray(strength.toarray())
    counts = np.asarray(counts.toarray())
    own = scope.region_index if scope.kind == "region" else -1
    tops: dict[int, list[PeerRegion]] = {}
    ranks: dict[int, tuple[int | None, int | None]] = {}
    for row, s in enumerate(segs.tolist()):
        st = strength[row]
        nz = np.flatnonzero(st > 0)
        order = nz[np.lexsort((idx.region_keys[nz], -st[nz]))][: config.top_regions]
        tops[s] = [PeerRegion(key=str(idx.region_keys[r]), name=str(idx.region_names[r]), strength=round(float(st[r]), 3),
                              count=int(counts[row, r])) for r in order]
        if own >= 0 and st[own] > 0:
            ranks[s] = (int((st > st[own]).sum()) + 1, int(nz.size))
        else:
            ranks[s] = (None, int(nz.size))
    return tops, ranks

