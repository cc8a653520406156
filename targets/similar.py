"""Enterprise → similar enterprises (以企引企 by analogy: "this firm came; who else is like it?").

similarity(a, b) = Σ_block weight_block × sim_block(a, b), each sim in [0, 1]:

| block | sim |
|---|---|
| `segment` 0.45 | cosine of the segment-fit rows (known memberships and the membership model's inferences) |
| `product` 0.25 | cosine of the MAKES rows (product weights) |
| `partners` 0.15 | ½ cosine of the supply profiles (segments of customers and of suppliers) + ½ min(1, shared partners / 3) |
| `size` 0.10 | 1 − |size class difference| / 3 |
| `tags` 0.05 | Jaccard of the quality tags |

Candidates: firms sharing a segment, a product or a supply partner with the firm (the only ones that can score
above the size/tag blocks). With `region`, firms already in that region are dropped (a list to recruit from).
Reasons: the three largest block contributions, naming the shared segment, product, partner, size or tags.
"""
from __future__ import annotations


import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from graph.schema import SIZES
from graph.snapshot import Snapshot
from kernel.derived import derived
from chains import binary
from targets.engine import TargetEngine
from targets.views import check_k
from targets.model import QUALITY_TAG_SET, TargetConfig
from targets.results import Ref, SimilarItem, SimilarList

BLOCK_WEIGHTS = {"segment": 0.45, "product": 0.25, "partners": 0.15, "size": 0.10, "tags": 0.05}
BLOCK_LABELS = {"segment": "环节", "product": "产品", "partners": "供需伙伴", "size": "规模", "tags": "资质"}


def _normalize(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float64)
    return normalize(m).tocsr() if m.shape[1] else sp.csr_matrix((m.shape[0], 1))


class _Profiles:
    def __init__(self, eng: TargetEngine):
        snap, idx = eng.snap, eng.idx
        self.seg = _normalize(eng.fit_csr)
        self.makes = snap.relation("MAKES", "Enterprise", "Product").tocsr().astype(np.float64)
        self.prod = _normalize(self.makes)
        self.prod_csc = self.makes.tocsc()
        mb = idx.mem_bin.tocsr()
        self.partner = _normalize(sp.hstack([eng.S @ mb, eng.ST @ mb]))
        self.nbr = ((eng.S + eng.ST) > 0).astype(np.float64).tocsr()
        tags, vocab = idx.tag_csr, idx.tag_vocab
        keep = np.flatnonzero(np.isin(vocab, QUALITY_TAG_SET)) if tags.shape[1] else np.zeros(0, np.int64)
        self.tags = binary(tags[:, keep]) if len(keep) else sp.csr_matrix((idx.n_firms, 1))
        self.tag_vocab = vocab[keep] if len(keep) else np.asarray([], dtype=str)


def _profiles(eng: TargetEngine) -> _Profiles:
    """Per engine (so per snapshot and config): built once, even under concurrent requests."""
    return derived(eng.snap, "targets.similar_profiles", lambda: _Profiles(eng), key=eng.config)


def _row(m: sp.csr_matrix, i: int) -> np.ndarray:
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def similar_enterprises(snap: Snapshot, *, enterprise: str, k: int = 20, region: str | None = None,
                        config: TargetConfig | None = None) -> SimilarList:
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    idx = eng.idx
    e = eng.resolve_enterprise(enterprise)
    pr = _profiles(eng)
    st = eng.region_state(eng.resolve_region(region)) if region is not None else None
    # candidates: share a segment, a product or a partner
    parts = [np.zeros(0, np.int64)]
    for s in _row(eng.fit_csr, e).tolist():
        parts.append(eng.fit.indices[eng.fit.indptr[s]:eng.fit.indptr[s + 1]])
    for p in _row(pr.makes, e).tolist():
        parts.append(pr.prod_csc.indices[pr.prod_csc.indptr[p]:pr.prod_csc.indptr[p + 1]])
    partners = _row(pr.nbr, e)
    for x in partners.tolist():
        parts.append(_row(pr.nbr, x))
    cand = np.unique(np.concatenate(parts).astype(np.int64))
    cand = cand[cand != e]
    if st is not None:
        cand = cand[~st.local[cand]]
    n = len(cand)
    notes = []
    if n == 0:
        notes.append("没有与该企业共享环节、产品或供需伙伴的企业")
        return SimilarList(enterprise=Ref(key=enterprise, name=str(idx.firm_names[e])),
                           region=st.ref(eng) if st else None, k=k, candidates=0, weights=BLOCK_WEIGHTS, items=[],
                           notes=notes)
    sims = {
        "segment": np.asarray(pr.seg[cand] @ pr.seg[e].T.toarray()).ravel(),
        "product": np.asarray(pr.prod[cand] @ pr.prod[e].T.toarray()).ravel(),
    }
    shared = np.asarray(pr.nbr[cand] @ pr.nbr[e].T.toarray()).ravel()
    sims["partners"] = 0.5 * np.asarray(pr.partner[cand] @ pr.partner[e].T.toarray()).ravel() + \
        0.5 * np.minimum(1.0, shared / 3.0)
    size = np.where(idx.firm_size >= 0, idx.firm_size, -9)
    sims["size"] = np.where((size[cand] >= 0) & (size[e] >= 0), 1.0 - np.abs(size[cand] - size[e]) / 3.0, 0.0)
    inter = np.asarray(pr.tags[cand] @ pr.tags[e].T.toarray()).ravel()
    ne = float(pr.tags[e].sum())
    union = np.asarray(pr.tags[cand].sum(axis=1)).ravel() + ne - inter
    sims["tags"] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    blocks = list(BLOCK_WEIGHTS)
    C = np.stack([BLOCK_WEIGHTS[b] * sims[b] for b in blocks], axis=1)
    score = C.sum(axis=1)
    kk = min(k, n)
    top = np.argpartition(-score, kk - 1)[:kk] if kk < n else np.arange(n)
    top = top[np.lexsort((cand[top], -score[top]))]
    items = []
    for rank, j in enumerate(top.tolist(), start=1):
        c = int(cand[j])
        reasons = []
        for b in np.argsort(-C[j], kind="stable").tolist():
            if C[j, b] <= 0 or len(reasons) >= 3:
                break
            t = _reason(eng, pr, e, c, blocks[b])
            if t:
                reasons.append(t)
        r = int(idx.firm_region[c])
        tags = [str(idx.tag_vocab[t]) for t in _row(idx.tag_csr, c)] if idx.tag_csr.shape[1] else []
        items.append(SimilarItem(
            rank=rank, enterprise=str(idx.firm_keys[c]), name=str(idx.firm_names[c]), score=round(float(score[j]), 4),
            score_100=int(round(min(max(float(score[j]), 0.0), 1.0) * 100)), reasons=reasons,
            contributions={b: round(float(C[j, i]), 4) for i, b in enumerate(blocks)},
            region=str(idx.region_keys[r]) if r >= 0 else None, region_name=str(idx.region_names[r]) if r >= 0 else None,
            size=SIZES[int(idx.firm_size[c])] if idx.firm_size[c] >= 0 else None, tags=tags,
            synthetic=bool(idx.firm_synthetic[c])))
    if any(it.synthetic for it in items):
        notes.append("结果含合成示例企业（synthetic），仅供演示，不代表真实企业")
    return SimilarList(enterprise=Ref(key=str(idx.firm_keys[e]), name=str(idx.firm_names[e])),
                       region=st.ref(eng) if st else None, k=k, candidates=n, weights=BLOCK_WEIGHTS, items=items,
                       notes=notes)


def _reason(eng: TargetEngine, pr: _Profiles, a: int, b: int, block: str) -> str | None:
    idx = eng.idx
    if block == "segment":
        fa, fb = eng.fit_csr[a].toarray().ravel(), eng.fit_csr[b].toarray().ravel()
        both = np.minimum(fa, fb)
        common = np.flatnonzero(both > 0)
        common = common[np.argsort(-both[common], kind="stable")]
        return ("同属「" + "」「".join(str(idx.seg_names[s]) for s in common[:2]) + "」环节") if len(common) else None
    if block == "product":
        common = np.intersect1d(_row(pr.makes, a), _row(pr.makes, b))
        names = eng.snap.labels["Product"].names
        return ("主营产品相同：" + "、".join(str(names[p]) for p in common[:3])) if len(common) else None
    if block == "partners":
        cust = np.intersect1d(_row(eng.S, a), _row(eng.S, b))
        sup = np.intersect1d(_row(eng.ST, a), _row(eng.ST, b))
        if len(cust):
            return f"同为「{idx.firm_names[int(cust[0])]}」的供应商" + (f"（共同客户 {len(cust)} 家）" if len(cust) > 1 else "")
        if len(sup):
            return f"同为「{idx.firm_names[int(sup[0])]}」的客户" + (f"（共同供应商 {len(sup)} 家）" if len(sup) > 1 else "")
        return "供需伙伴所在环节相近"
    if block == "size":
        s = int(idx.firm_size[b])
        return f"规模相同（{SIZES[s]}）" if s >= 0 and s == int(idx.firm_size[a]) else "规模相近"
    if block == "tags":
        common = np.intersect1d(_row(pr.tags, a), _row(pr.tags, b))
        return ("同为" + "、".join(str(pr.tag_vocab[t]) for t in common) + "企业") if len(common) else None
    return None
