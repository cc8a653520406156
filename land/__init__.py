"""土地超市 (land supermarket): 标准地 rules, parcel ↔ project matching with reasons, optimal batch assignment,
reservations that never double-book, CSV tools, API router, storefront pages and CLI — all in this folder.

Read side (imports the schema, the snapshot and the kernel only): columns → context → tables (the arrays), rules
(hard rules), scoring (soft score), checks / reasons (explanations), ranking (both directions), assignment
(batch optimum), storefront (listing, recommender extension point), names (the resolver for user-typed names),
queries (one function per API answer), csv_files (land-assign's files), reservations (state and refusals), the
map (outlines: bundled region outlines; map_shapes: approximate park outlines; map_data: GeoJSON layers; map_query:
its filters; map_page: the page's HTML; map_assets/: outlines, script, style).
Write side: commands (reserve / release / transfer / sweep through the store). Edges: router, pages, cli.

`import land` stays light: the names below load their module on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from land.reservations import PARCEL_STATE_FIELDS, effective_status

_LAZY = {
    "LandData": "land.data", "land_data": "land.data",
    "LandWeights": "land.scoring", "ScoreScales": "land.scoring", "COMPONENTS": "land.scoring",
    "RULES": "land.rules", "LANDED_STAGES": "land.rules", "check_pairs": "land.rules", "now_seconds": "land.rules",
    "check_records": "land.checks",
    "rank_parcels": "land.ranking", "rank_projects": "land.ranking", "Ranking": "land.ranking",
    "assign": "land.assignment", "Assignment": "land.assignment", "optimal_assignment": "land.assignment",
    "feasible_pairs": "land.assignment",
    "list_parcels": "land.storefront", "parcel_target_chains": "land.storefront",
    "EnterpriseRecommender": "land.storefront",
    "reserve_parcel": "land.commands", "release_parcel": "land.commands", "transfer_parcel": "land.commands",
    "sweep_expired_reservations": "land.commands",
}

__all__ = ["PARCEL_STATE_FIELDS", "effective_status", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'land' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
