"""Where the recommender misses on ChainKG, and what it would take to reach the issue's goal (Recall@10 ≥ 0.80).

    .venv/bin/python bench/chainkg_misses.py [--seed 0]

One hold-out split (the evaluation protocol: 20 % of the members of every segment with ≥ 5 hidden), the default
MembershipRanker fitted on the visible part, then, over the hidden (firm, segment) pairs:

- the candidate pool: firms with no visible segment (hidden firms + firms never classified) and who fills the top
  10 of each segment (its own hidden firms, other segments' hidden firms, never-classified firms, placed firms);
- found in the top 10 by whether the firm has product texts, by segment size, and by where the firm's own row
  puts the true segment (its first choice or not) — the row-wise classification is what decides;
- how far text alone can go: pairs whose text shares no feature with any visible member of the segment; the
  nearest visible firm's segment (1-NN) and the segments of the 10 nearest;
- what it would take: the same scores with the true segment made the firm's first choice for a share of the
  firms whose row ranks it lower (an oracle on the row classifier, everything else unchanged).

Reads ../shared/datasets/chainkg at run time; writes nothing. Labels of the hidden pairs are used only to
measure, never to fit.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from membership.chainkg import available, default_raw_dir, load_chainkg  # noqa: E402
from membership.evaluation import holdout_split  # noqa: E402
from membership.ranker import MembershipRanker  # noqa: E402


def macro_scores(Z: np.ndarray, visible, hidden: dict[int, set[int]], k: int = 10) -> tuple[float, float]:
    """Macro Recall@k and NDCG@k of score matrix Z (visible members never ranked)."""
    Z = Z.copy()
    Z[visible.nonzero()] = -np.inf
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    rec, ndcg = [], []
    for s, rel in hidden.items():
        top = np.argsort(-Z[:, s], kind="stable")[:k]
        hit = np.isin(top, list(rel))
        rec.append(hit.sum() / len(rel))
        ndcg.append((disc * hit).sum() / disc[: min(len(rel), k)].sum())
    return float(np.mean(rec)), float(np.mean(ndcg))


def open_chainkg(ap: argparse.ArgumentParser) -> tuple[argparse.Namespace, Any] | None:
    """Add --raw and --seed to a ChainKG script's arguments, parse them and load the dataset; None (said why) when
    the raw data is not there."""
    ap.add_argument("--raw", type=Path, default=default_raw_dir(ROOT))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not available(args.raw):
        print(f"chainkg 数据不在 {args.raw}：无法运行")
        return None
    return args, load_chainkg(args.raw)


def main() -> int:
    opened = open_chainkg(argparse.ArgumentParser(description=__doc__,
                                                  formatter_class=argparse.RawDescriptionHelpFormatter))
    if opened is None:
        return 2
    args, ds = opened
    split = holdout_split(ds, args.seed)
    model = MembershipRanker().fit(split.visible)
    Z = model.score_matrix()
    V = split.visible.memberships.tocsr()
    eidx, sidx = ds.enterprise_index(), ds.segment_index()
    hidden = {sidx[s]: {eidx[h] for h in hs} for s, hs in split.hidden.items()}
    pairs = np.array([(e, s) for s, es in hidden.items() for e in sorted(es)])
    E, S = pairs[:, 0], pairs[:, 1]
    Zm = Z.copy()
    Zm[V.nonzero()] = -np.inf
    col_rank = np.array([(Zm[:, s] > Zm[e, s]).sum() for e, s in pairs])
    row_rank = np.array([(Z[e] > Z[e, s]).sum() for e, s in pairs])
    found = col_rank < 10
    unplaced = np.asarray(V.sum(axis=1)).ravel() == 0
    hidden_firms = set(E.tolist())
    print(f"seed {args.seed}: {len(hidden)} segments, {len(pairs)} hidden pairs; candidate pool = {unplaced.sum()} firms "
          f"with no visible segment ({len(hidden_firms)} hidden + {unplaced.sum() - len(hidden_firms)} never classified)")
    r10, n10 = macro_scores(Z, V, hidden)
    print(f"Recall@10 {r10:.3f}  NDCG@10 {n10:.3f}  micro hit@10 {found.mean():.3f}")
    occ = np.zeros(4)
    for s, rel in hidden.items():
        for e in np.argsort(-Zm[:, s], kind="stable")[:10]:
            occ[0 if e in rel else 1 if e in hidden_firms else 2 if unplaced[e] else 3] += 1
    print("top-10 slots: own hidden {:.2f} | other segments' hidden {:.2f} | never classified {:.2f} | placed {:.2f}"
          .format(*(occ / occ.sum())))
    n_prod = np.bincount(ds.product_enterprise, minlength=ds.n_enterprises)[E]
    print(f"with products: {np.mean(n_prod > 0):.2f} of pairs, found {found[n_prod > 0].mean():.3f}; "
          f"names only: {np.mean(n_prod == 0):.2f}, found {found[n_prod == 0].mean():.3f}")
    sizes = np.asarray(ds.memberships.sum(axis=0)).ravel()
    per_seg = {s: found[S == s].mean() for s in hidden}
    for lo, hi in ((5, 10), (10, 20), (20, 50), (50, 10_000)):
        v = [r for s, r in per_seg.items() if lo <= sizes[s] < hi]
        print(f"segments of {lo}–{hi if hi < 10_000 else '…'} members: {len(v):3d}, Recall@10 {np.mean(v):.3f}")
    print_rows(ds, Z, E, S, found, row_rank)
    text_limits(model, V, E, S, unplaced)
    row_oracle(Z, V, hidden, pairs, row_rank)
    return 0


def print_rows(ds, Z: np.ndarray, E: np.ndarray, S: np.ndarray, found: np.ndarray, row_rank: np.ndarray) -> None:
    """Found in the top 10 by where the firm's own row puts its true segment; where the misses' rows point."""
    print(f"row: true segment is the firm's first choice {np.mean(row_rank == 0):.3f}, in its top 5 "
          f"{np.mean(row_rank < 5):.3f}, top 10 {np.mean(row_rank < 10):.3f}")
    for name, m in (("first choice", row_rank == 0), ("2nd–5th", (row_rank > 0) & (row_rank < 5)),
                    ("6th or lower", row_rank >= 5)):
        print(f"  found when the true segment is the row's {name}: {found[m].mean():.3f} ({m.mean():.2f} of pairs)")
    parents = np.asarray(ds.segment_parents).astype(str)
    miss = ~found
    first = Z[E[miss]].argmax(axis=1)
    sib = (parents[first] == parents[S[miss]]) & (first != S[miss])
    print(f"missed pairs: row's first choice is the true segment {np.mean(first == S[miss]):.2f}, a sibling "
          f"(same Shenwan L2) {sib.mean():.2f}, elsewhere {np.mean((first != S[miss]) & ~sib):.2f}")


def text_limits(model: MembershipRanker, V, E: np.ndarray, S: np.ndarray, unplaced: np.ndarray) -> None:
    """How far similarity of text alone can go for the hidden pairs."""
    Xn = normalize(model.X_)
    lab = np.flatnonzero(~unplaced)
    sim = (Xn[E] @ Xn[lab].T).toarray()
    Vl = V[lab].toarray()
    own = np.array([sim[i][Vl[:, s] > 0].max() for i, s in enumerate(S)])
    nn1 = Vl[sim.argmax(axis=1)].argmax(axis=1)
    top10 = np.argsort(-sim, axis=1)[:, :10]
    in10 = np.array([Vl[top10[i], s].any() for i, s in enumerate(S)])
    print(f"text: no shared feature with any visible member of the segment {np.mean(own <= 1e-9):.3f}; 1-NN's "
          f"segment is the true one {np.mean(nn1 == S):.3f}; true segment among the 10 nearest firms' "
          f"{in10.mean():.3f}")


def row_oracle(Z: np.ndarray, V, hidden: dict[int, set[int]], pairs: np.ndarray, row_rank: np.ndarray) -> None:
    """The scores with the true segment made the row's first choice for a share of the misranked firms."""
    rng = np.random.default_rng(0)
    for f in (0.25, 0.5, 0.75, 1.0):
        Zo = Z.copy()
        pick = (row_rank > 0) & (rng.random(len(pairs)) < f)
        for e, s in pairs[pick]:
            Zo[e, s] = Z[e].max() + 1e-6
        r, n = macro_scores(Zo, V, hidden)
        print(f"oracle: true segment made the row's first choice for {f:.0%} of the others "
              f"(first-choice rate {np.mean(row_rank == 0) + pick.mean():.2f}) → Recall@10 {r:.3f} NDCG@10 {n:.3f}")


if __name__ == "__main__":
    sys.exit(main())
