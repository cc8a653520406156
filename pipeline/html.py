"""招商项目库 pages in pieces: a project's card on the board, its facts in names (the investor's firm name, the
chain's and the park's names — never their codes), its stage and tracking records with the moment each was
recorded in 北京时间, and the two forms an officer works with — 阶段流转 (only to the legal next stages, dated, with a
note) and 跟踪记录 (what happened, the next action and its date).

Plain HTML (no script: the pages' Content-Security-Policy forbids it); every value from the data is escaped. The
forms post to /pages/pipeline/{key}/stage and /tracking with the signed-in officer's CSRF token.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from kernel.clock import beijing_text
from kernel.pages import PageContext, action_form, e
from pipeline.board import stage_history, tracking_log
from pipeline.names import REFS
from pipeline.rules import STAGE_INDEX, STAGES, TRANSITIONS, stage_label

WRITERS = ("officer", "park_admin", "admin")

CSS = """
.stats{margin:12px 0;font-size:14px}.stats b{color:#1f4e79}.stats .bad{color:#b3261e}
.board{display:grid;grid-template-columns:repeat(8,minmax(128px,1fr));gap:6px;overflow-x:auto}
.col{background:#eef1f6;padding:6px;min-height:120px}.col h2{font-size:14px;margin:2px 0 6px}
.col h2 small{font-weight:normal;color:#555}
.card{background:#fff;border:1px solid #dde;border-left:4px solid #8aa;padding:5px 6px;margin-bottom:6px;font-size:12px}
.card a{font-weight:bold;color:#1f4e79;text-decoration:none}.card.overdue{border-left-color:#b3261e;background:#fff5f5}
.card.stalled{border-left-color:#c77700}.badge{display:inline-block;padding:0 4px;border-radius:3px;font-size:11px;margin-right:3px}
.b-重大{background:#b3261e;color:#fff}.b-重点{background:#c77700;color:#fff}.b-一般{background:#dde;color:#333}
.warn{color:#b3261e;font-weight:bold}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0 16px;font-size:13px}
table.facts th{width:9em}
.pass{color:#27632a}.shortfall{color:#b3261e;font-weight:bold}.unknown,.no_requirement{color:#777}
.more{font-size:12px}
.card details{margin-top:4px}.card summary{cursor:pointer;color:#1f4e79}
.card form.act{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0}.card form.act input,.card form.act select{font-size:12px;
padding:2px 4px;max-width:100%}.card button.act{padding:3px 8px;font-size:12px}
.card form.act label{display:block;width:100%}.card form.act input{width:100%;box-sizing:border-box}
.work{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin:12px 0}
.work section{background:#fff;border:1px solid #dde;padding:8px 12px}.work h3{margin:4px 0 8px;font-size:15px}
.work form.act{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end}
.work label{display:flex;flex-direction:column;font-size:12px;color:#555;gap:3px}
.work input[name=note],.work input[name=next_action]{min-width:260px}
"""


def beijing(at: str | None) -> str:
    """A stored UTC moment (2026-11-20T01:30:00Z) as 北京时间: 2026-11-20 09:30."""
    return beijing_text(at)


def who(actor: str | None) -> str:
    """Who recorded an entry, by name: the audit form 张三(0065…,officer) shows as 张三."""
    return (actor or "—").split("(", 1)[0] or (actor or "—")


def money(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x / 10000:.2f} 亿元" if x >= 10000 else f"{x:,.0f} 万元"


def can_work(ctx: PageContext | None, park: str | None) -> bool:
    """The signed-in user may change this project (the API's rule: officer, admin, a park admin for its park)."""
    u = ctx.user if ctx else None
    return bool(u and u.role in WRITERS and (u.role != "park_admin" or u.park == park))


def project_url(key: str) -> str:
    return f"/pages/pipeline/{quote(key, safe='')}"


# ============================================================================================== forms
def _hidden(name: str, value: str) -> str:
    return f"<input type='hidden' name='{e(name)}' value='{e(value)}'>"


def stage_form(ctx: PageContext | None, key: str, stage: str, back: str, today: dt.date, *, compact: bool = False) -> str:
    """阶段流转: a choice of the legal next stages only (注册 shown as 注册（落地）), the date and a note."""
    nxt = TRANSITIONS.get(stage, ())
    if not nxt:
        return "" if compact else "<p class='muted'>已达产，无后续阶段。</p>"
    opts = "".join(f"<option value='{e(s)}'>{e(stage_label(s))}{'（回退）' if STAGE_INDEX[s] < STAGE_INDEX[stage] else ''}"
                   "</option>" for s in nxt)
    fields = _hidden("back", back) + f"<label>转入<select name='to'>{opts}</select></label>"
    if not compact:
        fields += (f"<label>日期<input type='date' name='on' value='{today.isoformat()}' max='{today.isoformat()}'></label>"
                   "<label>说明<input name='note' maxlength='500' placeholder='回退时必填'></label>")
    return action_form(ctx, f"{project_url(key)}/stage", "流转" if compact else "确认流转", fields,
                       form_id="" if compact else "stage-form")


def tracking_form(ctx: PageContext | None, key: str, back: str, today: dt.date, *, compact: bool = False) -> str:
    """跟踪记录: what happened (required), and optionally the next action and its planned date."""
    fields = _hidden("back", back) + "<label>跟踪情况<input name='note' maxlength='2000' required></label>"
    if not compact:
        fields += (f"<label>日期<input type='date' name='on' value='{today.isoformat()}' max='{today.isoformat()}'></label>"
                   "<label>下一步工作<input name='next_action' maxlength='500'></label>"
                   "<label>下一步计划日期<input type='date' name='next_action_on'></label>")
    return action_form(ctx, f"{project_url(key)}/tracking", "记录" if compact else "添加跟踪记录", fields,
                       form_id="" if compact else "tracking-form")


# ============================================================================================== board
def card(v: dict[str, Any], names: dict[str, str | None], ctx: PageContext | None, back: str, today: dt.date) -> str:
    """One project on the board: name, class, investment, 责任人, investor and park by name, warnings, and — for
    whoever may change it — the two forms folded under 办理."""
    cls = "card" + (" overdue" if v["overdue"] else "") + (" stalled" if v["stalled"] and not v["overdue"] else "")
    badge = f"<span class='badge b-{e(v['classification'])}'>{e(v['classification'])}</span>" if v["classification"] else ""
    flags = []
    if v["overdue"]:
        flags.append(f"<div class='warn'>逾期 {v['overdue_days']} 天</div>")
    if v["stalled"]:
        idle = "无跟踪记录" if v["idle_days"] is None else f"{v['idle_days']} 天未更新"
        flags.append(f"<div class='warn'>停滞：{e(idle)}</div>")
    nxt = (f"<div>下一步：{e(v['next_action'])}<span class='muted'>（{e(v['next_action_on'] or '未定日期')}）</span></div>"
           if v["next_action"] else "")
    who = " · ".join(e(n) for n in (names.get("investor"), names.get("park")) if n)
    work = ""
    if can_work(ctx, v["park"]):
        work = (f"<details><summary>办理</summary>{stage_form(ctx, v['key'], v['stage'], back, today, compact=True)}"
                f"{tracking_form(ctx, v['key'], back, today, compact=True)}</details>")
    return (f"<div class='{cls}'>{badge}<a href='{project_url(v['key'])}'>{e(v['name'])}</a>"
            f"<div class='muted'>{e(money(v['total_investment_wan']))} · {e(v['owner'] or '未定责任人')}</div>"
            f"{f'<div class=muted>{who}</div>' if who else ''}{nxt}{''.join(flags)}{work}</div>")


# ============================================================================================== one project
def _link(href: str, text: str | None) -> str:
    return f"<a href='{e(href)}'>{e(text)}</a>" if text else "—"


def facts(p: dict[str, Any], v: dict[str, Any], names: dict[str, str | None]) -> str:
    """The project's facts, references by name (the firm, the chain and segment, the 行政区, the park)."""
    q = lambda k: quote(str(p.get(k) or ""), safe="")  # noqa: E731
    chain = _link(f"/pages/chains/{q('chain')}/map", names["chain"]) if p.get("chain") else "—"
    rows = [
        ("阶段", e(f"{stage_label(v['stage'])}（{v['stage_on'] or '日期未记录'} 起）")),
        ("分类", e(v["classification"] or "未填总投资")), ("总投资", e(money(p.get("total_investment_wan")))),
        ("责任人", e(p.get("owner") or "—")),
        (REFS["investor"][1], _link(f"/pages/enterprises/{q('investor')}", names["investor"]) if p.get("investor") else "—"),
        ("产业链 / 环节", f"{chain} / {e(names['segment'] or '—')}"),
        (REFS["region"][1], e(names["region"] or "—")),
        (REFS["park"][1], _link(f"/pages/parks/{q('park')}", names["park"]) if p.get("park") else "—"),
        ("签约日期", e(p.get("signed_on") or "—")),
        ("下一步", e(f"{p.get('next_action') or '—'}（{p.get('next_action_on') or '未定日期'}）")),
        ("可转入阶段", e("、".join(stage_label(s) for s in TRANSITIONS.get(v["stage"], ())) or "无（已达产）")),
    ]
    return "<table class='facts'>" + "".join(f"<tr><th>{e(k)}</th><td>{val}</td></tr>" for k, val in rows) + "</table>"


def records(p: dict[str, Any]) -> str:
    """The stage history (oldest first) and the tracking log (latest first), each entry with who and when it was
    recorded in 北京时间."""
    hist = "".join(f"<tr><td>{e(x.get('on'))}</td><td>{e(x.get('from') or '（建档）')} → {e(stage_label(x.get('to') or ''))}"
                   f"</td><td>{e(who(x.get('by')))}</td><td>{e(x.get('note'))}</td><td>{e(beijing(x.get('at')))}</td></tr>"
                   for x in stage_history(p))
    track = "".join(f"<tr><td>{e(x.get('on'))}</td><td>{e(who(x.get('by')))}</td><td>{e(x.get('note'))}</td>"
                    f"<td>{e(beijing(x.get('at')))}</td></tr>" for x in reversed(tracking_log(p)))
    return (f"<h3>阶段记录</h3><table id='stage-history'><tr><th>日期</th><th>流转</th><th>操作人</th><th>说明</th>"
            f"<th>登记时间（北京时间）</th></tr>{hist or '<tr><td colspan=5>无</td></tr>'}</table>"
            f"<h3>跟踪记录（最近在前）</h3><table id='tracking-log'><tr><th>日期</th><th>记录人</th><th>情况</th>"
            f"<th>登记时间（北京时间）</th></tr>{track or '<tr><td colspan=4>无</td></tr>'}</table>")


def workbench(ctx: PageContext | None, p: dict[str, Any], stage: str, today: dt.date) -> str:
    """The two forms side by side for whoever may change the project; otherwise how to get there."""
    key = p["key"]
    if not can_work(ctx, p.get("park")):
        if ctx is None or ctx.user is None:
            why = f"<a href='/pages/login?next={quote(project_url(key), safe='')}'>登录</a>后可在此办理阶段流转与跟踪记录。"
        else:
            why = "您的角色不能修改此项目（需招商专员、管理员，或本园区的园区管理员）。"
        return f"<p class='muted' id='work-hint'>{why}</p>"
    back = project_url(key)
    return (f"<div class='work'><section><h3>阶段流转</h3>{stage_form(ctx, key, stage, back, today)}"
            f"<p class='muted'>只列出当前可转入的阶段：{e(' → '.join(STAGES))}；签约前可退回上一阶段（须说明原因）。"
            f"“落地”即“注册”。</p></section>"
            f"<section><h3>跟踪记录</h3>{tracking_form(ctx, key, back, today)}</section></div>")
