"""What the target recommender answers (pydantic models shared by the API, the CLI and the exports)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chains import Ref
from kernel.errors import ChainMatchError


class TargetError(ChainMatchError, LookupError):
    """A query parameter that cannot be used: `param` names it, `status` is 404 (unknown) or 422 (ambiguous /
    inconsistent), `candidates` lists what was meant when known."""

    def __init__(self, param: str, message: str, *, status: int = 404, candidates: list[str] | None = None):
        super().__init__(message, errors=[{"field": param, "message": message}], status=status, candidates=candidates)
        self.param = param




class RegionRef(Ref):
    level: str | None = None
    macro_region: str | None = None


class SegmentChoice(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    key: str
    name: str
    chain: str
    chain_name: str
    klass: str | None = Field(default=None, alias="class", description="本地分类：优势/薄弱/空白")
    moves: list[str] = Field(default_factory=list, description="本地招商方向：补链/强链/延链")


class WeightsOut(BaseModel):
    source: Literal["learned", "default"] = Field(description="learned 由项目历史学习；default 默认权重")
    projects: int = Field(description="可用于学习的外地投资项目数")
    positives: int = Field(description="其中已签约（含以后阶段）的项目数")
    negatives: int = Field(description="负样本数（未签约项目 + 抽样的同环节外地企业）")
    min_positives: int
    auc: float | None = None
    values: dict[str, float] = Field(description="各特征权重（作用于标准化值）")
    note: str


class TargetItem(BaseModel):
    rank: int
    enterprise: str
    name: str
    score: float = Field(description="得分 = 各特征贡献之和（权重 × 标准化值）")
    reasons: list[str] = Field(description="贡献最大的至多 3 条理由")
    contributions: dict[str, float] = Field(description="各特征贡献")
    segment: str | None = None
    segment_name: str | None = None
    chain: str | None = None
    chain_name: str | None = None
    fit_source: Literal["member", "model", "none"] = Field(description="环节匹配来源：已知归属 / 成员模型推断 / 无")
    region: str | None = None
    region_name: str | None = None
    macro_region: str | None = None
    distance_km: float | None = None
    size: str | None = None
    tags: list[str] = Field(default_factory=list)
    synthetic: bool = False


class TargetList(BaseModel):
    view: Literal["region", "leader", "fund", "parcel"]
    region: RegionRef
    chain: Ref | None = None
    anchor: Ref | None = Field(default=None, description="链主/基金/地块（对应视图）")
    segments: list[SegmentChoice]
    segment_choice: str = Field(description="目标环节如何确定")
    k: int
    candidates: int = Field(description="参与排序的外地候选企业数")
    excluded_local: int = Field(description="因已在本地（含下级行政区、本地园区）而排除的企业数")
    weights: WeightsOut
    segment_fit_note: str
    items: list[TargetItem]
    notes: list[str] = Field(default_factory=list)
    synthetic: bool = Field(default=False, description="结果含合成示例企业")


class SimilarItem(BaseModel):
    rank: int
    enterprise: str
    name: str
    score: float = Field(description="相似度 = Σ 各部分权重 × 相似度，0–1")
    reasons: list[str]
    contributions: dict[str, float]
    region: str | None = None
    region_name: str | None = None
    size: str | None = None
    tags: list[str] = Field(default_factory=list)
    synthetic: bool = False


class SimilarList(BaseModel):
    enterprise: Ref
    region: RegionRef | None = Field(default=None, description="给定时排除该地区（含下级）已有企业")
    k: int
    candidates: int
    weights: dict[str, float]
    items: list[SimilarItem]
    notes: list[str] = Field(default_factory=list)
