"""/pages/search — the page behind the search box in the navigation bar of every ChainMatch page: the ranked hits
of one query over every kind of node, each labelled with its kind and why it matched, linked to its page; a kind
filter with counts; a helpful empty state. Script-free (a plain GET form), inside the one shell."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from api.deps import PageCtxDep, SnapshotDep, StateDep, StoreDep
from kernel.pages import e, page
from search.documents import KIND_CN, LABELS
from search.models import SearchResult
from search.router import HomeRegionDep, current_index, limits_of
from search.service import MAX_QUERY, Limits, search
from search.text import normalize

router = APIRouter(tags=["页面"])

CSS = """
form.cm-big{display:flex;gap:8px;align-items:center;background:#fff;border:1px solid #dde;padding:12px;margin:0 0 12px}
form.cm-big input[type=search]{flex:1;font-size:16px;padding:7px 10px;max-width:640px}
form.cm-big select{font-size:14px;padding:6px}form.cm-big button{padding:8px 22px;background:#1f4e79;color:#fff;border:0;cursor:pointer}
.cm-kinds{margin:4px 0 10px;font-size:13px}.cm-kinds a{margin-right:12px;color:#1f4e79}.cm-kinds a.on{font-weight:bold}
table.cm-hits{border-collapse:collapse;background:#fff;width:100%;font-size:14px}
table.cm-hits td.kind{white-space:nowrap;width:5em}.cm-kind{display:inline-block;padding:0 6px;border-radius:3px;
background:#e3ecf6;color:#1f4e79;font-size:12px}.cm-why{color:#555;font-size:12px;white-space:nowrap}
.cm-lead{display:inline-block;margin-left:6px;padding:0 5px;border-radius:3px;background:#a55b00;color:#fff;font-size:12px}
.cm-empty{background:#fff;border:1px solid #dde;padding:14px 18px}.cm-empty li{margin:4px 0}
"""
HEADER = "<h1>信息检索</h1><p>一个检索框查企业、园区、地块、项目、基金、产业链与环节、行政区、产品、政策：名称、简称、拼音、首字母、代码都可以，错别字也能找到</p>"
TIPS = ("<ul><li>简称或字号：<a href='/pages/search?q=%E5%B7%A8%E5%8C%96'>巨化</a>、中芯</li>"
        "<li>拼音或拼音首字母：<a href='/pages/search?q=quzhou'>quzhou</a>、<a href='/pages/search?q=jcdl'>jcdl</a>（集成电路）</li>"
        "<li>统一社会信用代码（18 位，或其前几位）</li><li>同音错字也能找到：集成电陆 → 集成电路</li></ul>")


def _form(q: str, label: str | None) -> str:
    opts = "".join(f"<option value='{k}'{' selected' if k == label else ''}>{v}</option>" for k, v in KIND_CN.items())
    return ("<form class='cm-big' method='get' action='/pages/search' role='search' id='cm-search-form'>"
            f"<input type='search' name='q' id='cm-search-q' value='{e(q)}' maxlength='{MAX_QUERY}' "
            "placeholder='企业、园区、地块、项目、产业链…' aria-label='检索词'>"
            f"<select name='label' aria-label='类别'><option value=''>全部类别</option>{opts}</select>"
            "<button type='submit'>搜索</button></form>")


def _kinds(out: SearchResult, q: str) -> str:
    links = [f"<a href='/pages/search?{e(urlencode({'q': q}))}'{' class=on' if not out.label else ''}>全部</a>"]
    for lab in LABELS:
        n = out.by_label.get(lab)
        if n:
            on = " class=on" if out.label == lab else ""
            links.append(f"<a href='/pages/search?{e(urlencode({'q': q, 'label': lab}))}'{on}>{KIND_CN[lab]} {n}</a>")
    return f"<p class='cm-kinds' id='cm-kinds'>{''.join(links)}</p>"


def _hits(out: SearchResult) -> str:
    rows = "".join(
        f"<tr><td class='kind'><span class='cm-kind'>{e(h.label_name)}</span></td>"
        f"<td><a href='{e(h.url)}'>{e(h.name)}</a>{'<span class=cm-lead>链主</span>' if h.leader else ''}</td>"
        f"<td class='muted'>{e(h.context or '')}</td><td class='cm-why'>{e(h.why)} · {e(h.how)}</td></tr>"
        for h in out.hits)
    return (f"<table class='cm-hits' id='cm-hits'><tr><th>类别</th><th>名称</th><th>所在 / 所属</th><th>命中依据</th></tr>"
            f"{rows}</table>")


def _empty(q: str, label: str | None) -> str:
    wider = (f"<li>在<a href='/pages/search?{e(urlencode({'q': q}))}'>全部类别</a>中查找</li>" if label else "")
    return (f"<div class='cm-empty' id='cm-empty'><p>没有找到与“{e(q)}”相关的{e(KIND_CN.get(label or '', ''))}结果。</p>"
            f"<p>可以试试：</p><ul>{wider}<li>少输几个字，如只输入字号（巨化、中芯）</li>"
            "<li>用拼音或首字母（zhongxin、zxgj）</li><li>输入统一社会信用代码</li>"
            "<li>按产业链找企业：<a href='/pages'>工作台</a> · 按地区与产业链找招商目标：<a href='/pages/targets'>招商目标</a></li></ul></div>")


@router.get("/pages/search", response_class=HTMLResponse, summary="信息检索页面")
def search_page(ctx: PageCtxDep, state: StateDep, store: StoreDep, snap: SnapshotDep,
                limits: Annotated[Limits, Depends(limits_of)], home: HomeRegionDep,
                q: Annotated[str | None, Query(max_length=1000)] = None,  # longer: the service says why, in the page
                label: Annotated[str | None, Query(max_length=32)] = None,
                limit: Annotated[int, Query(ge=1, le=100)] = 50) -> HTMLResponse:
    q = (q or "").strip()
    label = label or None
    if not normalize(q):
        body = _form("", label) + f"<div class='cm-empty' id='cm-tips'><p>输入名称、简称、拼音或代码开始检索，例如：</p>{TIPS}</div>"
        return page("信息检索", HEADER, body, CSS, ctx=ctx, active="/pages/search")
    index = current_index(state, store, snap)  # only a query needs the index (the tips page never waits for a build)
    out = search(index, snap, q=q, label=label, limit=limit, limits=limits, home_region=home)
    shown = f"，显示前 {len(out.hits)} 条" if out.total > len(out.hits) else ""
    body = (_form(q, out.label) + f"<p id='cm-count'>“{e(q)}” 共 <b>{out.total}</b> 条结果{shown}</p>"
            + (_kinds(out, q) + _hits(out) if out.hits else _empty(q, out.label)))
    return page(f"{q} · 信息检索", HEADER, body, CSS, ctx=ctx, active="/pages/search")
