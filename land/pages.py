"""土地超市 pages (工作台) for the park administration (园区) and investment officers: GET /pages/land — the parcel
listing with filters and the 项目找地 form; /pages/land?parcel=… — one parcel with its status, the 预留 / 释放 / 出让
forms, the projects that fit it (and those to verify, and those excluded with reasons), and firms to attract when
no project fits; /pages/land/match — 项目找地 (a quick question → parcels in three tiers); /pages/land/map — the
parcels and parks on an offline map (land.map_page; the one page with a script, its own CSP allows only this site's).

The forms post to /pages/land/parcels/{key}/reserve|release|transfer: signed in, role and CSRF checked by
api.deps.page_form, the same commands (land.commands) with the same park scope as the API — officer or park_admin
(its own park) may reserve and release, park_admin (own park) may transfer, admin everything — then 303 back to the
parcel with the message (已预留 … / 冲突：…). Every page is on the one shell (kernel.pages.page with the request's
context: navigation, who is signed in, the last form's message); no script, everything escaped.
"""
from __future__ import annotations

from typing import Annotated, Any, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import Principal
from api.deps import PageCtxDep, SnapshotDep, StateDep, StoreDep, page_form
from kernel.errors import Conflict, Forbidden, NotFound
from kernel.pages import PageContext, e, error_page, page, redirect_with, subscribe_button
from land import queries
from land.commands import release_parcel, reserve_parcel, transfer_parcel
from land.data import land_data
from land.map_data import map_layers
from land.map_page import CSS as MAP_CSS, MAP_CSP, body as map_body
from land.map_query import page_filter
from land.match_view import QuickQuestion, match_form, match_results, quick_project
from land.parcel_view import parcel_body
from land.ranking import rank_projects
from land.reservations import LandServiceError
from land.scoring import from_settings
from land.storefront import filter_keys, list_parcels
from land.text import project_ref, stored_moment_text
from land.views import CSS, filter_form, listing, number

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FIRM_SUGGESTIONS = 5
KeyPath = Annotated[str, Path(min_length=1, max_length=128)]
ProjectField = Annotated[str, Form(min_length=1, max_length=128)]
HEADER = ("<h1>土地超市</h1><p>园区可供地块：筛选地块、项目找地、查看适合的项目及理由，"
          "登录后可预留、释放、出让</p>")


def _page(title: str, body: str, ctx: PageContext) -> HTMLResponse:
    return page(title, HEADER, body, CSS, ctx=ctx, active="/pages/land")


@router.get("/pages/land", response_class=HTMLResponse)
def land_page(
    request: Request,
    snap: SnapshotDep,
    state: StateDep,
    ctx: PageCtxDep,
    chain: Annotated[str | None, Query(max_length=128)] = None,
    area_min: Annotated[str | None, Query(max_length=32)] = None,
    area_max: Annotated[str | None, Query(max_length=32)] = None,
    invest: Annotated[str | None, Query(max_length=32)] = None,
    park: Annotated[str | None, Query(max_length=128)] = None,
    standard: Annotated[str | None, Query(max_length=8)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    parcel: Annotated[str | None, Query(max_length=128)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    data = land_data(snap)
    if parcel:
        return _detail(request, snap, state, ctx, parcel)
    errors: list[str] = []
    amin = number(area_min, "面积下限", errors)
    amax = number(area_max, "面积上限", errors)
    inv = number(invest, "投资规模", errors)
    status = status if status in ("available", "reserved", "transferred", "all") else "available"
    std = standard in ("1", "on", "true", "yes")
    chain_key, park_key = filter_keys(snap, chain, park, errors)
    rows_idx, total = list_parcels(data, chain=chain_key, area_min=amin, area_max=amax, invest_wan=inv,
                                   park=park_key, standard_only=std, status=status, limit=PAGE_SIZE, offset=offset)
    params = {k: v for k, v in (("chain", chain), ("area_min", area_min), ("area_max", area_max), ("invest", invest),
                                ("park", park), ("standard", "1" if std else None), ("status", status)) if v}
    pager = []
    if offset > 0:
        pager.append(f"<a href='{e('/pages/land?' + urlencode({**params, 'offset': max(0, offset - PAGE_SIZE)}))}'>上一页</a>")
    if offset + PAGE_SIZE < total:
        pager.append(f"<a href='{e('/pages/land?' + urlencode({**params, 'offset': offset + PAGE_SIZE}))}'>下一页</a>")
    shown = f"第 {offset + 1}–{min(offset + PAGE_SIZE, total)} 块" if total else ""
    map_link = "/pages/land/map?" + urlencode({k: v for k, v in params.items() if k != "invest"}
                                              | ({"invest_max": invest} if inv is not None else {}))
    body = ("<section class='box'><h3>项目找地</h3>" + match_form(data, QuickQuestion()) + "</section>"
            f"<p><a id='land-map-link' href='{e(map_link)}'>在地图上查看这些地块</a></p>"
            "<h3>地块一览</h3>" + filter_form(data, chain_key, area_min, area_max, invest, park_key, status, std)
            + "".join(f"<div class='err'>{e(x)}</div>" for x in errors)
            + f"<p>共 <b>{total}</b> 块地块{('，' + shown) if shown else ''}。</p>"
            + listing(data, rows_idx.tolist()) + f"<div class='pager'>{''.join(pager)}</div>")
    return _page("土地超市", body, ctx)


def _recommender(request: Request, state: Any) -> Any:
    """The parcel → firms recommender the API uses (app.state.land_enterprise_recommender overrides it)."""
    from targets import TargetConfig, TargetRecommender

    return (getattr(request.app.state, "land_enterprise_recommender", None)
            or TargetRecommender(TargetConfig(**state.settings.targets.model_dump())))


def _detail(request: Request, snap: Any, state: Any, ctx: PageContext, key: str) -> HTMLResponse:
    data = land_data(snap)
    j = data.parcels.pos(key)
    if j < 0:
        return error_page(404, f"地块 {key} 不存在", ctx=ctx)
    land = state.settings.land
    weights, scales = from_settings(land)
    r = rank_projects(data, j, weights=weights, scales=scales, limit=20, infeasible_limit=20)
    firms = None
    if not r.feasible:
        firms = queries.parcel_enterprises(snap, key, _recommender(request, state), limit=FIRM_SUGGESTIONS)["items"]
    pk = int(data.parcels.park[j])
    body = subscribe_button(ctx, "parcel", key, "/pages/land?" + urlencode({"parcel": key}),
                            park=str(data.ctx.parks.keys[pk]) if pk >= 0 else None) + parcel_body(
        data, j, r, ctx, ttl_hours=land.reservation_ttl_hours, max_ttl_hours=land.reservation_max_ttl_hours,
        firms=firms)
    return _page(f"{data.parcels.names[j]} · 土地超市", body, ctx)


@router.get("/pages/land/match", response_class=HTMLResponse)
def match_page(
    snap: SnapshotDep,
    state: StateDep,
    ctx: PageCtxDep,
    chain: Annotated[str | None, Query(max_length=128)] = None,
    area: Annotated[str | None, Query(max_length=32)] = None,
    spread: Annotated[str | None, Query(max_length=32)] = None,
    intensity: Annotated[str | None, Query(max_length=32)] = None,
    invest: Annotated[str | None, Query(max_length=32)] = None,
    tax: Annotated[str | None, Query(max_length=32)] = None,
    park: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    data = land_data(snap)
    errors: list[str] = []
    chain_key, park_key = filter_keys(snap, chain, park, errors)
    q = QuickQuestion(chain=chain_key, area=area, spread=spread, intensity=intensity, invest=invest, tax=tax,
                      park=park_key)
    body = "<p><a href='/pages/land'>← 返回地块列表</a></p><section class='box'><h3>项目找地</h3>" + match_form(data, q)
    asked = quick_project(q)
    errors += asked.errors
    body += "".join(f"<div class='err'>{e(x)}</div>" for x in errors) + "</section>"
    if q.asked() and not errors:
        weights, scales = from_settings(state.settings.land)
        r = queries.match_ranking(snap, project=None, project_data={"name": "项目找地", **asked.data}, park=park_key,
                                  region=None, limit=50, infeasible_limit=30, include_transferred=False,
                                  weights=weights, scales=scales)
        body += match_results(data, r, asked.reading)
    return _page("项目找地 · 土地超市", body, ctx)


MAP_HEADER = ("<h1>土地超市地图</h1><p>园区与地块一图查看：按状态着色，按产业类型、投资规模、园区、行政区筛选；"
              "点击地块看标准地指标和匹配项目</p>")
MAP_FILTERS = ("chain", "park", "region", "status", "area_min", "area_max", "invest_min", "invest_max", "standard")


@router.get("/pages/land/map", response_class=HTMLResponse)
def map_page(request: Request, snap: SnapshotDep, ctx: PageCtxDep) -> HTMLResponse:
    typed = {k: request.query_params.get(k, "")[:128] or None for k in MAP_FILTERS}
    errors: list[str] = []
    data = land_data(snap)
    f = page_filter(snap, typed, errors)
    layers = map_layers(data, f)
    resp = page("地图 · 土地超市", MAP_HEADER, map_body(data, layers, f, errors), CSS + MAP_CSS, ctx=ctx,
                active="/pages/land")
    resp.headers["Content-Security-Policy"] = MAP_CSP
    return resp


# ------------------------------------------------------------------------------------------------ forms
def _scope(p: Principal) -> str | None:
    return p.park if p.role == "park_admin" else None


def _back(key: str) -> str:
    return "/pages/land?" + urlencode({"parcel": key})


def _refusal(err: LandServiceError) -> str:
    kind = ("冲突" if isinstance(err, Conflict) else "无权办理" if isinstance(err, Forbidden)
            else "未找到" if isinstance(err, NotFound) else "未办理")  # Invalid (incl. a project breaking a rule)
    return f"{kind}：{err.message}"


def _act(key: str, do: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], str]) -> RedirectResponse:
    """Run one land command for a page form: back to the parcel with what happened, or why nothing did."""
    try:
        after = do()
    except LandServiceError as err:  # the page's answer to a refusal is a message on the parcel page
        return redirect_with(_back(key), _refusal(err), ok=False)
    return redirect_with(_back(key), done(after))


@router.post("/pages/land/parcels/{key}/reserve")
def reserve_form(snap: SnapshotDep, store: StoreDep, state: StateDep, key: KeyPath, project: ProjectField,
                 p: Annotated[Principal, Depends(page_form("officer", "park_admin"))],
                 ttl_hours: Annotated[str, Form(max_length=16)] = "") -> RedirectResponse:
    land = state.settings.land
    errors: list[str] = []
    hours = number(ttl_hours, "预留时长", errors)
    if errors:
        return redirect_with(_back(key), "未办理：" + errors[0], ok=False)
    holder = project_ref(land_data(snap).projects, project)
    return _act(key, lambda: reserve_parcel(store, parcel=key, project=project, actor=p.actor,
                                            ttl_hours=hours or land.reservation_ttl_hours,
                                            max_ttl_hours=land.reservation_max_ttl_hours, park_scope=_scope(p)),
                lambda after: f"已预留：地块「{after.get('name', key)}」预留给{holder}，"
                              f"至 {stored_moment_text(after.get('expires_at'))}")


@router.post("/pages/land/parcels/{key}/release")
def release_form(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(page_form("officer", "park_admin"))],
                 reason: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
    return _act(key, lambda: release_parcel(store, parcel=key, actor=p.actor, park_scope=_scope(p),
                                            reason=reason.strip() or None),
                lambda after: f"已释放：地块「{after.get('name', key)}」恢复可供")


@router.post("/pages/land/parcels/{key}/transfer")
def transfer_form(snap: SnapshotDep, store: StoreDep, key: KeyPath, project: ProjectField,
                  p: Annotated[Principal, Depends(page_form("park_admin"))]) -> RedirectResponse:
    holder = project_ref(land_data(snap).projects, project)
    return _act(key, lambda: transfer_parcel(store, parcel=key, project=project, actor=p.actor, park_scope=_scope(p)),
                lambda after: f"已出让：地块「{after.get('name', key)}」出让给{holder}")
