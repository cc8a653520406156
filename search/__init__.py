"""信息检索 — one search over everything in ChainMatch: firms, products, parks, parcels, funds, projects, chains,
segments, regions and policies in one ranked list, tolerant of 简称, partial names, pinyin, pinyin initials and
typos (docs/search.md).

The package, by job: `text` (normalising, 字号 core, pinyin), `documents` (what is indexed of each node), `index`
(the SQLite FTS5 file, derived from the snapshot), `ranking` (why a candidate matches and where it ranks),
`service` (the search itself), `links` (the page each hit opens), `models` (the answer), `commands` (keeping the
index current from the store's change log), and the edges `router`, `pages`, `cli`.
"""
from __future__ import annotations

import importlib
from typing import Any

from search.index import SearchIndex
from search.models import SearchHit, SearchResult
from search.service import Limits, check_query, parse_label, search

# the write side (it reads the store's change log) loads on first use, as land's does: `import search` stays read-only
_LAZY = {"index_for": "search.commands", "touched": "search.commands",
         "IndexDep": "search.router", "limits_of": "search.router"}  # the dependencies other pages use

__all__ = ["Limits", "SearchHit", "SearchIndex", "SearchResult", "check_query", "parse_label", "search", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
