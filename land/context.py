"""土地超市 graph context: the facts the soft score needs, indexed by vocabulary codes.

`LandContext` holds park leading chains (主导产业), the distinct up/downstream firms per city for every segment,
each investor's suppliers/customers per city, the region hierarchy (ancestors, the city each region belongs to)
and coordinates (own, else the nearest ancestor's). Built from the analytic snapshot — or without one for plain
CSV files, when chain_park and cluster count as neutral. Every per-code array has one pad element at the end, so
code -1 (unknown) reads a neutral value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import scipy.sparse as sp

from graph.snapshot import Snapshot
from land.columns import Vocab, list_to_dense, pad, raw_from_snapshot


# ------------------------------------------------------------------------------------------------ context
@dataclass
class LandContext:
    """Graph facts for the soft score, indexed by vocabulary codes; every per-code array has one pad element at
    the end so that code -1 (unknown) reads a neutral value."""

    graph: bool  # False when built without a snapshot: chain_park and cluster are then neutral
    chains: Vocab
    chain_names: np.ndarray
    parks: Vocab
    park_names: np.ndarray
    park_region: np.ndarray
    park_lat: np.ndarray
    park_lon: np.ndarray
    park_leads: np.ndarray  # (P+1) × (C+1) bool
    park_has_leads: np.ndarray  # P+1 bool
    regions: Vocab
    region_names: np.ndarray
    region_lat: np.ndarray  # own coordinates, else the nearest ancestor's
    region_lon: np.ndarray
    region_city: np.ndarray  # R+1: the city-level ancestor (the root when there is none), -1 for pad
    region_anc: np.ndarray  # (R+1) × D ancestors including itself, -1 padded
    region_depth: np.ndarray  # R+1: number of ancestors above the region (-1 for pad)
    segments: Vocab
    segment_names: np.ndarray
    seg_up_city: sp.csr_matrix  # (S+1) × (R+1): distinct firms per city in segments directly upstream of s
    seg_down_city: sp.csr_matrix  # … directly downstream of s
    firms: Vocab
    firm_names: np.ndarray
    firm_lat: np.ndarray
    firm_lon: np.ndarray
    partner_city: sp.csr_matrix  # (F+1) × (R+1): the firm's suppliers and customers per city

    @classmethod
    def build(cls, snap: Snapshot | None = None, *, chains: Iterable[str] = (), parks: Iterable[str] = (),
              regions: Iterable[str] = (), segments: Iterable[str] = ()) -> "LandContext":
        """Vocabularies = the snapshot's keys ∪ the extra values given (e.g. from CSV files)."""
        g = _SnapshotFacts(snap)
        cv = Vocab(g.keys("IndustryChain"), chains)
        pv = Vocab(g.keys("Park"), parks)
        rv = Vocab(g.keys("Region"), regions)
        sv = Vocab(g.keys("Segment"), segments)
        fv = Vocab(g.keys("Enterprise"))
        anc, city, elat, elon = _region_hierarchy(g, rv)
        park_region, plat, plon, leads = _park_facts(g, pv, rv, cv, elat, elon)
        flat, flon, seg_up, seg_down, partner = _firm_facts(g, fv, rv, sv, city, elat, elon)
        return cls(
            graph=snap is not None,
            chains=cv, chain_names=g.names_of("IndustryChain", cv),
            parks=pv, park_names=g.names_of("Park", pv), park_region=park_region, park_lat=plat, park_lon=plon,
            park_leads=leads, park_has_leads=leads.any(axis=1),
            regions=rv, region_names=g.names_of("Region", rv), region_lat=elat, region_lon=elon,
            region_city=city, region_anc=anc, region_depth=(anc >= 0).sum(axis=1) - 1,
            segments=sv, segment_names=g.names_of("Segment", sv), seg_up_city=seg_up, seg_down_city=seg_down,
            firms=fv, firm_names=g.names_of("Enterprise", fv), firm_lat=flat, firm_lon=flon, partner_city=partner,
        )

    # names for messages
    def chain_name(self, code: int) -> str:
        return str(self.chain_names[code]) if code >= 0 else ""

    def park_name(self, code: int) -> str:
        return str(self.park_names[code]) if code >= 0 else ""

    def region_name(self, code: int) -> str:
        return str(self.region_names[code]) if code >= 0 else ""

    def within(self, region: np.ndarray, ancestor: np.ndarray) -> np.ndarray:
        """region[k] is ancestor[k] or lies inside it (both codes; -1 never matches). One lookup per pair: the
        ancestor of `region` at `ancestor`'s depth."""
        region = np.asarray(region)
        ancestor = np.asarray(ancestor)
        depth = self.region_depth
        off = depth[region] - depth[ancestor]
        ok = (region >= 0) & (ancestor >= 0) & (off >= 0) & (off < self.region_anc.shape[1])
        flat = self.region_anc.ravel()
        at = flat[np.where(ok, region * self.region_anc.shape[1] + off, 0)]
        return ok & (at == ancestor)


def _remap(m: sp.csr_matrix, rmap: np.ndarray, cmap: np.ndarray, nr: int, nc: int) -> sp.csr_matrix:
    """A snapshot adjacency (snapshot indices) → the same relation over vocabulary codes (shape nr × nc)."""
    coo = m.tocoo()
    if coo.nnz == 0:
        return sp.csr_matrix((nr, nc), dtype=np.float32)
    r = rmap[coo.row]
    c = cmap[coo.col]
    ok = (r >= 0) & (c >= 0)
    out = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(nr, nc))
    out.sum_duplicates()
    return out



class _SnapshotFacts:
    """Columns of the snapshot laid out over a vocabulary (codes + pad); empty when there is no snapshot."""

    def __init__(self, snap: Snapshot | None):
        self.snap = snap

    def has(self, label: str) -> bool:
        return self.snap is not None and label in self.snap.labels

    def keys(self, label: str) -> np.ndarray:
        return self.snap.keys(label) if self.has(label) else np.asarray([], dtype=str)  # type: ignore[union-attr]

    def names_of(self, label: str, vocab: Vocab) -> np.ndarray:
        snap = self.snap
        if self.has(label) and vocab.keys is snap.keys(label):  # type: ignore[union-attr]
            return pad(snap.labels[label].names, "")  # type: ignore[union-attr]
        out = vocab.keys.astype(object).copy()
        if self.has(label) and len(vocab):
            out[vocab.codes(snap.keys(label))] = snap.labels[label].names  # type: ignore[union-attr]
        return pad(np.asarray(out, dtype=str) if len(out) else np.asarray([], dtype=str), "")

    def num_of(self, label: str, name: str, vocab: Vocab) -> np.ndarray:
        out = np.full(len(vocab) + 1, np.nan)
        if self.has(label) and name in self.snap.labels[label].num:  # type: ignore[union-attr]
            out[vocab.codes(self.snap.keys(label))] = self.snap.column(label, name)  # type: ignore[union-attr]
        return out

    def text_of(self, label: str, name: str, vocab: Vocab) -> np.ndarray:
        out = np.full(len(vocab) + 1, "", dtype=object)
        if self.has(label):
            raw = raw_from_snapshot(self.snap, label, (), (name,), ())  # type: ignore[arg-type]
            out[vocab.codes(self.snap.keys(label))] = raw.text[name]  # type: ignore[union-attr]
        return out.astype(str)

    def ref_codes(self, label: str, name: str, vocab: Vocab, target: Vocab) -> np.ndarray:
        """A categorical reference column (e.g. Enterprise.region) as codes of `target`, per `vocab` code (+ pad):
        mapped through the column's small vocabulary, never string by string."""
        out = np.full(len(vocab) + 1, -1, dtype=np.int64)
        if self.has(label) and name in self.snap.labels[label].cat:  # type: ignore[union-attr]
            codes, cvocab = self.snap.categorical(label, name)  # type: ignore[union-attr]
            mapped = np.append(target.codes(cvocab), -1)  # code -1 → the appended -1
            out[vocab.codes(self.snap.keys(label))] = mapped[codes]  # type: ignore[union-attr]
        return out


REGION_DEPTH = 6  # 省 → 市 → 县 → 乡镇 …: deeper chains are cut here


def _region_hierarchy(g: _SnapshotFacts, rv: Vocab) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ancestors incl. itself, the city each region belongs to, lat, lon with the nearest ancestor's as fallback).
    A region with no city-level ancestor belongs to its root (a province-level municipality groups its districts)."""
    parent = g.ref_codes("Region", "parent", rv, rv)
    level = g.text_of("Region", "level", rv)
    anc = np.full((len(rv) + 1, REGION_DEPTH), -1, dtype=np.int64)
    anc[:, 0] = np.arange(len(rv) + 1)
    anc[-1, 0] = -1
    for d in range(1, REGION_DEPTH):
        prev = anc[:, d - 1]
        anc[:, d] = np.where(prev >= 0, parent[prev], -1)
    city = anc[:, 0].copy()
    found = np.zeros(len(rv) + 1, dtype=bool)
    for d in range(REGION_DEPTH):
        a = anc[:, d]
        is_city = (a >= 0) & (level[a] == "city") & ~found
        city[is_city] = a[is_city]
        found |= is_city
    root = anc[:, 0].copy()
    for d in range(1, REGION_DEPTH):
        a = anc[:, d]
        root = np.where(a >= 0, a, root)
    city = np.where(found, city, root)
    city[-1] = -1
    rlat, rlon = g.num_of("Region", "lat", rv), g.num_of("Region", "lon", rv)
    elat, elon = rlat.copy(), rlon.copy()
    for d in range(1, REGION_DEPTH):
        a = anc[:, d]
        miss = np.isnan(elat) & (a >= 0)
        elat[miss] = rlat[a[miss]]
        elon[miss] = rlon[a[miss]]
    return anc, city, elat, elon


def _park_facts(g: _SnapshotFacts, pv: Vocab, rv: Vocab, cv: Vocab, elat: np.ndarray, elon: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(each park's region, lat, lon — its own, else its region's —, leading chains as (P+1) × (C+1) bool)."""
    park_region = g.ref_codes("Park", "region", pv, rv)
    plat, plon = g.num_of("Park", "lat", pv), g.num_of("Park", "lon", pv)
    miss = np.isnan(plat)
    plat[miss], plon[miss] = elat[park_region[miss]], elon[park_region[miss]]
    leads = np.zeros((len(pv) + 1, len(cv) + 1), dtype=bool)
    if g.has("Park") and "leading_chains" in g.snap.labels["Park"].lists:  # type: ignore[union-attr]
        dense = list_to_dense(g.snap.multi_hot("Park", "leading_chains"), cv)  # type: ignore[union-attr]
        leads[pv.codes(g.keys("Park"))] = dense
    return park_region, plat, plon, leads


def _firm_facts(g: _SnapshotFacts, fv: Vocab, rv: Vocab, sv: Vocab, city: np.ndarray, elat: np.ndarray,
                elon: np.ndarray) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """(firm lat, lon — own, else their region's —, per segment the distinct firms per city directly upstream and
    directly downstream of it, per firm its suppliers and customers per city)."""
    flat, flon = g.num_of("Enterprise", "lat", fv), g.num_of("Enterprise", "lon", fv)
    fregion = g.ref_codes("Enterprise", "region", fv, rv)
    miss = np.isnan(flat)
    flat[miss], flon[miss] = elat[fregion[miss]], elon[fregion[miss]]
    fcity = city[fregion]
    n_f, n_r, n_s = len(fv) + 1, len(rv) + 1, len(sv) + 1
    ok = fcity >= 0
    firm_city = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (np.nonzero(ok)[0], fcity[ok])), shape=(n_f, n_r))
    if g.snap is None or not len(fv):
        empty = sp.csr_matrix((n_s, n_r), dtype=np.float32)
        return flat, flon, empty, empty.copy(), sp.csr_matrix((n_f, n_r), dtype=np.float32)
    snap = g.snap
    s_map = sv.codes(snap.keys("Segment")) if "Segment" in snap.labels else np.zeros(0, np.int64)
    f_map = fv.codes(snap.keys("Enterprise"))
    member = _remap(snap.relation("IN_SEGMENT", "Enterprise", "Segment"), f_map, s_map, n_f, n_s)
    up = _remap(snap.relation("UPSTREAM_OF", "Segment", "Segment"), s_map, s_map, n_s, n_s)
    member.data[:] = 1
    up.data[:] = 1
    up_member = member @ up  # firm in a segment upstream of s
    up_member.data[:] = 1
    down_member = member @ up.T.tocsr()  # firm in a segment downstream of s
    down_member.data[:] = 1
    seg_up = (up_member.T.tocsr() @ firm_city).tocsr()
    seg_down = (down_member.T.tocsr() @ firm_city).tocsr()
    supplies = _remap(snap.relation("SUPPLIES", "Enterprise", "Enterprise"), f_map, f_map, n_f, n_f)
    supplies.data[:] = 1
    both = (supplies + supplies.T).tocsr()
    both.data[:] = 1
    return flat, flon, seg_up, seg_down, (both @ firm_city).tocsr()
