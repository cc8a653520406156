"""Real public facts that seed ChainMatch: chain taxonomies, administrative regions and industrial parks.

The facts live as JSON next to this module (seed_data/facts/*.json, shipped as package data):
  chains.json   8 industry chains, their segments (stream, keywords for text matching), supply links inside each
                chain ("links") and between chains ("cross_links"), all as [upstream_key, downstream_key]
  regions.json  provinces, the cities we serve or compare with, and every county of 衢州/金华/衡阳 (GB/T 2260 codes)
  parks.json    real parks in 衢州/金华/衡阳 with their officially stated leading chains
  policies.json incentive rules written down from public policy documents (文号, article, effective dates,
                version, conditions, formula); incentives/calculator.py computes with them, and the seed writes each
                item as a Policy node (`policy_nodes()`)

`fact_nodes()` turns them into (label, props) pairs that `graph.schema.MODELS[label](**props)` validates, each with
its `source`; `fact_links()` gives the UPSTREAM_OF pairs. Nothing here writes to a store.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.schema import Label

# Next to this module (not importlib.resources on the package: a tests/seed_data folder on sys.path can shadow
# `seed_data` as a namespace package when pytest runs from another directory).
FACTS_DIR = Path(__file__).resolve().parent / "facts"
CHAINS_FILE = "chains.json"
REGIONS_FILE = "regions.json"
PARKS_FILE = "parks.json"
POLICIES_FILE = "policies.json"

# Segment fields copied from chains.json into Segment nodes (the rest of a segment row is not a node property).
_SEGMENT_FIELDS = ("key", "name", "stream", "parent", "keywords", "description")
_CHAIN_FIELDS = ("key", "name", "aliases", "description")
_REGION_FIELDS = ("key", "name", "level", "parent", "lat", "lon", "macro_region")
_PARK_FIELDS = ("key", "name", "region", "level", "kind", "leading_chains", "lat", "lon")


def _read(name: str) -> dict[str, Any]:
    """Parse one facts file freshly (callers may mutate what they get)."""
    try:
        return json.loads((FACTS_DIR / name).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"事实文件 seed_data/facts/{name} 不是合法 JSON：第 {e.lineno} 行第 {e.colno} 列 {e.msg}") from None


def load_chains() -> dict[str, Any]:
    """The whole chains.json: {"source", "chains": [{key, name, aliases, description, source?, segments, links}],
    "cross_links"}."""
    return _read(CHAINS_FILE)


def load_regions() -> list[dict[str, Any]]:
    """Region rows (key = GB/T 2260 code), provinces first, then cities, then counties."""
    return _read(REGIONS_FILE)["regions"]


def load_parks() -> list[dict[str, Any]]:
    """Park rows; each keeps its own `source`."""
    return _read(PARKS_FILE)["parks"]


def _pick(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: row[f] for f in fields if row.get(f) is not None}


def fact_nodes() -> list[tuple[Label, dict[str, Any]]]:
    """All fact nodes as (label, props), ready for `graph.schema.MODELS[label](**props)`.

    Chains and segments take their chain's `source` (or the file's), regions the file's, parks their own.
    """
    out: list[tuple[Label, dict[str, Any]]] = []
    chains = load_chains()
    for chain in chains["chains"]:
        source = chain.get("source") or chains["source"]
        out.append((Label.IndustryChain, {**_pick(chain, _CHAIN_FIELDS), "source": source}))
        for seg in chain["segments"]:
            out.append((Label.Segment, {**_pick(seg, _SEGMENT_FIELDS), "chain": chain["key"], "source": source}))
    regions = _read(REGIONS_FILE)
    for row in regions["regions"]:
        out.append((Label.Region, {**_pick(row, _REGION_FIELDS), "source": regions["source"]}))
    parks = _read(PARKS_FILE)
    for row in parks["parks"]:
        out.append((Label.Park, {**_pick(row, _PARK_FIELDS), "source": row.get("source") or parks["source"]}))
    return out


def load_policies() -> dict[str, Any]:
    """The whole policies.json: {"version", "source", "facts", "derived", "documents", "items"}."""
    return _read(POLICIES_FILE)


def policy_nodes() -> list[dict[str, Any]]:
    """One Policy node per policy item, with its document's 文号, dates, version and source."""
    raw = load_policies()
    docs = {d["key"]: d for d in raw["documents"]}
    out = []
    for it in raw["items"]:
        d = docs[it["doc"]]
        row = {"key": it["key"], "name": it["name"], "doc_no": d.get("doc_no"), "region": d.get("region"),
               "effective_from": d.get("effective_from"), "effective_to": d.get("effective_to"),
               "summary": it.get("text"), "document": d["title"], "article": it["article"],
               "version": d["version"], "currency": d["currency"], "source": d["source"]}
        out.append({k: v for k, v in row.items() if v is not None})
    return out


def fact_links() -> list[tuple[str, str]]:
    """Every UPSTREAM_OF pair (upstream segment key, downstream segment key): each chain's links, then cross links."""
    chains = load_chains()
    pairs: list[tuple[str, str]] = []
    for chain in chains["chains"]:
        pairs.extend((up, down) for up, down in chain["links"])
    pairs.extend((up, down) for up, down in chains.get("cross_links", []))
    return pairs
