"""The chain pages' templates: chain map, 招商报告 (the internal diagnosis; the investor handout is investor.py),
and any GraphView (firm, park) — rendered into `shell.Parts`, which shell.py serves inside the workbench shell or
saves as one self-contained file (vis-network JS/CSS from the pyvis package, styles and data inline, no network).
Templates live here as strings (installed with the package, no package-data).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from jinja2 import DictLoader, Environment, select_autoescape

from chains.render.assets import json_for_script, vis_css, vis_js
from chains.render.shell import BEIJING, PAGE_JS, Parts, header_html, now_beijing, offline_document
from chains.render.views import CLASS_STYLE, MOVE_COLOR, GraphView, firm_note
from chains.models import EXTEND, FILL, MOVES, STRENGTHEN, ChainMap

Links = Sequence[tuple[str, str]] | None

BASE = """<div class="cm-page cm-{{ kind }}">
{% if graph %}<style>{{ vis_css|safe }}</style>{% endif %}
{% if stats %}<section class="cm-stats">{% for k, v in stats %}<div class="cm-stat"><span>{{ k }}</span><b>{{ v }}</b></div>{% endfor %}</section>{% endif %}
{% for n in notes %}<p class="cm-note">⚠ {{ n }}</p>{% endfor %}
{% if aggregated %}<p class="cm-note cm-agg" id="cm-aggregated">ℹ 图已汇总：{{ aggregated }}</p>{% endif %}
{{ lead|safe }}
{% if graph %}
<section class="cm-graph">
  <div class="cm-legend" id="cm-legend"><b>图例</b>
  {% for l in legend %}<span>{% if l.line %}<i class="ln{% if l.dashed %} dashed{% endif %}" style="border-top-color:{{ l.line }};border-top-width:{{ l.width or 2 }}px"></i>{% elif l.color %}<i class="sw {{ 'dot' if l.shape == 'dot' else '' }}{% if l.dashed %} dashed{% endif %}" style="background:{{ l.color }};border-color:{{ l.border or l.color }}"></i>{% endif %}{{ l.label }}</span>{% endfor %}
  </div>
  <div class="cm-wrap"><div id="cm-network" style="height:{{ height }}px"></div><aside id="cm-panel"></aside></div>
</section>
{% endif %}
{% block body %}{% endblock %}
<footer>ChainMatch 产业链招商 · 生成于 {{ generated }} · 全部脚本与数据内嵌，不访问网络{% if graph %}（图形库 vis-network {{ vis_version }}，随 pyvis 分发）{% endif %}</footer>
{% if graph %}
<script type="application/json" id="cm-data">{{ data_json|safe }}</script>
<script>{{ vis_js|safe }}</script>
<script>{{ page_js|safe }}</script>
{% endif %}
</div>
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
<div id="cm-targets">{% if targets and targets.values()|map("length")|sum %}<table class="cm-table"><thead><tr><th>环节</th><th>目标企业</th><th>得分（0–100）</th><th>推荐理由</th></tr></thead><tbody>
{% for seg, items in targets.items() %}{% for t in items %}<tr><td>{{ seg_names.get(seg, seg) }}</td><td>{{ t.name }}</td><td class="num">{{ t.score if t.score is defined and t.score is not none else '' }}</td><td>{{ (t.reasons or [])|join('；') }}</td></tr>{% endfor %}{% endfor %}
</tbody></table>{% elif targets is none %}<p class="cm-hint">目标企业未随本文件计算：可用 chainmatch targets 导出目标企业清单。</p>{% else %}<p class="cm-hint">本地以外暂无这些环节的推荐目标企业。</p>{% endif %}</div>
<h2>方法说明</h2>""" + METHOD + """{% endblock %}"""

SIMPLE = """{% extends "base" %}{% block body %}{{ body|safe }}{% endblock %}"""

_env = Environment(loader=DictLoader({"base": BASE, "chain_map": CHAIN_MAP, "report": REPORT, "simple": SIMPLE,
                                      "graph": SIMPLE}),
                   autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                   lstrip_blocks=True)

MOVE_HINTS = ((FILL, "补链", "主干路径上的空白环节：优先引进"), (STRENGTHEN, "强链", "与优势环节相邻的薄弱环节：扩能、补强"),
              (EXTEND, "延链", "本地优势环节的上下游（含跨产业链）：向上下游延伸"))



def _common(view: GraphView | None, *, kind: str = "simple", notes: Sequence[str] = (),
            stats: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    ctx: dict[str, Any] = {"kind": kind, "notes": list(notes), "stats": list(stats), "generated": now_beijing(),
                           "graph": view is not None, "aggregated": None, "lead": ""}
    if view is not None:
        ctx.update(graph=True, vis_css=vis_css(), vis_js=vis_js(), page_js=PAGE_JS, vis_version="9.1.2",
                   data_json=json_for_script(view.data()), legend=view.legend, height=view.height,
                   aggregated=view.aggregated, notes=list(view.notes) + list(notes), stats=view.stats or list(stats),
                   kind=view.kind)
    return ctx


def _parts(title: str, header: str, template: str, ctx: dict[str, Any]) -> Parts:
    body = _env.get_template(template).render(**ctx)
    return Parts(title, header, body, [vis_js(), PAGE_JS] if ctx["graph"] else [])


def _chain_ctx(cmap: ChainMap) -> dict[str, Any]:
    seg_moves: dict[str, list[str]] = {}
    for m in cmap.moves:
        seg_moves.setdefault(m.segment, []).append(m.kind)
    return {"cmap": cmap, "cfg": cmap.config, "class_style": CLASS_STYLE, "move_color": MOVE_COLOR,
            "moves_by_kind": {k: cmap.moves_of(k) for k in MOVES}, "seg_moves": seg_moves,
            "move_kinds": [(k, t, h) for k, t, h in MOVE_HINTS]}


def graph_parts(view: GraphView, *, links: Links = None, body_html: str = "", lead_html: str = "") -> Parts:
    """A firm or park view (or any GraphView), with `lead_html` above the graph and `body_html` below it (both
    already escaped: tables, facts)."""
    ctx = _common(view)
    ctx.update(body=body_html, lead=lead_html)
    return _parts(view.title, header_html(view.title, view.subtitle, list(links or [])), "graph", ctx)


def graph_page(view: GraphView, *, links: Links = None, body_html: str = "") -> str:
    """A GraphView as one self-contained file."""
    return offline_document(graph_parts(view, links=links, body_html=body_html))


def chain_map_parts(cmap: ChainMap, view: GraphView, *, links: Links = None) -> Parts:
    ctx = _common(view)
    ctx.update(_chain_ctx(cmap))
    return _parts(view.title, header_html(view.title, view.subtitle, list(links or [])), "chain_map", ctx)


def chain_map_page(cmap: ChainMap, view: GraphView, *, links: Links = None) -> str:
    return offline_document(chain_map_parts(cmap, view, links=links))


def chain_report_parts(cmap: ChainMap, view: GraphView, *, svg: str, svg_name: str = "chain-map.svg",
                       targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, links: Links = None) -> Parts:
    """The internal 招商报告 (for the officers: strengths, weaknesses and 空白, moves, segment table, leaders, parks,
    target firms, method). `targets` None: not computed for this file (said so); {} or empty lists: none found."""
    where = cmap.scope.name + ("（园区）" if cmap.scope.kind == "park" else "")
    title = f"{where}{cmap.chain.name}产业链招商报告"
    subtitle = f"内部诊断：产业链图谱、强弱项与招商方向 · {dt.datetime.now(BEIJING).date().isoformat()}"
    ctx = _common(view)
    ctx.update(_chain_ctx(cmap))
    ctx.update(svg=svg, svg_name=svg_name, svg_uri=quote(svg, safe=""),
               targets=None if targets is None else dict(targets),
               seg_names={s.key: s.name for s in cmap.segments + cmap.context_segments},
               strong=[s.name for s in cmap.segments if s.klass == "优势"],
               gaps=[s.name for s in cmap.segments if s.klass == "空白"])
    ctx["kind"] = "report"
    return _parts(title, header_html(title, subtitle, list(links or [])), "report", ctx)


def chain_report_page(cmap: ChainMap, view: GraphView, *, svg: str, svg_name: str = "chain-map.svg",
                      targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, links: Links = None) -> str:
    return offline_document(chain_report_parts(cmap, view, svg=svg, svg_name=svg_name, targets=targets, links=links))


def simple_parts(title: str, body_html: str, *, subtitle: str = "", links: Links = None,
                 notes: Sequence[str] = ()) -> Parts:
    """A page without a graph (the index, the investor handout's text parts)."""
    ctx = _common(None, notes=notes)
    ctx["body"] = body_html
    return _parts(title, header_html(title, subtitle, list(links or [])), "simple", ctx)


def simple_page(title: str, body_html: str, *, subtitle: str = "", links: Links = None,
                notes: Sequence[str] = ()) -> str:
    return offline_document(simple_parts(title, body_html, subtitle=subtitle, links=links, notes=notes))


def firm_list_html(firms: Sequence[Any]) -> str:
    return _env.from_string("<ul>{% for f in firms %}<li>{{ f.name }} <small>{{ note(f) }}</small></li>{% endfor %}</ul>"
                            ).render(firms=firms, note=firm_note)
