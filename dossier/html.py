"""The 企业尽调 page (GET /pages/enterprises/{key}): the firm's relation graph on screen, then the dossier — the two
signals with their evidence, registration facts, segments and products, why it is (not) a 招商目标 for the chosen
region, suppliers and customers, funds, similar firms, its projects and the policies it may be eligible for — with
print CSS, so the browser's 打印 (or the PDF export) gives clean A4 pages without the graph, navigation and forms.
The page is read for one 招商地区 as of one date: every download, every link to another firm's dossier (tables,
graph, similar firms), the 政策计算器 link and the 招商地区 form carry both (`page_query`), so what the officer
downloads or opens next is what the page showed. Everything escaped; names, never codes.
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from chains.render.firm import recommendation, similar_rows
from chains.render.html import graph_parts
from chains.render.profiles import enterprise_view
from chains.render.shell import Parts
from dossier.models import Dossier, Section, Signal
from dossier.signals import points_text
from graph.snapshot import Snapshot
from kernel.pages import e
from kernel.resolve import resolver

API_PREFIX = "/api/v1"
FIRM_PAGE = "/pages/enterprises/"
LINKED = {"suppliers": FIRM_PAGE, "customers": FIRM_PAGE, "projects": "/pages/pipeline/"}
_FIRM_HREF = re.compile(r"href='(/pages/enterprises/[^'?#]+)'")

CSS = """
.ds-signals { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px 20px; }
.ds-signal { border: 1px solid var(--line, #e0e0e0); border-radius: 6px; padding: 8px 14px; background: #fff; }
.ds-signal h3 { margin: 2px 0 4px; font-size: 16px; }
.ds-score { font-size: 30px; font-weight: 700; margin-right: 8px; }
.ds-level { display: inline-block; padding: 0 8px; border-radius: 10px; border: 1px solid #90a4ae; font-size: 13px; }
.ds-level.l高, .ds-level.l扩张活跃 { background: #fdecea; border-color: #c62828; color: #8a1f1f; }
.ds-level.l中, .ds-level.l温和扩张 { background: #fff8e1; border-color: #f9a825; }
.ds-level.l数据不足, .ds-level.l不适用 { background: #f5f5f5; color: #616161; }
.ds-signal ol { padding-left: 20px; margin: 6px 0; } .ds-signal li { margin: 3px 0; }
.ds-pts { color: #616161; font-size: 12px; white-space: nowrap; }
.ds-miss { color: #616161; font-size: 12px; }
.cm-print-only { display: none; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  nav.cm, .cm-graph, header .cm-links, form, .cm-screen-only, #cm-flash { display: none !important; }
  .cm-print-only { display: block !important; }
  body { background: #fff; } main { max-width: none; padding: 0; font-size: 12px; }
  .cm-cols, .ds-signals { display: block; }
  h2 { break-after: avoid; } table, .ds-signal { break-inside: auto; } tr, li { break-inside: avoid; }
  table.cm-table { font-size: 11px; } table.cm-table th { position: static; }
  main a { color: inherit; text-decoration: none; }
}
"""


def page_query(d: Dossier) -> str:
    """The query that reads a dossier page the same way: its 招商地区 (as given) and its date."""
    return urlencode({**({"region": d.region} if d.region else {}), "as_of": d.as_of.isoformat()})


def _carried(href: str | None, query: str) -> str | None:
    """A link to a firm's dossier page, with the page's region and date; other links unchanged."""
    return f"{href}?{query}" if href and href.startswith(FIRM_PAGE) and "?" not in href else href


def _carry_view(view: Any, query: str) -> None:
    """The graph's panel links (the firm, its partners, grouped firms) read the same region and date."""
    for d in view.details.values():
        d["href"] = _carried(d.get("href"), query)
        for s in d.get("sections") or []:
            for it in s.get("items") or []:
                if isinstance(it, dict):
                    it["href"] = _carried(it.get("href"), query)


def _total_note(sig: Signal) -> str:
    """When the points shown do not add up to a whole number: how the score is rounded from them."""
    total = round(sum(sig.components.values()), 1)
    if sig.score is None or total == sig.score:
        return ""
    return f"<p class='ds-miss'>各项合计 {points_text(total)} 分，四舍五入为 {sig.score} 分</p>"


def _signal_html(sig: Signal) -> str:
    number = "—" if sig.score is None else str(sig.score)
    items = "".join(f"<li>{e(ev.text)} <span class='ds-pts'>+{points_text(ev.points)} 分 · {e(ev.component)}</span></li>"
                    for ev in sig.evidence)
    body = f"<ol class='ds-evidence'>{items}</ol>" if items else (
        "" if sig.score is None else "<p class='cm-hint'>近两年的记录中没有计分的事实。</p>")
    note = f"<p class='cm-hint'>{e(sig.note)}</p>" if sig.note else ""
    missing = (f"<p class='ds-miss'>数据中没有：{e('、'.join(sig.missing))}（这些方面未计分）</p>"
               if sig.missing and not sig.note else "")
    return (f"<div class='ds-signal' id='ds-{sig.kind}' data-score='{'' if sig.score is None else sig.score}'>"
            f"<h3>{e(sig.title)}</h3><p><span class='ds-score'>{e(number)}</span>"
            f"<span class='ds-level l{e(sig.level)}'>{e(sig.level)}</span> "
            f"<span class='cm-hint'>截至 {e(sig.as_of)}，0–100</span></p>{note}{body}{_total_note(sig)}{missing}</div>")


def signals_html(d: Dossier) -> str:
    return (f"<h2>扩张与外迁信号</h2><div class='ds-signals' id='ds-signals'>{_signal_html(d.expansion)}"
            f"{_signal_html(d.relocation)}</div><p class='cm-method'>计算方法、权重与阈值见 docs/dossier.md；"
            "“数据不足”表示缺少全部输入，而不是 0 分。</p>")


def section_html(s: Section, query: str = "") -> str:
    """A section as a table; links to other firms' dossiers carry `query` (the page's region and date)."""
    link = f" <a class='cm-screen-only' href='{e(s.link[1])}'>{e(s.link[0])}</a>" if s.link else ""
    note = f"<p class='cm-hint'>{e(s.note)}{link}</p>" if s.note or link else ""
    if not s.rows:
        return f"<h2>{e(s.title)}</h2>{note}<p class='cm-hint' id='cm-{s.id}'>{e(s.empty)}</p>"
    head = "".join(f"<th>{e(c)}</th>" for c in s.columns) if s.columns != ["产品"] else ""
    base = LINKED.get(s.id)
    rows = []
    for r in s.rows:
        cells = []
        for i, c in enumerate(s.columns):
            v = e(str(r.cells.get(c, "—")))
            if i == 0 and base and r.key:
                href = base + quote(r.key) + (f"?{query}" if query and base == FIRM_PAGE else "")
                v = f"<a href='{e(href)}'>{v}</a>"
            cells.append(f"<td>{v}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<h2>{e(s.title)}</h2>{note}<table class='cm-table' id='cm-{s.id}'>"
            + (f"<tr>{head}</tr>" if head else "") + "".join(rows) + "</table>")


def _why(snap: Snapshot, d: Dossier, settings: Mapping[str, Any] | None) -> str:
    """为何推荐: the recommender's verdict for the chosen region, with the form to choose another."""
    from chains.render.firm import local_mask

    f = resolver(snap).enterprise(d.key)
    rec = recommendation(snap, f, d.region, settings, local_mask(snap, d.region))
    form = (f"<form class='cm-inline' method='get' action='/pages/enterprises/{e(quote(d.key))}'>"
            f"<label>招商地区 <input name='region' value='{e(d.region_name or d.region or '')}' placeholder='如 衢州'></label>"
            f"<input type='hidden' name='as_of' value='{e(d.as_of.isoformat())}'>"
            "<button type='submit'>查看推荐理由</button></form>")
    if rec is None:
        why = "<p class='cm-hint'>选择招商地区后，显示本企业是否是该地区的招商目标及推荐理由。</p>"
    else:
        reasons = "".join(f"<li>{e(x)}</li>" for x in rec.reasons)
        score = f"<p>推荐得分 <b>{rec.score:.0f}</b>（0–100）</p>" if rec.score is not None else ""
        why = f"<p id='cm-verdict'>{e(rec.verdict)}</p>{score}" + (f"<ol id='cm-reasons'>{reasons}</ol>" if reasons else "")
    where = f"给{e(d.region_name)}" if d.region_name else ""
    return f"<h2>为何推荐{where}</h2>{form}<div id='cm-why'>{why}</div>"


def dossier_links(d: Dossier) -> list[tuple[str, str]]:
    """The downloads of exactly what the page shows (its region and date)."""
    q = "?" + page_query(d)
    k = quote(d.key)
    return [("尽调报告（Excel）", f"{API_PREFIX}/enterprises/{k}/dossier.xlsx{q}"),
            ("尽调报告（PDF）", f"{API_PREFIX}/enterprises/{k}/dossier.pdf{q}"),
            ("尽调数据（JSON）", f"{API_PREFIX}/enterprises/{k}/dossier{q}"),
            ("企业数据（JSON）", f"{API_PREFIX}/enterprises/{k}")]


def dossier_parts(snap: Snapshot, d: Dossier, *, max_nodes: int, target_settings: Mapping[str, Any] | None) -> Parts:
    """The page: graph (screen only) between the signals and facts above and the partner, project and policy
    tables below."""
    view = enterprise_view(snap, d.key, max_nodes=max_nodes, link_base="")
    view.title = f"企业尽调 · {d.name}"
    query = page_query(d)
    _carry_view(view, query)
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in d.identity)
    printed = (f"<p class='cm-print-only'>企业尽调报告 · {e(d.name)} · 数据截至 {e(d.as_of.isoformat())}"
               + (f" · 招商地区 {e(d.region_name)}" if d.region_name else "") + f" · 生成于 {e(d.generated)}"
               + (" · 合成示例企业，仅供演示" if d.synthetic else "") + "</p>")
    sec = {s.id: section_html(s, query) for s in d.sections}
    lead = (f"<style>{CSS}</style>{printed}{signals_html(d)}"
            f"<div class='cm-cols'><div><h2>登记信息</h2><table class='cm-facts' id='cm-facts'>{facts}</table></div>"
            f"<div>{_why(snap, d, target_settings)}{sec['products']}{sec['segs']}</div></div>")
    similar = _FIRM_HREF.sub(lambda m: f"href='{m.group(1)}?{e(query)}'",
                             similar_rows(snap, d.key, d.region, target_settings))
    sim = (f"<table class='cm-table' id='cm-similar'><tr><th>企业</th><th>所在地</th><th>相似度</th><th>相似之处</th></tr>"
           f"{similar}</table>" if similar else "<p class='cm-hint'>暂无相似企业</p>")
    body = (f"<div class='cm-cols'><div>{sec['suppliers']}</div><div>{sec['customers']}</div></div>"
            f"<div class='cm-cols'><div>{sec['funds']}</div><div><h2>相似企业</h2>{sim}</div></div>"
            f"{sec['projects']}{sec['policies']}")
    return graph_parts(view, links=dossier_links(d), lead_html=lead, body_html=body)


def served(parts: Parts, ctx: Any) -> Any:
    """The page in the one shell, its CSP opened to exactly its own scripts (chains' served graph pages)."""
    from chains.render.shell import served as shell_served

    return shell_served(parts, ctx)
