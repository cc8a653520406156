"""The target-enterprise engine (招商目标推荐): per-snapshot state, per-region state, one scoring core.

Built once per (snapshot, TargetConfig) — `TargetEngine.of(snap)`; a new store version gives a new Snapshot
object and so a new engine. What is precomputed:

  * per firm (E rows): the static features (financing, branches, growth, patents, size, quality) as an E×6
    float32 block, coordinates (own, else its region's, else the parent region's), economic zone (Region
    .macro_region of its region or an ancestor);
  * segment fit E×S (CSC: one column per segment = the candidates of that segment), see membership_fit.py;
  * CSR adjacency: SUPPLIES and its transpose, INVESTED_IN and its transpose, LEADS;
  * the weights (learned from project history or the defaults, model.py).

Per region (LRU of `region_cache` regions): which firms are local (the region and every descendant region, and
firms located in a park of the region), the local 链主 (of any chain), the region-dependent feature block E×8
(ties to local 链主, second-tier supply, other local ties, local and partner funds, proximity, same zone, source
hub) — a handful of sparse mat-vecs over the whole graph — and, per chain on demand, the chain gap analysis
(chains.analyse_chain: 优势/薄弱/空白, 补链/强链/延链).

A warm query is then: one CSC column slice per target segment (the candidates), a gather of their feature rows,
a mat-vec with w/σ, argpartition for the top k, and reasons for those k only.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from graph.schema import PROJECT_STAGES, SIZES
from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.errors import ChainMatchError
from kernel.geo import distance_km
from kernel.resolve import resolver
from kernel.sparse import first_index
from chains import EXTEND, FILL, GAP, STRENGTHEN, STRONG, WEAK, ChainIndex, ChainMap, analyse_chain, binary
from targets import reasons as rs
from targets.membership_fit import segment_fit
from targets.model import (
    F, FEATURES, LANDED_FROM, QUALITY_TAG_SET, SOURCE_HUBS, TargetConfig, Weights, learn,
)
from targets.results import (
    Ref, RegionRef, SegmentChoice, TargetError, TargetItem, TargetList, WeightsOut,
)

STATIC = ("financing", "branches", "growth", "patents", "size", "quality")
REGIONAL = ("leader_tie", "leader_tier2", "local_ties", "fund_local", "fund_partner", "proximity", "same_macro",
            "source_hub")
STATIC_COLS = np.asarray([F[f] for f in STATIC])
REGIONAL_COLS = np.asarray([F[f] for f in REGIONAL])
NEED_VALUE = {GAP: 1.0, WEAK: 0.5, STRONG: 0.0}
PROXIMITY_KM = 300.0
MAX_K = 500


@dataclass
class RegionState:
    """Everything about one region that does not depend on the query's chain or segment."""

    r: int
    key: str
    name: str
    level: str | None
    macro: int
    lat: float
    lon: float
    inside: np.ndarray  # bool over regions
    local: np.ndarray  # bool over firms
    leaders: np.ndarray  # firm indices of local 链主 (+ anchors of a leader view)
    leader_mask: np.ndarray  # bool over firms
    tier1: np.ndarray  # bool over firms: supplies a local 链主
    local_funds: np.ndarray  # bool over funds
    partner_funds: np.ndarray  # bool over funds
    reg: np.ndarray  # E × len(REGIONAL), float32
    distance_km: np.ndarray  # E, float32 (NaN unknown)
    parks: np.ndarray  # park indices in the region
    chain_park: np.ndarray  # per chain: first hosting park of the region (-1 none)
    cmaps: dict[int, ChainMap] = field(default_factory=dict)
    need: np.ndarray | None = None  # per segment (NaN = chain not analysed yet)
    seg_class: dict[int, str] = field(default_factory=dict)
    seg_moves: dict[int, list[str]] = field(default_factory=dict)
    seg_local_count: dict[int, int] = field(default_factory=dict)

    def ref(self, engine: "TargetEngine") -> RegionRef:
        return RegionRef(key=self.key, name=self.name, level=self.level,
                         macro_region=engine.macro_name(self.macro))


class TargetEngine:
    """Attractability ranking and its views over one snapshot. Use `TargetEngine.of(snap, config)`."""

    @classmethod
    def of(cls, snap: Snapshot, config: TargetConfig | None = None) -> "TargetEngine":
        """The engine for (snapshot, config), built once (kept in the derived registry)."""
        config = config or TargetConfig()
        return derived(snap, "targets.engine", lambda: cls(snap, config), key=config)

    # ------------------------------------------------------------------------------------------ build
    def __init__(self, snap: Snapshot, config: TargetConfig):
        self.snap, self.config = snap, config
        self.version = snap.version
        idx = self.idx = ChainIndex.of(snap)
        E = self.E = idx.n_firms
        self.S = binary(snap.relation("SUPPLIES", "Enterprise", "Enterprise"))
        self.ST = self.S.T.tocsr()
        self.IF = binary(snap.relation("INVESTED_IN", "Fund", "Enterprise"))
        self.IFT = self.IF.T.tocsr()
        self.fund_keys = snap.keys("Fund")
        self.fund_names = snap.labels["Fund"].names
        self.fund_region = first_index(snap.relation("LOCATED_IN", "Fund", "Region"))
        self.fund_focus = binary(snap.relation("FOCUSES_ON", "Fund", "IndustryChain"))
        self.leads = binary(idx.leads.tocsr())
        self.leader_any = np.diff(self.leads.indptr) > 0 if E else np.zeros(0, bool)
        self.mem_csr = idx.mem.tocsr()
        self._geo(snap, idx)
        self._static(snap, idx)
        self.fit, self.inferred, self.fit_note = segment_fit(
            snap, idx, use_model=config.membership_model, max_firms=config.membership_max_firms,
            min_firms=config.membership_min_firms,
            predicted_per_segment=config.predicted_per_segment, random_state=config.random_state)
        self.fit_csr = self.fit.tocsr()
        self.park_keys, self.park_names = idx.park_keys, idx.park_names
        self._regions: "OrderedDict[tuple[int, tuple[int, ...]], RegionState]" = OrderedDict()
        self._lock = threading.RLock()
        self.weights = self._learn_weights()

    def _geo(self, snap: Snapshot, idx: ChainIndex) -> None:
        R = len(idx.region_keys)
        rnum = snap.labels["Region"].num
        rlat = np.asarray(rnum.get("lat", np.full(R, np.nan)), dtype=np.float64).copy()
        rlon = np.asarray(rnum.get("lon", np.full(R, np.nan)), dtype=np.float64).copy()
        rcat = snap.labels["Region"].cat
        if "macro_region" in rcat:
            macro, self.macro_vocab = rcat["macro_region"]
            macro = macro.astype(np.int64).copy()
        else:
            macro, self.macro_vocab = np.full(R, -1, np.int64), np.asarray([], dtype=str)
        for _ in range(4):  # inherit coordinates and economic zone from ancestors
            par = idx.region_parent
            ok = par >= 0
            miss = ok & np.isnan(rlat)
            rlat[miss], rlon[miss] = rlat[par[miss]], rlon[par[miss]]
            mm = ok & (macro < 0)
            macro[mm] = macro[par[mm]]
        self.region_lat, self.region_lon, self.region_macro = rlat, rlon, macro
        self.hub_codes = np.asarray([i for i, v in enumerate(self.macro_vocab.tolist()) if v in SOURCE_HUBS], np.int64)
        E = idx.n_firms
        fr = idx.firm_region
        num = snap.labels["Enterprise"].num
        flat = np.asarray(num.get("lat", np.full(E, np.nan)), dtype=np.float64)
        flon = np.asarray(num.get("lon", np.full(E, np.nan)), dtype=np.float64)
        has_r = fr >= 0
        safe = np.maximum(fr, 0)
        self.firm_lat = np.where(np.isnan(flat) & has_r, rlat[safe], flat)
        self.firm_lon = np.where(np.isnan(flon) & has_r, rlon[safe], flon)
        self.firm_macro = np.where(has_r, macro[safe], -1) if E else np.zeros(0, np.int64)

    def _static(self, snap: Snapshot, idx: ChainIndex) -> None:
        E = idx.n_firms
        num = snap.labels["Enterprise"].num

        def col(name: str) -> np.ndarray:
            v = num.get(name)
            return np.zeros(E) if v is None else np.nan_to_num(np.asarray(v, np.float64), nan=0.0)

        self.raw_financing, self.raw_branches = col("recent_financing_wan"), col("new_branches")
        self.raw_growth, self.raw_patents = col("capacity_growth"), col("patents")
        self.revenue0 = np.nan_to_num(np.asarray(idx.firm_revenue, np.float64), nan=0.0)  # for ordering names
        size = np.where(idx.firm_size >= 0, idx.firm_size, 1).astype(np.float64)
        qual = np.zeros(E)
        tags, vocab = idx.tag_csr, idx.tag_vocab
        if tags.shape[1]:
            sel = np.asarray([v in QUALITY_TAG_SET for v in vocab.tolist()], dtype=np.float64)
            qual = np.asarray(tags @ sel).ravel()
        st = np.empty((E, len(STATIC)), dtype=np.float32)
        st[:, 0] = np.log1p(np.maximum(self.raw_financing, 0) / 1000.0)
        st[:, 1] = np.log1p(np.maximum(self.raw_branches, 0))
        st[:, 2] = np.clip(self.raw_growth, -0.5, 1.0)
        st[:, 3] = np.log1p(np.maximum(self.raw_patents, 0)) / 3.0
        st[:, 4] = size / 3.0
        st[:, 5] = np.minimum(qual, 3.0)
        self.static = st

    # ------------------------------------------------------------------------------------------ lookups
    def macro_name(self, code: int) -> str | None:
        return str(self.macro_vocab[code]) if 0 <= code < len(self.macro_vocab) else None

    # ------------------------------------------------------------------------------------------ names (kernel.resolve)
    def _resolve(self, param: str, find: Callable[[], int]) -> int:
        """One of the kernel resolver's lookups, its refusal restated as the TargetError naming the parameter."""
        try:
            return int(find())
        except ChainMatchError as e:
            raise TargetError(param, f"参数 {param}：{e.message}", status=e.status, candidates=e.candidates) from None

    def resolve_region(self, text: str | None, *, param: str = "region") -> int:
        """A Region index from a key or name (a park resolves to its region)."""
        if text is None or not str(text).strip():
            raise TargetError(param, "请指定行政区（region，GB/T 2260 代码或名称）", status=422)
        return self._resolve(param, lambda: resolver(self.snap).region(text, param=param))

    def resolve_chain(self, text: str, *, param: str = "chain") -> int:
        return self._resolve(param, lambda: resolver(self.snap).chain(text, param=param))

    def resolve_segment(self, text: str, chain: int | None, *, param: str = "segment") -> int:
        return self._resolve(param, lambda: resolver(self.snap).segment(text, chain=chain, param=param))

    def resolve_enterprise(self, key: str, *, param: str = "id") -> int:
        return self._resolve(param, lambda: resolver(self.snap).enterprise(key, param=param))

    def resolve_fund(self, key: str, *, param: str = "id") -> int:
        return self._resolve(param, lambda: resolver(self.snap).fund(key, param=param))

    # ------------------------------------------------------------------------------------------ region state
    def region_state(self, r: int, anchors: Sequence[int] = ()) -> RegionState:
        key = (int(r), tuple(sorted(int(a) for a in anchors)))
        with self._lock:
            st = self._regions.get(key)
            if st is not None:
                self._regions.move_to_end(key)
                return st
        st = self._build_region(int(r), key[1])
        with self._lock:
            self._regions[key] = st
            while len(self._regions) > self.config.region_cache:
                self._regions.popitem(last=False)
        return st

    def _build_region(self, r: int, anchors: tuple[int, ...]) -> RegionState:
        idx, E = self.idx, self.E
        inside = idx.region_descendants(r)
        local = np.zeros(E, dtype=bool)
        if E:
            fr = idx.firm_region
            local = (fr >= 0) & inside[np.maximum(fr, 0)]
            parks_in = np.zeros(len(idx.park_keys))
            pr = idx.park_region
            if len(pr):
                parks_in[(pr >= 0) & inside[np.maximum(pr, 0)]] = 1.0
                if idx.e2p.nnz:
                    local |= np.asarray(idx.e2p @ parks_in).ravel() > 0
        leader_mask = self.leader_any & local
        if anchors:
            leader_mask = leader_mask.copy()
            leader_mask[list(anchors)] = True
        leaders = np.flatnonzero(leader_mask)
        Lv = leader_mask.astype(np.float64)
        loc = local.astype(np.float64)
        reg = np.zeros((E, len(REGIONAL)), dtype=np.float32)
        tier1 = np.zeros(E, dtype=bool)
        if E:
            sup_to = self.S @ Lv  # local 链主 this firm supplies
            buy_from = self.ST @ Lv  # local 链主 this firm buys from
            tier1 = (sup_to > 0) & ~leader_mask
            tier2 = np.where((sup_to > 0) | leader_mask, 0.0, self.S @ tier1.astype(np.float64))
            ties = self.S @ loc + self.ST @ loc
            reg[:, 0] = np.log1p(sup_to + buy_from)
            reg[:, 1] = np.log1p(tier2)
            reg[:, 2] = np.log1p(np.maximum(ties - sup_to - buy_from, 0.0))
        NF = len(self.fund_keys)
        local_funds = np.zeros(NF, dtype=bool)
        partner = np.zeros(NF, dtype=bool)
        if NF:
            fr = self.fund_region
            local_funds = (fr >= 0) & inside[np.maximum(fr, 0)]
            partner = ~local_funds & (np.asarray(self.IF @ loc).ravel() > 0)
            if E:
                reg[:, 3] = np.log1p(self.IFT @ local_funds.astype(np.float64))
                reg[:, 4] = np.log1p(self.IFT @ partner.astype(np.float64))
        lat, lon = float(self.region_lat[r]), float(self.region_lon[r])
        if math.isnan(lat) and local.any():
            ok = local & ~np.isnan(self.firm_lat)
            if ok.any():
                lat, lon = float(self.firm_lat[ok].mean()), float(self.firm_lon[ok].mean())
        dist = np.full(E, np.nan, dtype=np.float32)
        if E and not math.isnan(lat):
            dist = distance_km(self.firm_lat, self.firm_lon, lat, lon).astype(np.float32)
        reg[:, 5] = 1.0 / (1.0 + dist / PROXIMITY_KM)  # NaN where unknown: neutral at scoring time
        macro = int(self.region_macro[r])
        if E:
            reg[:, 6] = (self.firm_macro == macro) & (macro >= 0)
            reg[:, 7] = np.isin(self.firm_macro, self.hub_codes) & (self.firm_macro != macro)
        # parks of the region and the first (by key) hosting each chain
        P = len(idx.park_keys)
        parks = np.flatnonzero((idx.park_region >= 0) & inside[np.maximum(idx.park_region, 0)]) if P else np.zeros(0, np.int64)
        C = len(idx.chain_keys)
        chain_park = np.full(C, -1, dtype=np.int64)
        if len(parks) and C:
            hosts = idx.hosts.tocsr()
            for p in sorted(parks.tolist(), key=lambda p: str(idx.park_keys[p]), reverse=True):
                chain_park[hosts.indices[hosts.indptr[p]:hosts.indptr[p + 1]]] = p
        level = idx.region_level[r]
        return RegionState(r=r, key=str(idx.region_keys[r]), name=str(idx.region_names[r]), level=level, macro=macro,
                           lat=lat, lon=lon, inside=inside, local=local, leaders=leaders, leader_mask=leader_mask,
                           tier1=tier1, local_funds=local_funds, partner_funds=partner, reg=reg, distance_km=dist,
                           parks=parks, chain_park=chain_park,
                           need=np.full(idx.n_segments, np.nan))

    def chain_map(self, st: RegionState, c: int) -> ChainMap:
        """The chain analysis of chain c for the region (cached in the region state)."""
        with self._lock:
            cm = st.cmaps.get(c)
        if cm is not None:
            return cm
        cm = analyse_chain(self.snap, chain=str(self.idx.chain_keys[c]), region=st.key)
        sidx = {k: i for i, k in enumerate(self.idx.seg_keys.tolist())}
        with self._lock:
            for seg in cm.segments:
                s = sidx[seg.key]
                st.need[s] = NEED_VALUE[seg.klass]
                st.seg_class[s] = seg.klass
                st.seg_local_count[s] = seg.local_count
            for mv in cm.moves:
                if not mv.cross_chain:
                    st.seg_moves.setdefault(sidx[mv.segment], [])
                    if mv.kind not in st.seg_moves[sidx[mv.segment]]:
                        st.seg_moves[sidx[mv.segment]].append(mv.kind)
            st.cmaps[c] = cm
        return cm

    def _ensure_chains(self, st: RegionState, segs: Iterable[int]) -> None:
        chains = {int(self.idx.seg_chain[s]) for s in segs if self.idx.seg_chain[s] >= 0}
        for c in sorted(chains):
            self.chain_map(st, c)

    # ------------------------------------------------------------------------------------------ features
    def features(self, st: RegionState, cand: np.ndarray, fit: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """The feature matrix (len(cand) × FEATURES) of candidates for their target segment `seg`."""
        n = len(cand)
        X = np.empty((n, len(FEATURES)), dtype=np.float64)
        X[:, F["segment_fit"]] = fit
        if n:
            need = st.need[seg] if st.need is not None else np.full(n, np.nan)
            X[:, F["need"]] = np.nan_to_num(need, nan=0.0)
            sc = self.idx.seg_chain[seg]
            X[:, F["park_fit"]] = (sc >= 0) & (st.chain_park[np.maximum(sc, 0)] >= 0)
            X[:, STATIC_COLS] = self.static[cand]
            X[:, REGIONAL_COLS] = st.reg[cand]
        return X

    def score(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, standardised values with unknowns set to 0) for a feature matrix."""
        w = self.weights
        Z = (X - w.mean) / w.std
        np.nan_to_num(Z, copy=False, nan=0.0)
        return Z @ w.w, Z

    # ------------------------------------------------------------------------------------------ learning
    def _learn_weights(self) -> Weights:
        snap, idx, cfg = self.snap, self.idx, self.config
        NP = snap.n("Project")
        empty = np.zeros((0, len(FEATURES)))
        if NP == 0 or self.E == 0:
            return learn(empty, np.zeros(0), projects=0, positives=0, config=cfg)
        codes, vocab = snap.categorical("Project", "stage")
        stage_of = np.asarray([PROJECT_STAGES.index(v) if v in PROJECT_STAGES else -1 for v in vocab.tolist()] + [-1])
        stage = stage_of[np.where(codes >= 0, codes, len(vocab))]
        investor = first_index(snap.relation("PROPOSES", "Enterprise", "Project").T)
        region = first_index(snap.relation("LOCATED_IN", "Project", "Region"))
        park = first_index(snap.relation("LOCATED_IN", "Project", "Park"))
        has_park = (region < 0) & (park >= 0)
        region[has_park] = idx.park_region[park[has_park]]
        seg = first_index(snap.relation("TARGETS", "Project", "Segment"))
        chain = first_index(snap.relation("TARGETS", "Project", "IndustryChain"))
        city = idx.region_ancestor["city"]
        rows_X, rows_y = [], []
        rng = np.random.default_rng(cfg.random_state)
        ok = (investor >= 0) & (region >= 0) & (stage >= 0)
        # the project's segment; else the investor's heaviest segment in the project's chain; else its heaviest
        for p in np.flatnonzero(ok & (seg < 0)).tolist():
            row = self.mem_csr
            lo, hi = row.indptr[investor[p]], row.indptr[investor[p] + 1]
            ss, ww = row.indices[lo:hi], row.data[lo:hi]
            if chain[p] >= 0:
                inch = idx.seg_chain[ss] == chain[p]
                if inch.any():
                    ss, ww = ss[inch], ww[inch]
            if len(ss):
                seg[p] = ss[np.argmax(ww)]
        ok &= seg >= 0
        scope = np.where(ok, np.where(city[np.maximum(region, 0)] >= 0, city[np.maximum(region, 0)], region), -1)
        investors = np.zeros(self.E, dtype=bool)
        investors[investor[investor >= 0]] = True
        n_projects = n_pos = 0
        for r in np.unique(scope[scope >= 0]).tolist():
            st = self.region_state(r)
            ps = np.flatnonzero((scope == r) & ~st.local[np.maximum(investor, 0)])
            if not len(ps):
                continue
            inv, sg = investor[ps], seg[ps]
            self._ensure_chains(st, sg.tolist())
            fit = np.asarray(self.fit_csr[inv, sg]).ravel()
            rows_X.append(self.features(st, inv, fit, sg))
            y = (stage[ps] >= LANDED_FROM).astype(np.int64)
            rows_y.append(y)
            n_projects += len(ps)
            n_pos += int(y.sum())
            if cfg.negatives_per_project:
                neg_c, neg_s = [], []
                for s, count in zip(*np.unique(sg, return_counts=True)):
                    col = self.fit.indices[self.fit.indptr[s]:self.fit.indptr[s + 1]]
                    pool = col[~st.local[col] & ~investors[col]]
                    m = min(len(pool), int(count) * cfg.negatives_per_project)
                    if m:
                        neg_c.append(np.sort(rng.choice(pool, size=m, replace=False)))
                        neg_s.append(np.full(m, s))
                if neg_c:
                    nc, ns = np.concatenate(neg_c), np.concatenate(neg_s)
                    nfit = np.asarray(self.fit_csr[nc, ns]).ravel()
                    rows_X.append(self.features(st, nc, nfit, ns))
                    rows_y.append(np.zeros(len(nc), np.int64))
        X = np.vstack(rows_X) if rows_X else empty
        y = np.concatenate(rows_y) if rows_y else np.zeros(0, np.int64)
        return learn(X, y, projects=n_projects, positives=n_pos, config=cfg)

    def weights_out(self) -> WeightsOut:
        w = self.weights
        return WeightsOut(source=w.source, projects=w.projects, positives=w.positives, negatives=w.negatives,
                          min_positives=self.config.min_positives, auc=None if w.auc is None else round(w.auc, 3),
                          values=w.as_dict(), note=w.note)

    # ------------------------------------------------------------------------------------------ candidates
    def candidates_for(self, segs: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firms, their best segment among `segs`, its fit) for every firm with a positive fit to one of them."""
        fit = self.fit
        parts_r, parts_s, parts_v = [], [], []
        for s in segs:
            lo, hi = fit.indptr[s], fit.indptr[s + 1]
            parts_r.append(fit.indices[lo:hi])
            parts_v.append(fit.data[lo:hi])
            parts_s.append(np.full(hi - lo, s, dtype=np.int64))
        if not parts_r:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0)
        rows, ss, vals = np.concatenate(parts_r), np.concatenate(parts_s), np.concatenate(parts_v)
        if len(segs) == 1:
            keep = vals > 0
            return rows[keep].astype(np.int64), ss[keep], vals[keep]
        order = np.lexsort((-vals, rows))
        rows, ss, vals = rows[order], ss[order], vals[order]
        first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
        keep = first & (vals > 0)
        return rows[keep].astype(np.int64), ss[keep], vals[keep]

    def best_segment(self, firms: np.ndarray, segs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For given firms: (best segment among `segs` or the firm's heaviest segment when it fits none, fit)."""
        n = len(firms)
        best = np.full(n, -1, dtype=np.int64)
        val = np.zeros(n)
        segset = np.asarray(sorted(set(int(s) for s in segs)), dtype=np.int64)
        fc = self.fit_csr
        for i, e in enumerate(firms.tolist()):
            lo, hi = fc.indptr[e], fc.indptr[e + 1]
            ss, vv = fc.indices[lo:hi], fc.data[lo:hi]
            if not len(ss):
                continue
            inn = np.isin(ss, segset)
            if inn.any():
                j = np.flatnonzero(inn)[np.argmax(vv[inn])]
                best[i], val[i] = ss[j], vv[j]
            else:
                best[i] = ss[np.argmax(vv)]
        return best, val

    # ------------------------------------------------------------------------------------------ ranking core
    def fast_scores(self, st: RegionState, cand: np.ndarray, fit: np.ndarray,
                    seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, which features vary among the candidates) without materialising the full feature matrix: two
        row gathers (static and regional blocks) and small mat-vecs with w/σ; unknown proximity scores as its centre."""
        w = self.weights
        ws = w.scaled
        Sc = self.static[cand]
        Rc = st.reg[cand]
        j_prox = REGIONAL.index("proximity")
        miss = np.isnan(Rc[:, j_prox])
        if miss.any():
            Rc[miss, j_prox] = w.mean[F["proximity"]]
        segq = np.maximum(seg, 0)
        need = np.where(seg >= 0, np.nan_to_num(st.need[segq], nan=0.0), 0.0)
        sc = self.idx.seg_chain[segq]
        park = ((seg >= 0) & (sc >= 0) & (st.chain_park[np.maximum(sc, 0)] >= 0)).astype(np.float64)
        score = (fit * ws[F["segment_fit"]] + need * ws[F["need"]] + park * ws[F["park_fit"]]
                 + Sc @ ws[STATIC_COLS].astype(np.float32) + Rc @ ws[REGIONAL_COLS].astype(np.float32)) - w.offset
        varies = np.zeros(len(FEATURES), dtype=bool)
        if len(cand):
            for j, col in ((F["segment_fit"], fit), (F["need"], need), (F["park_fit"], park)):
                varies[j] = col.max() - col.min() > 1e-9
            varies[STATIC_COLS] = (Sc.max(axis=0) - Sc.min(axis=0)) > 1e-9
            varies[REGIONAL_COLS] = (Rc.max(axis=0) - Rc.min(axis=0)) > 1e-9
        return np.asarray(score, dtype=np.float64), varies

    def rank(self, st: RegionState, cand: np.ndarray, seg: np.ndarray, fit: np.ndarray, k: int,
             *, reason_ctx: rs.ReasonContext | None = None) -> tuple[list[TargetItem], int]:
        """Drop local firms, score, keep the top k (ties by firm key order), explain them. Returns (items, n)."""
        keep = ~st.local[cand] if len(cand) else np.zeros(0, bool)
        cand, seg, fit = cand[keep], seg[keep], fit[keep]
        n = len(cand)
        if n == 0:
            return [], 0
        score, varies = self.fast_scores(st, cand, fit, seg)
        kk = min(k, n)
        top = np.argpartition(-score, kk - 1)[:kk] if kk < n else np.arange(n)
        top = top[np.lexsort((cand[top], -score[top]))]
        # the full feature rows and contributions for the listed firms only
        segq = np.maximum(seg[top], 0)
        X = self.features(st, cand[top], fit[top], segq)
        X[seg[top] < 0, F["need"]] = 0.0
        X[seg[top] < 0, F["park_fit"]] = 0.0
        total, Z = self.score(X)
        ctx = reason_ctx or rs.ReasonContext()
        w = self.weights.w
        items = []
        for i, j in enumerate(top.tolist()):
            items.append(self._item(st, i + 1, int(cand[j]), int(seg[j]), float(total[i]), X[i], Z[i] * w, ctx,
                                    varies))
        return items, n

    def _item(self, st: RegionState, rank: int, e: int, s: int, score: float, x: np.ndarray, contrib: np.ndarray,
              ctx: rs.ReasonContext, varies: np.ndarray) -> TargetItem:
        idx = self.idx
        r = int(idx.firm_region[e])
        tags = idx.tag_csr
        tag_list = [str(idx.tag_vocab[j]) for j in sorted(tags.indices[tags.indptr[e]:tags.indptr[e + 1]].tolist())] \
            if tags.shape[1] else []
        size = int(idx.firm_size[e])
        c = int(idx.seg_chain[s]) if s >= 0 else -1
        inferred = s >= 0 and self.inferred.nnz and self._is_inferred(e, s)
        d = float(st.distance_km[e])
        return TargetItem(
            rank=rank, enterprise=str(idx.firm_keys[e]), name=str(idx.firm_names[e]), score=round(score, 4),
            reasons=rs.reasons(self, st, e, s, x, contrib, ctx, inferred=bool(inferred), varies=varies),
            contributions={f: round(float(v), 4) for f, v in zip(FEATURES, contrib)},
            segment=str(idx.seg_keys[s]) if s >= 0 else None, segment_name=str(idx.seg_names[s]) if s >= 0 else None,
            chain=str(idx.chain_keys[c]) if c >= 0 else None, chain_name=str(idx.chain_names[c]) if c >= 0 else None,
            fit_source="none" if x[F["segment_fit"]] <= 0 else ("model" if inferred else "member"),
            region=str(idx.region_keys[r]) if r >= 0 else None, region_name=str(idx.region_names[r]) if r >= 0 else None,
            macro_region=self.macro_name(int(self.firm_macro[e])), distance_km=None if math.isnan(d) else round(d, 1),
            size=SIZES[size] if size >= 0 else None, tags=tag_list, synthetic=bool(idx.firm_synthetic[e]))

    def _is_inferred(self, e: int, s: int) -> bool:
        m = self.inferred
        col = m.indices[m.indptr[s]:m.indptr[s + 1]]
        pos = np.searchsorted(col, e)
        return bool(pos < len(col) and col[pos] == e)

    # ------------------------------------------------------------------------------------------ helpers for views
    def segment_choice(self, st: RegionState, s: int) -> SegmentChoice:
        idx = self.idx
        c = int(idx.seg_chain[s])
        return SegmentChoice(key=str(idx.seg_keys[s]), name=str(idx.seg_names[s]),
                             chain=str(idx.chain_keys[c]) if c >= 0 else "",
                             chain_name=str(idx.chain_names[c]) if c >= 0 else "",
                             klass=st.seg_class.get(s), moves=list(st.seg_moves.get(s, [])))

    def default_segments(self, st: RegionState, c: int) -> tuple[list[int], str]:
        """The segments to recruit for when only a chain is given: the in-chain 补链/强链/延链 segments of the gap
        analysis (in that order), else its 空白/薄弱 segments, else all of its segments."""
        cm = self.chain_map(st, c)
        sidx = {k: i for i, k in enumerate(self.idx.seg_keys.tolist())}
        chosen: list[int] = []
        for kind in (FILL, STRENGTHEN, EXTEND):
            for mv in cm.moves_of(kind):
                s = sidx[mv.segment]
                if not mv.cross_chain and s not in chosen:
                    chosen.append(s)
        if chosen:
            return chosen, "未指定环节：按本地产业链诊断的补链/强链/延链环节"
        chosen = [sidx[s.key] for s in cm.segments if s.klass != STRONG]
        if chosen:
            return chosen, "未指定环节：本地无补链/强链/延链建议，取本链空白与薄弱环节"
        return [sidx[s.key] for s in cm.segments], "未指定环节：本链各环节本地均为优势，取全部环节"

    def result(self, *, view: str, st: RegionState, chain: int | None, anchor: Ref | None, segs: Sequence[int],
               choice: str, k: int, items: list[TargetItem], n: int, excluded: int,
               notes: list[str] | None = None) -> TargetList:
        idx = self.idx
        notes = list(notes or [])
        if any(it.synthetic for it in items):
            notes.append("结果含合成示例企业（synthetic），仅供演示，不代表真实企业")
        return TargetList(
            view=view, region=st.ref(self),  # type: ignore[arg-type]
            chain=Ref(key=str(idx.chain_keys[chain]), name=str(idx.chain_names[chain])) if chain is not None else None,
            anchor=anchor, segments=[self.segment_choice(st, s) for s in segs], segment_choice=choice, k=k,
            candidates=n, excluded_local=excluded, weights=self.weights_out(), segment_fit_note=self.fit_note,
            items=items, notes=notes, synthetic=any(it.synthetic for it in items))


def check_k(k: int) -> int:
    if not isinstance(k, int) or k < 1 or k > MAX_K:
        raise TargetError("k", f"参数 k：应为 1–{MAX_K} 的整数，收到 {k!r}", status=422)
    return k


def _excluded(st: RegionState, cand: np.ndarray) -> int:
    return int(st.local[cand].sum()) if len(cand) else 0


# ---------------------------------------------------------------------------------------------- public views
def rank_targets(snap: Snapshot, *, region: str, chain: str | None = None, segment: str | None = None, k: int = 20,
                 config: TargetConfig | None = None) -> TargetList:
    """Attractability ranking for (region, chain[, segment]): enterprises outside the region, best first."""
    eng = TargetEngine.of(snap, config)
    check_k(k)
    r = eng.resolve_region(region)
    if chain is None and segment is None:
        raise TargetError("chain", "请指定产业链（chain）或环节（segment）", status=422)
    c = eng.resolve_chain(chain) if chain is not None else None
    st = eng.region_state(r)
    if segment is not None:
        s = eng.resolve_segment(segment, c)
        c = int(eng.idx.seg_chain[s]) if c is None else c
        segs, choice = [s], "指定环节"
    else:
        assert c is not None
        segs, choice = eng.default_segments(st, c)
    eng._ensure_chains(st, segs)
    cand, seg, fit = eng.candidates_for(segs)
    items, n = eng.rank(st, cand, seg, fit, k)
    notes = []
    if not n:
        notes.append("本地以外没有该环节的企业可推荐")
    return eng.result(view="region", st=st, chain=c, anchor=None, segs=segs, choice=choice, k=k, items=items, n=n,
                      excluded=_excluded(st, cand), notes=notes)


def targets_by_segment(snap: Snapshot, *, region: str, chain: str, segments: Sequence[str] | None = None,
                       k: int = 5, config: TargetConfig | None = None) -> dict[str, list[TargetItem]]:
    """The top k targets of each segment of a chain (default: all of them) for a region — what a chain map shows
    in each segment's panel. Region, chain and the region's state are resolved once for all segments."""
    eng = TargetEngine.of(snap, config)
    check_k(k)
    st = eng.region_state(eng.resolve_region(region))
    c = eng.resolve_chain(chain)
    segs = ([eng.resolve_segment(s, c) for s in segments] if segments is not None
            else [int(s) for s in eng.idx.chain_segments(c)])
    eng._ensure_chains(st, segs)
    out: dict[str, list[TargetItem]] = {}
    for s in segs:
        items, _ = eng.rank(st, *eng.candidates_for([s]), k)
        out[str(eng.idx.seg_keys[s])] = items
    return out


def rank_leader_targets(snap: Snapshot, *, leader: str, region: str | None = None, k: int = 20,
                        config: TargetConfig | None = None) -> TargetList:
    """链主 view: its suppliers and customers (and second-tier suppliers) not yet in the region.

    `region` defaults to the 链主's own city (its region's city-level ancestor). The 链主 counts as an anchor of
    the region's 链主 ties even when located elsewhere (以商引商: bring its partners to where we are)."""
    eng = TargetEngine.of(snap, config)
    check_k(k)
    idx = eng.idx
    e = eng.resolve_enterprise(leader)
    if not eng.leader_any[e]:
        raise TargetError("id", f"参数 id：企业 {idx.firm_names[e]}（{leader}）未登记为链主（无 LEADS 关系）", status=404)
    if region is None:
        fr = int(idx.firm_region[e])
        if fr < 0:
            raise TargetError("region", f"链主 {idx.firm_names[e]} 没有所在行政区，请指定 region", status=422)
        city = int(idx.region_ancestor["city"][fr])
        r = city if city >= 0 else fr
    else:
        r = eng.resolve_region(region)
    st = eng.region_state(r, anchors=(e,))
    chains = eng.leads.indices[eng.leads.indptr[e]:eng.leads.indptr[e + 1]]
    segs = [int(s) for c in chains.tolist() for s in idx.chain_segments(c).tolist()]
    eng._ensure_chains(st, segs)
    s_row = eng.S.indices[eng.S.indptr[e]:eng.S.indptr[e + 1]]  # its customers
    st_row = eng.ST.indices[eng.ST.indptr[e]:eng.ST.indptr[e + 1]]  # its suppliers
    tier2 = np.unique(np.concatenate([eng.ST.indices[eng.ST.indptr[x]:eng.ST.indptr[x + 1]] for x in st_row.tolist()]
                                     or [np.zeros(0, np.int32)]))
    cand = np.unique(np.concatenate([s_row, st_row, tier2]).astype(np.int64))
    cand = cand[cand != e]
    best, fit = eng.best_segment(cand, segs)
    items, n = eng.rank(st, cand, best, fit, k, reason_ctx=rs.ReasonContext(anchor_leader=e))
    chain_ref = int(chains[0]) if len(chains) else None
    return eng.result(view="leader", st=st, chain=chain_ref, anchor=Ref(key=str(idx.firm_keys[e]), name=str(idx.firm_names[e])),
                      segs=sorted(set(segs)), choice=f"链主所在产业链（{'、'.join(str(idx.chain_names[c]) for c in chains.tolist())}）的全部环节",
                      k=k, items=items, n=n, excluded=_excluded(st, cand),
                      notes=[] if n else ["该链主的供应商、客户（含二级供应商）均已在本地，或尚无供需关系记录"])


def rank_fund_targets(snap: Snapshot, *, fund: str, region: str, k: int = 20,
                      config: TargetConfig | None = None) -> TargetList:
    """Fund view (以投促引): the fund's portfolio firms outside the region that fit the region's chains — the fund's
    focus chains and the chains the region's parks lead (all chains if neither is known), gaps first."""
    eng = TargetEngine.of(snap, config)
    check_k(k)
    idx = eng.idx
    f = eng.resolve_fund(fund)
    r = eng.resolve_region(region)
    st = eng.region_state(r)
    focus = set(eng.fund_focus.indices[eng.fund_focus.indptr[f]:eng.fund_focus.indptr[f + 1]].tolist())
    park_chains = set(np.flatnonzero(st.chain_park >= 0).tolist())
    chains = sorted(focus | park_chains) or list(range(len(idx.chain_keys)))
    segs = [int(s) for c in chains for s in idx.chain_segments(c).tolist()]
    eng._ensure_chains(st, segs)
    portfolio = eng.IF.indices[eng.IF.indptr[f]:eng.IF.indptr[f + 1]].astype(np.int64)
    best, fit = eng.best_segment(portfolio, segs)
    fits = fit > 0
    notes = []
    if (~fits).sum():
        notes.append(f"组合中 {int((~fits).sum())} 家企业不属于相关产业链（基金关注链与本地园区主导链）的任何环节，未列入")
    items, n = eng.rank(st, portfolio[fits], best[fits], fit[fits], k,
                        reason_ctx=rs.ReasonContext(anchor_fund=f))
    if not len(portfolio):
        notes.append("该基金没有已登记的投资组合（INVESTED_IN）")
    names = "、".join(str(idx.chain_names[c]) for c in chains)
    return eng.result(view="fund", st=st, chain=None, anchor=Ref(key=str(eng.fund_keys[f]), name=str(eng.fund_names[f])),
                      segs=sorted(set(segs)), choice=f"基金关注产业链与本地园区主导产业链（{names}）的全部环节", k=k,
                      items=items, n=n, excluded=_excluded(st, portfolio), notes=notes)


def rank_parcel_targets(snap: Snapshot, *, parcel: str, chains: Sequence[str], region: str | None, k: int = 20,
                        config: TargetConfig | None = None) -> TargetList:
    """Parcel view: enterprises outside the parcel's region fitting the chains the parcel admits (产业准入) or its
    park leads — for each chain the segments of the gap analysis (as when only a chain is given)."""
    eng = TargetEngine.of(snap, config)
    check_k(k)
    idx = eng.idx
    j = snap.index_of("LandParcel", parcel) if snap.n("LandParcel") else -1
    if j < 0:
        raise TargetError("key", f"地块 {parcel!r} 不存在")
    if region is None:
        raise TargetError("region", f"地块 {parcel} 没有所在行政区，无法判断哪些企业已在本地", status=422)
    r = eng.resolve_region(region)
    st = eng.region_state(r)
    cidx = [eng.resolve_chain(c, param="chains") for c in chains] or list(range(len(idx.chain_keys)))
    segs: list[int] = []
    for c in cidx:
        for s in eng.default_segments(st, c)[0]:
            if s not in segs:
                segs.append(s)
    eng._ensure_chains(st, segs)
    cand, seg, fit = eng.candidates_for(segs)
    items, n = eng.rank(st, cand, seg, fit, k)
    pname = str(snap.labels["LandParcel"].names[j])
    return eng.result(view="parcel", st=st, chain=cidx[0] if len(cidx) == 1 else None,
                      anchor=Ref(key=parcel, name=pname), segs=segs,
                      choice=("地块产业准入/园区主导产业链" if chains else "地块不限产业：全部产业链") + "的补链/强链/延链环节",
                      k=k, items=items, n=n, excluded=_excluded(st, cand))


class TargetRecommender:
    """The land matcher's extension point (land.matching.EnterpriseRecommender): parcel → candidate firms."""

    def __init__(self, config: TargetConfig | None = None):
        self.config = config

    def recommend_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                             limit: int) -> list[dict[str, Any]]:
        out = rank_parcel_targets(snapshot, parcel=parcel, chains=chains, region=region, k=limit, config=self.config)
        return [it.model_dump() for it in out.items]

    def targets_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                           limit: int) -> TargetList:
        return rank_parcel_targets(snapshot, parcel=parcel, chains=chains, region=region, k=limit, config=self.config)
