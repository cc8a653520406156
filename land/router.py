"""土地超市 endpoints: match a project to parcels and a parcel to projects, batch-assign, the map's GeoJSON
(GET /land/map), and reserve / release / transfer parcels. Thin: check roles, call one function of land.queries (reads the snapshot) or land.commands
(writes through the store) with the request and the configured defaults (Settings.land: weights, score constants,
reservation lengths); their errors become problem+json in api/errors.py.

Mounted under /api/v1. Roles: matching is public like every read; reserve/release need officer or park_admin
(a park_admin only for its own park's parcels), transfer needs park_admin (own park); admin may do everything;
viewer none of the writes.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import Principal
from api.deps import READ_ONLY, SnapshotDep, StateDep, StoreDep, require
from graph.schema import StrictNumbers, Text
from land import queries
from land.map_query import land_map
from land.commands import release_parcel, reserve_parcel, sweep_expired_reservations, transfer_parcel
from land.reservations import MAX_TTL_HOURS
from land.scoring import LandWeights, from_settings

router = APIRouter(tags=["土地超市"])

KeyPath = Annotated[str, Path(min_length=1, max_length=128, description="地块 key")]


# ----------------------------------------------------------------------------------------------- response models
class CheckOut(BaseModel):
    rule: str = Field(description="规则：status/area/land_use/invest/tax/output/energy/pollution/chain/price/power/rail/timeline")
    label: str
    outcome: Literal["pass", "fail", "verify"] = Field(description="pass 通过 / fail 不符 / verify 待核实")
    message: str = Field(description="含具体数值的说明，如“投资强度 250 万元/亩 < 要求 300 万元/亩”")


class ComponentOut(BaseModel):
    component: str
    label: str
    weight: float
    score: float = Field(description="0–1")
    points: float = Field(description="本项得分（各项之和 = 总分）")
    reason: str


class ParcelBrief(BaseModel):
    parcel: str
    name: str
    park: str | None = None
    park_name: str | None = None
    region: str | None = None
    area_mu: float | None = None
    price_wan_per_mu: float | None = None
    land_use: str
    readiness: str | None = None
    status: str


class ProjectBrief(BaseModel):
    project: str
    name: str
    chain: str | None = None
    stage: str | None = None
    total_investment_wan: float | None = None
    land_min_mu: float | None = None
    land_max_mu: float | None = None


class ParcelMatch(ParcelBrief):
    score: float = Field(description="0–100")
    breakdown: list[ComponentOut]
    checks: list[CheckOut]


class ParcelMiss(ParcelBrief):
    failures: list[CheckOut]


class ProjectMatch(ProjectBrief):
    score: float
    breakdown: list[ComponentOut]
    checks: list[CheckOut]


class ProjectMiss(ProjectBrief):
    failures: list[CheckOut]


class ParcelVerify(ParcelMatch):
    verify: list[CheckOut] = Field(description="须核实的条件（项目或地块缺少相应信息）")
    summary: str = Field(description="一句话：待核实：亩均税收（项目未填）、…")


class ProjectVerify(ProjectMatch):
    verify: list[CheckOut] = Field(description="须核实的条件（项目或地块缺少相应信息）")
    summary: str = Field(description="一句话：待核实：亩均税收（项目未填）、…")


TO_VERIFY = ("可能符合，待核实：已知信息不违反任何硬性条件，但有条件因项目或地块缺少信息而无法核验（这些也列在 infeasible "
             "中）；按待核实项由少到多、得分由高到低排序")


class MatchOut(BaseModel):
    project: ProjectBrief
    feasible: list[ParcelMatch] = Field(description="满足全部硬性条件的地块，按得分从高到低")
    infeasible: list[ParcelMiss] = Field(description="不满足的地块及原因（不符项最少的在前）")
    to_verify: list[ParcelVerify] = Field(default_factory=list, description=TO_VERIFY)
    counts: dict[str, Any]
    weights: LandWeights


class ParcelProjectsOut(BaseModel):
    parcel: ParcelBrief
    feasible: list[ProjectMatch]
    infeasible: list[ProjectMiss]
    to_verify: list[ProjectVerify] = Field(default_factory=list, description=TO_VERIFY)
    counts: dict[str, Any]
    weights: LandWeights


class AssignedPair(ParcelBrief):
    project: str
    project_name: str
    score: float
    breakdown: list[ComponentOut] | None = None
    checks: list[CheckOut] | None = None


class UnmatchedProject(ProjectBrief):
    reason: str


class PairScore(BaseModel):
    project: str
    parcel: str
    score: float


class AssignOut(BaseModel):
    total_score: float
    assigned: list[AssignedPair]
    unmatched: list[UnmatchedProject]
    counts: dict[str, int]
    pairs: list[PairScore] | None = Field(default=None, description="全部可行组合（include_pairs=true 时）")
    weights: LandWeights


class ParcelState(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    name: str
    park: str | None = None
    status: str
    rev: int | None = None
    reserved_by: str | None = None
    reserved_at: str | None = None
    expires_at: str | None = None
    transferred_to: str | None = None
    transferred_at: str | None = None


# ----------------------------------------------------------------------------------------------- request models
class MatchRequest(StrictNumbers):
    # exactly one of project / project_data — said in the schema too, so that clients (and schemathesis) know
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["project"], "properties": {"project": {"type": "string"}, "project_data": {"type": "null"}}},
        {"required": ["project_data"], "properties": {"project_data": {"type": "object"}, "project": {"type": "null"}}},
    ]})
    project: str | None = Field(default=None, max_length=128, description="库中项目的 key")
    project_data: dict[str, Any] | None = Field(
        default=None, description="或：临时项目（Project 字段，如 chain、land_min_mu、total_investment_wan …；key/name 可省略）")
    park: str | None = Field(default=None, max_length=128, description="只看该园区的地块（key 或名称）")
    region: str | None = Field(default=None, max_length=128, description="只看该行政区（含下级）的地块（代码或名称）")
    limit: int = Field(default=20, ge=1, le=500, description="可行地块最多返回数")
    infeasible_limit: int = Field(default=50, ge=0, le=5000, description="不可行地块最多返回数")
    include_transferred: bool = Field(default=False, description="是否列出已出让地块")
    weights: LandWeights | None = Field(default=None, description="软评分权重；省略 = 配置的默认权重")

    @model_validator(mode="after")
    def _one(self) -> "MatchRequest":
        if (self.project is None) == (self.project_data is None):
            raise ValueError("project 与 project_data 须且只须给出一个")
        return self


class AssignRequest(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    projects: list[str] | None = Field(default=None, max_length=20_000,
                                       description="项目 key；省略 = 全部未落地项目（开工/投产/达产之前）")
    parcels: list[str] | None = Field(default=None, max_length=200_000, description="地块 key；省略 = 全部地块")
    park: str | None = Field(default=None, max_length=128, description="只分配该园区的地块（key 或名称）")
    weights: LandWeights | None = Field(default=None, description="软评分权重；省略 = 配置的默认权重")
    explain: bool = Field(default=True, description="为每个入选组合给出得分构成与硬性条件核验")
    include_pairs: bool = Field(default=False, description="同时返回全部可行组合及得分")


class ReserveRequest(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1, max_length=128, description="为哪个项目预留")
    ttl_hours: float | None = Field(default=None, gt=0, le=MAX_TTL_HOURS,
                                    description="预留时长（小时），到期自动失效；省略 = 配置的默认时长（168）；"
                                                "不超过配置的最长时长（默认即上限 2160）")


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str | None = Field(default=None, max_length=128, description="若给出，仅当预留给该项目时才释放")
    reason: Text | None = Field(default=None, description="释放原因（记入审计日志）")


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1, max_length=128, description="受让项目")


# ----------------------------------------------------------------------------------------------- helpers
class LandConfig:
    """The configured 土地超市 defaults of this app (Settings.land), as the land functions take them."""

    def __init__(self, state: StateDep):
        self.land = state.settings.land
        self.weights, self.scales = from_settings(self.land)


ConfigDep = Annotated[LandConfig, Depends(LandConfig)]


def _scope(p: Principal) -> str | None:
    return p.park if p.role == "park_admin" else None


# ----------------------------------------------------------------------------------------------- matching
@router.post("/land/match", response_model=MatchOut, summary="项目找地：可行地块排序（含得分构成）与不可行地块原因",
             responses={404: {"description": "项目不存在"}, 422: {"description": "请求无效"}}, openapi_extra=READ_ONLY)
def match(snap: SnapshotDep, cfg: ConfigDep, body: Annotated[MatchRequest, Body()]) -> Any:
    return queries.match_project(
        snap, project=body.project, project_data=body.project_data, park=body.park, region=body.region,
        limit=body.limit, infeasible_limit=body.infeasible_limit, include_transferred=body.include_transferred,
        weights=body.weights or cfg.weights, scales=cfg.scales)


@router.get("/parcels/{key}/projects", response_model=ParcelProjectsOut, summary="地等项目：适合该地块的项目排序与不符原因",
            responses={404: {"description": "地块不存在"}})
def parcel_projects(
    snap: SnapshotDep,
    cfg: ConfigDep,
    key: KeyPath,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    infeasible_limit: Annotated[int, Query(ge=0, le=5000)] = 50,
    include_landed: Annotated[bool, Query(description="是否包括已开工/投产/达产的项目")] = False,
) -> Any:
    return queries.parcel_projects(snap, key, limit=limit, infeasible_limit=infeasible_limit,
                                   include_landed=include_landed, weights=cfg.weights, scales=cfg.scales)


@router.get("/parcels/{key}/enterprises",
            summary="地块 → 候选招商企业（招商目标推荐：地块产业准入或园区主导产业链的补链/强链/延链环节，外地企业）",
            responses={404: {"description": "地块不存在"}, 422: {"description": "地块无所在行政区等"}})
def parcel_enterprises(request: Request, snap: SnapshotDep, state: StateDep, key: KeyPath,
                       limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Any:
    from targets import TargetConfig, TargetRecommender

    # app.state.land_enterprise_recommender overrides the built-in recommender (land.storefront.EnterpriseRecommender)
    recommender = (getattr(request.app.state, "land_enterprise_recommender", None)
                   or TargetRecommender(TargetConfig(**state.settings.targets.model_dump())))
    return queries.parcel_enterprises(snap, key, recommender, limit=limit)


@router.post("/land/assign", response_model=AssignOut, summary="批量最优分配：N 个项目 × M 块地，总分最高的一对一匹配",
             responses={422: {"description": "未知的项目/地块/园区"}}, openapi_extra=READ_ONLY)
def land_assign(snap: SnapshotDep, cfg: ConfigDep, body: Annotated[AssignRequest, Body()]) -> Any:
    return queries.assign_batch(snap, projects=body.projects, parcels=body.parcels, park=body.park,
                                weights=body.weights or cfg.weights, explain=body.explain,
                                include_pairs=body.include_pairs, scales=cfg.scales)


# ----------------------------------------------------------------------------------------------- map
@router.get("/land/map", summary="土地超市地图数据：筛选后的地块、园区、行政区轮廓（GeoJSON FeatureCollection）",
            responses={422: {"description": "筛选条件无效（未知的产业链/园区/行政区、区间上下限颠倒等）"}})
def land_map_layers(
    snap: SnapshotDep,
    chain: Annotated[str | None, Query(max_length=128, description="产业类型：地块产业准入允许的产业链（key 或名称）")] = None,
    park: Annotated[str | None, Query(max_length=128, description="园区（key 或名称）")] = None,
    region: Annotated[str | None, Query(max_length=128, description="行政区（代码或名称，含下级）")] = None,
    status: Annotated[Literal["all", "available", "reserved", "transferred"],
                      Query(description="all 全部 / available 可供（含预留已过期）/ reserved 已预留 / transferred 已出让")] = "all",
    area_min: Annotated[float | None, Query(ge=0, le=1e9, allow_inf_nan=False, description="面积下限（亩）")] = None,
    area_max: Annotated[float | None, Query(ge=0, le=1e9, allow_inf_nan=False, description="面积上限（亩）")] = None,
    invest_min: Annotated[float | None, Query(ge=0, le=1e9, allow_inf_nan=False,
                                              description="投资规模下限（万元）：地块投资强度要求的总投资 = 面积 × 投资强度")] = None,
    invest_max: Annotated[float | None, Query(ge=0, le=1e9, allow_inf_nan=False, description="投资规模上限（万元）")] = None,
    standard: Annotated[bool, Query(description="仅标准地")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000, description="最多返回的地块数")] = 2000,
) -> dict[str, Any]:
    return land_map(snap, chain=chain, park=park, region=region, status=status, area_min=area_min, area_max=area_max,
                    invest_min=invest_min, invest_max=invest_max, standard_only=standard, limit=limit)


# ----------------------------------------------------------------------------------------------- reservations
@router.post("/parcels/{key}/reserve", response_model=ParcelState, summary="预留地块（乐观并发：同一地块只会被预留一次）",
             responses={401: {}, 403: {}, 404: {}, 409: {"description": "已被预留/已出让/并发冲突"},
                        422: {"description": "项目不满足硬性条件"}})
def reserve(store: StoreDep, cfg: ConfigDep, key: KeyPath, body: Annotated[ReserveRequest, Body()],
            p: Annotated[Principal, Depends(require("officer", "park_admin"))]) -> Any:
    return reserve_parcel(store, parcel=key, project=body.project, actor=p.actor,
                          ttl_hours=body.ttl_hours or cfg.land.reservation_ttl_hours,
                          max_ttl_hours=cfg.land.reservation_max_ttl_hours, park_scope=_scope(p))


@router.post("/parcels/{key}/release", response_model=ParcelState, summary="释放地块预留",
             responses={401: {}, 403: {}, 404: {}, 409: {"description": "未被预留/预留给其他项目/并发冲突"}})
def release(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(require("officer", "park_admin"))],
            body: Annotated[ReleaseRequest | None, Body()] = None) -> Any:
    body = body or ReleaseRequest()
    return release_parcel(store, parcel=key, actor=p.actor, project=body.project, park_scope=_scope(p),
                          reason=body.reason)


@router.post("/parcels/{key}/transfer", response_model=ParcelState, summary="登记地块出让给项目（园区管理员）",
             responses={401: {}, 403: {}, 404: {}, 409: {"description": "已出让/预留给其他项目/并发冲突"},
                        422: {"description": "项目不满足硬性条件"}})
def transfer(store: StoreDep, key: KeyPath, body: Annotated[TransferRequest, Body()],
             p: Annotated[Principal, Depends(require("park_admin"))]) -> Any:
    return transfer_parcel(store, parcel=key, project=body.project, actor=p.actor, park_scope=_scope(p))


@router.post("/land/sweep", summary="释放全部已过期预留（管理员）", responses={401: {}, 403: {}})
def sweep(store: StoreDep, p: Annotated[Principal, Depends(require())]) -> dict[str, Any]:
    released = sweep_expired_reservations(store, actor=p.actor)
    return {"released": released, "count": len(released)}
