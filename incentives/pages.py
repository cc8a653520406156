"""政策兑现 page: GET /pages/incentives (the policy items with 文号, article, effective dates and formula).

Server-rendered, Chinese, no external resources (inline CSS, no scripts; the shell's Content-Security-Policy
forbids loading anything else); every value is escaped."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from incentives.formulas import item_summary
from incentives.rules import default_rules
from kernel.pages import e as _e, page

router = APIRouter(include_in_schema=False)
CSS = "table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0 16px;font-size:13px}"


def _page(title: str, body: str) -> HTMLResponse:
    return page(title, "<h1>政策兑现</h1><p><a href='/pages/pipeline'>项目看板</a> · "
                       "<a href='/pages/incentives'>政策兑现条款</a></p>", body, CSS)


@router.get("/pages/incentives", response_class=HTMLResponse)
def incentives_page() -> HTMLResponse:
    book = default_rules()
    parts = []
    for d in book.documents.values():
        rows = "".join(
            f"<tr><td>{_e(s['name'])}<div class='muted'>{_e(s['item'])}</div></td><td>{_e(s['article'])}</td>"
            f"<td>{_e(s['formula'])}</td><td>{_e('上限（最高）' if s['amount_kind'] == 'up_to' else '按公式')}</td>"
            f"<td class='muted'>{_e(s['text'])}</td></tr>"
            for s in (item_summary(book, it) for it in book.items.values() if it.doc.key == d.key))
        notes = "".join(f"<li>{_e(n)}</li>" for n in d.notes)
        eff = f"{d.effective_from or '—'} 起" + (f"，至 {d.effective_to}" if d.effective_to else "")
        parts.append(f"<h2>{_e(d.title)}</h2><p>文号：{_e(d.doc_no or '文本未载')} · 版本：{_e(d.version)} · 执行：{_e(eff)} · "
                     f"金额单位：{_e(d.currency)} · 范围：{_e(d.scope['text'] if d.scope else '—')} · 重复规则：{_e(d.duplicate_rule)}</p>"
                     f"<ul class='muted'>{notes}</ul><table><tr><th>条款</th><th>出处</th><th>公式</th><th>金额性质</th>"
                     f"<th>原文</th></tr>{rows}</table>")
    intro = ("<p>计算器：POST /api/v1/incentives/calculate；免申即享推送：GET /api/v1/incentives/items/{条款}/push；"
             "命令行：chainmatch incentives calc / push。</p>")
    return _page("政策兑现条款", intro + "".join(parts))
