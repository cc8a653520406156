"""Member recommendation on the public chainkg data: quality (hold-out protocol), ablation, and rank time.

    .venv/bin/python bench/eval_chainkg.py                     # model + baselines, seeds 0,1,2, and timing
    .venv/bin/python bench/eval_chainkg.py --ablation          # + one line per signal group removed
    .venv/bin/python bench/eval_chainkg.py --seeds 0 --no-eval # timing only
    .venv/bin/python bench/eval_chainkg.py --multi             # + the multi-membership view (membership/multichain.py)

Reads ../shared/datasets/chainkg (converted at run time into a temporary folder; nothing is written into the
repository). Timing: `rank-members` work on the full data — read the interchange folder, fit MembershipRanker,
rank the top 50 for every segment with ≥ 1 member — beside the same work done by the plain TF-IDF centroid,
the cheapest sensible ranker, measured in the same run (the ratio is what to watch; the goal is ≤ 30 s);
`--timing-runs N` repeats it and reports the median (the machine is shared: single timings are noisy).
"""
from __future__ import annotations

import argparse
import os
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from membership.baselines import CentroidRanker, baseline_factories  # noqa: E402
from membership.chainkg import available, default_raw_dir, export_chainkg  # noqa: E402
from membership.dataset import read_dataset  # noqa: E402
from membership.evaluation import evaluate  # noqa: E402
from membership.multichain import multi_membership_view  # noqa: E402
from membership.ranker import DEFAULT_SIGNALS, RELATED_SIGNALS, MembershipRanker  # noqa: E402

TEXT_SVM = ("text_clf", "text_dec", "text_rank")
CENTROID = ("centroid", "centroid_rank")
STRUCTURE = ("same_parent", "same_chain", "linked")


def without(*names: str) -> list[str]:
    return [s for s in DEFAULT_SIGNALS if s not in names]


def ablations(ds):
    """name → (factory, dataset) — each removes one thing from the full model."""
    no_products = dataclasses.replace(ds, product_enterprise=np.zeros(0, np.int64),
                                      product_names=np.zeros(0, object), product_weights=np.zeros(0))
    no_links = dataclasses.replace(ds, segment_links=np.zeros((0, 2), np.int64))
    M = MembershipRanker
    return {
        "full model": (lambda: M(), ds),
        "- placement": (lambda: M(signals=without("placement")), ds),
        "- text SVM": (lambda: M(signals=without(*TEXT_SVM)), ds),
        "- centroid": (lambda: M(signals=without(*CENTROID)), ds),
        "- segment_text": (lambda: M(signals=without("segment_text")), ds),
        "- structure": (lambda: M(signals=without(*STRUCTURE)), ds),
        "- segment_links": (lambda: M(), no_links),
        "text SVM only": (lambda: M(signals=list(TEXT_SVM)), ds),
        "text SVM + placement": (lambda: M(signals=[*TEXT_SVM, "placement"]), ds),
        "fixed weights": (lambda: M(learn_weights=False), ds),
        "no names (products)": (lambda: M(name_weight=0.0, text_weight=0.0), ds),
        "no products (names)": (lambda: M(), no_products),
        "unweighted products": (lambda: M(product_weight_power=0.0), ds),
        "+ product links 0.3": (lambda: M(product_link_weight=0.3), ds),
        "+ knn + name_clf": (lambda: M(signals=[*DEFAULT_SIGNALS, "knn", "name_clf"]), ds),
        "related mode": (lambda: M(signals=RELATED_SIGNALS, learn_weights=False), ds),
    }


def multi_eval(ds, seeds) -> None:
    """The multi-membership view of the same firms: baselines, the pre-regime signal set and the default."""
    multi = multi_membership_view(ds)
    model = MembershipRanker().fit(multi)
    print(f"\n== multi-membership view: {multi.summary()}\n{model.regime_.describe()}\n"
          f"signals: {', '.join(model.signals_used_)}; EASE λ={model.ease_lambda_:g} (full data)")
    b = baseline_factories()
    models = {k: b[k] for k in ("tfidf-char-centroid", "co-memb-centroid", "EASE")}
    models["discover signals (before)"] = lambda: MembershipRanker(signals=DEFAULT_SIGNALS)
    models["+ EASE, item_cos (no set_completion)"] = lambda: MembershipRanker(
        signals=(*DEFAULT_SIGNALS, "ease", "item_cos"))
    models["MembershipRanker"] = lambda: MembershipRanker()
    rep = evaluate(multi, models, seeds, progress=lambda m: print("  " + m, flush=True))
    print(rep.format())
    rows = {r["model"]: r for r in rep.table()}
    for key in ("Recall@10", "NDCG@10"):
        ours, cen, ease = (rows[m][key][0] for m in ("MembershipRanker", "co-memb-centroid", "EASE"))
        print(f"{key}: {ours:.3f} = {ours / cen:.2f}× co-membership centroid (goal ≥ 1.3), "
              f"{ours - ease:+.3f} vs EASE (goal ≥ 0)")


def timed_rank_members(folder: Path, model_factory, k: int = 50) -> tuple[float, int]:
    t0 = time.perf_counter()
    ds = read_dataset(folder)
    segs = [str(s) for s, n in zip(ds.segment_ids, ds.segment_sizes()) if n >= 1]
    ranked = model_factory().fit(ds).rank(segs, k=k)
    return time.perf_counter() - t0, sum(len(v) for v in ranked.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, default=default_raw_dir(ROOT))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--multi", action="store_true", help="also evaluate the multi-membership view")
    ap.add_argument("--timing-runs", type=int, default=1)
    args = ap.parse_args()
    if not available(args.raw):
        print(f"chainkg 数据不在 {args.raw}：无法运行")
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory(prefix="chainkg-") as tmp:
        rep = export_chainkg(args.raw, tmp)
        print(rep)
        ds = read_dataset(tmp)
        if not args.no_eval:
            models = dict(baseline_factories())
            models["MembershipRanker"] = lambda: MembershipRanker()
            print(f"\n== hold-out evaluation, seeds {seeds}")
            print(evaluate(ds, models, seeds, progress=lambda m: print("  " + m, flush=True)).format())
        if args.multi:
            multi_eval(ds, seeds)
        if args.ablation:
            print(f"\n== ablation (mean ± std over seeds {seeds})")
            for name, (factory, data) in ablations(ds).items():
                r = evaluate(data, {name: factory}, seeds).table()[0]
                print(f"{name:<24} R@10 {r['Recall@10'][0]:.3f} ± {r['Recall@10'][1]:.3f}   "
                      f"R@50 {r['Recall@50'][0]:.3f} ± {r['Recall@50'][1]:.3f}   "
                      f"NDCG@10 {r['NDCG@10'][0]:.3f} ± {r['NDCG@10'][1]:.3f}   fit {r['fit_s'][0]:.0f}s", flush=True)
        print("\n== rank-members on the full data (read + fit + top 50 for every segment with members)")
        runs = [(timed_rank_members(Path(tmp), lambda: CentroidRanker(analyzer="char")),
                 timed_rank_members(Path(tmp), lambda: MembershipRanker())) for _ in range(max(1, args.timing_runs))]
        lb, n_lb = float(np.median([r[0][0] for r in runs])), runs[0][0][1]
        t, n = float(np.median([r[1][0] for r in runs])), runs[0][1][1]
        print(f"MembershipRanker {t:.1f}s ({n} rows) | TF-IDF char centroid {lb:.1f}s ({n_lb} rows) | "
              f"ratio {t / lb:.1f}× | median of {len(runs)} | runs {[round(r[1][0], 1) for r in runs]} | "
              f"goal ≤ 30 s: {'ok' if t <= 30 else 'MISSED'} | load average {os.getloadavg()[0]:.1f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
