"""The chain index: the arrays every chain map is computed from, derived once per snapshot (kernel.derived) and
shared with the target recommender and the pages — segments and their chains, memberships (weighted and 0/1,
row- and column-major), regions and their ancestors per level, parks with their available land, and per firm its
size class, quality tags, 链主 links and synthetic flag. Nothing here depends on the thresholds."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from graph.schema import SIZES
from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.resolve import resolver
from kernel.sparse import first_index
from chains.models import EMPLOYEE_BOUNDS, QUALITY_TAGS, REVENUE_BOUNDS_WAN, TAG_INCLUDES, AnalysisConfig


def binary(m: sp.spmatrix) -> sp.csr_matrix:
    """The 0/1 pattern of `m` as float64 CSR (duplicate entries merged first)."""
    b = sp.csr_matrix(m, dtype=np.float64, copy=True)
    b.sum_duplicates()
    b.data[:] = 1.0
    return b


class ChainIndex:
    """Config-independent arrays derived once from a snapshot (kept in the derived registry)."""

    @classmethod
    def of(cls, snap: Snapshot) -> "ChainIndex":
        return derived(snap, "chains.index", lambda: cls(snap))

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.n_firms, self.n_segments = snap.n("Enterprise"), snap.n("Segment")
        self._segments(snap)
        self._regions(snap)
        self._parks(snap)
        self._firms(snap)

    def _segments(self, snap: Snapshot) -> None:
        """Segments, chains, UPSTREAM_OF links and the firm × segment memberships."""
        E = self.n_firms
        self.seg_keys = snap.keys("Segment")
        self.seg_names = snap.labels["Segment"].names
        self.seg_chain = first_index(snap.relation("PART_OF", "Segment", "IndustryChain").tocsr())
        codes, vocab = snap.categorical("Segment", "stream")
        self.seg_stream = np.asarray([vocab[c] if c >= 0 else None for c in codes], dtype=object)
        self.chain_keys = snap.keys("IndustryChain")
        self.chain_names = snap.labels["IndustryChain"].names
        up = snap.relation("UPSTREAM_OF", "Segment", "Segment").tocoo()
        self.up_src = up.row.astype(np.int64)
        self.up_dst = up.col.astype(np.int64)
        # memberships (E × S): weighted and binary, in CSC for per-segment columns
        mem = snap.relation("IN_SEGMENT", "Enterprise", "Segment").tocsr().astype(np.float64)
        self.mem = mem
        self.mem_bin = binary(mem)
        self.mem_csc = mem.tocsc()
        self.memT = mem.T.tocsr()  # S × E: per-segment sums are one sparse mat-vec
        self.binT = self.mem_bin.T.tocsr()
        self.firm_has_segment = np.diff(mem.indptr) > 0 if E else np.zeros(0, dtype=bool)

    def _regions(self, snap: Snapshot) -> None:
        """Regions: names, levels, parents, each region's ancestor at every level, and where firms are."""
        R = snap.n("Region")
        self.region_keys = snap.keys("Region")
        self.region_names = snap.labels["Region"].names
        lcodes, lvocab = snap.categorical("Region", "level")
        self.region_level = np.asarray([lvocab[c] if c >= 0 else None for c in lcodes], dtype=object)
        r2r = snap.relation("LOCATED_IN", "Region", "Region").tocsr()
        self.region_parent = first_index(r2r)
        self.region_ancestor: dict[str, np.ndarray] = {}
        for level in ("province", "city", "county"):
            anc = np.full(R, -1, dtype=np.int64)
            cur = np.arange(R, dtype=np.int64)
            for _ in range(6):
                ok = cur >= 0
                if not ok.any():
                    break
                hit = ok & (anc < 0)
                hit[hit] = self.region_level[cur[hit]] == level
                anc[hit] = cur[hit]
                nxt = np.full(R, -1, dtype=np.int64)
                nxt[ok] = self.region_parent[cur[ok]]
                cur = nxt
            self.region_ancestor[level] = anc
        self.e2r = snap.relation("LOCATED_IN", "Enterprise", "Region").tocsr()
        self.firm_region = first_index(self.e2r)
        self.e2p = snap.relation("LOCATED_IN", "Enterprise", "Park").tocsr()

    def _parks(self, snap: Snapshot) -> None:
        """Parks: their region, the chains they host, and their available parcels and area (亩)."""
        P = snap.n("Park")
        self.park_keys = snap.keys("Park")
        self.park_names = snap.labels["Park"].names
        self.park_region = first_index(snap.relation("LOCATED_IN", "Park", "Region").tocsr())
        self.hosts = snap.relation("HOSTS", "Park", "IndustryChain").tocsr()
        has_parcel = snap.relation("HAS_PARCEL", "Park", "LandParcel").tocsr()
        if snap.n("LandParcel"):
            scodes, svocab = snap.categorical("LandParcel", "status")
            avail_code = int(np.flatnonzero(svocab == "available")[0]) if (svocab == "available").any() else -2
            avail = (scodes == avail_code).astype(np.float64)
            area = np.nan_to_num(snap.column("LandParcel", "area_mu"))
        else:
            avail = np.zeros(0)
            area = np.zeros(0)
        self.park_parcels_available = np.asarray(has_parcel @ avail).ravel() if P else np.zeros(0)
        self.park_area_available = np.asarray(has_parcel @ (avail * area)).ravel() if P else np.zeros(0)

    def _firms(self, snap: Snapshot) -> None:
        """Firms: names, size class, quality-tag masks, 链主 links (LEADS), synthetic flag, revenue."""
        E = self.n_firms
        self.firm_names = snap.labels["Enterprise"].names
        self.firm_keys = snap.keys("Enterprise")
        self.firm_size = self._size_classes(snap)
        tags, tvocab = snap.multi_hot("Enterprise", "tags")
        self.tag_vocab = tvocab
        self.tag_csr = tags.tocsr()
        tags = tags.tocsc()
        self.tag_masks: dict[str, np.ndarray] = {}
        for t in QUALITY_TAGS:
            mask = np.zeros(E, dtype=bool)
            for alias in TAG_INCLUDES.get(t, (t,)):
                j = np.flatnonzero(tvocab == alias)
                if j.size:
                    mask |= np.asarray(tags[:, [int(j[0])]].toarray()).ravel() > 0
            self.tag_masks[t] = mask
        self.leads = snap.relation("LEADS", "Enterprise", "IndustryChain").tocsc()
        syn = snap.labels["Enterprise"].num.get("synthetic")
        self.firm_synthetic = (np.nan_to_num(syn) > 0) if syn is not None else np.zeros(E, dtype=bool)
        rev = snap.labels["Enterprise"].num.get("revenue_wan")
        self.firm_revenue = rev if rev is not None else np.full(E, np.nan)

    @staticmethod
    def _size_classes(snap: Snapshot) -> np.ndarray:
        """Size class 0..3 (微/小/中/大) per firm, -1 unknown: the `size` field, else revenue, else employees."""
        E = snap.n("Enterprise")
        codes, vocab = snap.categorical("Enterprise", "size")
        lookup = np.asarray([SIZES.index(v) if v in SIZES else -1 for v in vocab.tolist()] + [-1], dtype=np.int64)
        out = lookup[np.where(codes >= 0, codes, len(vocab))] if E else np.zeros(0, dtype=np.int64)
        num = snap.labels["Enterprise"].num
        for col, bounds in (("revenue_wan", REVENUE_BOUNDS_WAN), ("employees", EMPLOYEE_BOUNDS)):
            v = num.get(col)
            if v is None:
                continue
            unknown = (out < 0) & ~np.isnan(v)
            guess = np.select([v >= bounds[0], v >= bounds[1], v >= bounds[2]], [3, 2, 1], default=0)
            out = np.where(unknown, guess, out)
        return out.astype(np.int64)

    # ------------------------------------------------------------------------- lookups
    def chain_segments(self, chain: int) -> np.ndarray:
        return np.flatnonzero(self.seg_chain == chain)

    def size_weights(self, config: AnalysisConfig) -> np.ndarray:
        table = np.asarray(list(config.size_weights) + [config.unknown_size_weight], dtype=np.float64)
        return table[np.where(self.firm_size >= 0, self.firm_size, 4)]

    def region_descendants(self, r: int) -> np.ndarray:
        """Boolean mask over regions: r and everything below it (kernel.resolve's rule)."""
        return resolver(self.snap).descendants(r)

