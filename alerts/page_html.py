"""The HTML pieces of the 内容订阅 page (alerts/pages.py): the digest, the subscribe form, the subscriptions and
the webhook deliveries. Everything inserted is escaped; times in 北京时间; subjects by name with a link."""
from __future__ import annotations

from typing import Any, Sequence

from alerts.model import SUBJECT_CN
from alerts.views import inbox_row, job_row, subscription_row
from kernel.pages import PageContext, action_form, csrf_field, e

CSS = """
.box{background:#fff;border:1px solid #dde;padding:10px 14px;margin:0 0 14px}
.box h2{font-size:16px;margin:2px 0 8px}table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
tr.unread td{background:#fffbe6}tr.unread td.t{font-weight:bold}.tag{font-size:12px;padding:1px 6px;border-radius:3px;
background:#e8eef6;color:#1f4e79;white-space:nowrap}.bad{color:#a11}
"""


def events_html(ctx: PageContext, items: Sequence[Any], sub_names: dict[str, str], unread: int) -> str:
    """The digest (the newest page of it) under a heading with `unread`, the count of ALL unread events."""
    rows = []
    for it in items:
        r = inbox_row(it)
        link = r["subject"]["page"]
        title = f"<a href='{e(link)}'>{e(r['title'])}</a>" if link else e(r["title"])
        act = "" if r["read"] else action_form(ctx, "/pages/alerts/read", "标为已读",
                                                 f"<input type='hidden' name='event_id' value='{e(r['event_id'])}'>")
        rows.append(f"<tr class='{'read' if r['read'] else 'unread'}' data-event='{e(r['event_id'])}'>"
                    f"<td><span class='tag'>{e(r['kind_cn'])}</span></td><td class='t'>{title}</td>"
                    f"<td>{e(sub_names.get(r['subscription'], '（已取消的订阅）'))}</td>"
                    f"<td>{e(r['at_beijing'])}</td><td>{act}</td></tr>")
    all_read = action_form(ctx, "/pages/alerts/read", "全部标为已读") if unread else ""
    table = ("<table id='alerts-digest'><tr><th>类型</th><th>事件</th><th>来自订阅</th><th>时间</th><th></th></tr>"
             + "".join(rows) + "</table>") if rows else "<p class='muted'>还没有提醒。订阅后，数据变化会出现在这里。</p>"
    more = (f"<p class='muted'>只列出最新的 {len(items)} 条未读提醒；标为已读后显示其余。</p>" if len(items) < unread else "")
    return f"<section class='box'><h2>提醒（未读 {unread}）</h2>{all_read}{table}{more}</section>"


def subscribe_form(ctx: PageContext, role: str) -> str:
    if role == "viewer":
        return "<section class='box'><h2>新增订阅</h2><p class='muted'>只读用户不能订阅。</p></section>"
    kinds = "".join(f"<option value='{k}'>{e(v)}</option>" for k, v in SUBJECT_CN.items())
    note = "（园区管理员：本园区及其地块、项目）" if role == "park_admin" else ""
    return ("<section class='box'><h2>新增订阅" + e(note) + "</h2>"
            "<form class='filters' id='alerts-subscribe' method='post' action='/pages/alerts/subscribe'>"
            f"{csrf_field(ctx)}<label>类型<select name='kind'>{kinds}</select></label>"
            "<label>名称、简称或代码<input name='subject' required placeholder='如 集成电路、衢州、中芯国际'></label>"
            "<label>最低分（0–100，可空）<input name='min_score' inputmode='decimal' size='6'></label>"
            "<label>招商目标行政区（产业链/环节，可空）<input name='region' size='10'></label>"
            "<label>Webhook 地址（可空）<input name='webhook_url' size='30' placeholder='https://…'></label>"
            "<button type='submit'>订阅</button></form></section>")


def region_names(snap: Any, codes: Sequence[str]) -> dict[str, str]:
    """行政区 codes → names (the code itself where the snapshot does not know it)."""
    out = {}
    for c in codes:
        i = int(snap.index_of("Region", c)) if snap.n("Region") else -1
        out[c] = str(snap.labels["Region"].names[i]) if i >= 0 else c
    return out


def subscriptions_html(ctx: PageContext, subs: Sequence[Any], regions: dict[str, str] | None = None) -> str:
    if not subs:
        return "<section class='box'><h2>我的订阅</h2><p class='muted'>暂无订阅。</p></section>"
    rows = []
    for s in subs:
        r = subscription_row(s)
        name = f"<a href='{e(r['page'])}'>{e(r['name'])}</a>" if r["page"] else e(r["name"])
        extra = "；".join(x for x in (f"≥ {r['min_score']:g} 分" if r["min_score"] is not None else "",
                                      f"招商目标按{(regions or {}).get(r['region'], r['region'])}" if r["region"] else "",
                                      "webhook" if r["webhook_url"] else "") if x)
        cancel = action_form(ctx, "/pages/alerts/unsubscribe", "取消",
                             f"<input type='hidden' name='sub_id' value='{e(r['id'])}'>", warn=True)
        rows.append(f"<tr><td>{e(r['kind_cn'])}</td><td>{name}</td><td>{e(extra) or '—'}</td>"
                    f"<td>{e(r['created_at_beijing'])}</td><td>{cancel}</td></tr>")
    return ("<section class='box'><h2>我的订阅</h2><table id='alerts-subs'><tr><th>类型</th><th>对象</th>"
            "<th>条件</th><th>订阅时间</th><th></th></tr>" + "".join(rows) + "</table></section>")


def jobs_html(jobs: Sequence[Any], sub_names: dict[str, str]) -> str:
    if not jobs:
        return ""
    rows = "".join(
        f"<tr><td>{e(sub_names.get(j['subscription'], j['subscription']))}</td>"
        f"<td class='{'bad' if j['status'] == 'failed' else ''}'>{e(j['status_cn'])}</td><td>{j['attempts']}</td>"
        f"<td>{e(j['last_error'] or '')}</td><td>{e(j['updated_at_beijing'])}</td></tr>"
        for j in map(job_row, jobs))
    return ("<section class='box'><h2>Webhook 投递</h2><table id='alerts-webhooks'><tr><th>订阅</th><th>状态</th>"
            "<th>尝试次数</th><th>最近错误</th><th>时间</th></tr>" + rows + "</table></section>")
