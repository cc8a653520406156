"""Segment fit for the target recommender: known memberships plus the membership model's inferences.

fit(e, s) ∈ [0, 1]:
  * a known member (IN_SEGMENT) → its membership weight (share of the firm's business; 1 when unknown);
  * otherwise, when the membership model (membership.ranker.MembershipRanker, "related" signals — firms that
    resemble s's members whatever else they belong to) puts e among the top `predicted_per_segment` non-members
    of s → MODEL_FIT_CAP × the share of s's known members whose model score is ≤ e's (an inferred membership
    as typical as the median member gets 0.4). Pairs below MODEL_MIN_PERCENTILE are dropped.

The model is fitted on a Dataset built from the snapshot (names, products via MAKES with their weights,
memberships, supplies, UPSTREAM_OF links, segment keywords/parents) — the same representation part 1–3
measured. It is fitted only when the snapshot has at most `max_firms` enterprises, at least `min_firms` firms
with a segment and at least two segments with members; otherwise segment fit is the known memberships alone and
the engine says so.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from graph.snapshot import Snapshot
from chains import ChainIndex
from membership import Dataset

MODEL_FIT_CAP = 0.8
MODEL_MIN_PERCENTILE = 0.25


def snapshot_dataset(snap: Snapshot, idx: ChainIndex) -> Dataset:
    """The snapshot's enterprises and segments as a membership Dataset (positions = snapshot indices)."""
    S = idx.n_segments
    seg_chain = np.asarray([str(idx.chain_keys[c]) if c >= 0 else "" for c in idx.seg_chain.tolist()], dtype=object)
    streams = np.asarray([s or "" for s in idx.seg_stream.tolist()], dtype=object)
    parents = np.full(S, "", dtype=object)
    seg_cat = snap.labels["Segment"].cat
    if "parent" in seg_cat:
        codes, vocab = seg_cat["parent"]
        parents = np.asarray([str(vocab[c]) if c >= 0 else "" for c in codes.tolist()], dtype=object)
    text = np.full(S, "", dtype=object)
    seg_lists = snap.labels["Segment"].lists
    if "keywords" in seg_lists:
        m, vocab = seg_lists["keywords"]
        m = m.tocsr()
        text = np.asarray([" ".join(str(vocab[j]) for j in m.indices[m.indptr[i]:m.indptr[i + 1]]) for i in range(S)],
                          dtype=object)
    makes = snap.relation("MAKES", "Enterprise", "Product").tocoo()
    pnames = snap.labels["Product"].names
    up = snap.relation("UPSTREAM_OF", "Segment", "Segment").tocoo()
    sup = snap.relation("SUPPLIES", "Enterprise", "Enterprise").tocoo()
    keep = sup.row != sup.col
    return Dataset(
        enterprise_ids=idx.firm_keys.astype(object), enterprise_names=idx.firm_names.astype(object),
        segment_ids=idx.seg_keys.astype(object), segment_names=idx.seg_names.astype(object),
        segment_chains=seg_chain, memberships=idx.mem_bin.tocsr(), segment_streams=streams,
        segment_parents=parents, segment_text=text,
        product_enterprise=makes.row.astype(np.int64), product_names=pnames[makes.col].astype(object),
        product_weights=makes.data.astype(np.float64),
        segment_links=np.stack([up.row, up.col], axis=1).astype(np.int64) if up.nnz else np.zeros((0, 2), np.int64),
        supplies=np.stack([sup.row[keep], sup.col[keep]], axis=1).astype(np.int64) if keep.any()
        else np.zeros((0, 2), np.int64),
        name=f"snapshot-v{snap.version}",
    )


def segment_fit(snap: Snapshot, idx: ChainIndex, *, use_model: bool, max_firms: int, min_firms: int,
                predicted_per_segment: int, random_state: int) -> tuple[sp.csc_matrix, sp.csc_matrix, str]:
    """(fit E×S in CSC, inferred E×S 0/1 marks in CSC, a note on the model) — see the module docstring."""
    E, S = idx.n_firms, idx.n_segments
    known = idx.mem.tocsr().copy()
    known.data = np.clip(known.data, 0.0, 1.0)
    empty = sp.csc_matrix((E, S), dtype=np.float64)
    if not use_model:
        return known.tocsc(), empty, "环节匹配仅按已知环节归属（未启用环节成员模型）"
    labelled = int(idx.firm_has_segment.sum()) if E else 0
    sizes = np.asarray(idx.mem_bin.sum(axis=0)).ravel() if E else np.zeros(S)
    if E > max_firms:
        return known.tocsc(), empty, (f"企业数 {E} 超过环节成员模型上限 {max_firms}，环节匹配仅按已知环节归属"
                                      "（模型推断的潜在成员未纳入候选）")
    if labelled < min_firms or int((sizes > 0).sum()) < 2:
        return known.tocsc(), empty, f"有环节归属的企业 {labelled} 家，少于环节成员模型所需的 {min_firms} 家，环节匹配仅按已知环节归属"
    from membership import RELATED_SIGNALS, MembershipRanker

    ds = snapshot_dataset(snap, idx)
    model = MembershipRanker(signals=RELATED_SIGNALS, learn_weights=False, random_state=random_state).fit(ds)
    segs = [str(k) for k, n in zip(idx.seg_keys.tolist(), sizes.tolist()) if n > 0]
    ranked = model.rank(segs, k=max(1, predicted_per_segment), exclude_members=True)
    rows_l = np.flatnonzero(idx.firm_has_segment)
    member_scores = model.score_matrix(rows_l)  # labelled firms × segments
    sidx = {k: i for i, k in enumerate(idx.seg_keys.tolist())}
    binc = idx.mem_bin.tocsc()
    pr, pc, pv = [], [], []
    for seg, lst in ranked.items():
        s = sidx[seg]
        members = binc.indices[binc.indptr[s]:binc.indptr[s + 1]]
        ms = np.sort(member_scores[np.searchsorted(rows_l, members), s])
        for ent, score in lst:
            pct = float(np.searchsorted(ms, score, side="right")) / max(len(ms), 1)
            if pct < MODEL_MIN_PERCENTILE:
                continue
            pr.append(int(snap.index_of("Enterprise", ent)))
            pc.append(s)
            pv.append(MODEL_FIT_CAP * pct)
    pred = sp.csr_matrix((np.asarray(pv, np.float64), (np.asarray(pr, np.int64), np.asarray(pc, np.int64))),
                         shape=(E, S))
    fit = known.maximum(pred).tocsc()
    marks = (pred > known).astype(np.float64).tocsc()
    marks.eliminate_zeros()
    return fit, marks, (f"环节成员模型（MembershipRanker，相关企业信号）已拟合：每个环节推断至多 {predicted_per_segment} 家"
                        f"潜在成员，共纳入 {int(marks.nnz)} 对")
