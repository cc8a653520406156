"""招商项目库 endpoints: the board by stage, overdue and stalled lists, project create / update / stage change /
weekly tracking, evaluation after landing, and Excel export/import. Thin: roles, park scope and names resolved
(kernel.resolve: a chain or park by key, name or 简称 — 集成电路 = ic, 智造新城 = quzhou_zhizao; unknown → 404 with
suggestions), then the package's service functions, whose errors map to problem+json.

Mounted under /api/v1. Reads are open; writes need officer or park_admin (a park_admin only for its own park's
projects); admin may do everything; viewer none of the writes. Classification thresholds and the stall limit come
from CHAINMATCH_PROJECT_KEY_WAN / CHAINMATCH_PROJECT_MAJOR_WAN / CHAINMATCH_PROJECT_STALL_DAYS (defaults 10000 万元,
100000 万元, 30 days) and may be overridden per request (key_wan, major_wan, stall_days).
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from api.auth import Principal
from api.deps import ImportLimitsDep, RulesDep, SnapshotDep, StoreDep, require
from api.errors import problem
from graph.schema import MODELS, Date, Label, bounded_text, reject_bool_numbers
from kernel.downloads import XLSX, attachment
from pipeline import board as pb, commands as cmd
from pipeline.queries import named_refs, park_key
from pipeline.evaluation import evaluate, evaluation_of, evaluations as evaluations_of, parcel_of
from pipeline.excel import export_xlsx
from pipeline.rules import PROTECTED_FIELDS, PipelineRules, rules_info, stage_of

router = APIRouter(tags=["招商项目库"])
KeyPath = Annotated[str, Path(min_length=1, max_length=128, description="项目 key")]
writer = require("officer", "park_admin")
R422: dict[int | str, dict[str, Any]] = {422: {"description": "参数无效"}}
R404: dict[int | str, dict[str, Any]] = {404: {"description": "项目不存在"}, 422: {"description": "参数无效"}}
RPARK: dict[int | str, dict[str, Any]] = {404: {"description": "园区不存在（附候选）"}, 422: {"description": "参数无效"}}


TodayQ = Annotated[dt.date | None, Query(description="以哪一天为“今天”（默认今天；用于回看）")]
ParkQ = Annotated[str | None, Query(max_length=128, description="只看某园区的项目（园区 key、名称或简称，如 智造新城）")]
OwnerQ = Annotated[str | None, Query(max_length=100, description="只看某责任人")]


def _scope(p: Principal) -> str | None:
    return p.park if p.role == "park_admin" else None


# ----------------------------------------------------------------------------------------------- bodies
_FIELDS = {n: f for n, f in MODELS[Label.Project].model_fields.items() if n not in PROTECTED_FIELDS or n == "stage"}
def _stage_alias(cls: Any, data: Any) -> Any:
    """A stage given as officers say it (落地) → the stage it means (注册), before the schema's list is checked."""
    if isinstance(data, dict) and isinstance(data.get("stage"), str):
        return data | {"stage": stage_of(data["stage"])}
    return data


ProjectCreate = create_model(
    "PipelineProjectCreate",
    __validators__={"_no_bool_numbers": model_validator(mode="before")(classmethod(reject_bool_numbers)),
                    "_stage_alias": model_validator(mode="before")(classmethod(_stage_alias))},
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "key": "qz-2026-001", "name": "示例封测基地项目（合成）", "chain": "ic", "park": "quzhou_zhizao",
        "total_investment_wan": 26000, "owner": "张三", "next_action": "赴企业总部洽谈", "next_action_on": "2026-12-05",
        "on": "2026-11-20", "synthetic": True}]}),
    **{n: (f.annotation, f) for n, f in _FIELDS.items()},
    on=(Date | None, Field(default=None, description="建档日期（默认今天）")),
    note=(bounded_text(500, multiline=True) | None, Field(default=None, description="建档说明")),
)
ProjectPatch = create_model(
    "PipelineProjectPatch",
    __validators__={"_no_bool_numbers": model_validator(mode="before")(classmethod(reject_bool_numbers))},
    __config__=ConfigDict(extra="forbid"),
    # each field optional, keeping its bounds (max length, pattern, ranges live in the FieldInfo's metadata)
    **{n: (Annotated[f.annotation, *f.metadata] | None if f.metadata else f.annotation | None,
           Field(default=None, description=f.description)) for n, f in _FIELDS.items() if n not in ("key", "stage")},
)


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "签约", "on": "2026-11-20",
                                                                                "note": "签订投资协议"}]})
    to: Literal["线索", "接洽", "洽谈", "签约", "注册", "开工", "投产", "达产", "落地"] = Field(
        description="目标阶段；“落地”即“注册”（项目公司在本地注册，签约之后、开工之前）")
    on: Date | None = Field(default=None, description="进入该阶段的日期（默认今天；不得早于上一阶段、不得晚于今天）")
    note: bounded_text(500, multiline=True) | None = Field(  # type: ignore[valid-type]
        default=None, description="说明（阶段回退时必填）")


class TrackingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "note": "电话回访，企业确认下周来衢考察", "on": "2026-11-20", "next_action": "陪同考察智造新城",
        "next_action_on": "2026-11-27"}]})
    note: bounded_text(2000, multiline=True, min_length=1) = Field(description="本周跟踪情况")  # type: ignore[valid-type]
    on: Date | None = Field(default=None, description="跟踪日期（默认今天）")
    next_action: bounded_text(500) | None = Field(default=None, description="下一步工作")  # type: ignore[valid-type]
    next_action_on: Date | None = Field(default=None, description="下一步计划日期")


def _detail(snap: Any, props: dict[str, Any], today: dt.date, rules: PipelineRules) -> dict[str, Any]:
    return pb.detail(props, evaluate(props, parcel_of(snap, props["key"])), today=today, rules=rules)


# ----------------------------------------------------------------------------------------------- reads
@router.get("/pipeline/rules", summary="阶段、合法流转与分类阈值", responses=R422)
def rules(r: RulesDep) -> Any:
    return rules_info() | {"classification": r.as_dict()}


@router.get("/pipeline/board", summary="项目看板：按阶段分列，逾期、停滞标出", responses=RPARK)
def board(store: StoreDep, snap: SnapshotDep, r: RulesDep, today: TodayQ = None, park: ParkQ = None,
          owner: OwnerQ = None) -> Any:
    recs = cmd.project_records(store, snap, park=park_key(snap, park), owner=owner)
    return pb.board(recs, today=today or dt.date.today(), rules=r)


@router.get("/pipeline/overdue", summary="逾期项目（下一步计划日期已过）", responses=RPARK)
def overdue(store: StoreDep, snap: SnapshotDep, r: RulesDep, today: TodayQ = None, park: ParkQ = None) -> Any:
    recs = cmd.project_records(store, snap, park=park_key(snap, park))
    return pb.overdue(recs, today=today or dt.date.today(), rules=r)


@router.get("/pipeline/stalled", summary="停滞项目（长期无阶段变化、无跟踪）", responses=RPARK)
def stalled(store: StoreDep, snap: SnapshotDep, r: RulesDep, today: TodayQ = None, park: ParkQ = None) -> Any:
    recs = cmd.project_records(store, snap, park=park_key(snap, park))
    return pb.stalled(recs, today=today or dt.date.today(), rules=r)


@router.get("/pipeline/evaluations", summary="落地项目评价：投资强度、亩均税收、亩均产出、就业对照标准地", responses=RPARK)
def evaluations(snap: SnapshotDep, park: ParkQ = None,
                shortfalls_only: Annotated[bool, Query(description="只列有不达标项的")] = False) -> Any:
    return evaluations_of(snap, park=park_key(snap, park), only_shortfalls=shortfalls_only)


@router.get("/pipeline/projects/{key}", summary="项目详情：阶段记录、跟踪记录、评价", responses=R404)
def get_project(store: StoreDep, snap: SnapshotDep, key: KeyPath, r: RulesDep, today: TodayQ = None) -> Any:
    return _detail(snap, cmd.project(store, key), today or dt.date.today(), r)


@router.get("/pipeline/projects/{key}/evaluation", summary="一个项目的落地评价", responses=R404)
def get_evaluation(snap: SnapshotDep, key: KeyPath) -> Any:
    return evaluation_of(snap, key)


@router.get("/pipeline/export.xlsx", summary="导出项目库（Excel）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}, **RPARK})
def export(store: StoreDep, snap: SnapshotDep, r: RulesDep, today: TodayQ = None, park: ParkQ = None) -> Response:
    buf = io.BytesIO()
    export_xlsx(cmd.project_records(store, snap, park=park_key(snap, park)), buf, today=today or dt.date.today(), rules=r,
                snap=snap)
    name = f"招商项目库-{(today or dt.date.today()).isoformat()}.xlsx"
    return Response(buf.getvalue(), media_type=XLSX, headers=attachment(name))


# ----------------------------------------------------------------------------------------------- writes
@router.post("/pipeline/projects", status_code=201, summary="新建项目（建档并记录首个阶段）",
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
def create(store: StoreDep, snap: SnapshotDep, body: Annotated[ProjectCreate, Body()],  # type: ignore[valid-type]
           p: Annotated[Principal, Depends(writer)], r: RulesDep) -> Any:
    data = named_refs(snap, body.model_dump(exclude_unset=True, mode="json"))
    on = data.pop("on", None)
    out = cmd.create_project(store, data=data, actor=p.actor, on=on, park=_scope(p))
    return _detail(snap, out, dt.date.today(), r)


@router.patch("/pipeline/projects/{key}", summary="修改项目信息（不含阶段与跟踪记录）",
              responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
def patch(store: StoreDep, snap: SnapshotDep, key: KeyPath, body: Annotated[ProjectPatch, Body()],  # type: ignore[valid-type]
          p: Annotated[Principal, Depends(writer)], r: RulesDep) -> Any:
    changes = named_refs(snap, body.model_dump(exclude_unset=True, mode="json"))
    out = cmd.update_project(store, key=key, changes=changes, actor=p.actor, park=_scope(p))
    return _detail(snap, out, dt.date.today(), r)


@router.post("/pipeline/projects/{key}/stage", summary="阶段流转（只允许合法流转，记录日期与操作人）",
             responses={401: {}, 403: {}, 404: {}, 409: {"description": "非法流转或并发修改"}, 422: {}})
def stage(store: StoreDep, snap: SnapshotDep, key: KeyPath, body: Annotated[StageIn, Body()],
          p: Annotated[Principal, Depends(writer)], r: RulesDep) -> Any:
    out = cmd.change_stage(store, key=key, to=body.to, on=body.on, note=body.note, actor=p.actor,
                           park=_scope(p))
    return _detail(snap, out, dt.date.today(), r)


@router.post("/pipeline/projects/{key}/tracking", summary="添加每周跟踪记录，更新下一步工作",
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
def tracking(store: StoreDep, snap: SnapshotDep, key: KeyPath, body: Annotated[TrackingIn, Body()],
             p: Annotated[Principal, Depends(writer)], r: RulesDep) -> Any:
    out = cmd.add_tracking(store, key=key, note=body.note, on=body.on, next_action=body.next_action,
                           next_action_on=body.next_action_on, actor=p.actor, park=_scope(p))
    return _detail(snap, out, dt.date.today(), r)


@router.post("/pipeline/import", summary="导入项目库（Excel .xlsx，请求体为文件内容；全部成功或全部不写）",
             responses={401: {}, 403: {}, 409: {}, 413: {"description": "行数或解压后大小超过上限"}, 422: {}},
             openapi_extra={"requestBody": {"required": True, "description": "Excel .xlsx 文件的字节内容",
                                            "content": {"application/octet-stream": {"schema": {
                                                "type": "string", "format": "binary"}}}}})
async def import_xlsx(request: Request, store: StoreDep, snap: SnapshotDep, limits: ImportLimitsDep,
                      p: Annotated[Principal, Depends(writer)],
                      file_name: Annotated[str, Query(max_length=200, description="文件名（出现在问题报告中）")] = "项目库.xlsx") -> Any:
    data = await request.body()
    if not data:
        return problem(422, "请求体为空：请上传 .xlsx 文件内容", request=request)
    res = cmd.import_xlsx(store, data, actor=p.actor, file_name=file_name, park=_scope(p), limits=limits, snap=snap)
    return res.as_dict()
