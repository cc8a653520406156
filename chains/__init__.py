"""产业链图谱 (chain maps): which segments of a chain are strong, weak or missing in a region, who leads, and where
to move (补链/强链/延链) — the analysis (read side), its API router, offline pages, renderings and CLI.

This module is the package's public surface for the rest of ChainMatch (targets, land, the pages of other
capabilities): the analysis, its answer models and the per-snapshot chain index. `import chains` stays light —
no API, no router, no rendering; `table_sheet` (an XLSX table helper shared with other exports) loads openpyxl
on first use.
"""
from __future__ import annotations

from typing import Any

from chains.analysis import analyse_chain, summarise_chains
from chains.index import ChainIndex, binary
from chains.leaders import chain_firms_by_segment, firm_brief, segment_firms
from chains.models import (
    CLASSES, EXTEND, FILL, GAP, MEASURE, MOVES, STRENGTHEN, STRONG, WEAK, AnalysisConfig, ChainLookupError,
    ChainMap, ChainSummary, FirmBrief, Link, Move, ParkBrief, PeerRegion, Ref, ScopeOut, SegmentStat, Summary,
)
from chains.scope import Scope, resolve_chain, resolve_place, resolve_scope

__all__ = [
    "CLASSES", "EXTEND", "FILL", "GAP", "MEASURE", "MOVES", "STRENGTHEN", "STRONG", "WEAK", "AnalysisConfig",
    "ChainIndex", "ChainLookupError", "ChainMap", "ChainSummary", "FirmBrief", "Link", "Move", "ParkBrief",
    "PeerRegion", "Ref", "Scope", "ScopeOut", "SegmentStat", "Summary", "analyse_chain", "binary",
    "chain_firms_by_segment", "firm_brief", "resolve_chain", "resolve_place", "resolve_scope", "segment_firms",
    "summarise_chains", "table_sheet",
]


def __getattr__(name: str) -> Any:
    """`chains.table_sheet`, imported on first use so that `import chains` does not load openpyxl."""
    if name == "table_sheet":
        from chains.render.xlsx import table_sheet

        return table_sheet
    raise AttributeError(f"module 'chains' has no attribute {name!r}")
