"""招商项目库 pages of the officer's workbench: /pages/pipeline (the board by stage, overdue and stalled marked) and
/pages/pipeline/{key} (one project: facts by name, stage history, weekly tracking, evaluation after landing), and
the two forms officers work with there — 阶段流转 (POST /pages/pipeline/{key}/stage) and 跟踪记录 (POST
/pages/pipeline/{key}/tracking).

The forms call the project library's commands with the same rules and roles as the API (officer, admin, a park
administrator for its own park's projects; signed-in session and CSRF token checked by api.deps.page_form), dated in
北京时间, and answer 303 back to the page with a message: done, or the refusal's reason (an illegal step names the
allowed ones). Server-rendered HTML on the one shell (navigation, who is signed in, the message), no scripts.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from urllib.parse import quote, urlencode

from api.auth import Principal
from api.deps import PageCtxDep, RulesDep, SnapshotDep, StoreDep, page_form
from graph.validation import ValidationFailed
from kernel.errors import ChainMatchError, Conflict
from kernel.pages import PageContext, e, local_path, page, redirect_with, subscribe_button
from pipeline import board as pb, commands as cmd
from pipeline.evaluation import evaluate, parcel_of
from kernel.clock import beijing_today
from pipeline.html import CSS, card, facts, money, project_url, records, workbench
from pipeline.names import ref_names
from pipeline.queries import park_key
from pipeline.rules import STAGES, is_landed, stage_label

router = APIRouter(include_in_schema=False)
PER_COLUMN = 60
KeyPath = Annotated[str, Path(min_length=1, max_length=128)]
officer = page_form("officer", "park_admin")


def _page(title: str, body: str, ctx: PageContext, export: str = "/api/v1/pipeline/export.xlsx") -> HTMLResponse:
    flow = " → ".join(stage_label(s) for s in STAGES)
    return page(title, f"<h1>招商项目库</h1><p>{e(flow)} · <a href='/pages/pipeline'>项目看板</a> · "
                       f"<a href='{e(export)}'>导出 Excel</a></p>", body, CSS, ctx=ctx, active="/pages/pipeline")


@router.get("/pages/pipeline", response_class=HTMLResponse)
def board_page(
    store: StoreDep,
    snap: SnapshotDep,
    r: RulesDep,
    ctx: PageCtxDep,
    park: Annotated[str | None, Query(max_length=128)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    today: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    day = today or beijing_today()
    recs = cmd.project_records(store, snap, park=park_key(snap, park), owner=owner or None)
    # on a board of one park, the cards need not repeat the park's name
    names = {p["key"]: ref_names(snap, p) | ({"park": None} if park else {}) for p in recs}
    b = pb.board(recs, today=day, rules=r)
    form = ("<form class='filters' method='get' action='/pages/pipeline'>"
            f"<label>园区（名称或简称）<input name='park' value='{e(park)}'></label>"
            f"<label>责任人<input name='owner' value='{e(owner)}'></label>"
            f"<label>日期<input type='date' name='today' value='{e(day.isoformat())}'></label>"
            "<button type='submit'>筛选</button></form>")
    cls = " · ".join(f"{e(k)} {v}" for k, v in b["by_class"].items() if v)
    stats = (f"<div class='stats'>共 <b>{b['total']}</b> 个项目（{cls or '—'}）· 已签约（签约及以后）<b>{b['landed']}</b> · "
             f"<span class='bad'>逾期 <b>{b['overdue']}</b></span> · <span class='bad'>停滞 <b>{b['stalled']}</b></span>"
             f"<div class='muted'>{e(b['rules']['text'])}；日期按北京时间。</div></div>")
    filters = urlencode({k: v for k, v in (("park", park), ("owner", owner)) if v})
    back = ctx.path
    cols = []
    for st in b["stages"]:
        cards = "".join(card(v, names[v["key"]], ctx, back, day) for v in st["projects"][:PER_COLUMN])
        more = (f"<div class='more'>另有 {st['count'] - PER_COLUMN} 个，"
                f"<a href='/api/v1/pipeline/board?{e(filters)}'>查看全部（JSON）</a></div>"
                if st["count"] > PER_COLUMN else "")
        cols.append(f"<div class='col'><h2>{e(st['stage'])} <small>{st['count']} 个 · {e(money(st['investment_wan']))}"
                    f"</small></h2>{cards}{more}</div>")
    export = "/api/v1/pipeline/export.xlsx" + (f"?{urlencode({'park': park})}" if park else "")
    return _page("招商项目看板", form + stats + f"<div class='board'>{''.join(cols)}</div>", ctx, export)


@router.get("/pages/pipeline/{key}", response_class=HTMLResponse)
def project_page(store: StoreDep, snap: SnapshotDep, r: RulesDep, ctx: PageCtxDep, key: KeyPath,
                 today: Annotated[dt.date | None, Query()] = None) -> HTMLResponse:
    p = cmd.project(store, key) | {"key": key}
    day = today or beijing_today()
    v = pb.project_view(p, today=day, rules=r)
    warn = ""
    if v["overdue"]:
        warn += f"<p class='warn'>下一步工作已逾期 {v['overdue_days']} 天</p>"
    if v["stalled"]:
        warn += f"<p class='warn'>停滞：{'无任何记录' if v['idle_days'] is None else str(v['idle_days']) + ' 天无阶段变化、无跟踪'}</p>"
    body = (subscribe_button(ctx, "project", key, f"/pages/pipeline/{quote(key)}", park=p.get("park"))
            + f"<h2 id='project-name'>{e(p.get('name'))}</h2>{warn}{facts(p, v, ref_names(snap, p))}"
            f"{workbench(ctx, p, v['stage'], beijing_today())}{records(p)}")
    if is_landed(v["stage"]):
        ev = evaluate(p, parcel_of(snap, key))
        ind = "".join(f"<tr><td>{e(i['name'])}</td><td class='{e(i['outcome'])}'>{e(i['message'])}</td>"
                      f"<td>{e(i['basis'])}</td></tr>" for i in ev["indicators"])
        notes = "".join(f"<li>{e(n)}</li>" for n in ev["notes"])
        body += (f"<h3>落地评价（地块：{e(ev['parcel_name'] or '未找到')}，{e(ev['area_mu'] or '—')} 亩）</h3>"
                 f"<table><tr><th>指标</th><th>结果</th><th>口径</th></tr>{ind}</table><ul class='muted'>{notes}</ul>")
    body += f"<p class='muted'>项目编号 {e(key)}</p>"
    return _page(f"{p.get('name')} · 招商项目", body, ctx)


# ============================================================================================== forms
def _scope(p: Principal) -> str | None:
    return p.park if p.role == "park_admin" else None


def _refused(back: str, err: Exception) -> RedirectResponse:
    """A refusal as the page's message: 冲突 for a state that does not allow it, else what is wrong."""
    if isinstance(err, ValidationFailed):
        text = "；".join(x.message for x in err.problems[:3]) or str(err)
    else:
        text = getattr(err, "message", str(err))
    return redirect_with(back, f"{'冲突' if isinstance(err, Conflict) else '未办理'}：{text}", ok=False)


@router.post("/pages/pipeline/{key}/stage")
def stage_form(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(officer)],
               to: Annotated[str, Form(min_length=1, max_length=20)],
               on: Annotated[str, Form(max_length=20)] = "", note: Annotated[str, Form(max_length=500)] = "",
               back: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    back = local_path(back, project_url(key))
    try:
        out = cmd.change_stage(store, key=key, to=to, on=on or None, note=note or None, actor=p.actor,
                               today=beijing_today(), park=_scope(p))
    except (ChainMatchError, ValidationFailed) as err:
        return _refused(back, err)
    return redirect_with(back, f"“{out.get('name')}”已进入“{stage_label(out['stage'])}”（{out['stage_on']}）", ok=True)


@router.post("/pages/pipeline/{key}/tracking")
def tracking_form(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(officer)],
                  note: Annotated[str, Form(max_length=2000)] = "", on: Annotated[str, Form(max_length=20)] = "",
                  next_action: Annotated[str, Form(max_length=500)] = "",
                  next_action_on: Annotated[str, Form(max_length=20)] = "",
                  back: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    back = local_path(back, project_url(key))
    try:
        out = cmd.add_tracking(store, key=key, note=note, on=on or None, next_action=next_action or None,
                               next_action_on=next_action_on or None, actor=p.actor, today=beijing_today(),
                               park=_scope(p))
    except (ChainMatchError, ValidationFailed) as err:
        return _refused(back, err)
    nxt = f"；下一步：{out['next_action']}（{out.get('next_action_on') or '未定日期'}）" if out.get("next_action") else ""
    return redirect_with(back, f"已记录“{out.get('name')}”的跟踪情况{nxt}", ok=True)
