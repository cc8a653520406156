"""政策兑现 endpoints: the policy items (rules as data, with 文号, article, effective dates, version), the fact
catalogue, the calculator, and the 免申即享 push list. Thin: parse, call incentives.calculator, map its errors.

Mounted under /api/v1 (paths /incentives/…; /policies/… is the generic Policy node resource). Everything here is a
read — the calculator computes, it writes nothing — so it is open like the other reads.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import READ_ONLY, SnapshotDep
from graph.schema import Date
from kernel.errors import NotFound
from incentives.calculator import calculate
from incentives.facts import parse_facts, subject_facts
from incentives.formulas import item_summary
from incentives.push import push
from incentives.rules import default_rules

router = APIRouter(tags=["政策兑现"])
ItemPath = Annotated[str, Path(min_length=1, max_length=128, description="政策条款 key，如 qz-fdi.17.tiers")]


class CalcIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "facts": {"registered_park": "quzhou_zhizao", "foreign_invested": True, "industry_class": "制造业",
                  "fdi_total_usd_wan": 12000, "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
        "on": "2025-12-31"}]})
    facts: dict[str, Any] = Field(default_factory=dict, description="企业或项目的事实（字段见 GET /incentives/facts）")
    enterprise: str | None = Field(default=None, max_length=128, description="可选：图谱中的企业 key，其已知事实作为默认值")
    project: str | None = Field(default=None, max_length=128, description="可选：图谱中的项目 key，其已知事实作为默认值")
    on: Date | None = Field(default=None, description="计算日期（奖励所属年度内的日期；默认今天）")
    items: list[str] | None = Field(default=None, max_length=200, description="只计算这些条款（默认全部）")
    already_received: dict[str, Any] = Field(default_factory=dict, description="已享受金额：条款 key → 金额（就高补差）")
    show: Literal["relevant", "all"] = Field(default="relevant", description="relevant：只列适用、重复及填了相关事实的条款")


@router.get("/incentives/items", summary="政策条款列表（文号、条款、有效期、公式）")
def list_items(doc: Annotated[str | None, Query(max_length=64, description="只列某文件（documents 的 key）")] = None) -> Any:
    book = default_rules()
    items = [item_summary(book, it) for it in book.items.values() if doc is None or it.doc.key == doc]
    docs = [{"key": d.key, "doc_no": d.doc_no, "title": d.title, "issuer": d.issuer, "version": d.version,
             "issued_on": d.issued_on and d.issued_on.isoformat(),
             "effective_from": d.effective_from and d.effective_from.isoformat(),
             "effective_to": d.effective_to and d.effective_to.isoformat(), "currency": d.currency,
             "duplicate_rule": d.duplicate_rule, "scope": d.scope and d.scope["text"], "notes": list(d.notes),
             "source": d.source} for d in book.documents.values()]
    return {"rules_version": book.version, "documents": docs, "items": items, "total": len(items)}


@router.get("/incentives/items/{key}", summary="一个政策条款", responses={404: {"description": "条款不存在"}})
def get_item(key: ItemPath) -> Any:
    book = default_rules()
    if key not in book.items:
        raise NotFound(f"政策条款 {key!r} 不存在")
    return item_summary(book, book.items[key])


@router.get("/incentives/facts", summary="计算器可用的事实字段（名称、类型、单位、可选值）")
def list_facts() -> Any:
    book = default_rules()
    return {"facts": [f.as_dict() for f in book.facts.values()]}


@router.post("/incentives/calculate", summary="政策计算器：适用条款、金额、公式与条款出处", openapi_extra=READ_ONLY,
             responses={404: {"description": "企业或项目不存在"}, 422: {"description": "事实字段有误（逐项列出）"}})
def calculate_endpoint(snap: SnapshotDep, body: Annotated[CalcIn, Body()]) -> Any:
    book = default_rules()
    base = subject_facts(snap, enterprise=body.enterprise or None, project=body.project or None)
    facts = base | parse_facts(book, body.facts)
    calc = calculate(book, facts, on=body.on, already_received=body.already_received, items=body.items, parsed=True)
    out = calc.as_dict(book, only_relevant=body.show == "relevant")
    out["facts_used"] = {k: (v if isinstance(v, (bool, str)) else [str(x) for x in v] if isinstance(v, list) else str(v))
                         for k, v in facts.items()}
    return out


@router.get("/incentives/items/{key}/push", summary="免申即享：图谱中符合该条款的企业/项目及金额",
            responses={404: {"description": "条款不存在"}})
def push_endpoint(
    snap: SnapshotDep,
    key: ItemPath,
    on: Annotated[dt.date | None, Query(description="计算日期（默认今天）")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Any:
    book = default_rules()
    if key not in book.items:
        raise NotFound(f"政策条款 {key!r} 不存在")
    return push(book, snap, key, on=on).as_dict(book, limit=limit)
