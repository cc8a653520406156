"""`chainmatch projects …` (招商项目库: board, stage changes, tracking, evaluation, Excel export/import) — the same
service functions as the API. Registered in api/cli.py (the group joins the top level)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, fail_lookup, open_store, parse_date as _date, settings, store_snapshot
from kernel.errors import LookupFailed

app = typer.Typer(add_completion=False)
projects_app = typer.Typer(help="招商项目库：看板、阶段流转、跟踪、落地评价、Excel 导入导出。", no_args_is_help=True)
app.add_typer(projects_app, name="projects")


def _rules(key_wan: float | None, major_wan: float | None, stall_days: int | None):
    """The deployment's rules (settings), each overridable by an option."""
    from pipeline import PipelineError, PipelineRules

    ps = settings().pipeline
    try:
        return PipelineRules.from_settings(key_wan=ps.key_wan if key_wan is None else key_wan,
                                           major_wan=ps.major_wan if major_wan is None else major_wan,
                                           stall_days=ps.stall_days if stall_days is None else stall_days)
    except PipelineError as e:
        fail(e.message)


def _park(snap, park: str | None) -> str | None:
    """--park as typed (key, name or 简称) → the park's key; unknown ends the command with suggestions."""
    from pipeline.queries import park_key

    try:
        return park_key(snap, park)
    except LookupFailed as e:
        fail_lookup(e.message, e.candidates)


# ============================================================================================== projects
@projects_app.command("board")
def board_cmd(
    park: Annotated[Optional[str], typer.Option(help="只看某园区（key、名称或简称）")] = None,
    today: Annotated[Optional[str], typer.Option(help="以哪天为今天 YYYY-MM-DD")] = None,
    key_wan: Annotated[Optional[float], typer.Option(help="重点项目阈值（万元）")] = None,
    major_wan: Annotated[Optional[float], typer.Option(help="重大项目阈值（万元）")] = None,
    stall_days: Annotated[Optional[int], typer.Option(help="停滞天数")] = None,
) -> None:
    """按阶段汇总项目，列出逾期与停滞项目。"""
    from pipeline import board as pb, commands as cmd

    rules = _rules(key_wan, major_wan, stall_days)
    day = _date(today, "--today") or dt.date.today()
    with store_snapshot(require_data=False) as (store, snap):
        recs = cmd.project_records(store, snap, park=_park(snap, park))
    b = pb.board(recs, today=day, rules=rules)
    typer.echo(f"共 {b['total']} 个项目，已落地 {b['landed']}，逾期 {b['overdue']}，停滞 {b['stalled']}；{b['by_class']}")
    for st in b["stages"]:
        typer.echo(f"  {st['stage']}\t{st['count']} 个\t{st['investment_wan']:,.0f} 万元")
    for v in pb.overdue(recs, today=day, rules=rules)[:20]:
        typer.echo(f"  逾期 {v['overdue_days']} 天\t{v['key']}\t{v['name']}\t{v['next_action']}（{v['next_action_on']}）\t{v['owner']}")


@projects_app.command("stage")
def stage_cmd(
    key: Annotated[str, typer.Argument(help="项目 key")],
    to: Annotated[str, typer.Option("--to", help="目标阶段（线索…达产；“落地”即“注册”）")],
    on: Annotated[Optional[str], typer.Option(help="日期 YYYY-MM-DD（默认今天）")] = None,
    note: Annotated[Optional[str], typer.Option(help="说明（回退时必填）")] = None,
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """阶段流转（只允许合法流转）。"""
    from pipeline import PipelineError, commands as cmd

    try:
        p = cmd.change_stage(open_store(), key=key, to=to, on=on, note=note, actor=actor)
    except PipelineError as e:
        fail(e.message)
    from pipeline.rules import stage_label

    typer.echo(f"{key}：已进入“{stage_label(p['stage'])}”（{p['stage_on']}）")


@projects_app.command("track")
def track_cmd(
    key: Annotated[str, typer.Argument(help="项目 key")],
    note: Annotated[str, typer.Option(help="本周跟踪情况")],
    on: Annotated[Optional[str], typer.Option(help="日期 YYYY-MM-DD（默认今天）")] = None,
    next_action: Annotated[Optional[str], typer.Option(help="下一步工作")] = None,
    next_on: Annotated[Optional[str], typer.Option(help="下一步计划日期")] = None,
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """添加跟踪记录。"""
    from pipeline import PipelineError, commands as cmd

    try:
        p = cmd.add_tracking(open_store(), key=key, note=note, on=on, next_action=next_action, next_action_on=next_on,
                             actor=actor)
    except PipelineError as e:
        fail(e.message)
    typer.echo(f"{key}：已记录；下一步 {p.get('next_action') or '—'}（{p.get('next_action_on') or '未定'}）")


@projects_app.command("evaluate")
def evaluate_cmd(
    key: Annotated[Optional[str], typer.Argument(help="项目 key（省略则评价全部落地项目）")] = None,
    shortfalls: Annotated[bool, typer.Option(help="只列不达标的")] = False,
) -> None:
    """落地评价：投资强度、亩均税收、亩均产出、就业对照标准地要求。"""
    from pipeline import PipelineError
    from pipeline.evaluation import evaluation_of, evaluations

    with store_snapshot(require_data=False) as (_, snap):
        try:
            evs = [evaluation_of(snap, key)] if key else evaluations(snap, only_shortfalls=shortfalls)
        except PipelineError as e:
            fail(e.message)
    for ev in evs:
        typer.echo(f"{ev['project']}\t{ev['name']}\t{ev['stage']}\t地块 {ev['parcel'] or '—'}\t"
                   f"{'达标' if ev['ok'] else '不达标：' + '、'.join(ev['shortfalls'])}")
        for i in ev["indicators"]:
            if i["outcome"] == "shortfall" or key:
                typer.echo(f"    {i['message']}")


@projects_app.command("export")
def export_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出 .xlsx 文件")] = Path("招商项目库.xlsx"),
    park: Annotated[Optional[str], typer.Option(help="只导出某园区（key、名称或简称）")] = None,
) -> None:
    """导出项目库为 Excel（可修改后再导入）。"""
    from pipeline import commands as cmd
    from pipeline.excel import export_xlsx

    if output.suffix.lower() != ".xlsx":
        fail("输出文件应为 .xlsx")
    with store_snapshot(require_data=False) as (store, snap):
        recs = cmd.project_records(store, snap, park=_park(snap, park))
        n = export_xlsx(recs, output, today=dt.date.today(), rules=_rules(None, None, None), snap=snap)
    typer.echo(f"已导出 {n} 个项目到 {output}")


@projects_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help=".xlsx 文件", exists=True, dir_okay=False)],
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """导入项目库 Excel：全部成功或全部不写；问题列出行与列。"""
    from graph.validation import ValidationFailed
    from pipeline import ImportLimits, PipelineError, commands as cmd

    s = settings().imports
    limits = ImportLimits.from_settings(max_rows=s.max_rows, max_unpacked_bytes=s.max_unpacked_bytes)
    try:
        res = cmd.import_xlsx(open_store(), path.read_bytes(), actor=actor, file_name=path.name, limits=limits)
    except ValidationFailed as e:
        fail(str(e))
    except PipelineError as e:
        fail(e.message)
    d = res.as_dict()
    typer.echo(f"新建 {d['created']}，更新 {d['updated']}，未变 {d['unchanged']}；阶段变更：{'；'.join(d['stage_changes']) or '无'}")
