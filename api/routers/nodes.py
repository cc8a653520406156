"""Read and write endpoints for every domain object, generated from one resource table.

Each resource gets: list with filters / sorting / pagination, get by key, neighbours, PUT (create or replace)
and DELETE. Filters are typed from the model: `field=value` (for list fields: contains), `field_min` /
`field_max` for numbers, `q` for a name substring. Routers stay thin: they check roles and park scope, then
call graph.service.
"""

import copy
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from api.auth import Principal
from api.deps import StoreDep, require
from graph import service
from graph.validation import Problem, ValidationFailed
from graph.schema import MODELS, RELATIONS, Label, reject_bool_numbers
from graph.schema import utc_timestamp_text
from graph.snapshot import feature_fields
from land.reservations import STATE_FIELDS
from pipeline import PROTECTED_FIELDS as PIPELINE_FIELDS
from kernel.errors import Forbidden, Invalid, NotFound

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="符合条件的总数")
    limit: int
    offset: int


class NeighbourOut(BaseModel):
    rel_type: str
    direction: Literal["out", "in"]
    label: str
    key: str
    name: str | None = None
    rel_props: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    path: str
    label: Label
    title: str
    write_roles: tuple[str, ...]
    park_scoped: bool = False
    example: dict[str, Any] = field(default_factory=dict)  # a PUT body for the OpenAPI document
    protected: tuple[str, ...] = ()  # fields another service owns: PUT keeps them, refuses to change them
    protected_owner: str = ""


RESOURCES = (
    Resource("chains", Label.IndustryChain, "产业链", ("officer",),
             example={"name": "集成电路", "aliases": ["半导体", "芯片"], "description": "从设计、制造到封装测试的集成电路产业链"}),
    Resource("segments", Label.Segment, "环节", ("officer",),
             example={"name": "封装测试", "chain": "ic", "stream": "中游", "keywords": ["封测", "先进封装"]}),
    Resource("enterprises", Label.Enterprise, "企业", ("officer",),
             example={"name": "示例晶测科技有限公司（合成）", "region": "330800", "size": "中型", "revenue_wan": 52000,
                      "employees": 420, "tags": ["专精特新"], "synthetic": True}),
    Resource("funds", Label.Fund, "基金", ("officer",),
             example={"name": "示例产业投资基金（合成）", "manager": "示例私募基金管理有限公司（合成）", "size_wan": 200000,
                      "region": "330800", "focus": ["ic"], "synthetic": True}),
    Resource("parks", Label.Park, "园区", (),
             example={"name": "示例智造新城（合成）", "region": "330800", "level": "省级", "leading_chains": ["ic"],
                      "synthetic": True}),
    Resource("parcels", Label.LandParcel, "地块", ("park_admin",), park_scoped=True,
             example={"name": "示例地块2026-007号（合成）", "park": "qz-zzxc", "region": "330800", "area_mu": 102.76,
                      "land_use": "0601", "far_min": 0.7, "far_max": 1.8, "term_years": 50, "price_wan_per_mu": 25,
                      "readiness": ["七通一平", "标准地"], "min_invest_intensity_wan_per_mu": 300,
                      "min_tax_wan_per_mu": 15, "allowed_chains": ["ic"], "synthetic": True},
             protected=STATE_FIELDS,
             protected_owner="POST /api/v1/parcels/{key}/reserve | release | transfer"),
    Resource("projects", Label.Project, "招商项目", ("officer", "park_admin"), park_scoped=True,
             example={"name": "示例封测基地项目（合成）", "chain": "ic", "park": "qz-zzxc",
                      "total_investment_wan": 26000, "land_min_mu": 70, "land_max_mu": 90, "expected_tax_wan": 1300,
                      "jobs": 300, "synthetic": True},
             protected=PIPELINE_FIELDS,
             protected_owner="POST /api/v1/pipeline/projects/{key}/stage（阶段流转）| /tracking（跟踪记录）"),
    Resource("regions", Label.Region, "行政区", (),
             example={"name": "衢州市", "level": "city", "parent": "330000"}),
    Resource("products", Label.Product, "产品", ("officer",), example={"name": "晶圆级封装"}),
    Resource("policies", Label.Policy, "政策", (),
             example={"name": "示例市集成电路产业扶持办法（合成）", "doc_no": "示政发〔2026〕1号", "region": "330800",
                      "effective_from": "2026-01-01", "summary": "设备投资补助 10%", "synthetic": True}),
)


def _out_model(label: Label) -> type[BaseModel]:
    model = MODELS[label]
    return types.new_class(
        f"{label.value}Out", (model,), {}, lambda ns: ns.update({"model_config": ConfigDict(extra="ignore"), "__module__": __name__})
    )


def _write_model(res: Resource) -> type[BaseModel]:
    """The request body: the model's fields (types and bounds documented) without `key`, which the path gives.
    Cross-field rules and reference checks run in the service, which validates against the real model."""
    fields: dict[str, Any] = {}
    for n, f in MODELS[res.label].model_fields.items():
        if n == "key":
            continue
        if n in res.protected:
            f = copy.copy(f)
            f.description = f"{f.description or n}。只读：由 {res.protected_owner} 维护；PUT 时可省略（保持不变），给出则须与当前值相同"
        fields[n] = (f.annotation, f)
    fields["key"] = (str | None, Field(default=None, description="可省略：取路径中的 key"))
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [res.example]} if res.example else None)
    return create_model(f"{res.label.value}Write", __config__=config, **fields,
                        __validators__={"_no_bool_numbers": model_validator(mode="before")(classmethod(reject_bool_numbers))})


def _filter_model(label: Label) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "q": (str | None, Field(default=None, max_length=100, description="名称包含")),
    }
    sortable = ["key", "name"]
    for name, kind in feature_fields(label).items():
        if kind == "num":
            if name == "synthetic":
                fields[name] = (bool | None, Field(default=None, description="是否合成数据"))
                continue
            fields[f"{name}_min"] = (float | None, Field(default=None, description=f"{name} 下限"))
            fields[f"{name}_max"] = (float | None, Field(default=None, description=f"{name} 上限"))
            sortable.append(name)
        else:
            fields[name] = (str | None, Field(default=None, max_length=200, description=f"{name} 等于（列表字段：包含）"))
            if kind == "cat":
                sortable.append(name)
    fields["sort"] = (Literal[tuple(sortable)], Field(default="key", description="排序字段"))  # type: ignore[valid-type]
    fields["desc"] = (bool, Field(default=False, description="降序"))
    fields["limit"] = (int, Field(default=50, ge=1, le=500))
    fields["offset"] = (int, Field(default=0, ge=0, le=10_000_000))
    return create_model(f"{label.value}Filters", __config__=ConfigDict(extra="forbid"), **fields)


def to_store_filters(f: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in f.model_dump(exclude_none=True).items():
        if name in ("sort", "desc", "limit", "offset"):
            continue
        if name == "q":
            out["name__like"] = value
        elif name.endswith("_min"):
            out[name[:-4] + "__min"] = value
        elif name.endswith("_max"):
            out[name[:-4] + "__max"] = value
        else:
            out[name] = value
    return out


def _same(field_name: str, a: Any, b: Any) -> bool:
    if field_name.endswith("_at") and isinstance(a, str) and isinstance(b, str):
        try:
            return utc_timestamp_text(a) == utc_timestamp_text(b)
        except ValueError:
            return False
    return a == b


def _keep_protected(res: Resource, before: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the fields another service owns (a parcel's reservation state) as they are; refuse a PUT that tries to
    change them (422, naming each field). Returns the precondition for the write: those fields as read, so a
    reservation landing between this read and the write makes the PUT fail with 409 instead of undoing it."""
    current = {f: (before or {}).get(f) for f in res.protected}
    defaults = {f: MODELS[res.label].model_fields[f].get_default(call_default_factory=True) for f in res.protected}
    problems = []
    for f in res.protected:
        if f not in data:
            continue
        given, now = data[f], current[f] if current[f] is not None else defaults[f]
        if not _same(f, given, now) and not (given is None and now is None):
            problems.append(Problem(None, None, f, f"{f} 只能通过 {res.protected_owner} 修改（当前 {now!r}，请求 {given!r}）"))
    if problems:
        raise ValidationFailed(problems)
    for f in res.protected:
        data.pop(f, None)
        if current[f] is not None:
            data[f] = current[f]
    return {f: current[f] for f in res.protected}


def _check_park_scope(p: Principal, res: Resource, *records: dict[str, Any] | None) -> None:
    if p.role != "park_admin":
        return
    if not res.park_scoped:
        raise Forbidden(f"园区管理员不能修改{res.title}")
    for rec in records:
        if rec is not None and rec.get("park") != p.park:
            raise Forbidden(f"园区管理员只能修改本园区（{p.park}）的{res.title}")


def _add_routes(router: APIRouter, res: Resource) -> None:
    label = res.label
    Out = _out_model(label)
    Write = _write_model(res)
    Filters = _filter_model(label)
    writer = require(*res.write_roles)
    KeyPath = Annotated[str, Path(min_length=1, max_length=128, description=f"{res.title} key")]
    tag = res.title

    @router.get(f"/{res.path}", response_model=Page[Out], tags=[tag], summary=f"列出{res.title}",
                name=f"list_{res.path}")
    def list_items(store: StoreDep, filters: Annotated[Filters, Query()]) -> Any:  # type: ignore[valid-type]
        items, total = store.find(
            label.value, filters=to_store_filters(filters), order_by=filters.sort, descending=filters.desc,
            limit=filters.limit, offset=filters.offset,
        )
        return {"items": items, "total": total, "limit": filters.limit, "offset": filters.offset}

    @router.get(f"/{res.path}/{{key}}", response_model=Out, tags=[tag], summary=f"查看{res.title}",
                name=f"get_{res.path}", responses={404: {"description": "不存在"}})
    def get_item(store: StoreDep, key: KeyPath) -> Any:
        item = store.get(label.value, key)
        if item is None:
            raise NotFound(f"{res.title} {key!r} 不存在")
        return item

    rel_types = tuple(sorted(t for t, r in RELATIONS.items() if label in r.src or label in r.dst))

    @router.get(f"/{res.path}/{{key}}/neighbours", response_model=list[NeighbourOut], tags=[tag],
                summary=f"{res.title}的关联节点", name=f"neighbours_{res.path}")
    def neighbours(
        store: StoreDep,
        key: KeyPath,
        rel: Annotated[Literal[rel_types] | None, Query(description="关系类型")] = None,  # type: ignore[valid-type]
        direction: Annotated[Literal["out", "in", "both"], Query()] = "both",
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> Any:
        if store.get(label.value, key) is None:
            raise NotFound(f"{res.title} {key!r} 不存在")
        return [
            NeighbourOut(rel_type=n.rel_type, direction=n.direction, label=n.label, key=n.key,
                         name=n.props.get("name"), rel_props=n.rel_props)
            for n in store.neighbours(label.value, key, rel_type=rel, direction=direction, limit=limit)
        ]

    @router.put(f"/{res.path}/{{key}}", response_model=Out, tags=[tag], summary=f"新建或更新{res.title}",
                name=f"put_{res.path}", responses={201: {"description": "已新建"}, 401: {}, 403: {}, 422: {}})
    def put_item(
        store: StoreDep,
        key: KeyPath,
        body: Annotated[Write, Body()],  # type: ignore[valid-type]
        response: Response,
        p: Annotated[Principal, Depends(writer)],
    ) -> Any:
        data = body.model_dump(exclude_unset=True)
        if data.get("key") not in (None, key):
            raise Invalid(f"请求体中的 key {data['key']!r} 与路径 {key!r} 不一致")
        data["key"] = key
        before = store.get(label.value, key)
        _check_park_scope(p, res, before, data)
        expect = _keep_protected(res, before, data) if res.protected else None
        obj, created, _ = service.upsert_node(store, label=label, data=data, actor=p.actor, expect=expect)
        response.status_code = 201 if created else 200
        return store.get(label.value, obj.key)

    @router.delete(f"/{res.path}/{{key}}", status_code=204, tags=[tag], summary=f"删除{res.title}",
                   name=f"delete_{res.path}", responses={401: {}, 403: {}, 404: {}})
    def delete_item(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(writer)]) -> Response:
        before = store.get(label.value, key)
        if before is None:
            raise NotFound(f"{res.title} {key!r} 不存在")
        _check_park_scope(p, res, before)
        service.delete_node(store, label=label, key=key, actor=p.actor)
        return Response(status_code=204)


def build_router() -> APIRouter:
    router = APIRouter()
    for res in RESOURCES:
        _add_routes(router, res)
    return router
