"""A deterministic synthetic chain dataset in either regime, small enough for CI (no real names, no ../shared).

`synthetic_chains(regime="multi" | "single", seed=…)` builds `n_chains` chains of `segments_per_chain` 环节 each,
linked upstream → downstream along the chain (segment_links = UPSTREAM_OF), grouped in pairs under a parent key.
Made-up names only: chain "链A", segment "A3", firms "企业0042" plus a made-up word.

- **multi**: every firm supplies a window of 1–3 adjacent 环节 of one chain (weights 0.25 / 0.45 / 0.30), and
  with probability `noise` one more 环节 anywhere; its name carries a word of one of its segments with probability
  `name_hint` (names are weak evidence; co-membership is the strong one) — the city 产业链图谱 case.
- **single**: every firm is in exactly one 环节 and has 3 product names from that segment's made-up vocabulary
  (one of them, with probability `noise`, from another segment's); `unplaced` firms with products but no
  segment stand in for the not-yet-classified — the ChainKG case.

Same arguments → the same Dataset (numpy's default_rng(seed)).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from membership.dataset import Dataset

_SYLLABLES = "嘉禾瑞丰恒泰华信宏远康宁永安鼎盛金源天成博通聚合兴旺昌明达和"


def _word(rng: np.random.Generator, n: int = 2) -> str:
    return "".join(rng.choice(list(_SYLLABLES), size=n))


def _structure(n_chains: int, per_chain: int):
    """Segment ids, names, chains, parents and the UPSTREAM_OF links along each chain."""
    ids, chains, parents, links = [], [], [], []
    for c in range(n_chains):
        letter = chr(ord("A") + c)
        for j in range(per_chain):
            ids.append(f"{letter}{j}")
            chains.append(f"链{letter}")
            parents.append(f"{letter}.g{j // 2}")
            if j:
                links.append((len(ids) - 2, len(ids) - 1))
    return ids, chains, parents, np.array(links, dtype=np.int64).reshape(-1, 2)


def _multi_members(rng, n_firms, n_chains, per_chain, noise) -> list[list[int]]:
    out = []
    for _ in range(n_firms):
        c = int(rng.integers(n_chains))
        width = int(rng.choice([1, 2, 3], p=[0.25, 0.45, 0.30]))
        start = int(rng.integers(0, per_chain - width + 1))
        segs = [c * per_chain + start + k for k in range(width)]
        if rng.random() < noise:
            extra = int(rng.integers(n_chains * per_chain))
            if extra not in segs:
                segs.append(extra)
        out.append(segs)
    return out


def synthetic_chains(regime: str = "multi", *, seed: int = 0, n_firms: int = 600, n_chains: int = 4,
                     segments_per_chain: int = 6, noise: float = 0.1, name_hint: float = 0.3,
                     unplaced: int = 60) -> Dataset:
    """The synthetic dataset of the given regime (see the module docstring)."""
    if regime not in ("multi", "single"):
        raise ValueError(f"regime must be 'multi' or 'single', not {regime!r}")
    rng = np.random.default_rng(seed)
    seg_ids, chains, parents, links = _structure(n_chains, segments_per_chain)
    ns = len(seg_ids)
    hint = [_word(rng) for _ in range(ns)]
    vocab = [[_word(rng, 3) for _ in range(8)] for _ in range(ns)]
    if regime == "multi":
        members = _multi_members(rng, n_firms, n_chains, segments_per_chain, noise)
    else:
        members = [[int(rng.integers(ns))] for _ in range(n_firms)] + [[] for _ in range(unplaced)]
    names, prods = [], []
    for e, segs in enumerate(members):
        home = segs[0] if segs else int(rng.integers(ns))
        word = hint[int(rng.choice(segs))] if segs and rng.random() < name_hint else _word(rng)
        names.append(f"企业{e:04d}{word}")
        if regime == "single":
            for _ in range(3):
                src = int(rng.integers(ns)) if rng.random() < noise else home
                prods.append((e, str(rng.choice(vocab[src])), float(rng.uniform(0.1, 0.6))))
    rows = [e for e, segs in enumerate(members) for _ in segs]
    cols = [s for segs in members for s in segs]
    ne = len(members)
    M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(ne, ns))
    kw = {}
    if prods:
        kw = dict(product_enterprise=np.array([p[0] for p in prods], np.int64),
                  product_names=np.array([p[1] for p in prods], object),
                  product_weights=np.array([p[2] for p in prods]))
    return Dataset(enterprise_ids=np.array([f"e{e:04d}" for e in range(ne)], object),
                   enterprise_names=np.array(names, object), segment_ids=np.array(seg_ids, object),
                   segment_names=np.array([f"环节{s}" for s in seg_ids], object),
                   segment_chains=np.array(chains, object), memberships=M,
                   segment_parents=np.array(parents, object), segment_links=links,
                   name=f"synthetic-{regime}-{seed}", **kw)
