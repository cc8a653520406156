"""内容订阅 endpoints (mounted under /api/v1): an officer's subscriptions and the events they caught.

    POST   /subscriptions              subscribe (officer, park_admin within its park, admin; viewer may not)
    GET    /subscriptions              the caller's subscriptions
    DELETE /subscriptions/{id}         unsubscribe
    GET    /events?unread=             the caller's digest, unread first
    POST   /events/read                mark events (or all) read

Every route needs a key: subscriptions and digests are per officer (the key's id)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from alerts import commands as cmd
from alerts.commands.processor import AlertRules
from alerts.views import inbox_row, job_row, subscription_row
from api.auth import Principal
from api.deps import SnapshotDep, StateDep, StoreDep, require

router = APIRouter(tags=["内容订阅"])
member = require("officer", "park_admin", "viewer")
subscriber = require("officer", "park_admin")
Kind = Literal["chain", "segment", "region", "park", "firm", "parcel", "project"]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind = Field(description="订阅对象类型：产业链、环节、行政区、园区、企业、地块、项目")
    subject: str = Field(min_length=1, max_length=200, description="名称、简称或 key（如 集成电路、衢州、中芯国际）")
    min_score: float | None = Field(default=None, ge=0, le=100, description="阈值：只要不低于此分的招商目标/信号（0–100）")
    region: str | None = Field(default=None, max_length=100, description="产业链/环节订阅：招商目标按哪个行政区计算（默认设置中的本地）")
    webhook_url: str | None = Field(default=None, max_length=2000, description="可选：事件以签名 JSON POST 到此地址")


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=1000, description="要标为已读的事件；省略 = 全部")


@router.post("/subscriptions", status_code=201, summary="订阅（产业链、环节、行政区、园区、企业、地块、项目）")
def create_subscription(body: SubscriptionIn, store: StoreDep, snap: SnapshotDep, state: StateDep,
                        p: Annotated[Principal, Depends(subscriber)]) -> dict[str, Any]:
    rules = AlertRules.from_settings(state.settings.alerts)
    rec, secret = cmd.subscribe(store, snap, owner=p.key_id, role=p.role, park=p.park, kind=body.kind,
                                subject=body.subject, min_score=body.min_score, region=body.region,
                                webhook_url=body.webhook_url, home_region=rules.home_region,
                                allow_hosts=state.settings.alerts.webhook_allow_hosts)
    return subscription_row(rec, secret=secret)


@router.get("/subscriptions", summary="我的订阅与 webhook 投递情况")
def my_subscriptions(store: StoreDep, p: Annotated[Principal, Depends(member)]) -> dict[str, Any]:
    return {"items": [subscription_row(s) for s in cmd.list_subscriptions(store, owner=p.key_id)],
            "webhooks": [job_row(j) for j in cmd.webhook_jobs(store, owner=p.key_id)]}


@router.delete("/subscriptions/{sub_id}", status_code=204, summary="取消订阅")
def delete_subscription(sub_id: Annotated[str, Path(min_length=1, max_length=64)], store: StoreDep,
                        p: Annotated[Principal, Depends(member)]) -> None:
    cmd.unsubscribe(store, owner=p.key_id, sub_id=sub_id)


@router.get("/events", summary="我的订阅事件（未读在前）")
def my_events(store: StoreDep, p: Annotated[Principal, Depends(member)],
              unread: Annotated[bool, Query(description="只看未读")] = False,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """`unread`: how many of the caller's events are unread in all — not only on this page."""
    items = cmd.digest(store, owner=p.key_id, unread_only=unread, limit=limit)
    return {"items": [inbox_row(i) for i in items], "unread": cmd.unread_count(store, owner=p.key_id)}


@router.post("/events/read", summary="标为已读")
def read_events(body: ReadIn, store: StoreDep, p: Annotated[Principal, Depends(member)]) -> dict[str, int]:
    return {"marked": cmd.mark_read(store, owner=p.key_id, event_ids=body.event_ids)}
