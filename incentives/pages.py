"""政策计算器 pages on the workbench shell: GET /pages/incentives (the calculator form generated from the rule book,
and its answer: amounts with formula and 文号/条款, 就高不重复, what is still needed, what is out of scope; the
encoded clauses below) and GET /pages/incentives/push?item=… (免申即享: who qualifies, by name; without an item, the items to choose).

Both are reads — the calculator computes and writes nothing — so the form is a plain GET form (no sign-in, no CSRF
token). Bad input never fails the page: it comes back beside the form with the field's Chinese name.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import PageCtxDep, SnapshotDep
from incentives.facts import value_names
from incentives.form import CalcForm, form_sections, run_form
from kernel.clock import beijing_today
from incentives.page_views import CSS, calc_answer, calc_form, clause_list, push_chooser, push_view
from incentives.push import push
from incentives.rules import default_rules
from kernel.errors import NotFound
from kernel.pages import e, page

router = APIRouter(include_in_schema=False)
PROJECT_LIST_MAX = 500  # the project field offers the names of up to this many projects (a datalist, no script)


def _header(title: str, sub: str) -> str:
    return f"<h1>{e(title)}</h1><p>{sub}</p>"


@router.get("/pages/incentives", response_class=HTMLResponse)
def incentives_page(request: Request, snap: SnapshotDep, ctx: PageCtxDep) -> HTMLResponse:
    book = default_rules()
    form = CalcForm.from_query(list(request.query_params.multi_items()), book)
    out = run_form(book, snap, form)
    projects = snap.labels["Project"].names.tolist() if 0 < snap.n("Project") <= PROJECT_LIST_MAX else []
    body = (f"<div class='calc'>{calc_form(book, form_sections(book), out, projects)}"
            f"<div class='res' id='calc-result'>{calc_answer(book, out)}</div></div>{clause_list(book)}")
    sub = f"按已收录的政策原文测算可享受的奖补：金额、公式与文号条款 · 规则版本 {e(book.version)}"
    # active: the shell's ctx.path carries the query, which would light up 工作台 instead of this tab
    return page("政策计算器", _header("政策计算器", sub), body, CSS, ctx=ctx, active="/pages/incentives")


@router.get("/pages/incentives/push", response_class=HTMLResponse)
def push_page(
    snap: SnapshotDep,
    ctx: PageCtxDep,
    item: Annotated[str | None, Query(max_length=128, description="政策条款")] = None,
    on: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    """免申即享: the firms and projects of the graph an item can be pushed to (an item to choose when none is given)."""
    book = default_rules()
    if not item:
        return page("免申即享", _header("免申即享名单", "选择一个政策条款：列出图谱中符合条件和待企业确认的企业、项目"),
                    push_chooser(book), CSS, ctx=ctx, active="/pages/incentives")
    if item not in book.items:
        raise NotFound(f"政策条款 {item!r} 不存在")
    res = push(book, snap, item, on=on or beijing_today())
    sub = (f"{e(res.item.doc.doc_no or res.item.doc.title)} {e(res.item.article)} · "
           "<a href='/pages/incentives/push'>其他条款</a> · <a href='/pages/incentives'>返回政策计算器</a>")
    return page(f"免申即享：{res.item.name}", _header(f"免申即享名单：{res.item.name}", sub),
                push_view(book, res, value_names(snap)), CSS, ctx=ctx, active="/pages/incentives")
