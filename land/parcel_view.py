"""土地超市 parcel page (/pages/land?parcel=…): a parcel's facts and status, the 预留 / 释放 / 出让 forms for the park
administration and officers, the projects that fit it (ranked, with the score's reasons), those that may fit once
missing facts are checked (可能符合，待核实), those excluded with their reasons, and — when no project fits — the
firms worth attracting for it (招商目标推荐).

Read side: HTML from the matcher's answers; the forms post to the routes of land/pages.py, which call
land.commands (the same functions and rules as the API) and come back here with a message.
"""
from __future__ import annotations

from typing import Any, Sequence
from urllib.parse import quote, urlencode

from graph.schema import POLLUTION_CLASSES
from kernel.pages import PageContext, action_form, e
from land.data import LandData
from land.ranking import Ranking
from land.views import check_items, chains_cell, land_use_cell, n, project_link, range_cell, status_cell

WRITE_ROLES = ("officer", "park_admin", "admin")  # may reserve and release (a park_admin only in its park)
TRANSFER_ROLES = ("park_admin", "admin")  # may record a transfer (出让)


def parcel_facts(data: LandData, j: int) -> str:
    Q, ctx = data.parcels, data.ctx
    pol = "不限" if Q.poll_any[j] else "、".join(c for k, c in enumerate(POLLUTION_CLASSES) if Q.poll_allowed[j, k])
    facts = [
        ("园区", ctx.park_name(int(Q.park[j])) or "—"), ("行政区", ctx.region_name(int(Q.region[j])) or "—"),
        ("面积", f"{n(Q.area[j])} 亩"), ("用地性质", land_use_cell(data, j)),
        ("容积率", range_cell(Q.num["far_min"][j], Q.num["far_max"][j])),
        ("建筑密度（%）", range_cell(Q.num["density_min"][j], Q.num["density_max"][j])),
        ("绿地率上限（%）", n(Q.num["green_ratio_max"][j])), ("出让年限", n(Q.num["term_years"][j])),
        ("起始价", f"{n(Q.num['price_wan_per_mu'][j])} 万元/亩"), ("开发程度", str(Q.readiness[j]) or "—"),
        ("固定资产投资强度 ≥", f"{n(Q.num['min_invest_intensity_wan_per_mu'][j])} 万元/亩"),
        ("亩均税收 ≥", f"{n(Q.num['min_tax_wan_per_mu'][j])} 万元/亩"),
        ("亩均产出 ≥", f"{n(Q.num['min_output_wan_per_mu'][j])} 万元/亩"),
        ("单位能耗 ≤", f"{n(Q.num['max_energy_tce_per_wan'][j])} 吨标煤/万元"), ("环境准入", pol),
    ]
    return ("<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
            + f"<tr><th>产业准入</th><td>{chains_cell(data, j)}</td></tr>"
            f"<tr><th>状态</th><td>{status_cell(data, j)}</td></tr></table>")


def _refusal(data: LandData, j: int, ctx: PageContext | None) -> str | None:
    """Why the signed-in user (if anyone) sees no forms on this parcel, or None when they may act."""
    Q = data.parcels
    user = ctx.user if ctx else None
    if user is None:
        login = "/pages/login?" + urlencode({"next": ctx.path if ctx else "/pages/land"})
        return f"<a href='{e(login)}'>登录</a>后可在此预留、释放、出让本地块。"
    if user.role not in WRITE_ROLES:
        return "只读用户不能预留、释放或出让地块。"
    pk = int(Q.park[j])
    park_key = str(data.ctx.parks.keys[pk]) if pk >= 0 else None
    if user.role == "park_admin" and user.park != park_key:
        return f"园区管理员只能办理本园区的地块；本地块属于「{e(data.ctx.park_name(pk) or '其他园区')}」。"
    return None


def actions(data: LandData, j: int, ranking: Ranking, ctx: PageContext | None, *, ttl_hours: float,
            max_ttl_hours: float) -> str:
    """The 预留 / 释放 / 出让 forms this user may use on the parcel (or why there are none)."""
    Q = data.parcels
    why = _refusal(data, j, ctx)
    if why is None and int(Q.status[j]) == 2:
        why = "本地块已出让。"
    if why is not None:
        return f"<section class='box' id='land-actions'><h3>办理</h3><p class='muted'>{why}</p></section>"
    role = ctx.user.role  # type: ignore[union-attr]
    base = f"/pages/land/parcels/{quote(str(Q.keys[j]), safe='')}"
    choices = "".join(f"<option value='{e(m['project'])}'>{e(m['name'])}（{n(m['score'])} 分）</option>"
                      for m in ranking.feasible)
    forms = []
    if choices:
        forms.append(action_form(
            ctx, base + "/reserve", "预留",
            f"<label>预留给项目<select name='project' id='land-reserve-project'>{choices}</select></label>"
            f"<label>时长（小时）<input name='ttl_hours' id='land-reserve-hours' type='number' min='1' "
            f"max='{n(max_ttl_hours)}' step='1' value='{n(ttl_hours)}' size='5'></label>", form_id="land-reserve"))
    else:
        forms.append("<p class='muted'>暂无满足全部硬性条件的项目，不能预留。</p>")
    if int(Q.status[j]) == 1:
        forms.append(action_form(ctx, base + "/release", "释放",
                                 "<label>释放原因（可不填）<input name='reason' maxlength='200' placeholder='如：项目暂缓'></label>",
                                 warn=True, form_id="land-release"))
    if role in TRANSFER_ROLES and choices:
        forms.append(action_form(ctx, base + "/transfer", "出让",
                                 f"<label>受让项目<select name='project'>{choices}</select></label>",
                                 warn=True, form_id="land-transfer"))
    note = ("<p class='muted'>预留到期自动失效；同一地块只能预留给一个项目，已被预留时再次预留会提示冲突。"
            "只列出满足全部硬性条件的项目。</p>")
    return f"<section class='box' id='land-actions'><h3>办理</h3>{''.join(forms)}{note}</section>"


def projects_section(ranking: Ranking) -> str:
    """Fitting projects ranked with the score's reasons; 可能符合，待核实 with what to check; the excluded ones."""
    c = ranking.counts
    ok_rows = []
    for m in ranking.feasible:
        reasons = "".join(f"<li>{e(b['label'])}（{n(b['points'])} 分）：{e(b['reason'])}</li>" for b in m["breakdown"])
        ok_rows.append(f"<tr><td>{project_link(m['project'], m['name'])}</td><td>{e(m['chain'] or '—')}</td>"
                       f"<td>{e(m['stage'] or '—')}</td><td class='n score'>{n(m['score'])}</td>"
                       f"<td><ul class='reasons'>{reasons}</ul></td></tr>")
    maybe_rows = [f"<tr><td>{project_link(m['project'], m['name'])}</td><td>{e(m['chain'] or '—')}</td>"
                  f"<td class='n score'>{n(m['score'])}</td><td><ul class='reasons'>{check_items(m['verify'])}</ul></td></tr>"
                  for m in ranking.to_verify]
    bad_rows = [f"<tr><td>{project_link(m['project'], m['name'])}</td>"
                f"<td><ul class='reasons'>{check_items(m['failures'])}</ul></td></tr>" for m in ranking.excluded]
    return (
        f"<h3>适合的项目（{c['feasible']} 个，按得分排序）</h3>"
        "<table><thead><tr><th>项目</th><th>产业链</th><th>阶段</th><th>得分</th><th>得分构成</th></tr></thead><tbody>"
        + ("".join(ok_rows) or "<tr><td colspan='5' class='muted'>暂无满足全部硬性条件的项目</td></tr>")
        + "</tbody></table>"
        + f"<h3 class='tier' id='land-to-verify'>可能符合，待核实（{c['to_verify']} 个）</h3>"
        "<p class='muted'>已知信息不违反任何硬性条件，但项目或地块缺少信息、有条件无法核验：核实下列各项后即可确定。</p>"
        "<table><thead><tr><th>项目</th><th>产业链</th><th>得分</th><th>待核实</th></tr></thead><tbody>"
        + ("".join(maybe_rows) or "<tr><td colspan='4' class='muted'>无</td></tr>") + "</tbody></table>"
        + f"<h3>不符合的项目（{c['excluded']} 个，列出最接近的 {len(bad_rows)} 个）</h3>"
        "<table><thead><tr><th>项目</th><th>不符原因</th></tr></thead><tbody>"
        + ("".join(bad_rows) or "<tr><td colspan='2' class='muted'>无</td></tr>") + "</tbody></table>"
    )


def firms_section(items: Sequence[dict[str, Any]]) -> str:
    """When no project fits: the firms worth attracting for the parcel (招商目标推荐), with their reasons."""
    rows = []
    for it in items:
        reasons = "".join(f"<li>{e(r)}</li>" for r in it.get("reasons") or [])
        where = it.get("region_name") or "—"
        seg = it.get("segment_name") or it.get("chain_name") or "—"
        rows.append(f"<tr><td><a href='/pages/enterprises/{quote(str(it['enterprise']), safe='')}'>{e(it['name'])}</a>"
                    f"</td><td>{e(seg)}</td><td>{e(where)}</td><td><ul class='reasons'>{reasons}</ul></td></tr>")
    return ("<section class='box' id='land-firms'><h3>暂无适合的项目：建议招引的企业</h3>"
            "<p class='muted'>按地块产业准入（不限时按园区主导产业链）的补链、强链、延链环节推荐的外地企业。</p>"
            "<table><thead><tr><th>企业</th><th>环节</th><th>所在地</th><th>推荐理由</th></tr></thead><tbody>"
            + ("".join(rows) or "<tr><td colspan='4' class='muted'>暂无可推荐的企业</td></tr>")
            + "</tbody></table></section>")


def parcel_body(data: LandData, j: int, ranking: Ranking, ctx: PageContext | None, *, ttl_hours: float,
                max_ttl_hours: float, firms: Sequence[dict[str, Any]] | None) -> str:
    """The whole parcel page below the shell's header."""
    Q = data.parcels
    return ("<p><a href='/pages/land'>← 返回地块列表</a></p>"
            f"<h2>{e(Q.names[j])}</h2>"
            + "<div class='cols'><div>" + parcel_facts(data, j) + "</div><div>"
            + actions(data, j, ranking, ctx, ttl_hours=ttl_hours, max_ttl_hours=max_ttl_hours)
            + (firms_section(firms) if firms is not None else "") + "</div></div>"
            + projects_section(ranking))
