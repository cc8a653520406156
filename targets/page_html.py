"""HTML of the 招商目标 pages (read side; targets/pages.py serves it on the workbench shell): the query form, the
ranked list with its 0–100 scores and reasons whose evidence is linked — the 链主 to its 以企引企 page, the fund to
its 以投促引 page, a firm to its profile, a segment to the chain map showing the gap — and the weights' provenance.
Every value is escaped (kernel.pages.e); no script.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from kernel.pages import e
from targets.results import Evidence, Reason, TargetItem, TargetList
from targets.workbench import FormAnswer

CSS = """
table.tl{border-collapse:collapse;width:100%;background:#fff;margin:10px 0 16px;font-size:13px}
table.tl td.score{white-space:nowrap;width:92px}.bar{display:inline-block;height:8px;background:#1f4e79;margin-left:6px;
vertical-align:middle}.s100{font-size:18px;font-weight:bold;color:#1f4e79}
table.tl ol{margin:0;padding-left:18px}table.tl li.relation{font-weight:bold}table.tl li.profile{color:#555}
.box{background:#fff;border:1px solid #dde;padding:8px 12px;margin:10px 0;font-size:13px}
.anchors a{margin-right:10px}.err{color:#8a1f1f;background:#fde8e8;padding:8px 12px}
.tags{color:#777;font-size:12px}a{color:#1f4e79}
"""
SIGN_CHECK = {"not_learned": "未学习（默认权重）", "consistent": "学得的方向与文档一致",
              "constrained": "数据会使部分特征方向相反，已按文档符号约束", "fallback": "数据与文档方向全部相反，已改用默认权重"}


def evidence_href(ev: Evidence, region: str) -> str | None:
    """Where a reason's evidence is shown: a firm's profile, a 链主's or fund's target page, the chain map."""
    q = urlencode({"region": region})
    if ev.kind == "enterprise":
        return f"/pages/enterprises/{quote(ev.key)}"
    if ev.kind == "leader":
        return f"/pages/leaders/{quote(ev.key)}/targets?{q}"
    if ev.kind == "fund":
        return f"/pages/funds/{quote(ev.key)}/targets?{q}"
    if ev.kind in ("segment", "park", "chain") and (ev.chain or ev.kind == "chain"):
        return f"/pages/chains/{quote(ev.chain or ev.key)}/map?{q}"
    return None


def reason_html(r: Reason, region: str) -> str:
    """The sentence with each piece of evidence linked where its name stands in it (「name」)."""
    text = e(r.text)
    for ev in r.evidence:
        href = evidence_href(ev, region)
        mark = f"「{e(ev.name)}」"
        if href and mark in text:
            text = text.replace(mark, f"「<a class='ev-{ev.kind}' href='{e(href)}'>{e(ev.name)}</a>」", 1)
    return f"<li class='{e(r.kind)}'>{text}</li>"


def _row(it: TargetItem, region: str, with_tie: bool) -> str:
    where = " · ".join(x for x in (it.region_name, it.macro_region) if x)
    extra = "、".join(x for x in ([it.size] if it.size else []) + it.tags)
    dist = f"{it.distance_km:,.0f} 公里" if it.distance_km is not None else "—"
    reasons = "".join(reason_html(r, region) for r in it.reason_details) or "<li>—</li>"
    tie = f"<td>{e(it.anchor_tie or '—')}</td>" if with_tie else ""
    return (f"<tr class='target'><td>{it.rank}</td><td class='score'><span class='s100'>{it.score_100}</span>"
            f"<span class='bar' style='width:{it.score_100 // 2}px'></span></td>"
            f"<td><a class='firm' href='/pages/enterprises/{e(quote(it.enterprise))}'>{e(it.name)}</a>"
            f"<div class='tags'>{e(where)}{' · ' + e(extra) if extra else ''}</div></td>"
            f"<td>{e(it.segment_name or '—')}<div class='tags'>{e(it.chain_name or '')}</div></td>{tie}"
            f"<td><ol class='reasons'>{reasons}</ol></td><td>{e(dist)}</td></tr>")


def target_table(out: TargetList) -> str:
    """The ranked list (0–100 score, firm, segment, [tie to the 链主/fund], reasons with links, distance)."""
    if not out.items:
        return "<p class='muted' id='cm-empty'>" + e("；".join(out.notes) or "没有可推荐的外地企业") + "</p>"
    with_tie = out.view in ("leader", "fund")
    tie_head = f"<th>与{'链主' if out.view == 'leader' else '基金'}的关系</th>" if with_tie else ""
    head = f"<tr><th>排名</th><th>得分（0–100）</th><th>企业</th><th>目标环节</th>{tie_head}<th>推荐理由</th><th>距离</th></tr>"
    rows = "".join(_row(it, out.region.key, with_tie) for it in out.items)
    return f"<table class='tl' id='cm-targets'>{head}{rows}</table>"


def about_box(out: TargetList) -> str:
    """How the list was made: segments, candidates, weights and their sign check, notes."""
    w = out.weights
    segs = "、".join(f"{s.name}（{s.klass or '—'}{'，' + '/'.join(s.moves) if s.moves else ''}）" for s in out.segments[:12])
    more = f" 等 {len(out.segments)} 个" if len(out.segments) > 12 else ""
    notes = "".join(f"<div>{e(n)}</div>" for n in out.notes)
    return (f"<div class='box' id='cm-about'><div>目标环节：{e(segs)}{e(more)}（{e(out.segment_choice)}）</div>"
            f"<div>参与排序的外地企业 {out.candidates} 家；已在本地而排除 {out.excluded_local} 家</div>"
            f"<div>得分：0–100，50 分 = 仅属于目标环节、别无其他信号的企业；理由先列链主供需、本地基金、本地缺口、近期融资/扩张</div>"
            f"<div id='cm-weights'>权重：{'由项目历史学习' if w.source == 'learned' else '默认'} · "
            f"方向检查：{e(SIGN_CHECK[w.sign_check])} · {e(w.note)}</div>{notes}</div>")


def _datalist(name: str, values: list[str]) -> str:
    return f"<datalist id='dl-{name}'>" + "".join(f"<option value='{e(v)}'>" for v in values) + "</datalist>"


def target_form_html(answer: FormAnswer, region: str | None, chain: str | None, segment: str | None, k: int) -> str:
    """The GET form of /pages/targets (names, 简称 or codes), with suggestions from the data."""
    c = answer.choices
    field = lambda name, label, value, hint: (  # noqa: E731
        f"<label>{label}<input name='{name}' id='f-{name}' list='dl-{name}' value='{e(value or '')}' "
        f"placeholder='{e(hint)}'></label>")
    return ("<form class='filters' method='get' action='/pages/targets' id='cm-target-form'>"
            + field("region", "行政区", region, "如 衢州 / 330800")
            + field("chain", "产业链", chain, "如 集成电路")
            + field("segment", "环节（可不填）", segment, "不填：补链/强链/延链环节")
            + f"<label>条数<input name='k' type='number' min='1' max='500' value='{k}'></label>"
            + "<button type='submit' id='f-submit'>推荐</button></form>"
            + _datalist("region", c.regions) + _datalist("chain", c.chains) + _datalist("segment", c.segments))


def anchors_html(answer: FormAnswer, region: str) -> str:
    """The region's funds and 链主, each linking to its 以投促引 / 以企引企 page."""
    q = urlencode({"region": region})
    parts = []
    if answer.funds:
        parts.append("<div class='anchors' id='cm-funds'>本地基金（以投促引）：" + "".join(
            f"<a href='/pages/funds/{e(quote(f.key))}/targets?{e(q)}'>{e(f.name)}</a>" for f in answer.funds[:30]) + "</div>")
    if answer.leaders:
        parts.append("<div class='anchors' id='cm-leaders'>本地链主（以企引企）：" + "".join(
            f"<a href='/pages/leaders/{e(quote(f.key))}/targets?{e(q)}'>{e(f.name)}</a>" for f in answer.leaders[:30])
            + "</div>")
    return f"<div class='box'>{''.join(parts)}</div>" if parts else ""


def xlsx_href(out: TargetList, segment: str | None, k: int = 50) -> str:
    q = {"region": out.region.key, "k": str(max(k, 50))}
    if out.chain:
        q["chain"] = out.chain.key
    if segment and out.segments:
        q["segment"] = out.segments[0].key
    return "/api/v1/recommendations/targets.xlsx?" + urlencode(q)
