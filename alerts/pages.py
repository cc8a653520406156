"""The 内容订阅 page of the officer's workbench: /pages/alerts — the signed-in officer's digest (unread first, each
event linked to its subject's page, times in 北京时间, 标为已读 per event or all), their subscriptions with a form
to add one (产业链、环节、行政区、园区、企业、地块、项目 by name, optional threshold, 行政区 for targets, webhook URL)
and to cancel one, and their webhook deliveries (pending retries and failures with the last error).

Forms post to /pages/alerts/subscribe | unsubscribe | read, guarded by api.deps.page_form (signed in, role, CSRF),
with the same rules as the API (alerts.commands), and answer 303 back here with a message — except a subscription
with a webhook, answered with this page itself (200) showing the signing secret once: a secret never goes into a
redirect URL."""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from alerts import commands as cmd
from alerts.commands.processor import AlertRules
from alerts.page_html import CSS, region_names, events_html, jobs_html, subscribe_form, subscriptions_html
from api.auth import Principal
from api.deps import PageCtxDep, SnapshotDep, StateDep, StoreDep, page_form
from kernel.errors import ChainMatchError
from kernel.pages import PageContext, e, local_path, page, redirect_with

router = APIRouter(include_in_schema=False)
BACK = "/pages/alerts"
subscriber = page_form("officer", "park_admin")
member = page_form()
HEAD = "<h1>内容订阅</h1><p>订阅产业链、环节、行政区、园区、企业、地块或项目，数据变化时在此收到提醒（可选 webhook 推送）。</p>"


def _body(store: StoreDep, snap: SnapshotDep, ctx: PageContext) -> str:
    """The signed-in officer's digest, subscribe form, subscriptions and webhook deliveries (their records are
    keyed by their key's id, which the page session already authenticated)."""
    who = ctx.user
    if who is None:
        return f"<p class='box'>请先<a href='/pages/login?next={e(BACK)}'>登录</a>查看您的订阅与提醒。</p>"
    items = cmd.digest(store, owner=who.key_id, limit=200)
    subs = cmd.list_subscriptions(store, owner=who.key_id)
    jobs = cmd.webhook_jobs(store, owner=who.key_id, limit=30)
    names = {s.sub_id: s.name for s in subs}
    unread = cmd.unread_count(store, owner=who.key_id)
    return (events_html(ctx, items, names, unread) + subscribe_form(ctx, who.role)
            + subscriptions_html(ctx, subs, region_names(snap, [s.region for s in subs if s.region]))
            + jobs_html(jobs, names))


@router.get("/pages/alerts", response_class=HTMLResponse)
def alerts_page(store: StoreDep, snap: SnapshotDep, ctx: PageCtxDep) -> HTMLResponse:
    return page("内容订阅", HEAD, _body(store, snap, ctx), CSS, ctx=ctx, active=BACK)


def _secret_once(store: StoreDep, snap: SnapshotDep, ctx: PageContext, name: str, secret: str) -> HTMLResponse:
    """The answer to a subscription with a webhook: the page itself (200, not a redirect), so the signing secret
    never travels in a URL (Location header, history, access logs); not cached, shown this once."""
    shown = replace(ctx, path=BACK, message=f"已订阅「{name}」；webhook 签名密钥（只显示这一次，请妥善保存）：{secret}",
                    ok=True)
    resp = page("内容订阅", HEAD, _body(store, snap, shown), CSS, ctx=shown, active=BACK)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/pages/alerts/subscribe", response_model=None)
def subscribe_post(store: StoreDep, snap: SnapshotDep, state: StateDep, ctx: PageCtxDep,
                   p: Annotated[Principal, Depends(subscriber)],
                   kind: Annotated[str, Form(max_length=20)], subject: Annotated[str, Form(max_length=200)],
                   min_score: Annotated[str, Form(max_length=10)] = "", region: Annotated[str, Form(max_length=100)] = "",
                   webhook_url: Annotated[str, Form(max_length=2000)] = "",
                   back: Annotated[str, Form(max_length=500)] = "") -> RedirectResponse | HTMLResponse:
    """Subscribe from this page's form or from a 订阅提醒 button on a firm/parcel/project/park page (`back`: that
    page, where the answer is shown)."""
    rules = AlertRules.from_settings(state.settings.alerts)
    to = local_path(back, BACK)
    try:
        score = float(min_score) if min_score.strip() else None
        rec, secret = cmd.subscribe(store, snap, owner=p.key_id, role=p.role, park=p.park, kind=kind,
                                    subject=subject, min_score=score, region=region.strip() or None,
                                    webhook_url=webhook_url, home_region=rules.home_region,
                                    allow_hosts=state.settings.alerts.webhook_allow_hosts)
    except ValueError:
        return redirect_with(to, "阈值须为 0–100 的数字", ok=False)
    except ChainMatchError as err:
        return redirect_with(to, f"未订阅：{err.detail}", ok=False)
    if secret:
        return _secret_once(store, snap, ctx, rec.name, secret)
    return redirect_with(to, f"已订阅「{rec.name}」，变化时在“订阅”页提醒", ok=True)


@router.post("/pages/alerts/unsubscribe")
def unsubscribe_post(store: StoreDep, p: Annotated[Principal, Depends(member)],
                     sub_id: Annotated[str, Form(max_length=64)]) -> RedirectResponse:
    try:
        cmd.unsubscribe(store, owner=p.key_id, sub_id=sub_id)
    except ChainMatchError as err:
        return redirect_with(BACK, err.detail, ok=False)
    return redirect_with(BACK, "已取消订阅", ok=True)


@router.post("/pages/alerts/read")
def read_post(store: StoreDep, p: Annotated[Principal, Depends(member)],
              event_id: Annotated[str, Form(max_length=64)] = "") -> RedirectResponse:
    n = cmd.mark_read(store, owner=p.key_id, event_ids=[event_id] if event_id else None)
    return redirect_with(BACK, f"已标为已读 {n} 条", ok=True)
