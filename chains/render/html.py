"""Self-contained HTML pages: chain map, chain report, enterprise view, park view, index and error pages.

Every page is one file with everything inline (vis-network JS/CSS from the pyvis package, styles, data), so it
works from disk with no network. Templates live here as strings (installed with the package, no package-data).
Page script API (for tests and later features): `window.ChainMatch = {network, nodes, edges, data, show(id),
setTargets(segmentKey, items), ready}`; `document.documentElement.dataset.ready == "1"` after the first drawing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from jinja2 import DictLoader, Environment, select_autoescape

from chains.render.assets import FAVICON, FONT_STACK, json_for_script, vis_css, vis_js
from chains.render.views import CLASS_STYLE, MOVE_COLOR, GraphView, firm_note
from chains.models import EXTEND, FILL, MOVES, STRENGTHEN, ChainMap

CSS = """
:root { --fg:#212121; --muted:#616161; --line:#e0e0e0; --accent:#0d47a1; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1480px; padding: 12px 20px 40px; color: var(--fg);
       font-family: FONTS; font-size: 14px; line-height: 1.55; background: #fff; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.cm-brand { color: var(--muted); font-size: 12px; letter-spacing: .08em; }
h1 { font-size: 24px; margin: 2px 0 2px; } h2 { font-size: 18px; margin: 26px 0 8px; border-left: 4px solid var(--accent);
     padding-left: 8px; } h3 { font-size: 15px; margin: 14px 0 6px; }
.cm-sub { color: var(--muted); margin: 0 0 6px; }
.cm-links a { margin-right: 14px; font-size: 13px; }
.cm-stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.cm-stat { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; background: #fafafa; }
.cm-stat span { display: block; color: var(--muted); font-size: 12px; } .cm-stat b { font-size: 18px; }
.cm-note { background: #fff8e1; border: 1px solid #ffe082; border-radius: 4px; padding: 6px 10px; margin: 6px 0; }
.cm-agg { background: #e3f2fd; border-color: #90caf9; }
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
#cm-panel table { width: 100%; border-collapse: collapse; } #cm-panel td { padding: 3px 4px; border-bottom: 1px solid #eee;
            vertical-align: top; } #cm-panel td:first-child { color: var(--muted); white-space: nowrap; width: 7.5em; }
#cm-panel ul { padding-left: 18px; margin: 4px 0; } #cm-panel li { margin: 2px 0; }
#cm-panel .note { color: var(--muted); font-size: 12px; display: block; }
.cm-badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; border: 1px solid; }
.cm-hint { color: var(--muted); }
table.cm-table { border-collapse: collapse; width: 100%; font-size: 13px; }
table.cm-table th, table.cm-table td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; }
table.cm-table th { background: #f5f5f5; position: sticky; top: 0; } table.cm-table td.num { text-align: right; }
.cm-class { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; }
.cm-class.c空白 { color: #b71c1c; background: #fff; border: 1px dashed #c62828; }
.cm-moves { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
.cm-moves > div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.cm-moves ol { padding-left: 20px; margin: 4px 0; } .cm-moves li { margin: 4px 0; }
.cm-moves .why { color: var(--muted); font-size: 12px; display: block; }
.cm-method { color: var(--muted); font-size: 13px; } .cm-method code { background: #f5f5f5; padding: 0 3px; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
.cm-print-only { display: none; }
.cm-static svg { max-width: 100%; height: auto; border: 1px solid var(--line); }
@media print {
  body { max-width: none; padding: 0; } .cm-report .cm-graph, .cm-links, .cm-screen-only { display: none !important; }
  .cm-print-only { display: block; } h2 { break-after: avoid; } table.cm-table { font-size: 11px; }
  table.cm-table th { position: static; }
}
@media (max-width: 900px) { .cm-wrap { flex-direction: column; } #cm-panel { flex-basis: auto; } }
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
                note: [it.score != null ? "得分 " + it.score : null].concat(it.reasons || []).filter(Boolean).join("；")};
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

BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · ChainMatch</title>
<link rel="icon" href="{{ favicon }}">
{% if graph %}<style>{{ vis_css|safe }}</style>{% endif %}
<style>{{ css|safe }}</style>
</head>
<body class="cm-page cm-{{ kind }}">
<header>
  <div class="cm-brand">ChainMatch 产业链招商</div>
  <h1>{{ title }}</h1>
  {% if subtitle %}<p class="cm-sub">{{ subtitle }}</p>{% endif %}
  {% if links %}<nav class="cm-links">{% for text, href in links %}<a href="{{ href }}">{{ text }}</a>{% endfor %}</nav>{% endif %}
</header>
{% if stats %}<section class="cm-stats">{% for k, v in stats %}<div class="cm-stat"><span>{{ k }}</span><b>{{ v }}</b></div>{% endfor %}</section>{% endif %}
{% for n in notes %}<p class="cm-note">⚠ {{ n }}</p>{% endfor %}
{% if aggregated %}<p class="cm-note cm-agg" id="cm-aggregated">ℹ 图已汇总：{{ aggregated }}</p>{% endif %}
{% if graph %}
<section class="cm-graph">
  <div class="cm-legend" id="cm-legend"><b>图例</b>
  {% for l in legend %}<span>{% if l.line %}<i class="ln{% if l.dashed %} dashed{% endif %}" style="border-top-color:{{ l.line }};border-top-width:{{ l.width or 2 }}px"></i>{% elif l.color %}<i class="sw {{ 'dot' if l.shape == 'dot' else '' }}{% if l.dashed %} dashed{% endif %}" style="background:{{ l.color }};border-color:{{ l.border or l.color }}"></i>{% endif %}{{ l.label }}</span>{% endfor %}
  </div>
  <div class="cm-wrap"><div id="cm-network" style="height:{{ height }}px"></div><aside id="cm-panel"></aside></div>
</section>
{% endif %}
{% block body %}{% endblock %}
<footer>ChainMatch · 生成于 {{ generated }} · 离线页面：全部脚本与数据内嵌，不访问网络{% if graph %}（图形库 vis-network {{ vis_version }}，随 pyvis 分发）{% endif %}</footer>
{% if graph %}
<script type="application/json" id="cm-data">{{ data_json|safe }}</script>
<script>{{ vis_js|safe }}</script>
<script>{{ page_js|safe }}</script>
{% endif %}
</body></html>
"""

MOVES_BLOCK = """
<div class="cm-moves" id="cm-moves">
{% for kind, title, hint in move_kinds %}
  <div><h3 style="color:{{ move_color[kind] }}">{{ kind }}（{{ moves_by_kind[kind]|length }}）</h3><p class="cm-hint">{{ hint }}</p>
  {% if moves_by_kind[kind] %}<ol>{% for m in moves_by_kind[kind] %}<li><b>{{ m.segment_name }}</b>{% if m.cross_chain %}〔{{ m.chain_name }}〕{% endif %}<span class="why">{{ m.reason }}</span></li>{% endfor %}</ol>
  {% else %}<p class="cm-hint">无</p>{% endif %}</div>
{% endfor %}
</div>
"""

SEGMENT_TABLE = """
<table class="cm-table" id="cm-segments"><thead><tr>
<th>环节</th><th>上中下游</th><th>层级</th><th>分类</th><th>本地企业</th><th>规模加权强度</th><th>区位熵</th><th>全国企业</th>
<th>本地占全国</th><th>同级排名</th><th>链主</th><th>专精特新</th><th>高新技术</th><th>上市</th><th>主干</th><th>招商方向</th></tr></thead><tbody>
{% for s in cmap.segments %}<tr data-key="{{ s.key }}"><td>{{ s.name }}</td><td>{{ s.stream or '—' }}</td><td class="num">{{ s.depth }}</td>
<td><span class="cm-class c{{ s.klass }}" style="{% if s.klass != '空白' %}background:{{ class_style[s.klass][0] }}{% endif %}" title="{{ s.reason }}">{{ s.klass }}</span></td>
<td class="num">{{ s.local_count }}</td><td class="num">{{ '%.1f'|format(s.local_strength) }}</td><td class="num">{{ '—' if s.lq is none else '%.2f'|format(s.lq) }}</td>
<td class="num">{{ s.national_count }}</td><td class="num">{{ '%.1f%%'|format(100 * s.national_share) }}</td>
<td class="num">{{ (s.peer_rank|string + '/' + s.peer_total|string) if s.peer_rank else '—' }}</td>
<td>{{ s.leaders|map(attribute='name')|join('、') or '—' }}</td><td class="num">{{ s.tags.get('专精特新', 0) }}</td>
<td class="num">{{ s.tags.get('高新技术', 0) }}</td><td class="num">{{ s.tags.get('上市', 0) }}</td>
<td>{{ '是' if s.on_main_path else '' }}</td><td>{{ seg_moves.get(s.key, [])|join('、') }}</td></tr>
{% endfor %}</tbody></table>
"""

METHOD = """
<div class="cm-method" id="cm-method">
<p><b>度量</b>：{{ cmap.measure }}。全国 = 图谱中全部企业；同级排名在同级行政区（市与市、县与县）之间比较。</p>
<p><b>分类规则</b>：空白 = 本地企业 ≤ {{ cfg.gap_max_count }} 家；优势 = 区位熵 ≥ {{ cfg.strong_lq }} 且本地企业 ≥ {{ cfg.strong_min_count }} 家{% if cfg.leader_strong %}，或有本地链主且区位熵 ≥ 1{% endif %}；其余为薄弱。
区位熵口径：{{ '规模加权强度' if cfg.lq_basis == 'strength' else '企业数' }}。</p>
<p><b>主干环节</b>：链内上下游有向图的路径计数（SPC）占比 ≥ {{ '%.0f%%'|format(100 * cfg.main_path_min_share) }}，或位于路径计数总和最大的源—汇主路径上。
<b>补链</b> = 主干上的空白环节；<b>强链</b> = 与优势环节相邻的薄弱环节；<b>延链</b> = 本地优势环节的直接上下游（含跨产业链），且不是优势、未列入补链/强链。</p>
</div>
"""

CHAIN_MAP = """{% extends "base" %}{% block body %}
<h2>招商方向</h2>""" + MOVES_BLOCK + """
<h2>环节明细</h2>""" + SEGMENT_TABLE + """
<h2>方法说明</h2>""" + METHOD + """{% endblock %}"""

REPORT = """{% extends "base" %}{% block body %}
<section class="cm-print-only cm-static"><h2>产业链图谱</h2>{{ svg|safe }}</section>
<p class="cm-screen-only"><a download="{{ svg_name }}" href="data:image/svg+xml;charset=utf-8,{{ svg_uri }}">下载静态图（SVG，可插入演示文稿）</a></p>
<h2>概况</h2>
<p id="cm-overview">{{ cmap.scope.name }}{{ '（园区）' if cmap.scope.kind == 'park' else '' }}{{ cmap.chain.name }}产业链共 {{ cmap.segments|length }} 个环节：优势 {{ cmap.summary.strong }} 个、薄弱 {{ cmap.summary.weak }} 个、空白 {{ cmap.summary.gap }} 个；本地企业 {{ cmap.summary.local_firms }} 家（全国 {{ cmap.summary.national_firms }} 家），本地链主 {{ cmap.summary.leaders }} 家。
{% if strong %}优势环节：{{ strong|join('、') }}。{% endif %}{% if gaps %}空白环节：{{ gaps|join('、') }}。{% endif %}</p>
<h2>招商方向</h2>""" + MOVES_BLOCK + """
<h2>环节明细</h2>""" + SEGMENT_TABLE + """
<h2>本地链主</h2>
{% if cmap.leaders %}<table class="cm-table" id="cm-leaders"><thead><tr><th>企业</th><th>规模</th><th>营业收入（万元）</th><th>标签</th><th>所在地</th></tr></thead><tbody>
{% for f in cmap.leaders %}<tr><td>{{ f.name }}</td><td>{{ f.size or '—' }}</td><td class="num">{{ '{:,.0f}'.format(f.revenue_wan) if f.revenue_wan is not none else '—' }}</td><td>{{ f.tags|join('、') }}</td><td>{{ f.region_name or '—' }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="cm-hint">本地暂无该产业链链主。</p>{% endif %}
<h2>承载园区</h2>
{% if cmap.parks %}<table class="cm-table" id="cm-parks"><thead><tr><th>园区</th><th>级别</th><th>类型</th><th>所在地</th><th>主导本产业链</th><th>可供地块</th><th>可供面积（亩）</th></tr></thead><tbody>
{% for p in cmap.parks %}<tr><td>{{ p.name }}</td><td>{{ p.level or '—' }}</td><td>{{ p.kind or '—' }}</td><td>{{ p.region_name or '—' }}</td><td>{{ '是' if p.hosts_chain else '' }}</td><td class="num">{{ p.parcels_available }}</td><td class="num">{{ '%.1f'|format(p.area_available_mu) }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="cm-hint">区域内暂无园区记录。</p>{% endif %}
<h2>招商目标企业</h2>
<div id="cm-targets">{% if targets %}<table class="cm-table"><thead><tr><th>环节</th><th>目标企业</th><th>得分</th><th>推荐理由</th></tr></thead><tbody>
{% for seg, items in targets.items() %}{% for t in items %}<tr><td>{{ seg_names.get(seg, seg) }}</td><td>{{ t.name }}</td><td class="num">{{ t.score if t.score is defined and t.score is not none else '' }}</td><td>{{ (t.reasons or [])|join('；') }}</td></tr>{% endfor %}{% endfor %}
</tbody></table>{% else %}<p class="cm-hint">目标企业推荐待接入（推荐引擎开发中）；接入后在此列出每个补链/强链/延链环节的目标企业及理由。</p>{% endif %}</div>
<h2>方法说明</h2>""" + METHOD + """{% endblock %}"""

SIMPLE = """{% extends "base" %}{% block body %}{{ body|safe }}{% endblock %}"""

_env = Environment(loader=DictLoader({"base": BASE, "chain_map": CHAIN_MAP, "report": REPORT, "simple": SIMPLE,
                                      "graph": SIMPLE}),
                   autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                   lstrip_blocks=True)

MOVE_HINTS = ((FILL, "补链", "主干路径上的空白环节：优先引进"), (STRENGTHEN, "强链", "与优势环节相邻的薄弱环节：扩能、补强"),
              (EXTEND, "延链", "本地优势环节的上下游（含跨产业链）：向上下游延伸"))


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def _common(view: GraphView | None, *, title: str, subtitle: str = "", kind: str = "simple",
            links: Sequence[tuple[str, str]] | None = None, notes: Sequence[str] = (),
            stats: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    ctx: dict[str, Any] = {"title": title, "subtitle": subtitle, "kind": kind, "links": list(links or []),
                           "notes": list(notes), "stats": list(stats), "css": CSS, "favicon": FAVICON,
                           "generated": _now(), "graph": view is not None, "aggregated": None}
    if view is not None:
        ctx.update(graph=True, vis_css=vis_css(), vis_js=vis_js(), page_js=PAGE_JS, vis_version="9.1.2",
                   data_json=json_for_script(view.data()), legend=view.legend, height=view.height,
                   aggregated=view.aggregated, notes=list(view.notes) + list(notes), stats=view.stats or list(stats),
                   kind=view.kind)
    return ctx


def _chain_ctx(cmap: ChainMap) -> dict[str, Any]:
    seg_moves: dict[str, list[str]] = {}
    for m in cmap.moves:
        seg_moves.setdefault(m.segment, []).append(m.kind)
    return {"cmap": cmap, "cfg": cmap.config, "class_style": CLASS_STYLE, "move_color": MOVE_COLOR,
            "moves_by_kind": {k: cmap.moves_of(k) for k in MOVES}, "seg_moves": seg_moves,
            "move_kinds": [(k, t, h) for k, t, h in MOVE_HINTS]}


def graph_page(view: GraphView, *, links: Sequence[tuple[str, str]] | None = None) -> str:
    """Enterprise or park view (or any GraphView) as a self-contained page."""
    ctx = _common(view, title=view.title, subtitle=view.subtitle, links=links)
    ctx["body"] = ""
    return _env.get_template("graph").render(**ctx)


def chain_map_page(cmap: ChainMap, view: GraphView, *, links: Sequence[tuple[str, str]] | None = None) -> str:
    ctx = _common(view, title=view.title, subtitle=view.subtitle, links=links)
    ctx.update(_chain_ctx(cmap))
    return _env.get_template("chain_map").render(**ctx)


def chain_report_page(cmap: ChainMap, view: GraphView, *, svg: str, svg_name: str = "chain-map.svg",
                      targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                      links: Sequence[tuple[str, str]] | None = None) -> str:
    """The 招商推介会 handout: map (interactive on screen, static SVG in print), summary, moves, segment table,
    leaders, parks, target list (placeholder until the recommender supplies `targets`), method."""
    where = cmap.scope.name + ("（园区）" if cmap.scope.kind == "park" else "")
    ctx = _common(view, title=f"{where}{cmap.chain.name}产业链招商报告",
                  subtitle=f"产业链图谱、强弱项诊断与招商方向 · {dt.date.today().isoformat()}", links=links)
    ctx.update(_chain_ctx(cmap))
    ctx.update(svg=svg, svg_name=svg_name, svg_uri=quote(svg, safe=""), targets=dict(targets or {}),
               seg_names={s.key: s.name for s in cmap.segments + cmap.context_segments},
               strong=[s.name for s in cmap.segments if s.klass == "优势"],
               gaps=[s.name for s in cmap.segments if s.klass == "空白"])
    ctx["kind"] = "report"
    return _env.get_template("report").render(**ctx)


def simple_page(title: str, body_html: str, *, subtitle: str = "", links: Sequence[tuple[str, str]] | None = None,
                notes: Sequence[str] = ()) -> str:
    ctx = _common(None, title=title, subtitle=subtitle, links=links, notes=notes)
    ctx["body"] = body_html
    return _env.get_template("simple").render(**ctx)


def firm_list_html(firms: Sequence[Any]) -> str:
    return _env.from_string("<ul>{% for f in firms %}<li>{{ f.name }} <small>{{ note(f) }}</small></li>{% endfor %}</ul>"
                            ).render(firms=firms, note=firm_note)
