"""土地超市 项目找地 on the pages (/pages/land/match): the officer's quick question — 用地约 80 亩, 投资强度 300 万元/亩,
perhaps a chain or a 亩均税收, nothing else known — as a form, turned into a project the matcher takes, and its answer
in three tiers: parcels that fit (ranked, with the score's reasons), parcels that may fit once the missing facts are
checked (可能符合，待核实, with what to check), and parcels excluded on known facts with the reasons.

Read side: the form's text → project facts (`quick_project`), the matcher's ranking → HTML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel.pages import e
from land.data import LandData
from land.ranking import Ranking
from land.views import check_items, n, options, park_choice, parcel_link, number

DEFAULT_SPREAD = 20.0  # ± % around the stated area when no range is given


@dataclass
class QuickQuestion:
    """What the 项目找地 form holds, as typed (shown back in the form)."""

    chain: str | None = None
    area: str | None = None
    spread: str | None = None
    intensity: str | None = None
    invest: str | None = None
    tax: str | None = None
    park: str | None = None

    def asked(self) -> bool:
        return any(v and v.strip() for v in (self.chain, self.area, self.intensity, self.invest, self.tax))


@dataclass
class QuickProject:
    """The project the matcher is given, how it was read from the form, and what could not be read."""

    data: dict[str, Any] = field(default_factory=dict)
    reading: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def quick_project(q: QuickQuestion) -> QuickProject:
    """The form's answers as Project facts: 用地 area ± spread %, 总投资 as given or 投资强度 × 用地, 达产年税收 as
    亩均税收 × 用地; `reading` says each in words so the officer sees what was matched."""
    out = QuickProject()
    area = number(q.area, "用地需求", out.errors)
    spread = number(q.spread, "面积浮动", out.errors)
    spread = DEFAULT_SPREAD if spread is None else min(spread, 100.0)
    intensity = number(q.intensity, "投资强度", out.errors)
    invest = number(q.invest, "总投资", out.errors)
    tax = number(q.tax, "亩均税收", out.errors)
    d = out.data
    if q.chain:
        d["chain"] = q.chain
    if area is not None:
        d["land_min_mu"], d["land_max_mu"] = round(area * (1 - spread / 100), 2), round(area * (1 + spread / 100), 2)
        out.reading.append(f"用地 {n(d['land_min_mu'])}–{n(d['land_max_mu'])} 亩（{n(area)} 亩 ± {n(spread)}%）")
    if invest is not None:
        d["total_investment_wan"] = invest
        out.reading.append(f"总投资 {n(invest)} 万元")
    elif intensity is not None and area is not None:
        d["total_investment_wan"] = round(intensity * area, 4)
        out.reading.append(f"总投资按 {n(intensity)} 万元/亩 × {n(area)} 亩 = {n(d['total_investment_wan'])} 万元计")
    elif intensity is not None:
        out.errors.append("填写投资强度时请同时填写用地需求（亩），以便折算总投资")
    if tax is not None and area is not None:
        d["expected_tax_wan"] = round(tax * area, 4)
        out.reading.append(f"达产年税收按 {n(tax)} 万元/亩 × {n(area)} 亩 = {n(d['expected_tax_wan'])} 万元计")
    elif tax is not None:
        out.errors.append("填写亩均税收时请同时填写用地需求（亩）")
    return out


def match_form(data: LandData, q: QuickQuestion) -> str:
    """The 项目找地 form (GET /pages/land/match); blank fields are unknown, not zero."""
    ctx = data.ctx
    chain_opts = [(str(k), str(ctx.chain_names[c])) for c, k in enumerate(ctx.chains.keys.tolist())]
    return (
        "<form class='filters' method='get' action='/pages/land/match' id='land-match-form'>"
        f"<label>产业链<select name='chain'>{options(chain_opts, q.chain, '未知/不限')}</select></label>"
        f"<label>用地需求（亩）<input name='area' inputmode='decimal' value='{e(q.area)}' placeholder='如 80'></label>"
        f"<label>面积浮动（±%）<input name='spread' inputmode='decimal' value='{e(q.spread)}' "
        f"placeholder='{n(DEFAULT_SPREAD)}'></label>"
        f"<label>投资强度（万元/亩）<input name='intensity' inputmode='decimal' value='{e(q.intensity)}' "
        "placeholder='如 300'></label>"
        f"<label>或总投资（万元）<input name='invest' inputmode='decimal' value='{e(q.invest)}'></label>"
        f"<label>亩均税收（万元/亩）<input name='tax' inputmode='decimal' value='{e(q.tax)}'></label>"
        f"<label>园区<select name='park'>{options(park_choice(data, q.park), q.park, '全部园区')}</select></label>"
        "<button type='submit'>找地</button></form>"
        "<p class='muted'>不知道的留空：缺少的信息不会当作不符合，而是列入“可能符合，待核实”，并写明要核实什么。</p>"
    )


def _brief(m: dict[str, Any]) -> str:
    return f"<td>{e(m.get('park_name') or '—')}</td><td class='n'>{n(m.get('area_mu'))}</td>"


def match_results(data: LandData, ranking: Ranking, reading: list[str]) -> str:
    """The three tiers of a 项目找地 answer."""
    pos = data.parcels.pos
    c = ranking.counts
    top = lambda m: sorted(m["breakdown"], key=lambda b: -b["points"])[:3]  # noqa: E731
    ok_rows = [f"<tr><td>{parcel_link(data, pos(m['parcel']))}</td>{_brief(m)}<td class='n score'>{n(m['score'])}</td>"
               "<td><ul class='reasons'>" + "".join(f"<li>{e(b['label'])}：{e(b['reason'])}</li>" for b in top(m))
               + "</ul></td></tr>" for m in ranking.feasible]
    maybe_rows = [f"<tr><td>{parcel_link(data, pos(m['parcel']))}</td>{_brief(m)}<td class='n score'>{n(m['score'])}</td>"
                  f"<td><b>{e(m['summary'])}</b><ul class='reasons'>{check_items(m['verify'])}</ul></td></tr>"
                  for m in ranking.to_verify]
    bad_rows = [f"<tr><td>{parcel_link(data, pos(m['parcel']))}</td>{_brief(m)}"
                f"<td><ul class='reasons'>{check_items(m['failures'])}</ul></td></tr>" for m in ranking.excluded]
    head = "<tr><th>地块</th><th>园区</th><th>面积（亩）</th>"
    return (
        f"<p id='land-match-reading'>按以下条件匹配：{e('；'.join(reading) or '（未填任何条件）')}。</p>"
        f"<p id='land-match-counts'>候选 <b>{c['candidates']}</b> 块：适合 <b>{c['feasible']}</b> 块，"
        f"可能符合待核实 <b>{c['to_verify']}</b> 块，不符合 <b>{c['excluded']}</b> 块。</p>"
        f"<h3>适合的地块（{c['feasible']}）</h3><table><thead>{head}<th>得分</th><th>主要理由</th></tr></thead><tbody>"
        + ("".join(ok_rows) or "<tr><td colspan='5' class='muted'>无</td></tr>") + "</tbody></table>"
        + f"<h3 class='tier' id='land-to-verify'>可能符合，待核实（{c['to_verify']}）</h3>"
        f"<table><thead>{head}<th>得分</th><th>须核实</th></tr></thead><tbody>"
        + ("".join(maybe_rows) or "<tr><td colspan='5' class='muted'>无</td></tr>") + "</tbody></table>"
        + f"<h3>不符合的地块（{c['excluded']}，列出最接近的 {len(bad_rows)} 块）</h3>"
        f"<table><thead>{head}<th>不符原因</th></tr></thead><tbody>"
        + ("".join(bad_rows) or "<tr><td colspan='4' class='muted'>无</td></tr>") + "</tbody></table>"
    )
