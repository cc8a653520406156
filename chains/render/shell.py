"""The chain pages inside the one ChainMatch shell (kernel.pages): the same navigation bar, header and look as every
other page of the workbench, while the graph pages (chain map, report, firm, park) keep their interactive graph.

A page is rendered once into `Parts` (title, header, body) and then either served — `served(parts, ctx)`: the shell
with the signed-in officer and the last form's message, its Content-Security-Policy allowing exactly the page's own
inline scripts by their SHA-256 hashes (vis-network and the page script; nothing else may run) — or saved —
`offline_document(parts)`: the same look without the navigation bar (a file opened from disk at a 招商推介会 has no
site to navigate), every script, style and datum inline, no network.

Page script API (for tests and later features): `window.ChainMatch = {network, nodes, edges, data, show(id),
setTargets(segmentKey, items), ready}`; `document.documentElement.dataset.ready == "1"` after the first drawing.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

from chains.render.assets import FAVICON, FONT_STACK
from kernel.pages import BASE_CSS, CSP, PageContext, e, page

BEIJING = ZoneInfo("Asia/Shanghai")
HEAD_EXTRA = f'<link rel="icon" href="{FAVICON}">'  # no /favicon.ico request: the page makes exactly one request

CSS = """
:root { --fg:#212121; --muted:#616161; --line:#e0e0e0; --accent:#0d47a1; }
main { font-size: 14px; line-height: 1.55; max-width: 1480px; }
main a { color: var(--accent); text-decoration: none; } main a:hover { text-decoration: underline; }
main h2 { font-size: 18px; margin: 22px 0 8px; border-left: 4px solid #1f4e79; padding-left: 8px; }
main h3 { font-size: 15px; margin: 14px 0 6px; }
header .cm-links { margin: 6px 0 0; } header .cm-links a { margin-right: 14px; font-size: 13px; color: #dbe6f3; }
.cm-stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 10px; }
.cm-stat { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; background: #fff; }
.cm-stat span { display: block; color: var(--muted); font-size: 12px; } .cm-stat b { font-size: 18px; }
.cm-note { background: #fff8e1; border: 1px solid #ffe082; border-radius: 4px; padding: 6px 10px; margin: 6px 0; }
.cm-agg { background: #e3f2fd; border-color: #90caf9; }
.cm-graph { background: #fff; border: 1px solid #dde; padding: 4px 10px 10px; }
.cm-legend { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin: 8px 0; font-size: 13px; }
.cm-legend .sw { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
                 border: 2px solid transparent; }
.cm-legend .sw.dot { border-radius: 50%; } .cm-legend .sw.dashed { border-style: dashed; }
.cm-legend .ln { display: inline-block; width: 28px; margin-right: 6px; vertical-align: 4px; border-top: 2px solid; }
.cm-legend .ln.dashed { border-top-style: dashed; }
.cm-wrap { display: flex; gap: 12px; align-items: stretch; }
#cm-network { flex: 1 1 auto; min-width: 0; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
#cm-panel { flex: 0 0 360px; max-height: 900px; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px;
            padding: 10px 14px; background: #fcfcfc; font-size: 13px; }
#cm-panel h2 { margin: 0 0 4px; font-size: 17px; border: 0; padding: 0; }
#cm-panel table { width: 100%; border-collapse: collapse; }
#cm-panel td { padding: 3px 4px; border: 0; border-bottom: 1px solid #eee; vertical-align: top; }
#cm-panel td:first-child { color: var(--muted); white-space: nowrap; width: 7.5em; }
#cm-panel ul { padding-left: 18px; margin: 4px 0; } #cm-panel li { margin: 2px 0; }
#cm-panel .note { color: var(--muted); font-size: 12px; display: block; }
.cm-badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; border: 1px solid; }
.cm-hint { color: var(--muted); }
table.cm-table { border-collapse: collapse; width: 100%; font-size: 13px; background: #fff; }
table.cm-table th, table.cm-table td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; }
table.cm-table th { background: #eef1f6; position: sticky; top: 0; } table.cm-table td.num { text-align: right; }
table.cm-facts { border-collapse: collapse; background: #fff; font-size: 13px; min-width: 50%; }
table.cm-facts th { width: 9em; white-space: nowrap; }
.cm-class { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; }
.cm-class.c空白 { color: #b71c1c; background: #fff; border: 1px dashed #c62828; }
.cm-ok { color: #1e5e2f; } .cm-bad { color: #8a1f1f; }
.cm-moves { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
.cm-moves > div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fff; }
.cm-moves ol { padding-left: 20px; margin: 4px 0; } .cm-moves li { margin: 4px 0; }
.cm-moves .why, .cm-why { color: var(--muted); font-size: 12px; display: block; }
.cm-method { color: var(--muted); font-size: 13px; } .cm-method code { background: #f5f5f5; padding: 0 3px; }
.cm-cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px 20px; }
form.cm-inline { display: inline-flex; gap: 6px; align-items: center; margin: 0 0 10px; font-size: 13px; }
form.cm-inline input { padding: 3px 6px; } form.cm-inline button { padding: 3px 12px; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
.cm-print-only { display: none; }
.cm-static svg { max-width: 100%; height: auto; border: 1px solid var(--line); }
@media print {
  nav.cm, .cm-report .cm-graph, header .cm-links, .cm-screen-only { display: none !important; }
  main { max-width: none; padding: 0; } body { background: #fff; }
  .cm-print-only { display: block; } h2 { break-after: avoid; } table.cm-table { font-size: 11px; }
  table.cm-table th { position: static; }
}
@media (max-width: 900px) { .cm-wrap { flex-direction: column; } #cm-panel { flex-basis: auto; } }
#cm-network, #cm-panel { font-family: FONTS; }
""".replace("FONTS", FONT_STACK)

PAGE_JS = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("cm-data").textContent);
  var panel = document.getElementById("cm-panel");
  var nodes = new vis.DataSet(DATA.graph.nodes);
  var edges = new vis.DataSet(DATA.graph.edges);
  var network = new vis.Network(document.getElementById("cm-network"), {nodes: nodes, edges: edges}, DATA.graph.options);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { if (attrs[k] != null) e.setAttribute(k, attrs[k]); }); }
    if (text != null) e.textContent = String(text);
    return e;
  }
  function itemNode(it) {
    var li = el("li");
    if (it.href) { li.appendChild(el("a", {href: it.href}, it.text)); } else {
      var b = el("span", null, it.text);
      if (it.color) { b.className = "cm-badge"; b.style.background = it.color; b.style.borderColor = it.color; }
      li.appendChild(b);
    }
    if (it.note) li.appendChild(el("span", {"class": "note"}, it.note));
    return li;
  }
  function show(id) {
    var d = DATA.details[id];
    panel.replaceChildren();
    if (!d) { panel.appendChild(el("p", {"class": "cm-hint"}, "点击图中节点查看详情")); return; }
    var h = el("h2");
    if (d.href) { h.appendChild(el("a", {href: d.href}, d.title)); } else { h.textContent = d.title; }
    panel.appendChild(h);
    if (d.badge) {
      var b = el("span", {"class": "cm-badge"}, d.badge.text);
      b.style.background = d.badge.color; b.style.borderColor = d.badge.border || d.badge.color;
      if (d.badge.text === "空白") { b.style.color = "#b71c1c"; b.style.borderStyle = "dashed"; }
      panel.appendChild(b);
    }
    if (d.subtitle) panel.appendChild(el("p", {"class": "cm-hint"}, d.subtitle));
    if (d.rows && d.rows.length) {
      var t = el("table");
      d.rows.forEach(function (r) { var tr = el("tr"); tr.appendChild(el("td", null, r[0])); tr.appendChild(el("td", null, r[1])); t.appendChild(tr); });
      panel.appendChild(t);
    }
    (d.sections || []).forEach(function (s) {
      panel.appendChild(el("h3", null, s.title));
      var items = s.items;
      if (s.hook === "targets") { items = (DATA.targets && DATA.targets[d.key]) || null; }
      if (!items || !items.length) { panel.appendChild(el("p", {"class": "cm-hint", "data-section": s.hook || null}, s.empty || "—")); return; }
      var ul = el("ul", {"data-section": s.hook || null});
      items.forEach(function (it) {
        if (s.hook === "targets") {
          it = {text: it.name, href: it.href || null,
                note: [it.score != null ? "得分 " + it.score + "/100" : null].concat(it.reasons || []).filter(Boolean).join("；")};
        }
        ul.appendChild(itemNode(it));
      });
      panel.appendChild(ul);
      if (s.more) panel.appendChild(el("p", {"class": "cm-hint"}, s.more));
    });
    panel.dataset.node = id;
  }
  network.on("click", function (p) { if (p.nodes && p.nodes.length) show(p.nodes[0]); });
  var api = {network: network, nodes: nodes, edges: edges, data: DATA, show: show, ready: false,
             setTargets: function (key, items) { DATA.targets = DATA.targets || {}; DATA.targets[key] = items;
                                                 if (panel.dataset.node === key) show(key); }};
  window.ChainMatch = api;
  network.once("afterDrawing", function () {
    api.ready = true; document.documentElement.dataset.ready = "1";
  });
  if (DATA.graph.options.physics && DATA.graph.options.physics.enabled) {
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); });
  }
  show(DATA.initial);
})();
"""

@dataclass
class Parts:
    """One rendered page before it is served or saved: the title, the header bar's HTML, the body (inside <main>)
    and the exact text of each inline script (their hashes open the served page's CSP to them and nothing else)."""

    title: str
    header: str
    body: str
    scripts: list[str] = field(default_factory=list)


def now_beijing() -> str:
    """When a page or file was made, in 北京时间."""
    return dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def header_html(title: str, subtitle: str = "", links: list[tuple[str, str]] | None = None) -> str:
    """The header bar of a chain page: its title, one line of context and its links (downloads, data, related
    pages)."""
    sub = f"<p>{e(subtitle)}</p>" if subtitle else ""
    nav = "".join(f"<a href='{e(href)}'>{e(text)}</a>" for text, href in (links or []))
    return f"<h1>{e(title)}</h1>{sub}" + (f"<p class='cm-links'>{nav}</p>" if nav else "")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def served(parts: Parts, ctx: PageContext | None) -> HTMLResponse:
    """The page in the one shell (navigation, signed-in user, last message), with the inline icon link and a CSP
    that lets only this page's own scripts run."""
    resp = page(parts.title, parts.header, parts.body, CSS, ctx=ctx)
    doc = bytes(resp.body).decode("utf-8").replace("</title>", "</title>" + HEAD_EXTRA, 1)
    csp = CSP + ("; script-src " + " ".join(_sha256(s) for s in parts.scripts) if parts.scripts else "")
    return HTMLResponse(doc, status_code=resp.status_code,
                        headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"})


def offline_document(parts: Parts) -> str:
    """The page as one self-contained file (the shell's look, no navigation bar): for `chainmatch map/report` and
    handouts saved to disk."""
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{e(parts.title)}</title>{HEAD_EXTRA}<style>{BASE_CSS}{CSS}</style></head><body>"
            f"<header>{parts.header}</header><main>{parts.body}</main></body></html>")
