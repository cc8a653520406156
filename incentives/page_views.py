"""The 政策计算器 page's HTML (read side, no routes): the form generated from the rule book (incentives.form), the
answer of a calculation grouped the way an officer reads it — 适用 with amount, formula and 文号/条款; 就高不重复;
还需补充 (which facts, linked to their fields); 不在实施范围 / 不符合条件 with the reason — the 免申即享 list of one
item with firm and project names, and the list of encoded clauses. Every value is escaped; no script (the shell's
Content-Security-Policy forbids it): plain GET forms and links.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from incentives.calculator import ItemResult
from incentives.facts import show
from incentives.form import CalcOutcome, FormField, FormSection
from incentives.formulas import item_summary
from incentives.push import PushEntry, PushResult
from incentives.rules import Item, RuleBook, grouped
from kernel.pages import e

CSS = """
.calc{display:grid;grid-template-columns:minmax(360px,440px) 1fr;gap:16px;align-items:start}
.calc form{background:#fff;border:1px solid #dde;padding:10px 12px}
.calc .fld{display:flex;flex-direction:column;gap:2px;margin:0 0 9px;font-size:13px}
.calc .fld label{color:#333}.calc .fld input,.calc .fld select{padding:4px 6px;font-size:14px}
.calc .fld small{color:#777;font-size:11px}.calc .fld.bad input,.calc .fld.bad select{border:2px solid #c0392b}
.calc .fld .why{color:#a61b1b;font-size:12px}
.calc details.sec{border-top:1px solid #e3e5ea;padding:6px 0}.calc summary{cursor:pointer;font-weight:bold;
font-size:13px;color:#1f4e79;margin-bottom:6px}
.calc .go{display:flex;gap:12px;align-items:center;margin:8px 0}
.calc .go button{padding:7px 26px;background:#1f4e79;color:#fff;border:0;cursor:pointer;font-size:15px}
.res h2{font-size:16px;margin:14px 0 6px;color:#1f4e79}.res table{border-collapse:collapse;width:100%;background:#fff;
font-size:13px}.amt{font-weight:bold;white-space:nowrap;color:#1e5e2f}.total{font-size:18px;background:#e6f4ea;
padding:8px 12px;margin:0 0 8px}.cite{white-space:nowrap}.box{background:#fff;border:1px solid #dde;padding:8px 12px;
margin:0 0 8px;font-size:13px}
table.clauses{border-collapse:collapse;width:100%;background:#fff;margin:8px 0 16px;font-size:13px}
"""


# ============================================================================================== the form
OPEN_UP_TO = 12  # a section with more fields than this starts folded (the 2019 policy asks ~40 facts)


def _field(book: RuleBook, f: FormField, out: CalcOutcome, bad: dict[str, str]) -> str:
    typed = out.form.values.get(f.name, "")
    known = out.graph_facts.get(f.name)
    from_graph = "" if known is None else f"图谱：{show(book, f.name, known, out.names)}"
    fid = f"f-{f.name}"
    if f.kind in ("yesno", "choice"):
        opts = ("是", "否") if f.kind == "yesno" else f.choices
        first = f"<option value=''>{e(from_graph or '未知（不填）')}</option>"
        ctrl = (f"<select id='{fid}' name='{e(f.name)}'>{first}"
                + "".join(f"<option{' selected' if o == typed else ''}>{e(o)}</option>" for o in opts) + "</select>")
    else:
        ctrl = (f"<input id='{fid}' name='{e(f.name)}' value='{e(typed)}' placeholder='{e(from_graph)}'"
                f" autocomplete='off'>")
    why = f"<span class='why'>{e(bad[f.label])}</span>" if f.label in bad else ""
    return (f"<div class='fld{' bad' if why else ''}'><label for='{fid}'>{e(f.label)}</label>{ctrl}{why}"
            f"{f'<small>{e(f.help)}</small>' if f.help else ''}</div>")


def _subject_input(control: str, label: str, value: str, placeholder: str, bad: dict[str, str],
                   datalist: str = "") -> str:
    why = f"<span class='why'>{e(bad[label])}</span>" if label in bad else ""
    lst = f" list='{control}-names'" if datalist else ""
    return (f"<div class='fld{' bad' if why else ''}'><label for='f-{control}'>{e(label)}</label>"
            f"<input id='f-{control}' name='{control}' value='{e(value)}' placeholder='{e(placeholder)}'{lst}"
            f" autocomplete='off'>{datalist}{why}</div>")


def calc_form(book: RuleBook, sections: list[FormSection], out: CalcOutcome, project_names: list[str]) -> str:
    """The calculator's GET form: whom to calculate for, the date, and every fact of the rule book by section."""
    bad = dict(out.problems)
    names = {s.label: s.echo for s in out.subjects}
    dl = ("<datalist id='project-names'>" + "".join(f"<option value='{e(n)}'>" for n in project_names)
          + "</datalist>") if project_names else ""
    head = (_subject_input("enterprise", "企业", names.get("Enterprise", out.form.enterprise),
                           "名称、简称或统一社会信用代码", bad)
            + _subject_input("project", "招商项目", names.get("Project", out.form.project), "项目名称或编号", bad, dl)
            + "<small class='muted'>选择企业或项目时，图谱中已知的事实（注册园区、行政区、外资额等）作为默认值，"
              "下面填写的内容优先。</small>"
            + f"<div class='fld{' bad' if '计算日期' in bad else ''}'><label for='f-on'>计算日期</label>"
              f"<input id='f-on' name='on' value='{e(out.form.on)}' placeholder='{e(out.on.isoformat())}（今天）'>"
              + (f"<span class='why'>{e(bad['计算日期'])}</span>" if "计算日期" in bad else "")
              + "<small>奖励所属年度内的日期，年-月-日</small></div>")
    go = ("<div class='go'><button id='calc' type='submit'>计算</button><label><input type='checkbox' name='show' "
          f"value='all'{' checked' if out.form.show_all else ''}> 显示全部条款</label>"
          "<a href='/pages/incentives'>清空</a></div>")
    missing = {m for r in (out.calc.results if out.calc else []) for m in r.missing}
    secs = []
    for i, s in enumerate(sections):
        used = any(f.name in out.form.values or f.name in out.graph_facts or f.name in missing
                   or f.label in bad for f in s.fields)
        opened = i == 0 or used or len(s.fields) <= OPEN_UP_TO
        secs.append(f"<details class='sec'{' open' if opened else ''}><summary>{e(s.title)}"
                    f"（{len(s.fields)} 项）</summary>" + "".join(_field(book, f, out, bad) for f in s.fields) + "</details>")
    return f"<form id='calc-form' method='get' action='/pages/incentives'>{head}{go}{''.join(secs)}{go}</form>"


# ============================================================================================== the answer
def _cite(it: Item) -> str:
    return (f"<span class='cite'>{e(it.doc.doc_no or '文号未载')}</span> {e(it.article)}"
            f"<div class='muted'>{e(it.doc.title)}</div>")


def _push_link(it: Item) -> str:
    return f"<div class='muted'><a href='/pages/incentives/push?item={e(it.key)}'>免申即享名单</a></div>"


def _amount(r: ItemResult, value: Any) -> str:
    up = "（上限）" if r.item.amount_kind == "up_to" else ""
    return f"<span class='amt'>{e(grouped(value))} {e(r.item.currency)}</span>{up}"


def _rows(book: RuleBook, rows: list[ItemResult], status: str) -> str:
    if status == "applies":
        head = "<tr><th>条款</th><th>政策依据（文号、条款）</th><th>金额</th><th>公式与计算</th></tr>"
        body = "".join(
            f"<tr class='item-applies' data-item='{e(r.item.key)}'><td>{e(r.item.name)}{_push_link(r.item)}</td>"
            f"<td>{_cite(r.item)}</td><td>{_amount(r, r.amount)}</td><td>{e(r.computation)}"
            f"<div class='muted'>公式：{e(r.formula)}</div>"
            + "".join(f"<div class='muted'>注：{e(n)}</div>" for n in r.notes) + "</td></tr>" for r in rows)
    elif status == "duplicate":
        head = "<tr><th>条款</th><th>政策依据</th><th>按公式</th><th>为何不计</th></tr>"
        body = "".join(f"<tr><td>{e(r.item.name)}</td><td>{_cite(r.item)}</td><td>{_amount(r, r.computed)}</td>"
                       f"<td>{e('；'.join(r.reasons))}</td></tr>" for r in rows)
    elif status == "missing_facts":
        head = "<tr><th>条款</th><th>政策依据</th><th>还需填写</th></tr>"
        body = "".join(
            f"<tr class='item-missing'><td>{e(r.item.name)}</td><td>{_cite(r.item)}</td><td>"
            + "、".join(f"<a href='#f-{e(m)}'>{e(book.fact_label(m))}</a>" for m in r.missing) + "</td></tr>"
            for r in rows)
    else:
        head = "<tr><th>条款</th><th>政策依据</th><th>原因</th></tr>"
        body = "".join(f"<tr><td>{e(r.item.name)}</td><td>{_cite(r.item)}</td><td>{e('；'.join(r.reasons))}</td></tr>"
                       for r in rows)
    return f"<table class='st-{status}'>{head}{body}</table>"


GROUPS = (("applies", "适用条款"), ("duplicate", "就高不重复（未计入合计）"), ("missing_facts", "还需补充信息"),
          ("out_of_scope", "不在实施范围"), ("excluded", "排除"), ("not_applicable", "不符合条件"),
          ("not_in_force", "不在有效期"))


def _choices(out: CalcOutcome) -> str:
    parts = []
    for control, options in out.choices.items():
        base = [(k, v) for k, v in _query(out) if k != control]
        links = "".join(f"<li><a href='/pages/incentives?{e(urlencode(base + [(control, key)]))}'>{e(name)}</a></li>"
                        for name, key in options)
        parts.append(f"<p>请选择{e('企业' if control == 'enterprise' else '招商项目')}：</p><ul>{links}</ul>")
    return "".join(parts)


def _query(out: CalcOutcome) -> list[tuple[str, str]]:
    f = out.form
    q = [(k, v) for k, v in (("enterprise", f.enterprise), ("project", f.project), ("on", f.on)) if v]
    return q + list(f.values.items()) + ([("show", "all")] if f.show_all else [])


def calc_answer(book: RuleBook, out: CalcOutcome) -> str:
    """The result column: problems (field's Chinese name and what is wrong) or the calculation."""
    if out.problems:
        items = "".join(f"<li><b>{e(f)}</b>：{e(m)}</li>" for f, m in out.problems)
        return (f"<div id='calc-problems' class='flash err'>请修改以下内容后再计算：<ul>{items}</ul></div>"
                + _choices(out))
    if out.calc is None:
        return ("<div class='box'>选择企业或招商项目（名称、简称均可），和/或在左侧填写事实，点击“计算”："
                "列出适用的政策条款、金额、公式和文号条款，就高不重复的取舍，还需补充的信息，以及不在实施范围的原因。"
                "</div>")
    who = "".join(f"<div>{e(s.what)}：<b>{e(s.name)}</b></div>" for s in out.subjects)
    known = "；".join(f"{e(book.fact_label(k))} {e(show(book, k, v, out.names))}" for k, v in out.graph_facts.items())
    facts = (f"<div class='box' id='calc-subject'>{who}<div class='muted'>图谱中的事实："
             f"{known or '无'}</div></div>") if out.subjects else ""
    shown = [r for r in out.calc.results
             if out.form.show_all or r.status in ("applies", "duplicate") or r.touched]
    totals = out.calc.totals()
    total = "；".join(f"{grouped(Decimal(t['total']))} {cur}" + (f"（其中上限性金额 {grouped(Decimal(t['up_to']))} {cur}）"
                                                            if Decimal(t["up_to"]) else "") for cur, t in totals.items())
    parts = [facts, f"<div class='total' id='calc-total'>可享受合计：{e(total or '0')}"
                    f"<span class='muted'>（计算日期 {e(out.on.isoformat())}）</span></div>"]
    for status, title in GROUPS:
        rows = [r for r in shown if r.status == status]
        if rows:
            parts.append(f"<h2>{e(title)}（{len(rows)}）</h2>{_rows(book, rows, status)}")
    if not shown:
        parts.append("<div class='box'>所填事实没有涉及任何条款：请补充事实，或勾选“显示全部条款”。</div>")
    return "".join(parts)


# ============================================================================================== push and clauses
def push_view(book: RuleBook, res: PushResult, names: dict[str, dict[str, str]]) -> str:
    """免申即享 for one item: who qualifies (with amounts) and who must confirm facts, by name."""
    it = res.item

    def link(p: PushEntry) -> str:
        page = "/pages/enterprises/" if p.kind == "Enterprise" else "/pages/pipeline/"
        calc = urlencode({"enterprise" if p.kind == "Enterprise" else "project": p.key})
        return (f"<a href='{page}{e(p.key)}'>{e(p.name)}</a> <span class='muted'>"
                f"{'企业' if p.kind == 'Enterprise' else '招商项目'} · <a href='/pages/incentives?{e(calc)}'>测算</a></span>")

    def known(p: PushEntry) -> str:
        return "；".join(f"{book.fact_label(k)} {show(book, k, v, names)}" for k, v in p.facts.items())

    q = "".join(f"<tr><td>{link(p)}</td><td><span class='amt'>{e(grouped(p.amount))} {e(it.currency)}</span></td>"
                f"<td>{e(p.computation)}</td><td class='muted'>{e(known(p))}</td></tr>" for p in res.qualified)
    c = "".join(f"<tr><td>{link(p)}</td><td>{e('、'.join(book.fact_label(m) for m in p.missing))}</td>"
                f"<td class='muted'>{e(known(p))}</td></tr>" for p in res.to_confirm)
    parts = [f"<div class='box'>{_cite(it)}<div>公式：{e(item_summary(book, it)['formula'])}</div>"
             f"<div class='muted'>计算日期 {e(res.on.isoformat())} · 范围内对象 {res.scanned} 个</div></div>"]
    if res.note:
        parts.append(f"<div class='box'>{e(res.note)}</div>")
    parts.append(f"<h2>符合条件（{len(res.qualified)}）</h2>" + (
        f"<table id='push-qualified'><tr><th>企业/项目</th><th>金额</th><th>计算</th><th>图谱中的事实</th></tr>{q}</table>"
        if q else "<p class='muted'>无</p>"))
    parts.append(f"<h2>待企业确认（{len(res.to_confirm)}）</h2>" + (
        f"<table id='push-confirm'><tr><th>企业/项目</th><th>需确认</th><th>图谱中的事实</th></tr>{c}</table>"
        if c else "<p class='muted'>无</p>"))
    return "<div class='res'>" + "".join(parts) + "</div>"


def clause_list(book: RuleBook) -> str:
    """Every encoded clause, by document: 文号, dates, scope, duplicate rule; per item its article, formula, text."""
    parts = []
    for d in book.documents.values():
        rows = "".join(
            f"<tr><td>{e(s['name'])}<div class='muted'><a href='/pages/incentives/push?item={e(s['item'])}'>"
            f"免申即享名单</a></div></td><td>{e(s['article'])}</td><td>{e(s['formula'])}</td>"
            f"<td>{e('上限（最高）' if s['amount_kind'] == 'up_to' else '按公式')}</td><td class='muted'>{e(s['text'])}</td></tr>"
            for s in (item_summary(book, it) for it in book.items.values() if it.doc.key == d.key))
        notes = "".join(f"<li>{e(n)}</li>" for n in d.notes)
        eff = f"{d.effective_from or '—'} 起" + (f"，至 {d.effective_to}" if d.effective_to else "")
        parts.append(f"<h3>{e(d.title)}</h3><p>文号：{e(d.doc_no or '文本未载')} · 版本：{e(d.version)} · 执行：{e(eff)} · "
                     f"金额单位：{e(d.currency)} · 范围：{e(d.scope['text'] if d.scope else '—')} · "
                     f"重复规则：{e(d.duplicate_rule)}</p><ul class='muted'>{notes}</ul><table class='clauses'><tr>"
                     f"<th>条款</th><th>出处</th><th>公式</th><th>金额性质</th><th>原文</th></tr>{rows}</table>")
    return (f"<details id='clauses'><summary>已收录的政策条款（{len(book.items)} 条，含原文与公式）</summary>"
            + "".join(parts) + "</details>")


def push_chooser(book: RuleBook) -> str:
    """A GET form choosing the item (by name, grouped by document) whose 免申即享 list to open."""
    groups = "".join(
        f"<optgroup label='{e(d.title)}'>" + "".join(
            f"<option value='{e(it.key)}'>{e(it.name)}（{e(it.article)}）</option>"
            for it in book.items.values() if it.doc.key == d.key) + "</optgroup>"
        for d in book.documents.values())
    return (f"<form class='filters' id='push-form' method='get' action='/pages/incentives/push'><label>政策条款"
            f"<select name='item' id='f-item'>{groups}</select></label><label>计算日期<input name='on' type='date'>"
            "</label><button type='submit'>查看名单</button></form>")
