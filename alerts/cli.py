"""`chainmatch alerts …` (内容订阅): run the event processor once and deliver due webhooks, on demand — the same
commands the API's background worker runs. Registered in api/cli.py."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from api.cli_common import fail, parse_date, settings, store_snapshot

app = typer.Typer(add_completion=False)
alerts_app = typer.Typer(help="内容订阅：处理数据变化为提醒事件、投递 webhook。", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("process")
def process_cmd(
    today: Annotated[Optional[str], typer.Option(help="以哪天为今天 YYYY-MM-DD（项目逾期按此计算）")] = None,
    deliver: Annotated[bool, typer.Option(help="处理后投递到期的 webhook")] = True,
) -> None:
    """读取存储变更日志，记录新事件（同一变化只记录一次），并投递 webhook。"""
    from alerts.commands import AlertCursorMoved, AlertRules, deliver_due, process
    from alerts.commands.webhooks import WebhookRules

    s = settings().alerts
    with store_snapshot(require_data=False) as (store, snap):
        try:
            r = process(store, lambda: snap, rules=AlertRules.from_settings(s), today=parse_date(today, "--today"))
        except AlertCursorMoved:
            fail("另一处理器（如服务内的后台线程）刚记录了这些版本，请稍后重试")
        what = "建立基线（首次运行，不记录历史变化）" if r.baseline else f"新事件 {r.events} 个，投递 {r.deliveries} 条"
        typer.echo(f"已处理到版本 {r.version}：{what}" + ("；变更日志不足，已全量比较" if r.full and not r.baseline else ""))
        if deliver:
            jobs = deliver_due(store, rules=WebhookRules.from_settings(s))
            if jobs:
                ok = sum(j.status == "delivered" for j in jobs)
                typer.echo(f"webhook：送达 {ok}，待重试 {sum(j.status == 'pending' for j in jobs)}，"
                           f"放弃 {sum(j.status == 'failed' for j in jobs)}")
