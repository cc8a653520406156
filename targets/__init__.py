"""Target-enterprise recommender (招商目标推荐): attractability ranking for a region and its views.

    rank_targets(snap, region=, chain=, segment=, k=)        region × chain[/segment] → firms outside the region
    rank_leader_targets(snap, leader=, region=, k=)          链主 → its suppliers/customers not yet in the region
    rank_fund_targets(snap, fund=, region=, k=)              fund → portfolio firms fitting local gaps and parks
    rank_parcel_targets(snap, parcel=, chains=, region=, k=) parcel → firms for its admitted/leading chains
    similar_enterprises(snap, enterprise=, k=, region=)      firm → similar firms

All read the analytic snapshot only. See docs/targets.md; the model is in model.py (sign-constrained learning in
signfit.py), the engine in engine.py (with region.py, scoring.py — also the 0–100 score —, training.py), the views
in views.py, the reasons (relations first, with evidence) in reasons.py; the workbench pages in pages.py over
workbench.py (their service) and page_html.py (their HTML).
"""
from targets.engine import TargetEngine
from targets.views import (
    MAX_K, TargetRecommender, check_k, rank_fund_targets, rank_leader_targets, rank_parcel_targets, rank_targets,
    targets_by_segment,
)
from targets.model import DEFAULT_WEIGHTS, FEATURE_DOCS, FEATURE_LABELS, FEATURES, TargetConfig
from targets.results import (
    SegmentChoice, SimilarItem, SimilarList, TargetError, TargetItem, TargetList, WeightsOut,
)
from targets.similar import similar_enterprises

__all__ = [
    "DEFAULT_WEIGHTS", "FEATURES", "MAX_K", "check_k", "FEATURE_DOCS", "FEATURE_LABELS", "SegmentChoice", "SimilarItem", "SimilarList",
    "TargetConfig", "TargetEngine", "TargetError", "TargetItem", "TargetList", "TargetRecommender", "WeightsOut",
    "rank_fund_targets", "rank_leader_targets", "rank_parcel_targets", "rank_targets", "similar_enterprises",
    "targets_by_segment",
]
