"""Which subscriptions an event reaches: its topics, "label:key" strings for the subject and everything it belongs
to — a parcel's park, its 行政区 and every 行政区 above (a subscription to 衢州 sees a parcel in 柯城区), the chains
it admits (a parcel admitting every chain carries the one 'any chain' topic all chain subscriptions match); a
project's investor, chain, segment, park and 行政区; a firm's segments, their chains and its 行政区.

Reads the analytic snapshot only."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from alerts.model import ANY_CHAIN, topic
from chains import ChainIndex
from kernel.derived import derived


class Places:
    """Per snapshot: each 行政区's ancestors (chains.ChainIndex), each park's 行政区, each firm's segments and chains."""

    def __init__(self, snap: Any) -> None:
        self.snap = snap
        self._park_region = snap.relation("LOCATED_IN", "Park", "Region").tocsr()
        self._firm_seg = snap.relation("IN_SEGMENT", "Enterprise", "Segment").tocsr()
        self._seg_chain = snap.relation("PART_OF", "Segment", "IndustryChain").tocsr()

    def _keys(self, label: str, idx: Iterable[int]) -> list[str]:
        keys = self.snap.keys(label)
        return [str(keys[i]) for i in idx]

    def regions_up(self, code: str | None) -> list[str]:
        """The 行政区 and every one above it (县 → 市 → 省), as topics — from the chain index's ancestor arrays."""
        if not code or not self.snap.n("Region"):
            return []
        out = [topic("Region", str(code))]
        i = int(self.snap.index_of("Region", str(code)))
        if i < 0:
            return out
        idx = ChainIndex.of(self.snap)
        for level in ("county", "city", "province"):
            j = int(idx.region_ancestor[level][i])
            if j >= 0 and j != i:
                out.append(topic("Region", str(idx.region_keys[j])))
        return list(dict.fromkeys(out))

    def park(self, key: str | None) -> list[str]:
        """The park and its 行政区 (and above)."""
        if not key:
            return []
        out = [topic("Park", key)]
        j = int(self.snap.index_of("Park", key)) if self.snap.n("Park") else -1
        if j >= 0:
            regs = self._park_region.indices[self._park_region.indptr[j]:self._park_region.indptr[j + 1]]
            for code in self._keys("Region", regs[:1]):
                out += self.regions_up(code)
        return out

    def firm(self, key: str) -> list[str]:
        """A firm, its segments and their chains, its 行政区 (and above)."""
        out = [topic("Enterprise", key)]
        if not self.snap.n("Enterprise"):
            return out
        i = int(self.snap.index_of("Enterprise", key))
        if i < 0:
            return out
        segs = self._firm_seg.indices[self._firm_seg.indptr[i]:self._firm_seg.indptr[i + 1]]
        out += [topic("Segment", k) for k in self._keys("Segment", segs)]
        chains = np.unique(self._seg_chain[segs].indices) if len(segs) else []
        out += [topic("IndustryChain", k) for k in self._keys("IndustryChain", chains)]
        codes, vocab = self.snap.categorical("Enterprise", "region")
        if codes[i] >= 0:
            out += self.regions_up(str(vocab[codes[i]]))
        return out


def places(snap: Any) -> Places:
    return derived(snap, "alerts.places", lambda: Places(snap))


def parcel_topics(snap: Any, key: str, props: dict[str, Any]) -> list[str]:
    """A parcel, its park and 行政区 (and above), and the chains it admits: each listed chain, or — 产业准入 不限
    (no chain listed) — the one 'any chain' topic every chain subscription matches (model.ANY_CHAIN)."""
    p = places(snap)
    out = [topic("LandParcel", key), *p.park(props.get("park")), *p.regions_up(props.get("region"))]
    chains = [str(c) for c in props.get("allowed_chains") or [] if c]
    out += [topic("IndustryChain", c) for c in chains] if chains else [ANY_CHAIN]
    return list(dict.fromkeys(out))


def project_topics(snap: Any, key: str, props: dict[str, Any]) -> list[str]:
    p = places(snap)
    out = [topic("Project", key), *p.park(props.get("park")), *p.regions_up(props.get("region"))]
    if props.get("investor"):
        out.append(topic("Enterprise", props["investor"]))
    out += [topic(lab, props[f]) for f, lab in (("chain", "IndustryChain"), ("segment", "Segment")) if props.get(f)]
    return list(dict.fromkeys(out))


PROJECT_PLACES = ("park", "region", "chain", "segment", "investor")


def project_props_at(snap: Any, i: int) -> dict[str, Any]:
    """The place fields of the project at row `i` of the snapshot (park, 行政区, chain, segment, investor) from its
    categorical columns; a field the snapshot lacks, or an unknown value, is left out."""
    props: dict[str, Any] = {}
    for f in PROJECT_PLACES:
        try:
            codes, vocab = snap.categorical("Project", f)
        except (KeyError, ValueError):
            continue
        if i >= 0 and codes[i] >= 0:
            props[f] = str(vocab[codes[i]])
    return props


def project_topics_of(snap: Any, key: str) -> list[str]:
    """A project's topics from the snapshot's columns (park, 行政区, chain, segment) when its record is not at hand."""
    i = int(snap.index_of("Project", key)) if snap.n("Project") else -1
    return project_topics(snap, key, project_props_at(snap, i))
