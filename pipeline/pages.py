"""招商项目库 pages: GET /pages/pipeline (the board by stage, overdue and stalled projects highlighted) and
GET /pages/pipeline/{key} (one project: stage history, weekly tracking, evaluation after landing).

Server-rendered HTML for leadership and officers, Chinese UI, no external resources (inline CSS, no scripts; a
Content-Security-Policy header forbids loading anything else). Every value from the data or the query string is
escaped. The pages only read; stage changes and tracking go through the API or the CLI (they need a key).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import RulesDep, SnapshotDep, StoreDep
from kernel.pages import e as _e, page
from pipeline import board as pb, commands as cmd
from pipeline.evaluation import evaluate, parcel_of
from pipeline.queries import park_key
from pipeline.rules import TRANSITIONS, is_landed

router = APIRouter(include_in_schema=False)

CSS = """
.stats{margin:12px 0;font-size:14px}.stats b{color:#1f4e79}.stats .bad{color:#b3261e}
.board{display:grid;grid-template-columns:repeat(8,minmax(150px,1fr));gap:8px;overflow-x:auto}
.col{background:#eef1f6;padding:6px;min-height:120px}.col h2{font-size:14px;margin:2px 0 6px}
.col h2 small{font-weight:normal;color:#555}
.card{background:#fff;border:1px solid #dde;border-left:4px solid #8aa;padding:5px 6px;margin-bottom:6px;font-size:12px}
.card a{font-weight:bold;color:#1f4e79;text-decoration:none}.card.overdue{border-left-color:#b3261e;background:#fff5f5}
.card.stalled{border-left-color:#c77700}.badge{display:inline-block;padding:0 4px;border-radius:3px;font-size:11px;margin-right:3px}
.b-重大{background:#b3261e;color:#fff}.b-重点{background:#c77700;color:#fff}.b-一般{background:#dde;color:#333}
.warn{color:#b3261e;font-weight:bold}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0 16px;font-size:13px}
.pass{color:#27632a}.shortfall{color:#b3261e;font-weight:bold}.unknown,.no_requirement{color:#777}
.more{font-size:12px}
"""
PER_COLUMN = 60


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x / 10000:.2f} 亿元" if x >= 10000 else f"{x:,.0f} 万元"


def _page(title: str, body: str) -> HTMLResponse:
    return page(title, "<h1>招商项目库</h1><p>线索 → 接洽 → 洽谈 → 签约 → 注册 → 开工 → 投产 → 达产 · "
                       "<a href='/pages/pipeline'>项目看板</a> · <a href='/pages/incentives'>政策兑现条款</a> · "
                       "<a href='/api/v1/pipeline/export.xlsx'>导出 Excel</a></p>", body, CSS)


def _card(v: dict[str, Any]) -> str:
    cls = "card" + (" overdue" if v["overdue"] else "") + (" stalled" if v["stalled"] and not v["overdue"] else "")
    badge = f"<span class='badge b-{_e(v['classification'])}'>{_e(v['classification'])}</span>" if v["classification"] else ""
    flags = []
    if v["overdue"]:
        flags.append(f"<div class='warn'>逾期 {v['overdue_days']} 天</div>")
    if v["stalled"]:
        idle = "无跟踪记录" if v["idle_days"] is None else f"{v['idle_days']} 天未更新"
        flags.append(f"<div class='warn'>停滞：{_e(idle)}</div>")
    nxt = (f"<div>下一步：{_e(v['next_action'])}<span class='muted'>（{_e(v['next_action_on'] or '未定日期')}）</span></div>"
           if v["next_action"] else "")
    return (f"<div class='{cls}'>{badge}<a href='/pages/pipeline/{quote(v['key'], safe='')}'>{_e(v['name'])}</a>"
            f"<div class='muted'>{_e(_money(v['total_investment_wan']))} · {_e(v['owner'] or '未定责任人')}</div>"
            f"{nxt}{''.join(flags)}</div>")


@router.get("/pages/pipeline", response_class=HTMLResponse)
def board_page(
    store: StoreDep,
    snap: SnapshotDep,
    r: RulesDep,
    park: Annotated[str | None, Query(max_length=128)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    today: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    day = today or dt.date.today()
    b = pb.board(cmd.project_records(store, snap, park=park_key(snap, park), owner=owner or None), today=day, rules=r)
    form = ("<form class='filters' method='get' action='/pages/pipeline'>"
            f"<label>园区<input name='park' value='{_e(park)}'></label>"
            f"<label>责任人<input name='owner' value='{_e(owner)}'></label>"
            f"<label>日期<input name='today' value='{_e(day.isoformat())}'></label>"
            "<button type='submit'>筛选</button></form>")
    cls = " · ".join(f"{_e(k)} {v}" for k, v in b["by_class"].items() if v)
    stats = (f"<div class='stats'>共 <b>{b['total']}</b> 个项目（{cls or '—'}）· 已落地（签约及以后）<b>{b['landed']}</b> · "
             f"<span class='bad'>逾期 <b>{b['overdue']}</b></span> · <span class='bad'>停滞 <b>{b['stalled']}</b></span>"
             f"<div class='muted'>{_e(b['rules']['text'])}</div></div>")
    cols = []
    for st in b["stages"]:
        cards = "".join(_card(v) for v in st["projects"][:PER_COLUMN])
        more = (f"<div class='more'>另有 {st['count'] - PER_COLUMN} 个，"
                f"<a href='/api/v1/pipeline/board?{_e(urlencode({k: v for k, v in (('park', park), ('owner', owner)) if v}))}'>查看全部（JSON）</a></div>"
                if st["count"] > PER_COLUMN else "")
        cols.append(f"<div class='col'><h2>{_e(st['stage'])} <small>{st['count']} 个 · {_e(_money(st['investment_wan']))}</small></h2>"
                    f"{cards}{more}</div>")
    return _page("招商项目看板", form + stats + f"<div class='board'>{''.join(cols)}</div>")


@router.get("/pages/pipeline/{key}", response_class=HTMLResponse)
def project_page(store: StoreDep, snap: SnapshotDep, r: RulesDep, key: Annotated[str, Path(min_length=1, max_length=128)],
                 today: Annotated[dt.date | None, Query()] = None) -> HTMLResponse:
    p = cmd.project(store, key)
    day = today or dt.date.today()
    v = pb.project_view(p, today=day, rules=r)
    facts = [("阶段", f"{v['stage']}（{v['stage_on'] or '日期未记录'} 起）"), ("分类", v["classification"] or "未填总投资"),
             ("总投资", _money(p.get("total_investment_wan"))), ("责任人", p.get("owner")), ("投资方", p.get("investor")),
             ("产业链/环节", f"{p.get('chain') or '—'} / {p.get('segment') or '—'}"), ("园区", p.get("park")),
             ("签约日期", p.get("signed_on")), ("下一步", f"{p.get('next_action') or '—'}（{p.get('next_action_on') or '未定日期'}）"),
             ("可转入阶段", "、".join(TRANSITIONS.get(v["stage"], ())) or "无（已达产）")]
    warn = ""
    if v["overdue"]:
        warn += f"<p class='warn'>下一步工作已逾期 {v['overdue_days']} 天</p>"
    if v["stalled"]:
        warn += f"<p class='warn'>停滞：{'无任何记录' if v['idle_days'] is None else str(v['idle_days']) + ' 天无阶段变化、无跟踪'}</p>"
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(val if val is not None else '—')}</td></tr>" for k, val in facts)
    hist = "".join(f"<tr><td>{_e(e.get('on'))}</td><td>{_e(e.get('from') or '（建档）')} → {_e(e.get('to'))}</td>"
                   f"<td>{_e(e.get('by'))}</td><td>{_e(e.get('note'))}</td></tr>" for e in pb.stage_history(p))
    track = "".join(f"<tr><td>{_e(e.get('on'))}</td><td>{_e(e.get('by'))}</td><td>{_e(e.get('note'))}</td></tr>"
                    for e in reversed(pb.tracking_log(p)))
    body = (f"<h2>{_e(p.get('name'))} <small class='muted'>{_e(key)}</small></h2>{warn}<table>{rows}</table>"
            f"<h3>阶段记录</h3><table><tr><th>日期</th><th>流转</th><th>操作人</th><th>说明</th></tr>"
            f"{hist or '<tr><td colspan=4>无</td></tr>'}</table>"
            f"<h3>跟踪记录（最近在前）</h3><table><tr><th>日期</th><th>记录人</th><th>情况</th></tr>"
            f"{track or '<tr><td colspan=3>无</td></tr>'}</table>")
    if is_landed(v["stage"]):
        ev = evaluate(p, parcel_of(snap, key))
        ind = "".join(f"<tr><td>{_e(i['name'])}</td><td class='{_e(i['outcome'])}'>{_e(i['message'])}</td>"
                      f"<td>{_e(i['basis'])}</td></tr>" for i in ev["indicators"])
        notes = "".join(f"<li>{_e(n)}</li>" for n in ev["notes"])
        body += (f"<h3>落地评价（地块：{_e(ev['parcel_name'] or '未找到')}，{_e(ev['area_mu'] or '—')} 亩）</h3>"
                 f"<table><tr><th>指标</th><th>结果</th><th>口径</th></tr>{ind}</table><ul class='muted'>{notes}</ul>")
    body += "<p class='muted'>阶段变更与跟踪记录请通过 API（POST /api/v1/pipeline/projects/{key}/stage、/tracking）或命令行 chainmatch projects 办理。</p>"
    return _page(f"{p.get('name')} · 招商项目", body)
