"""土地超市 endpoints: match a project to parcels and a parcel to projects, batch-assign, and reserve / release /
transfer parcels. Thin: resolve keys and roles, call land.matching (reads the snapshot) or
land.reservations (writes through the store); their errors become problem+json in api/errors.py.

Mounted under /api/v1. Roles: matching is public like every read; reserve/release need officer or park_admin
(a park_admin only for its own park's parcels), transfer needs park_admin (own park); admin may do everything;
viewer none of the writes.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import Principal
from api.deps import READ_ONLY, SnapshotDep, StoreDep, require
from graph.schema import Label, Project, StrictNumbers, Text
from graph.validation import Loc, Problem, ValidationFailed, validate
from kernel.errors import Invalid, NotFound
from land.matching import (
    LANDED_STAGES, LandData, LandWeights, Ranking, assign, land_data, parcel_target_chains, rank_parcels, rank_projects,
)
from land.reservations import (
    DEFAULT_TTL_HOURS, MAX_TTL_HOURS, release_parcel, reserve_parcel, sweep_expired_reservations,
    transfer_parcel,
)

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


class MatchOut(BaseModel):
    project: ProjectBrief
    feasible: list[ParcelMatch] = Field(description="满足全部硬性条件的地块，按得分从高到低")
    infeasible: list[ParcelMiss] = Field(description="不满足的地块及原因（不符项最少的在前）")
    counts: dict[str, Any]
    weights: LandWeights


class ParcelProjectsOut(BaseModel):
    parcel: ParcelBrief
    feasible: list[ProjectMatch]
    infeasible: list[ProjectMiss]
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
    park: str | None = Field(default=None, max_length=128, description="只看该园区的地块")
    region: str | None = Field(default=None, max_length=128, description="只看该行政区（含下级）的地块")
    limit: int = Field(default=20, ge=1, le=500, description="可行地块最多返回数")
    infeasible_limit: int = Field(default=50, ge=0, le=5000, description="不可行地块最多返回数")
    include_transferred: bool = Field(default=False, description="是否列出已出让地块")
    weights: LandWeights = Field(default_factory=LandWeights)

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
    park: str | None = Field(default=None, max_length=128, description="只分配该园区的地块")
    weights: LandWeights = Field(default_factory=LandWeights)
    explain: bool = Field(default=True, description="为每个入选组合给出得分构成与硬性条件核验")
    include_pairs: bool = Field(default=False, description="同时返回全部可行组合及得分")


class ReserveRequest(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1, max_length=128, description="为哪个项目预留")
    ttl_hours: float = Field(default=DEFAULT_TTL_HOURS, gt=0, le=MAX_TTL_HOURS, description="预留时长（小时），到期自动失效")


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str | None = Field(default=None, max_length=128, description="若给出，仅当预留给该项目时才释放")
    reason: Text | None = Field(default=None, description="释放原因（记入审计日志）")


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1, max_length=128, description="受让项目")


# ----------------------------------------------------------------------------------------------- helpers
def _parcel_index(data: LandData, key: str) -> int:
    j = data.parcels.pos(key)
    if j < 0:
        raise NotFound(f"地块 {key!r} 不存在")
    return j


def _ranking_body(r: Ranking, subject: str, weights: LandWeights) -> dict[str, Any]:
    return {subject: r.subject, "feasible": r.feasible, "infeasible": r.infeasible, "counts": r.counts,
            "weights": weights}


def _inline_project(data: LandData, raw: dict[str, Any]) -> Project:
    body = {"key": "inline", "name": "临时项目", **raw}
    obj, problems = validate(Label.Project, body, Loc("project_data"))
    if problems or obj is None:
        raise ValidationFailed(problems)
    ctx = data.ctx
    unknown = []
    for fname, vocab, what in (("chain", ctx.chains, "产业链"), ("segment", ctx.segments, "环节"),
                               ("park", ctx.parks, "园区"), ("region", ctx.regions, "行政区"),
                               ("investor", ctx.firms, "企业")):
        v = getattr(obj, fname)
        if v and vocab.code(v) < 0:
            unknown.append({"field": f"project_data.{fname}", "message": f"未知{what} {v!r}"})
    if unknown:
        raise ValidationFailed([Problem("project_data", None, u["field"], u["message"]) for u in unknown])
    return obj  # type: ignore[return-value]


def _scope(p: Principal) -> str | None:
    return p.park if p.role == "park_admin" else None


# ----------------------------------------------------------------------------------------------- matching
@router.post("/land/match", response_model=MatchOut, summary="项目找地：可行地块排序（含得分构成）与不可行地块原因",
             responses={404: {"description": "项目不存在"}, 422: {"description": "请求无效"}}, openapi_extra=READ_ONLY)
def match(snap: SnapshotDep, body: Annotated[MatchRequest, Body()]) -> Any:
    data = land_data(snap)
    if body.project is not None:
        i = data.projects.pos(body.project)
        if i < 0:
            raise NotFound(f"项目 {body.project!r} 不存在")
        view = data
    else:
        view, i = data.with_project(_inline_project(data, body.project_data or {}))
    candidates = None
    Q, ctx = data.parcels, data.ctx
    mask = np.ones(len(Q), dtype=bool)
    if body.park:
        code = ctx.parks.code(body.park)
        if code < 0:
            raise Invalid(f"未知园区 {body.park!r}")
        mask &= Q.park == code
    if body.region:
        code = ctx.regions.code(body.region)
        if code < 0:
            raise Invalid(f"未知行政区 {body.region!r}")
        mask &= ctx.within(Q.region, np.full(len(Q), code))
    if body.park or body.region:
        candidates = np.nonzero(mask)[0]
    r = rank_parcels(view, i, weights=body.weights, parcels=candidates, limit=body.limit,
                     infeasible_limit=body.infeasible_limit, include_transferred=body.include_transferred)
    return _ranking_body(r, "project", body.weights)


@router.get("/parcels/{key}/projects", response_model=ParcelProjectsOut, summary="地等项目：适合该地块的项目排序与不符原因",
            responses={404: {"description": "地块不存在"}})
def parcel_projects(
    snap: SnapshotDep,
    key: KeyPath,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    infeasible_limit: Annotated[int, Query(ge=0, le=5000)] = 50,
    include_landed: Annotated[bool, Query(description="是否包括已开工/投产/达产的项目")] = False,
) -> Any:
    data = land_data(snap)
    j = _parcel_index(data, key)
    w = LandWeights()
    r = rank_projects(data, j, weights=w, limit=limit, infeasible_limit=infeasible_limit, include_landed=include_landed)
    return _ranking_body(r, "parcel", w)


@router.get("/parcels/{key}/enterprises",
            summary="地块 → 候选招商企业（招商目标推荐：地块产业准入或园区主导产业链的补链/强链/延链环节，外地企业）",
            responses={404: {"description": "地块不存在"}, 422: {"description": "地块无所在行政区等"}})
def parcel_enterprises(request: Request, snap: SnapshotDep, key: KeyPath,
                       limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Any:
    from targets import TargetRecommender

    data = land_data(snap)
    j = _parcel_index(data, key)
    # app.state.land_enterprise_recommender overrides the built-in recommender (land.matching.EnterpriseRecommender)
    recommender = getattr(request.app.state, "land_enterprise_recommender", None) or TargetRecommender()
    chains = parcel_target_chains(data, j)
    region_code = int(data.parcels.region[j])
    region = str(data.ctx.regions.keys[region_code]) if region_code >= 0 else None
    items = recommender.recommend_for_parcel(snap, parcel=key, chains=chains, region=region, limit=limit)
    return {"parcel": key, "chains": chains, "region": region, "items": items}


@router.post("/land/assign", response_model=AssignOut, summary="批量最优分配：N 个项目 × M 块地，总分最高的一对一匹配",
             responses={422: {"description": "未知的项目/地块/园区"}}, openapi_extra=READ_ONLY)
def land_assign(snap: SnapshotDep, body: Annotated[AssignRequest, Body()]) -> Any:
    data = land_data(snap)
    P, Q = data.projects, data.parcels
    errors = []
    if body.projects is not None:
        pi = np.asarray([P.pos(k) for k in body.projects], dtype=np.int64)
        errors += [{"field": "projects", "message": f"未知项目 {k!r}"} for k, i in zip(body.projects, pi) if i < 0]
    else:
        pi = np.nonzero(~np.isin(P.stage, LANDED_STAGES))[0]
    if body.parcels is not None:
        qi = np.asarray([Q.pos(k) for k in body.parcels], dtype=np.int64)
        errors += [{"field": "parcels", "message": f"未知地块 {k!r}"} for k, j in zip(body.parcels, qi) if j < 0]
    else:
        qi = np.arange(len(Q))
    if body.park:
        code = data.ctx.parks.code(body.park)
        if code < 0:
            errors.append({"field": "park", "message": f"未知园区 {body.park!r}"})
        qi = qi[Q.park[qi] == code]
    if errors:
        raise ValidationFailed([Problem(None, None, e["field"], e["message"]) for e in errors])
    result = assign(data, projects=pi, parcels=qi, weights=body.weights)
    return {**result.as_dict(explain=body.explain, include_pairs=body.include_pairs), "weights": body.weights}


# ----------------------------------------------------------------------------------------------- reservations
@router.post("/parcels/{key}/reserve", response_model=ParcelState, summary="预留地块（乐观并发：同一地块只会被预留一次）",
             responses={401: {}, 403: {}, 404: {}, 409: {"description": "已被预留/已出让/并发冲突"},
                        422: {"description": "项目不满足硬性条件"}})
def reserve(store: StoreDep, key: KeyPath, body: Annotated[ReserveRequest, Body()],
            p: Annotated[Principal, Depends(require("officer", "park_admin"))]) -> Any:
    return reserve_parcel(store, parcel=key, project=body.project, actor=p.actor, ttl_hours=body.ttl_hours,
                          park_scope=_scope(p))


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
