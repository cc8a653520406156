"""The best any recommender can do on the synthetic multi-membership set: a Bayes oracle that knows the generator.

membership/synthetic.py draws each firm's 环节 (a window of 1–3 adjacent segments of one chain, sometimes one
more anywhere) and its name (a segment's word with probability `name_hint`). The hold-out protocol then hides
about 20 % of every segment's members. This oracle knows all of that — the window and noise probabilities, the
segments' name words — and scores a (firm, segment) pair by the exact posterior probability that the firm's true
segment set contains the segment, given the segments it is still visible in and its name:

    P(T | visible U, name) ∝ π(T) · q^{|T − U|} (1 − q)^{|U|} · P(name | T),   score(e, s) = Σ_{T ∋ s} P(T | U, name)

with π the generator's prior over segment sets and q = 0.2 the hiding rate. Ranking each segment's column by
that posterior is (up to the protocol's exact per-segment counts) the best Recall@K any model can reach; the
printed table puts it beside the co-membership centroid, EASE and MembershipRanker on the same splits, and the
oracle that ignores the names (the most the segment sets alone can tell).

    .venv/bin/python bench/synthetic_oracle.py [--seeds 0,1,2] [--dataset-seed 0]
"""
from __future__ import annotations

import argparse
import sys
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from membership.baselines import _Base, baseline_factories  # noqa: E402
from membership.evaluation import evaluate  # noqa: E402
from membership.ranker import MembershipRanker  # noqa: E402
from membership.synthetic import _SYLLABLES, _word, synthetic_chains  # noqa: E402

WIDTHS = {1: 0.25, 2: 0.45, 3: 0.30}  # the generator's window widths


def set_prior(n_chains: int, per_chain: int, noise: float) -> dict[tuple[int, ...], float]:
    """π(T): the generator's probability of each segment set T."""
    ns = n_chains * per_chain
    prior: dict[tuple[int, ...], float] = {}
    for c, (w, pw) in product(range(n_chains), WIDTHS.items()):
        starts = per_chain - w + 1
        for start in range(starts):
            window = tuple(c * per_chain + start + k for k in range(w))
            p = pw / n_chains / starts
            prior[window] = prior.get(window, 0.0) + p * (1 - noise + noise * w / ns)
            for x in range(ns):
                if x not in window:
                    t = tuple(sorted(window + (x,)))
                    prior[t] = prior.get(t, 0.0) + p * noise / ns
    return prior


class BayesOracle(_Base):
    """The exact posterior of the synthetic generator (see the module docstring); knows its parameters."""

    def __init__(self, *, seed: int, n_chains: int = 4, per_chain: int = 6, noise: float = 0.1,
                 name_hint: float = 0.3, q: float = 0.2):
        self.seed, self.n_chains, self.per_chain = seed, n_chains, per_chain
        self.noise, self.name_hint, self.q = noise, name_hint, q

    def fit(self, dataset) -> "BayesOracle":
        self.dataset_ = dataset
        ns = dataset.n_segments
        rng = np.random.default_rng(self.seed)  # the generator draws the segments' name words first
        hints = [_word(rng) for _ in range(ns)]
        prior = set_prior(self.n_chains, self.per_chain, self.noise)
        sets = list(prior)
        T = np.zeros((len(sets), ns))
        for i, t in enumerate(sets):
            T[i, list(t)] = 1.0
        log_prior = np.log([prior[t] for t in sets])
        size = T.sum(axis=1)
        M = dataset.memberships.tocsr()
        p_random = 1.0 / len(_SYLLABLES) ** 2
        out = np.zeros((dataset.n_enterprises, ns))
        for e in range(dataset.n_enterprises):
            u = M.indices[M.indptr[e]:M.indptr[e + 1]]
            ok = T[:, u].all(axis=1) if len(u) else np.ones(len(sets), bool)
            word = str(dataset.enterprise_names[e])[-2:]
            hit = T[:, [s for s in range(ns) if hints[s] == word]].sum(axis=1)
            like = self.name_hint * hit / size + (1 - self.name_hint) * p_random
            logp = log_prior + (size - len(u)) * np.log(self.q) + np.log(like)
            logp[~ok] = -np.inf
            p = np.exp(logp - logp.max())
            out[e] = (p / p.sum()) @ T
        self.scores_ = out
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        return self.scores_[rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--dataset-seed", type=int, default=0)
    args = ap.parse_args()
    ds = synthetic_chains("multi", seed=args.dataset_seed)
    b = baseline_factories()
    models = {k: b[k] for k in ("co-memb-centroid", "EASE")}
    models["MembershipRanker"] = lambda: MembershipRanker()
    models["Bayes oracle (knows the generator)"] = lambda: BayesOracle(seed=args.dataset_seed)
    models["Bayes oracle, names ignored"] = lambda: BayesOracle(seed=args.dataset_seed, name_hint=0.0)
    print(evaluate(ds, models, [int(s) for s in args.seeds.split(",")]).format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
