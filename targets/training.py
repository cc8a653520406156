"""Training rows for the attractability weights, from the project history (招商项目): one row per project whose
investor is outside the project's city — features of (investor | that city, the project's segment), label 1 when
it reached 签约 or later — plus `negatives_per_project` firms drawn (seeded) from the same segment's members
outside that city, label 0. model.learn fits them when there are enough landed projects (TargetConfig
.min_positives, default 30) and falls back to the documented defaults otherwise."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from graph.schema import PROJECT_STAGES
from kernel.sparse import first_index
from targets.model import FEATURES, LANDED_FROM, Weights, learn

if TYPE_CHECKING:  # pragma: no cover
    from targets.engine import TargetEngine


def learn_from_projects(eng: "TargetEngine") -> Weights:
    """The engine's weights: learned from its snapshot's projects when there are enough, else the defaults."""
    snap, idx, cfg = eng.snap, eng.idx, eng.config
    NP = snap.n("Project")
    empty = np.zeros((0, len(FEATURES)))
    if NP == 0 or eng.E == 0:
        return learn(empty, np.zeros(0), projects=0, positives=0, config=cfg)
    codes, vocab = snap.categorical("Project", "stage")
    stage_of = np.asarray([PROJECT_STAGES.index(v) if v in PROJECT_STAGES else -1 for v in vocab.tolist()] + [-1])
    stage = stage_of[np.where(codes >= 0, codes, len(vocab))]
    investor = first_index(snap.relation("PROPOSES", "Enterprise", "Project").T)
    region = first_index(snap.relation("LOCATED_IN", "Project", "Region"))
    park = first_index(snap.relation("LOCATED_IN", "Project", "Park"))
    has_park = (region < 0) & (park >= 0)
    region[has_park] = idx.park_region[park[has_park]]
    seg = first_index(snap.relation("TARGETS", "Project", "Segment"))
    chain = first_index(snap.relation("TARGETS", "Project", "IndustryChain"))
    city = idx.region_ancestor["city"]
    rows_X, rows_y = [], []
    rng = np.random.default_rng(cfg.random_state)
    ok = (investor >= 0) & (region >= 0) & (stage >= 0)
    # the project's segment; else the investor's heaviest segment in the project's chain; else its heaviest
    for p in np.flatnonzero(ok & (seg < 0)).tolist():
        row = eng.mem_csr
        lo, hi = row.indptr[investor[p]], row.indptr[investor[p] + 1]
        ss, ww = row.indices[lo:hi], row.data[lo:hi]
        if chain[p] >= 0:
            inch = idx.seg_chain[ss] == chain[p]
            if inch.any():
                ss, ww = ss[inch], ww[inch]
        if len(ss):
            seg[p] = ss[np.argmax(ww)]
    ok &= seg >= 0
    scope = np.where(ok, np.where(city[np.maximum(region, 0)] >= 0, city[np.maximum(region, 0)], region), -1)
    investors = np.zeros(eng.E, dtype=bool)
    investors[investor[investor >= 0]] = True
    n_projects = n_pos = 0
    for r in np.unique(scope[scope >= 0]).tolist():
        st = eng.region_state(r)
        ps = np.flatnonzero((scope == r) & ~st.local[np.maximum(investor, 0)])
        if not len(ps):
            continue
        inv, sg = investor[ps], seg[ps]
        eng._ensure_chains(st, sg.tolist())
        fit = np.asarray(eng.fit_csr[inv, sg]).ravel()
        rows_X.append(eng.features(st, inv, fit, sg))
        y = (stage[ps] >= LANDED_FROM).astype(np.int64)
        rows_y.append(y)
        n_projects += len(ps)
        n_pos += int(y.sum())
        if cfg.negatives_per_project:
            neg_c, neg_s = [], []
            for s, count in zip(*np.unique(sg, return_counts=True)):
                col = eng.fit.indices[eng.fit.indptr[s]:eng.fit.indptr[s + 1]]
                pool = col[~st.local[col] & ~investors[col]]
                m = min(len(pool), int(count) * cfg.negatives_per_project)
                if m:
                    neg_c.append(np.sort(rng.choice(pool, size=m, replace=False)))
                    neg_s.append(np.full(m, s))
            if neg_c:
                nc, ns = np.concatenate(neg_c), np.concatenate(neg_s)
                nfit = np.asarray(eng.fit_csr[nc, ns]).ravel()
                rows_X.append(eng.features(st, nc, nfit, ns))
                rows_y.append(np.zeros(len(nc), np.int64))
    X = np.vstack(rows_X) if rows_X else empty
    y = np.concatenate(rows_y) if rows_y else np.zeros(0, np.int64)
    return learn(X, y, projects=n_projects, positives=n_pos, config=cfg)
