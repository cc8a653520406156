"""Leaders (链主) and local firms of a chain map: who leads the chain in the scope, how many local 链主 each
segment has (judged with the 链主 of the segment's own chain), the firm briefs the map and its panels list, and
the local firms of one segment, 链主 first and then by size-weighted strength."""
from __future__ import annotations

import math

import numpy as np

from graph.schema import SIZES
from graph.snapshot import Snapshot
from kernel.resolve import resolver
from chains.index import ChainIndex, binary
from chains.models import AnalysisConfig, ChainMap, FirmBrief, Ref
from chains.scope import Scope, resolve_chain


def leader_mask(idx: ChainIndex, chain: int) -> np.ndarray:
    """Boolean mask over firms: the 链主 of `chain` (LEADS), wherever they are."""
    if idx.n_firms == 0 or len(idx.chain_keys) == 0:
        return np.zeros(idx.n_firms, dtype=bool)
    col = idx.leads[:, [chain]]
    mask = np.zeros(idx.n_firms, dtype=bool)
    mask[col.nonzero()[0]] = True
    return mask



def segment_leader_counts(idx: ChainIndex, scope: Scope, local_leaders_mask: np.ndarray) -> np.ndarray:
    """Per segment, the local 链主 of the segment's own chain (context segments of other chains too); a segment
    without a chain counts the analysed chain's local 链主 (`local_leaders_mask`)."""
    binT = idx.binT
    if idx.n_firms:
        seg_leaders = np.asarray(binT @ local_leaders_mask.astype(np.float64)).ravel().round().astype(np.int64)
    else:
        seg_leaders = np.zeros(idx.n_segments, dtype=np.int64)
    if idx.n_firms and idx.leads.nnz:
        local_leads = binary(idx.leads.tocsr()).multiply(scope.firms.astype(np.float64)[:, None]).tocsc()
        per_seg_chain = np.asarray((binT @ local_leads).toarray())  # segments × chains
        own = idx.seg_chain >= 0
        seg_leaders[own] = per_seg_chain[np.flatnonzero(own), idx.seg_chain[own]].round().astype(np.int64)
    return seg_leaders


def local_leaders(idx: ChainIndex, local_leaders_mask: np.ndarray, weights: np.ndarray
                  ) -> tuple[list[FirmBrief], dict[int, list[Ref]]]:
    """The local 链主 of the chain, heaviest first, and per segment the 链主 in it."""
    leader_firms = np.flatnonzero(local_leaders_mask)
    leader_refs: dict[int, list[Ref]] = {}
    leaders_out: list[FirmBrief] = []
    for f in leader_firms[np.argsort(-weights[leader_firms], kind="stable")].tolist():
        row = idx.mem.getrow(f)
        for s in row.indices.tolist():
            leader_refs.setdefault(s, []).append(Ref(key=str(idx.firm_keys[f]), name=str(idx.firm_names[f])))
        leaders_out.append(firm_brief(idx, f, weight=float(weights[f]), leader=True))
    return leaders_out, leader_refs


def firm_brief(idx: ChainIndex, f: int, *, weight: float, leader: bool) -> FirmBrief:
    """One firm as the map lists it: size, revenue, tags, region, weight, 链主 and synthetic flags."""
    tags: list[str] = []
    if idx.tag_csr.shape[1]:
        m = idx.tag_csr
        tags = [str(idx.tag_vocab[j]) for j in sorted(m.indices[m.indptr[f]:m.indptr[f + 1]].tolist())]
    r = int(idx.firm_region[f])
    size = int(idx.firm_size[f])
    rev = float(idx.firm_revenue[f])
    return FirmBrief(key=str(idx.firm_keys[f]), name=str(idx.firm_names[f]), size=SIZES[size] if size >= 0 else None,
                     revenue_wan=None if math.isnan(rev) else rev, tags=tags, leader=leader,
                     region=str(idx.region_keys[r]) if r >= 0 else None,
                     region_name=str(idx.region_names[r]) if r >= 0 else None, weight=round(weight, 3),
                     synthetic=bool(idx.firm_synthetic[f]))


def segment_firms(snap: Snapshot, *, scope: Scope, segment: str, chain: str | None = None,
                  config: AnalysisConfig | None = None, limit: int = 50, offset: int = 0) -> tuple[list[FirmBrief], int]:
    """Local firms of a segment in the scope, strongest first (链主 first). Returns (page, total)."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    s = resolver(snap).segment(segment)
    c = resolve_chain(snap, chain) if chain else int(idx.seg_chain[s])
    col = idx.mem_csc[:, [s]].tocoo()
    firms, mw = col.row.astype(np.int64), col.data
    keep = scope.firms[firms] if idx.n_firms else np.zeros(0, bool)
    firms, mw = firms[keep], mw[keep]
    w = idx.size_weights(config)[firms] * mw
    leader = leader_mask(idx, c)[firms] if c >= 0 else np.zeros(len(firms), bool)
    order = np.lexsort((idx.firm_keys[firms], -w, ~leader))
    page = order[offset: offset + limit]
    return [firm_brief(idx, int(firms[i]), weight=float(w[i]), leader=bool(leader[i])) for i in page], int(len(firms))


def chain_firms_by_segment(snap: Snapshot, cmap: ChainMap, *, scope: Scope, limit: int = 30,
                           config: AnalysisConfig | None = None) -> dict[str, dict[str, object]]:
    """For pages: per segment of the map (and context segment), the top `limit` local firms and the total."""
    out: dict[str, dict[str, object]] = {}
    for st in cmap.segments + cmap.context_segments:
        firms, total = segment_firms(snap, scope=scope, segment=st.key, chain=cmap.chain.key if st.in_chain else None,
                                     config=config or cmap.config, limit=limit)
        out[st.key] = {"total": total, "firms": [f.model_dump() for f in firms]}
    return out
