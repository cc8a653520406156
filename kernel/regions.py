"""The region a ChainMatch page is for when the officer names none — one rule for every capability.

An officer opening a chain map, a firm's 企业尽调 or a 信息检索 link without a region (an old link, a bookmark, the
search box) means their own city: settings alerts.home_region, when the data holds it; else the first of the demo's
cities (衢州, 金华, 衡阳) the data holds; None when it holds none of them. Chains, dossier and search all ask here, so
the three never disagree on where "here" is.
"""
from __future__ import annotations

from graph.snapshot import Snapshot

DEMO_CITIES = ("330800", "330700", "430400")  # 衢州, 金华, 衡阳: the demo's cities, offered first on the index


def holds_region(snap: Snapshot, key: str | None) -> bool:
    """Whether the data holds the 行政区 `key` (a GB/T 2260 code)."""
    return bool(key) and bool(snap.n("Region")) and snap.index_of("Region", key) >= 0


def demo_city(snap: Snapshot) -> str | None:
    """The first demo city the data holds, or None."""
    return next((k for k in DEMO_CITIES if holds_region(snap, k)), None)


def region_or_home(snap: Snapshot, region: str | None, home: str | None) -> str | None:
    """The region a page is for: the one asked for (as typed — a code, a name or a park, resolved by the page);
    none asked → `home` (the officer's own region, settings alerts.home_region) when the data holds it, else the
    first demo city it holds; None when there is none."""
    if region and region.strip():
        return region
    return home if holds_region(snap, home) else demo_city(snap)
