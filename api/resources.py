"""The resources the generic node API serves — one row per label (path, title, who may write, park scope, fields
another service owns) — and the request/response models generated from each label's schema model.

Used by the router (api/routers/nodes.py) for its routes and OpenAPI document and by the node service
(api/node_service.py) for the rules (park scope, protected fields).
"""
from __future__ import annotations

import copy
import types
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from graph.schema import MODELS, Label, reject_bool_numbers
from graph.snapshot import feature_fields
from land import PARCEL_STATE_FIELDS
from pipeline import PROTECTED_FIELDS as PIPELINE_FIELDS

T = TypeVar("T")
# list filters that take a name (resolved by kernel.resolve in api/node_service.py)
NAME_FILTERS = {
    "region": "行政区（GB/T 2260 代码、全称或简称，如 衢州），含其下所有行政区",
    "chain": "产业链（key、名称或别名）", "leading_chains": "主导产业链包含（key、名称或别名）",
    "focus": "关注产业链包含（key、名称或别名）", "allowed_chains": "准入产业链包含（key、名称或别名）",
    "segment": "环节（key 或名称）", "park": "园区（key 或名称）", "parent": "上级（行政区或环节的 key 或名称）",
}


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
             protected=PARCEL_STATE_FIELDS,
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


def out_model(label: Label) -> type[BaseModel]:
    model = MODELS[label]
    return types.new_class(
        f"{label.value}Out", (model,), {}, lambda ns: ns.update({"model_config": ConfigDict(extra="ignore"), "__module__": __name__})
    )


def write_model(res: Resource) -> type[BaseModel]:
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


def filter_model(label: Label) -> type[BaseModel]:
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
            if name in NAME_FILTERS:
                fields[name] = (str | None, Field(default=None, min_length=1, max_length=200, description=NAME_FILTERS[name]))
                continue
            fields[name] = (str | None, Field(default=None, max_length=200, description=f"{name} 等于（列表字段：包含）"))
            if kind == "cat":
                sortable.append(name)
    fields["sort"] = (Literal[tuple(sortable)], Field(default="key", description="排序字段"))  # type: ignore[valid-type]
    fields["desc"] = (bool, Field(default=False, description="降序"))
    fields["limit"] = (int, Field(default=50, ge=1, le=500))
    fields["offset"] = (int, Field(default=0, ge=0, le=10_000_000))
    return create_model(f"{label.value}Filters", __config__=ConfigDict(extra="forbid"), **fields)
