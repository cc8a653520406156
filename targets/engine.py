"""The target-enterprise engine (招商目标推荐): per-snapshot state, per-region state, one scoring core.

Built once per (snapshot, TargetConfig) — `TargetEngine.of(snap)`; a new store version gives a new Snapshot
object and so a new engine. What is precomputed:

  * per firm (E rows): the static features (financing, branches, growth, patents, size, quality) as an E×6
    float32 block, coordinates (own, else its region's, else the parent region's), economic zone (Region
    .macro_region of its region or an ancestor);
  * segment fit E×S (CSC: one column per segment = the candidates of that segment), see membership_fit.py;
  * CSR adjacency: SUPPLIES and its transpose, INVESTED_IN and its transpose, LEADS;
  * the weights (learned from project history or the defaults, model.py).

The parts: region.py (per-region state), scoring.py (candidates, scores, top k, items), training.py (weights
from the project history), views.py (the public views), reasons.py (the Chinese reasons).

Per region (LRU of `region_cache` regions): which firms are local (the region and every descendant region, and
firms located in a park of the region), the local 链主 (of any chain), the region-dependent feature block E×8
(ties to local 链主, second-tier supply, other local ties, local and partner funds, proximity, same zone, source
hub) — a handful of sparse mat-vecs over the whole graph — and, per chain on demand, the chain gap analysis
(chains.analyse_chain: 优势/薄弱/空白, 补链/强链/延链).

A warm query is then: one CSC column slice per target segment (the candidates), a gather of their feature rows,
a mat-vec with w/σ, argpartition for the top k, and reasons for those k only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Iterable, Sequence

import numpy as np

from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.errors import ChainMatchError
from kernel.resolve import resolver
from kernel.sparse import first_index
from chains import EXTEND, FILL, STRENGTHEN, STRONG, ChainIndex, ChainMap, analyse_chain, binary
from targets.membership_fit import segment_fit
from targets.model import QUALITY_TAG_SET, SOURCE_HUBS, TargetConfig
from targets.region import NEED_VALUE, STATIC, RegionState, build_region_state
from targets.results import Ref, SegmentChoice, TargetError, TargetItem, TargetList, WeightsOut
from targets.scoring import ScoringMixin
from targets.training import learn_from_projects

class TargetEngine(ScoringMixin):
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
        self.weights = learn_from_projects(self)

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
        return build_region_state(self, r, anchors)

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
    def weights_out(self) -> WeightsOut:
        w = self.weights
        return WeightsOut(source=w.source, projects=w.projects, positives=w.positives, negatives=w.negatives,
                          min_positives=self.config.min_positives, auc=None if w.auc is None else round(w.auc, 3),
                          values=w.as_dict(), note=w.note, sign_check=w.sign_check, inverted=list(w.inverted),
                          unconstrained=w.unconstrained)

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


