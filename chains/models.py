"""The chain map's vocabulary: the classes (优势/薄弱/空白), the moves (补链/强链/延链), the thresholds an
investment officer can change (AnalysisConfig, defaults from Settings.analysis) and the answer models the API,
the pages and the exports share (ChainMap, SegmentStat, Move …). No computation here."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.errors import LookupFailed

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
