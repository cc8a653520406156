"""A multi-membership evaluation set built at run time from the public ChainKG data (never written to the repo).

ChainKG gives every listed firm one Shenwan industry, but a city's 产业链图谱 puts a firm in every 环节 it supplies
(2–3 on average). To measure the recommender in that regime on real firms, this module places each ChainKG firm
in several industries through its main products:

1. each product name becomes a char 1–3 TF-IDF vector; each industry's product profile is the centroid of its
   members' product vectors (the firm's own industry from company_industry);
2. a firm's product profile is the sum of its product vectors weighted (clip(share, 0, 1) + 0.05) ** 0.25;
3. the firm sits in its own industry plus up to `max_segments − 1` others whose cosine to its profile is at
   least `relative` × its best cosine — a firm whose products look like two other industries' products supplies
   them too.

The dataset handed to the model then keeps only what the issue's held-out set has: firms with ≥ 1 membership,
their short and full names, the industries (name, chain, parent, keywords) and the industry links — no product
texts (the memberships were derived from them; keeping them would make the task a text lookup). On the default
settings each firm sits in ≈ 2.3 industries.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from membership.dataset import Dataset


def product_profile_memberships(ds: Dataset, *, relative: float = 0.5, max_segments: int = 3) -> sp.csr_matrix:
    """Firms × segments: each placed firm's own segment plus the segments its products resemble (see above)."""
    M = ds.memberships.tocsr().astype(np.float64)
    pe = ds.product_enterprise
    pw = np.nan_to_num(np.asarray(ds.product_weights, dtype=np.float64))
    P = normalize(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
                  .fit_transform(ds.product_names.astype(str)))
    owner = sp.csr_matrix((np.ones(len(pe)), (np.arange(len(pe)), pe)), shape=(len(pe), ds.n_enterprises))
    seg_profile = normalize((owner @ M).T @ P)  # segments × features
    weight = sp.diags((np.clip(pw, 0.0, 1.0) + 0.05) ** 0.25)
    firm_profile = normalize(owner.T @ weight @ P)  # firms × features
    cos = np.asarray((firm_profile @ seg_profile.T).todense())
    rows, cols = [], []
    for e in range(ds.n_enterprises):
        own = M[e].indices
        if not len(own):
            continue
        extra: list[int] = []
        row = cos[e]
        top = row.max()
        if top > 0:
            for s in np.argsort(-row, kind="stable")[: max_segments + len(own)]:
                if s not in own and row[s] >= relative * top and len(own) + len(extra) < max_segments:
                    extra.append(int(s))
        for s in list(own) + extra:
            rows.append(e)
            cols.append(int(s))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=M.shape)


def multi_membership_view(ds: Dataset, *, relative: float = 0.5, max_segments: int = 3) -> Dataset:
    """The names-only multi-membership dataset (firms with ≥ 1 membership; products dropped)."""
    M = product_profile_memberships(ds, relative=relative, max_segments=max_segments)
    keep = np.flatnonzero(np.asarray(M.sum(axis=1)).ravel() > 0)
    return dataclasses.replace(
        ds, enterprise_ids=ds.enterprise_ids[keep], enterprise_names=ds.enterprise_names[keep],
        enterprise_text=ds.enterprise_text[keep], enterprise_listed=ds.enterprise_listed[keep],
        enterprise_board=ds.enterprise_board[keep], memberships=M[keep],
        product_enterprise=np.zeros(0, np.int64), product_names=np.zeros(0, object),
        product_weights=np.zeros(0, np.float64), supplies=np.zeros((0, 2), np.int64), product_links=None,
        name=f"{ds.name or 'chainkg'}-multi")


def load_chainkg_multi(raw_dir: str | Path | None = None, **kw) -> Dataset:
    """ChainKG (../shared/datasets/chainkg) → the multi-membership view, in memory only."""
    from membership.chainkg import load_chainkg

    return multi_membership_view(load_chainkg(raw_dir), **kw)
