"""Chain gap analysis (产业链诊断): where a region is strong in a chain, where the gaps are, what to recruit.

Everything is computed on the analytic snapshot's arrays (CSR adjacency, feature columns); no store backend is
imported and no per-firm Python loop runs (only loops over a chain's ≤ ~20 segments or over the few firms a page
lists).

Scope. `region` is a Region key or name (a province/city/county includes every descendant region through
LOCATED_IN Region→Region) or a Park key or name (firms with LOCATED_IN Enterprise→Park; when the dataset has no
such link at all, the park's own region is used instead and the result says so in `scope.note`).

Measure, per segment s (all segments of all chains, so cross-chain links can be judged the same way):
  strength  S_r(s) = Σ over firms f in scope r and in segment s of  m(f,s) · w(f)
            m = the IN_SEGMENT weight (share of the firm's business, 1 when unknown),
            w = size weight: 微型 0.5 · 小型 1 · 中型 3 · 大型 9 (configurable). A firm without `size` is sized by
                营业收入 (≥ 40000 / 2000 / 300 万元 = 大/中/小, else 微), else by 从业人员 (≥ 1000 / 300 / 20), after
                国家统计局《统计上大中小微型企业划分办法（2017）》 for industry; if neither is known, weight 1.
  national  S(s) = the same sum over every firm in the graph.
  区位熵 (location quotient)  LQ_r(s) = (S_r(s) / Σ_t S_r(t)) / (S(s) / Σ_t S(t)):
            the region's share of its own (graph-wide) industrial strength that is in s, over the national
            share. LQ > 1 = more specialised in s than the country. `lq_basis="count"` uses firm counts instead.
Classification (thresholds in AnalysisConfig):
  空白 gap     local firm count ≤ gap_max_count (default 0)
  优势 strong  LQ ≥ strong_lq (1.25) and count ≥ strong_min_count (3);
               or (leader_strong) a local 链主 of the chain is in the segment and LQ ≥ 1
  薄弱 weak    every other segment with local firms
Main path (主干): search path count (SPC, Hummon & Doreian 1989 main path analysis) on the chain's own UPSTREAM_OF
  DAG: share(s) = (#source→s paths · #s→sink paths) / #source→sink paths. A segment is on the main path if
  share ≥ main_path_min_share (0.2) or it lies on the global main path (the source→sink route with the largest
  total share).
Moves:
  补链 fill        空白 segments of the chain on its main path (priority = SPC share; locally strong direct
                   neighbours, any chain, are named as what the newcomer can build on)
  强链 strengthen  薄弱 segments of the chain adjacent (UPSTREAM_OF either way, inside the chain) to an 优势 one
  延链 extend      segments directly up- or downstream of a local 优势 segment, across chains too (one end in this
                   chain), that are not 优势 themselves and not already 补链/强链
Context segments (drawn on the map next to the chain): other-chain 延链 targets and locally strong other-chain
segments directly up- or downstream of the chain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from graph.schema import SIZES
from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.errors import LookupFailed
from kernel.resolve import resolver
from kernel.sparse import first_index

STRONG, WEAK, GAP = "优势", "薄弱", "空白"
FILL, STRENGTHEN, EXTEND = "补链", "强链", "延链"
CLASSES = (STRONG, WEAK, GAP)
MOVES = (FILL, STRENGTHEN, EXTEND)
QUALITY_TAGS = ("专精特新", "高新技术", "上市")
# A 专精特新"小巨人" is a (national-level) 专精特新 firm: counted under 专精特新 too.
TAG_INCLUDES = {"专精特新": ("专精特新", "小巨人")}
STREAM_ORDER = {"上游": 0, "中游": 1, "下游": 2}
LEVEL_NAMES = {"province": "省级", "city": "市级", "county": "县级"}
# 统计上大中小微型企业划分办法（2017）, 工业: 营业收入 (万元) and 从业人员 lower bounds for 大/中/小型.
REVENUE_BOUNDS_WAN = (40000.0, 2000.0, 300.0)
EMPLOYEE_BOUNDS = (1000.0, 300.0, 20.0)
MEASURE = ("区位熵 LQ = (本地该环节规模加权强度 / 本地全部环节强度) ÷ (全国该环节强度 / 全国全部环节强度)；"
           "强度 = Σ 企业环节权重 × 规模权重（微型0.5、小型1、中型3、大型9）")


# A chain, region, park or segment that cannot be resolved (404, or 422 when ambiguous; `.ambiguous`, `candidates`).
ChainLookupError = LookupFailed


# ------------------------------------------------------------------------------------------- configuration
class AnalysisConfig(BaseModel):
    """Thresholds of the classification and the strength measure (all documented in docs/chain-analysis.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strong_lq: float = Field(default=1.25, gt=0, description="优势：区位熵下限")
    strong_min_count: int = Field(default=3, ge=1, description="优势：本地企业数下限")
    leader_strong: bool = Field(default=True, description="本地链主所在且区位熵 ≥ 1 的环节也算优势")
    gap_max_count: int = Field(default=0, ge=0, description="空白：本地企业数不超过此值")
    main_path_min_share: float = Field(default=0.2, ge=0, le=1, description="主干环节：SPC 路径占比下限")
    lq_basis: Literal["strength", "count"] = Field(default="strength", description="区位熵按规模加权强度或企业数")
    size_weights: tuple[float, float, float, float] = Field(
        default=(0.5, 1.0, 3.0, 9.0), description="规模权重：微型、小型、中型、大型")
    unknown_size_weight: float = Field(default=1.0, ge=0, description="规模未知企业的权重")
    top_regions: int = Field(default=3, ge=0, le=20, description="全国分布：列出强度最高的同级地区数")


# ------------------------------------------------------------------------------------------- result models
class Ref(BaseModel):
    key: str
    name: str


class FirmBrief(BaseModel):
    key: str
    name: str
    size: str | None = None
    revenue_wan: float | None = None
    tags: list[str] = Field(default_factory=list)
    leader: bool = Field(default=False, description="本链链主")
    region: str | None = None
    region_name: str | None = None
    weight: float = Field(default=1.0, description="环节权重 × 规模权重")
    synthetic: bool = False


class PeerRegion(BaseModel):
    key: str
    name: str
    strength: float
    count: int


class SegmentStat(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    key: str
    name: str
    chain: str
    chain_name: str
    in_chain: bool = Field(description="属于所分析的产业链（否则为跨链关联环节）")
    stream: str | None = None
    depth: int = Field(description="链内 DAG 层级（0 = 最上游）")
    local_count: int
    local_strength: float
    leaders: list[Ref] = Field(default_factory=list, description="本地链主（本链）")
    tags: dict[str, int] = Field(default_factory=dict, description="本地专精特新/高新技术/上市企业数")
    national_count: int
    national_strength: float
    national_share: float = Field(description="本地强度占全国比重")
    lq: float | None = Field(description="区位熵（全国无企业时为空）")
    peer_rank: int | None = Field(default=None, description="本地在全国同级地区中的强度排名")
    peer_total: int | None = Field(default=None, description="有该环节企业的同级地区数")
    top_regions: list[PeerRegion] = Field(default_factory=list)
    klass: Literal["优势", "薄弱", "空白"] = Field(alias="class")
    reason: str
    main_path_share: float = 0.0
    on_main_path: bool = False


class Link(BaseModel):
    up: str
    down: str
    main: bool = Field(default=False, description="两端都在主干路径上")
    cross: bool = Field(default=False, description="跨产业链")


class Move(BaseModel):
    kind: Literal["补链", "强链", "延链"]
    segment: str
    segment_name: str
    chain: str
    chain_name: str
    cross_chain: bool
    current_class: Literal["优势", "薄弱", "空白"]
    anchors: list[str] = Field(default_factory=list, description="依据的优势环节")
    priority: float
    reason: str


class ScopeOut(BaseModel):
    kind: Literal["region", "park"]
    key: str
    name: str
    level: str | None = None
    region: Ref | None = Field(default=None, description="园区所在行政区")
    basis: Literal["region", "park", "park_region"] = Field(
        description="企业口径：region 行政区（含下级）/ park 园区内企业 / park_region 数据无园区归属，改用园区所在行政区")
    regions_included: int
    firms: int = Field(description="口径内企业总数（全部产业链）")
    note: str | None = None


class ParkBrief(BaseModel):
    key: str
    name: str
    level: str | None = None
    kind: str | None = None
    region: str | None = None
    region_name: str | None = None
    hosts_chain: bool
    parcels_available: int
    area_available_mu: float


class Summary(BaseModel):
    local_firms: int
    local_strength: float
    national_firms: int
    strong: int
    weak: int
    gap: int
    leaders: int
    fill: int
    strengthen: int
    extend: int


class ChainMap(BaseModel):
    chain: Ref
    scope: ScopeOut
    config: AnalysisConfig
    measure: str = MEASURE
    summary: Summary
    segments: list[SegmentStat]
    context_segments: list[SegmentStat] = Field(default_factory=list, description="跨链关联环节（延链相关）")
    links: list[Link]
    leaders: list[FirmBrief]
    parks: list[ParkBrief]
    moves: list[Move]
    notes: list[str] = Field(default_factory=list)
    synthetic: bool = Field(default=False, description="口径内含合成示例企业")

    def segment(self, key: str) -> SegmentStat:
        for s in self.segments + self.context_segments:
            if s.key == key:
                return s
        raise KeyError(key)

    def moves_of(self, kind: str) -> list[Move]:
        return [m for m in self.moves if m.kind == kind]


class ChainSummary(BaseModel):
    chain: Ref
    segments: int
    local_firms: int
    national_firms: int
    strong: int
    weak: int
    gap: int
    leaders: int
    fill: int
    strengthen: int
    extend: int


# ------------------------------------------------------------------------------------------- the index
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
        E, S, C, R, P = (snap.n(x) for x in ("Enterprise", "Segment", "IndustryChain", "Region", "Park"))
        self.n_firms, self.n_segments = E, S
        # segments and chains
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
        # regions
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
        # parks
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
        # firms: size class, quality tags, leaders, synthetic flag
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


# ------------------------------------------------------------------------------------------- name lookup


def resolve_chain(snap: Snapshot, text: str) -> int:
    """A chain index from its key, name or alias (集成电路, ic, 半导体 …) — kernel.resolve's rules."""
    return resolver(snap).chain(text)


def resolve_place(snap: Snapshot, text: str) -> tuple[str, int]:
    """('Region' | 'Park', index) from a key or a name (衢州, 衢州市, 330800, quzhou_zhizao, 衢州智造新城)."""
    p = resolver(snap).place(text)
    return ("Region" if p.kind == "region" else "Park"), p.index


# ------------------------------------------------------------------------------------------- scope
@dataclass
class Scope:
    """The firms a region or park key stands for."""

    kind: Literal["region", "park"]
    index: int  # region or park index
    key: str
    name: str
    level: str | None
    regions: np.ndarray  # boolean mask over regions (the region and its descendants; for a park: its region's)
    firms: np.ndarray  # boolean mask over firms
    basis: Literal["region", "park", "park_region"]
    region_index: int  # the region itself, or the park's region (-1 if unknown)
    note: str | None = None

    def out(self, idx: ChainIndex) -> ScopeOut:
        region = None
        if self.kind == "park" and self.region_index >= 0:
            region = Ref(key=str(idx.region_keys[self.region_index]), name=str(idx.region_names[self.region_index]))
        return ScopeOut(kind=self.kind, key=self.key, name=self.name, level=self.level, region=region,
                        basis=self.basis, regions_included=int(self.regions.sum()), firms=int(self.firms.sum()),
                        note=self.note)


def resolve_scope(snap: Snapshot, region: str) -> Scope:
    idx = ChainIndex.of(snap)
    label, i = resolve_place(snap, region)
    if label == "Region":
        inside = idx.region_descendants(i)
        firms = np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0 if idx.n_firms else np.zeros(0, bool)
        return Scope("region", i, str(idx.region_keys[i]), str(idx.region_names[i]), idx.region_level[i], inside,
                     firms, "region", i)
    name = str(idx.park_names[i])
    r = int(idx.park_region[i])
    if idx.e2p.nnz:
        onehot = np.zeros(len(idx.park_keys))
        onehot[i] = 1.0
        firms = np.asarray(idx.e2p @ onehot).ravel() > 0
        inside = np.zeros(len(idx.region_keys), dtype=bool)
        if r >= 0:
            inside[r] = True
        note = None if firms.any() else f"园区“{name}”暂无入驻企业记录（LOCATED_IN 企业→园区）"
        return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park", r, note)
    if r < 0:
        inside = np.zeros(len(idx.region_keys), dtype=bool)
        firms = np.zeros(idx.n_firms, dtype=bool)
        note = f"数据中没有企业→园区的位置关系，且园区“{name}”未关联行政区，无法统计园区企业"
        return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park_region", r, note)
    inside = idx.region_descendants(r)
    firms = np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0 if idx.n_firms else np.zeros(0, bool)
    note = (f"数据中没有企业→园区的位置关系（LOCATED_IN 企业→园区），无法按园区统计；"
            f"以下为园区所在行政区“{idx.region_names[r]}”（含下级）的企业")
    return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park_region", r, note)


# ------------------------------------------------------------------------------------------- segment measures
@dataclass
class _Measures:
    """Per-segment vectors over all segments for one scope and config."""

    local_count: np.ndarray
    local_strength: np.ndarray
    national_count: np.ndarray
    national_strength: np.ndarray
    lq: np.ndarray  # NaN where national = 0
    share: np.ndarray
    tags: dict[str, np.ndarray]
    weights: np.ndarray  # per firm


def _measures(idx: ChainIndex, scope: Scope, config: AnalysisConfig) -> _Measures:
    S = idx.n_segments
    w = idx.size_weights(config)
    local = scope.firms.astype(np.float64)
    memT, binT = idx.memT, idx.binT
    if idx.n_firms:
        national_strength = np.asarray(memT @ w).ravel()
        local_strength = np.asarray(memT @ (w * local)).ravel()
        national_count = np.asarray(binT @ np.ones(idx.n_firms)).ravel()
        local_count = np.asarray(binT @ local).ravel()
        tags = {t: np.asarray(binT @ (local * m)).ravel() for t, m in idx.tag_masks.items()}
    else:
        national_strength = local_strength = national_count = local_count = np.zeros(S)
        tags = {t: np.zeros(S) for t in QUALITY_TAGS}
    if config.lq_basis == "count":
        num, den = local_count, national_count
    else:
        num, den = local_strength, national_strength
    lt, nt = num.sum(), den.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.where(den > 0, (num / lt if lt > 0 else np.zeros(S)) / (den / nt if nt > 0 else 1.0), np.nan)
        share = np.where(national_strength > 0, local_strength / national_strength, 0.0)
    lq = np.where((den > 0) & (num == 0), 0.0, lq)
    return _Measures(local_count.round().astype(np.int64), local_strength, national_count.round().astype(np.int64),
                     national_strength, lq, share, {t: v.round().astype(np.int64) for t, v in tags.items()}, w)


def _leader_mask(idx: ChainIndex, chain: int) -> np.ndarray:
    if idx.n_firms == 0 or len(idx.chain_keys) == 0:
        return np.zeros(idx.n_firms, dtype=bool)
    col = idx.leads[:, [chain]]
    mask = np.zeros(idx.n_firms, dtype=bool)
    mask[col.nonzero()[0]] = True
    return mask


def _classify(m: _Measures, local_leaders: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    lq = np.nan_to_num(m.lq, nan=0.0)
    gap = m.local_count <= config.gap_max_count
    strong = (lq >= config.strong_lq) & (m.local_count >= config.strong_min_count)
    if config.leader_strong:
        strong |= (local_leaders > 0) & (lq >= 1.0)
    return np.where(gap, GAP, np.where(strong, STRONG, WEAK)).astype(object)


def _reason(cls: str, count: int, lq: float, leaders: int, config: AnalysisConfig) -> str:
    lq_t = "—" if math.isnan(lq) else f"{lq:.2f}"
    if cls == GAP:
        return f"本地企业 {count} 家（≤ {config.gap_max_count}）"
    if cls == STRONG:
        if lq >= config.strong_lq and count >= config.strong_min_count:
            return f"区位熵 {lq_t} ≥ {config.strong_lq:g} 且本地企业 {count} 家 ≥ {config.strong_min_count}"
        return f"本地有链主 {leaders} 家且区位熵 {lq_t} ≥ 1"
    why = []
    if math.isnan(lq) or lq < config.strong_lq:
        why.append(f"区位熵 {lq_t} < {config.strong_lq:g}")
    if count < config.strong_min_count:
        why.append(f"本地企业 {count} 家 < {config.strong_min_count}")
    return "；".join(why) or "未达优势标准"


# ------------------------------------------------------------------------------------------- chain DAG
@dataclass
class _Dag:
    segs: np.ndarray  # segment indices of the chain
    pos: dict[int, int]
    edges: list[tuple[int, int]]  # in-chain (segment indices)
    depth: dict[int, int]
    share: dict[int, float]
    main: set[int]


def _chain_dag(idx: ChainIndex, chain: int, config: AnalysisConfig) -> _Dag:
    segs = idx.chain_segments(chain)
    # stable order: stream, then key
    order = sorted(segs.tolist(), key=lambda s: (STREAM_ORDER.get(idx.seg_stream[s] or "", 1), idx.seg_keys[s]))
    segs = np.asarray(order, dtype=np.int64)
    pos = {s: i for i, s in enumerate(order)}
    inside = np.isin(idx.up_src, segs) & np.isin(idx.up_dst, segs)
    edges = sorted(set(zip(idx.up_src[inside].tolist(), idx.up_dst[inside].tolist())))
    preds: dict[int, list[int]] = {s: [] for s in order}
    succ: dict[int, list[int]] = {s: [] for s in order}
    for u, v in edges:
        preds[v].append(u)
        succ[u].append(v)
    indeg = {s: len(preds[s]) for s in order}
    topo: list[int] = []
    queue = [s for s in order if indeg[s] == 0]
    while queue:
        s = queue.pop(0)
        topo.append(s)
        for v in succ[s]:
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    if len(topo) < len(order):  # a cycle cannot come through the writer; keep the rest in stable order
        topo += [s for s in order if s not in set(topo)]
    depth: dict[int, int] = {}
    n_minus: dict[int, int] = {}
    for s in topo:
        depth[s] = max((depth[u] + 1 for u in preds[s] if u in depth), default=0)
        n_minus[s] = sum(n_minus.get(u, 0) for u in preds[s]) or 1
    n_plus: dict[int, int] = {}
    for s in reversed(topo):
        n_plus[s] = sum(n_plus.get(v, 0) for v in succ[s]) or 1
    total = sum(n_minus[s] for s in order if not succ[s]) or 1
    share = {s: n_minus[s] * n_plus[s] / total for s in order}
    main = {s for s in order if share[s] >= config.main_path_min_share}
    # global main path: the source→sink route with the largest total SPC share (DP in topological order)
    best: dict[int, tuple[float, int]] = {}
    for s in topo:
        # best predecessor: largest total, ties to the first in display order
        prev = max(((best[u][0], -pos[u], u) for u in preds[s] if u in best), default=(0.0, 0, -1))
        best[s] = (prev[0] + share[s], prev[2])
    sinks = [s for s in order if not succ[s]]
    if sinks:
        s = max(sinks, key=lambda x: (best[x][0], -pos[x]))
        while s >= 0:
            main.add(s)
            s = best[s][1]
    return _Dag(segs, pos, edges, depth, share, main)


# ------------------------------------------------------------------------------------------- peers
def _peer_stats(idx: ChainIndex, scope: Scope, segs: np.ndarray, w: np.ndarray, config: AnalysisConfig
                ) -> tuple[dict[int, list[PeerRegion]], dict[int, tuple[int | None, int | None]]]:
    """Top regions (same level as the scope) per segment, and the scope's rank among them."""
    level = scope.level if scope.kind == "region" else (
        idx.region_level[scope.region_index] if scope.region_index >= 0 else None)
    if level not in idx.region_ancestor or idx.n_firms == 0 or len(segs) == 0:
        return {}, {}
    group = np.where(idx.firm_region >= 0, idx.region_ancestor[level][np.maximum(idx.firm_region, 0)], -1)
    ok = group >= 0
    R = len(idx.region_keys)
    g = sp.csr_matrix((np.ones(int(ok.sum())), (np.flatnonzero(ok), group[ok])), shape=(idx.n_firms, R))
    sub = idx.mem_csc[:, segs]
    strength = (sub.T.multiply(w[None, :])).tocsr() @ g  # segs × regions
    counts = (binary(sub.tocsr()).T.tocsr() @ g)
    strength = np.asarray(strength.toarray())
    counts = np.asarray(counts.toarray())
    own = scope.region_index if scope.kind == "region" else -1
    tops: dict[int, list[PeerRegion]] = {}
    ranks: dict[int, tuple[int | None, int | None]] = {}
    for row, s in enumerate(segs.tolist()):
        st = strength[row]
        nz = np.flatnonzero(st > 0)
        order = nz[np.lexsort((idx.region_keys[nz], -st[nz]))][: config.top_regions]
        tops[s] = [PeerRegion(key=str(idx.region_keys[r]), name=str(idx.region_names[r]), strength=round(float(st[r]), 3),
                              count=int(counts[row, r])) for r in order]
        if own >= 0 and st[own] > 0:
            ranks[s] = (int((st > st[own]).sum()) + 1, int(nz.size))
        else:
            ranks[s] = (None, int(nz.size))
    return tops, ranks


# ------------------------------------------------------------------------------------------- the analysis
def analyse_chain(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig | None = None) -> ChainMap:
    """The chain map of `chain` (key/name/alias) for `region` (region or park key/name)."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    c = resolve_chain(snap, chain)
    scope = resolve_scope(snap, region)
    return _analyse(idx, c, scope, config)


def _analyse(idx: ChainIndex, c: int, scope: Scope, config: AnalysisConfig) -> ChainMap:
    m = _measures(idx, scope, config)
    leaders_all = _leader_mask(idx, c)
    local_leaders_mask = leaders_all & scope.firms
    binT = idx.binT
    if idx.n_firms:
        local_leaders = np.asarray(binT @ local_leaders_mask.astype(np.float64)).ravel().round().astype(np.int64)
    else:
        local_leaders = np.zeros(idx.n_segments, dtype=np.int64)
    # every segment is judged with the 链主 of its own chain (context segments of other chains too)
    seg_leaders = local_leaders.copy()
    if idx.n_firms and idx.leads.nnz:
        local_leads = binary(idx.leads.tocsr()).multiply(scope.firms.astype(np.float64)[:, None]).tocsc()
        per_seg_chain = np.asarray((binT @ local_leads).toarray())  # segments × chains
        own = idx.seg_chain >= 0
        seg_leaders[own] = per_seg_chain[np.flatnonzero(own), idx.seg_chain[own]].round().astype(np.int64)
    klass = _classify(m, seg_leaders, config)
    dag = _chain_dag(idx, c, config)
    in_chain = set(dag.segs.tolist())

    # --- moves
    moves: list[Move] = []
    chain_key, chain_name = str(idx.chain_keys[c]), str(idx.chain_names[c])

    def seg_ref(s: int) -> tuple[str, str, str, str]:
        ch = int(idx.seg_chain[s])
        return (str(idx.seg_keys[s]), str(idx.seg_names[s]), str(idx.chain_keys[ch]) if ch >= 0 else "",
                str(idx.chain_names[ch]) if ch >= 0 else "")

    # locally strong direct neighbours of each segment (UPSTREAM_OF either way, any chain)
    strong_nb: dict[int, list[int]] = {}
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if klass[v] == STRONG:
            strong_nb.setdefault(u, []).append(v)
        if klass[u] == STRONG:
            strong_nb.setdefault(v, []).append(u)
    listed: set[int] = set()
    for s in sorted(dag.segs.tolist(), key=lambda x: (-dag.share[x], dag.pos[x])):
        if klass[s] == GAP and s in dag.main:
            k, n, _, _ = seg_ref(s)
            anchors = sorted(set(strong_nb.get(s, [])), key=lambda a: str(idx.seg_keys[a]))
            with_local = ("；可依托本地优势环节" + "、".join(
                f"“{idx.seg_names[a]}”" + ("" if a in in_chain else f"（{seg_ref(a)[3]}）") for a in anchors)
                if anchors else "")
            moves.append(Move(kind=FILL, segment=k, segment_name=n, chain=chain_key, chain_name=chain_name,
                              cross_chain=False, current_class=GAP, anchors=[str(idx.seg_keys[a]) for a in anchors],
                              priority=round(dag.share[s], 4),
                              reason=f"“{n}”是{chain_name}主干环节（承载 {dag.share[s]:.0%} 的上下游路径），本地空白"
                                     + with_local))
            listed.add(s)
    nb: dict[int, set[int]] = {s: set() for s in in_chain}
    for u, v in dag.edges:
        nb[u].add(v)
        nb[v].add(u)
    strengthen = []
    for s in dag.segs.tolist():
        if klass[s] != WEAK:
            continue
        anchors = sorted((a for a in nb[s] if klass[a] == STRONG), key=lambda a: dag.pos[a])
        if anchors:
            strengthen.append((s, anchors))
    strengthen.sort(key=lambda x: (-len(x[1]), -float(np.nan_to_num(m.lq[x[0]])), dag.pos[x[0]]))
    for s, anchors in strengthen:
        k, n, _, _ = seg_ref(s)
        names = "、".join(f"“{idx.seg_names[a]}”" for a in anchors)
        lq = float(np.nan_to_num(m.lq[s]))
        moves.append(Move(kind=STRENGTHEN, segment=k, segment_name=n, chain=chain_key, chain_name=chain_name,
                          cross_chain=False, current_class=WEAK, anchors=[str(idx.seg_keys[a]) for a in anchors],
                          priority=round(len(anchors) + lq / 10, 4),
                          reason=f"与本地优势环节{names}相邻；本地已有 {int(m.local_count[s])} 家，区位熵 {lq:.2f}，补强可成链"))
        listed.add(s)
    # 延链: UPSTREAM_OF edges with one end in this chain and one end locally strong
    ext: dict[int, list[tuple[int, str]]] = {}
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if u not in in_chain and v not in in_chain:
            continue
        for anchor, target, where in ((u, v, "下游"), (v, u, "上游")):
            if klass[anchor] != STRONG or klass[target] == STRONG or target in listed:
                continue
            ext.setdefault(target, []).append((anchor, where))
    ext_rows = sorted(ext.items(), key=lambda x: (-len(x[1]), -float(m.national_strength[x[0]]), str(idx.seg_keys[x[0]])))
    for t, anchors in ext_rows:
        k, n, ck, cn = seg_ref(t)
        parts = []
        for a, where in sorted(anchors, key=lambda x: str(idx.seg_keys[x[0]])):
            _, an, _, acn = seg_ref(a)
            parts.append(f"本地优势环节“{an}”{'' if a in in_chain else f'（{acn}）'}的{where}")
        cross = t not in in_chain
        reason = "；".join(parts) + (f"；属{cn}，跨链延伸" if cross else "") + \
            f"；本地{'空白' if klass[t] == GAP else f'薄弱（{int(m.local_count[t])} 家）'}"
        moves.append(Move(kind=EXTEND, segment=k, segment_name=n, chain=ck, chain_name=cn, cross_chain=cross,
                          current_class=str(klass[t]), anchors=sorted({str(idx.seg_keys[a]) for a, _ in anchors}),
                          priority=round(len(anchors) + float(m.national_strength[t]) / (m.national_strength.max() or 1) / 10, 4),
                          reason=reason))

    # --- context segments: the other-chain ends of 延链 moves and the locally strong other-chain segments
    # directly up- or downstream of this chain
    context: set[int] = {t for t in ext if t not in in_chain}
    for s_ in in_chain:
        context.update(a for a in strong_nb.get(s_, []) if a not in in_chain)
    shown = list(dag.segs.tolist()) + sorted(context, key=lambda s: str(idx.seg_keys[s]))
    tops, ranks = _peer_stats(idx, scope, np.asarray(shown, dtype=np.int64), m.weights, config)

    # --- leaders (local 链主 of this chain) and their segments
    leader_firms = np.flatnonzero(local_leaders_mask)
    leader_refs: dict[int, list[Ref]] = {}
    leaders_out: list[FirmBrief] = []
    for f in leader_firms[np.argsort(-m.weights[leader_firms], kind="stable")].tolist():
        row = idx.mem.getrow(f)
        for s in row.indices.tolist():
            leader_refs.setdefault(s, []).append(Ref(key=str(idx.firm_keys[f]), name=str(idx.firm_names[f])))
        leaders_out.append(firm_brief(idx, f, weight=float(m.weights[f]), leader=True))

    # depth of context segments: next to their in-chain neighbour
    depth = dict(dag.depth)
    for s in context:
        ds = [dag.depth[v] - 1 for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()) if u == s and v in in_chain]
        ds += [dag.depth[u] + 1 for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()) if v == s and u in in_chain]
        depth[s] = min(ds) if ds else 0

    def stat(s: int) -> SegmentStat:
        k, n, ck, cn = seg_ref(s)
        lq = float(m.lq[s])
        rank, total = ranks.get(s, (None, None))
        return SegmentStat(
            key=k, name=n, chain=ck, chain_name=cn, in_chain=s in in_chain, stream=idx.seg_stream[s],
            depth=int(depth.get(s, 0)), local_count=int(m.local_count[s]),
            local_strength=round(float(m.local_strength[s]), 3), leaders=leader_refs.get(s, []) if s in in_chain else [],
            tags={t: int(v[s]) for t, v in m.tags.items()}, national_count=int(m.national_count[s]),
            national_strength=round(float(m.national_strength[s]), 3), national_share=round(float(m.share[s]), 4),
            lq=None if math.isnan(lq) else round(lq, 3), peer_rank=rank, peer_total=total, top_regions=tops.get(s, []),
            klass=str(klass[s]), reason=_reason(str(klass[s]), int(m.local_count[s]), lq, int(seg_leaders[s]), config),
            main_path_share=round(dag.share.get(s, 0.0), 4), on_main_path=s in dag.main,
        )

    segments = [stat(s) for s in sorted(dag.segs.tolist(), key=lambda s: (depth[s], dag.pos[s]))]
    context_segments = [stat(s) for s in sorted(context, key=lambda s: (depth[s], str(idx.seg_keys[s])))]
    links = [Link(up=str(idx.seg_keys[u]), down=str(idx.seg_keys[v]), main=u in dag.main and v in dag.main)
             for u, v in dag.edges]
    shown_set = set(shown)
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if (u in in_chain) != (v in in_chain) and u in shown_set and v in shown_set:
            links.append(Link(up=str(idx.seg_keys[u]), down=str(idx.seg_keys[v]), cross=True))

    in_chain_vec = np.zeros(idx.n_segments)
    in_chain_vec[dag.segs] = 1.0
    any_chain = np.asarray(idx.mem_bin @ in_chain_vec).ravel() > 0 if idx.n_firms else np.zeros(0, dtype=bool)
    chain_firms = scope.firms & any_chain
    national_chain_firms = int(any_chain.sum())
    classes = [s.klass for s in segments]
    notes: list[str] = []
    if scope.note:
        notes.append(scope.note)
    if not scope.firms.any():
        notes.append("口径内没有企业：所有环节均为空白")
    synthetic = bool((idx.firm_synthetic & chain_firms).any()) if idx.n_firms else False
    if synthetic:
        notes.append("口径内含合成示例企业（synthetic），仅供演示，不代表真实企业")
    summary = Summary(
        local_firms=int(chain_firms.sum()), local_strength=round(float(sum(m.local_strength[s] for s in dag.segs)), 3),
        national_firms=national_chain_firms, strong=classes.count(STRONG), weak=classes.count(WEAK),
        gap=classes.count(GAP), leaders=len(leaders_out), fill=sum(mv.kind == FILL for mv in moves),
        strengthen=sum(mv.kind == STRENGTHEN for mv in moves), extend=sum(mv.kind == EXTEND for mv in moves),
    )
    return ChainMap(chain=Ref(key=chain_key, name=chain_name), scope=scope.out(idx), config=config, summary=summary,
                    segments=segments, context_segments=context_segments, links=links, leaders=leaders_out,
                    parks=_parks(idx, scope, c), moves=moves, notes=notes, synthetic=synthetic)


def firm_brief(idx: ChainIndex, f: int, *, weight: float, leader: bool) -> FirmBrief:
    tags: list[str] = []
    if idx.tag_csr.shape[1]:
        m = idx.tag_csr
        tags = [str(idx.tag_vocab[j]) for j in sorted(m.indices[m.indptr[f]:m.indptr[f + 1]].tolist())]
    r = int(idx.firm_region[f])
    size = int(idx.firm_size[f])
    rev = float(idx.firm_revenue[f])
    return FirmBrief(key=str(idx.firm_keys[f]), name=str(idx.firm_names[f]), size=SIZES[size] if size >= 0 else None,
                     revenue_wan=None if math.isnan(rev) else rev, tags=tags, leader=leader,
                     region=str(idx.region_keys[r]) if r >= 0 else None,
                     region_name=str(idx.region_names[r]) if r >= 0 else None, weight=round(weight, 3),
                     synthetic=bool(idx.firm_synthetic[f]))


def _parks(idx: ChainIndex, scope: Scope, c: int) -> list[ParkBrief]:
    P = len(idx.park_keys)
    if P == 0:
        return []
    if scope.kind == "park":
        chosen = np.asarray([scope.index])
    else:
        pr = idx.park_region
        inside = np.zeros(P, dtype=bool)
        ok = pr >= 0
        inside[ok] = scope.regions[pr[ok]]
        chosen = np.flatnonzero(inside)
    hosts = np.asarray(idx.hosts[:, [c]].toarray()).ravel() > 0 if len(idx.chain_keys) else np.zeros(P, bool)
    cat = idx.snap.labels["Park"].cat

    def cat_value(name: str, p: int) -> str | None:
        if name not in cat:
            return None
        codes, vocab = cat[name]
        return str(vocab[codes[p]]) if codes[p] >= 0 else None

    rows = sorted(chosen.tolist(), key=lambda p: (not hosts[p], -idx.park_area_available[p], str(idx.park_keys[p])))
    out = []
    for p in rows:
        r = int(idx.park_region[p])
        out.append(ParkBrief(key=str(idx.park_keys[p]), name=str(idx.park_names[p]), level=cat_value("level", p),
                             kind=cat_value("kind", p), region=str(idx.region_keys[r]) if r >= 0 else None,
                             region_name=str(idx.region_names[r]) if r >= 0 else None, hosts_chain=bool(hosts[p]),
                             parcels_available=int(round(idx.park_parcels_available[p])),
                             area_available_mu=round(float(idx.park_area_available[p]), 2)))
    return out


def segment_firms(snap: Snapshot, *, scope: Scope, segment: str, chain: str | None = None,
                  config: AnalysisConfig | None = None, limit: int = 50, offset: int = 0) -> tuple[list[FirmBrief], int]:
    """Local firms of a segment in the scope, strongest first (链主 first). Returns (page, total)."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    s = resolver(snap).segment(segment)
    c = resolve_chain(snap, chain) if chain else int(idx.seg_chain[s])
    col = idx.mem_csc[:, [s]].tocoo()
    firms, mw = col.row.astype(np.int64), col.data
    keep = scope.firms[firms] if idx.n_firms else np.zeros(0, bool)
    firms, mw = firms[keep], mw[keep]
    w = idx.size_weights(config)[firms] * mw
    leader = _leader_mask(idx, c)[firms] if c >= 0 else np.zeros(len(firms), bool)
    order = np.lexsort((idx.firm_keys[firms], -w, ~leader))
    page = order[offset: offset + limit]
    return [firm_brief(idx, int(firms[i]), weight=float(w[i]), leader=bool(leader[i])) for i in page], int(len(firms))


def chain_firms_by_segment(snap: Snapshot, cmap: ChainMap, *, scope: Scope, limit: int = 30,
                           config: AnalysisConfig | None = None) -> dict[str, dict[str, object]]:
    """For pages: per segment of the map (and context segment), the top `limit` local firms and the total."""
    out: dict[str, dict[str, object]] = {}
    for st in cmap.segments + cmap.context_segments:
        firms, total = segment_firms(snap, scope=scope, segment=st.key, chain=cmap.chain.key if st.in_chain else None,
                                     config=config or cmap.config, limit=limit)
        out[st.key] = {"total": total, "firms": [f.model_dump() for f in firms]}
    return out


def summarise_chains(snap: Snapshot, *, region: str, config: AnalysisConfig | None = None) -> tuple[ScopeOut, list[ChainSummary]]:
    """One line per chain for the region: counts of 优势/薄弱/空白 segments, local firms, 链主 and moves."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    scope = resolve_scope(snap, region)
    rows = []
    for c in range(len(idx.chain_keys)):
        cm = _analyse(idx, c, scope, config)
        s = cm.summary
        rows.append(ChainSummary(chain=cm.chain, segments=len(cm.segments), local_firms=s.local_firms,
                                 national_firms=s.national_firms, strong=s.strong, weak=s.weak, gap=s.gap,
                                 leaders=s.leaders, fill=s.fill, strengthen=s.strengthen, extend=s.extend))
    return scope.out(idx), rows


__all__ = [
    "AnalysisConfig", "ChainIndex", "ChainLookupError", "ChainMap", "ChainSummary", "FirmBrief", "Link", "Move",
    "ParkBrief", "Ref", "Scope", "ScopeOut", "SegmentStat", "Summary", "analyse_chain", "chain_firms_by_segment",
    "firm_brief",
    "resolve_chain", "resolve_place", "resolve_scope", "segment_firms", "summarise_chains",
    "STRONG", "WEAK", "GAP", "FILL", "STRENGTHEN", "EXTEND", "MEASURE",
]
