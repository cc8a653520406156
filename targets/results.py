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
    sign_check: Literal["not_learned", "consistent", "constrained", "fallback"] = Field(
        default="not_learned",
        description="权重方向检查：not_learned 未学习（默认权重）；consistent 学得的方向与文档一致；constrained 数据会使"
                    "inverted 中的特征方向相反，已按文档符号约束拟合（这些权重取 0）；fallback 约束后无可用特征，改用默认权重")
    inverted: list[str] = Field(default_factory=list, description="不加约束拟合时方向与文档相反的特征")
    unconstrained: dict[str, float] | None = Field(default=None, description="不加符号约束拟合得到的权重（仅供对照）")


class Evidence(BaseModel):
    """What a reason rests on, by key and name, so that a page can link it (企业 /pages/enterprises/{key}, 链主
    /pages/leaders/{key}/targets, 基金 /pages/funds/{key}/targets, 环节 the chain map of `chain`)."""

    kind: Literal["enterprise", "leader", "fund", "segment", "park", "chain"]
    key: str
    name: str
    chain: str | None = Field(default=None, description="环节/园区所属（主导）产业链 key（链接产业链图谱）")


class Reason(BaseModel):
    text: str
    feature: str = Field(description="理由来自的特征（FEATURES）")
    kind: Literal["relation", "signal", "profile"] = Field(
        description="relation 关系（链主供需、本地基金、本地缺口、园区）；signal 近期融资/扩张/资质；profile 规模、距离、区位")
    evidence: list[Evidence] = Field(default_factory=list)


class TargetItem(BaseModel):
    rank: int
    enterprise: str
    name: str
    score: float = Field(description="原始得分 = 各特征贡献之和（权重 × 标准化值），排序依据")
    score_100: int = Field(default=50, ge=0, le=100, description=(
        "0–100 分：100 / (1 + e^−(score − 基准))，基准 = 仅属于目标环节、别无其他信号的企业的得分（= 50 分）"))
    reasons: list[str] = Field(description="至多 3 条理由（关系类在前；规模、距离从不排在关系类之前）")
    reason_details: list[Reason] = Field(default_factory=list, description="同 reasons，附依据（企业/链主/基金/环节的 key 与名称）")
    anchor_tie: str | None = Field(default=None, description="链主/基金视图：该企业与链主/基金的关系（直接供应商、客户、二级供应商、已投资）")
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
    score_100: int = Field(default=0, ge=0, le=100, description="相似度 × 100，取整")
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
