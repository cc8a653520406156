"""`chainmatch incentives …` (政策计算器、免申即享推送) and `chainmatch projects …` (招商项目库: board, stage changes,
tracking, evaluation, Excel export/import) — the same service functions as the API.

Register in api/cli.py with `app.add_typer(cli_pipeline.app)` (no name: the two groups join the top level).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, open_store, store_snapshot

app = typer.Typer(add_completion=False)
incentives_app = typer.Typer(help="政策兑现：条款列表、计算器、免申即享推送。", no_args_is_help=True)
projects_app = typer.Typer(help="招商项目库：看板、阶段流转、跟踪、落地评价、Excel 导入导出。", no_args_is_help=True)
app.add_typer(incentives_app, name="incentives")
app.add_typer(projects_app, name="projects")


def _date(text: str | None, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what}应为日期 YYYY-MM-DD，实际 {text!r}")
    return None


def _rules(key_wan: float | None, major_wan: float | None, stall_days: int | None):
    from api.settings import get_settings
    from matching.pipeline import PipelineError

    try:
        return get_settings().pipeline_rules(key_wan, major_wan, stall_days)
    except PipelineError as e:
        fail(e.message)


# ============================================================================================== incentives
@incentives_app.command("items")
def items(doc: Annotated[Optional[str], typer.Option(help="只列某文件（qz-fdi / qz-innovation-2019）")] = None) -> None:
    """列出政策条款：key、名称、文号与条款、公式。"""
    from matching.incentives import default_rules, formula_text

    book = default_rules()
    for it in book.items.values():
        if doc and it.doc.key != doc:
            continue
        typer.echo(f"{it.key}\t{it.name}\t{it.doc.doc_no or it.doc.title}\t{it.article}\n    {formula_text(book, it)}")


@incentives_app.command("calc")
def calc(
    facts: Annotated[str, typer.Option("--facts", help="事实：JSON 文件路径或 JSON 文本，字段见 `incentives facts`")] = "{}",
    on: Annotated[Optional[str], typer.Option(help="计算日期 YYYY-MM-DD（默认今天）")] = None,
    project: Annotated[Optional[str], typer.Option(help="以图谱中某项目的已知事实为默认值")] = None,
    enterprise: Annotated[Optional[str], typer.Option(help="以图谱中某企业的已知事实为默认值")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="列出全部条款（含不适用的）")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """政策计算器：适用条款、金额、公式与出处。"""
    from matching.incentives import (
        FactsError, UnknownSubject, calculate, default_rules, parse_facts, subject_facts,
    )

    book = default_rules()
    text = Path(facts).read_text(encoding="utf-8") if not facts.strip().startswith("{") and Path(facts).exists() else facts
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"--facts 不是合法 JSON：{e}")
    base = {}
    if project or enterprise:
        try:
            with store_snapshot(require_data=False) as (_, snap):
                base = subject_facts(snap, enterprise=enterprise, project=project)
        except UnknownSubject as e:
            fail(e.message)
    try:
        c = calculate(book, base | parse_facts(book, raw), on=_date(on, "--on"), parsed=True)
    except FactsError as e:
        fail("事实有误：" + str(e))
    out = c.as_dict(book, only_relevant=not show_all)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for r in out["items"]:
        amount = f"{r['amount']} {r['currency']}" if r["amount"] is not None else "—"
        typer.echo(f"[{r['status_cn']}] {r['name']}（{r['doc_no'] or r['document']} {r['article']}）：{amount}")
        for line in filter(None, [r["computation"], *r["reasons"]]):
            typer.echo(f"    {line}")
    typer.echo("合计：" + ("；".join(f"{v['total']} {k}（其中上限性质 {v['up_to']}）" for k, v in out["totals"].items()) or "无"))


@incentives_app.command("facts")
def facts_list() -> None:
    """计算器可用的事实字段。"""
    from matching.incentives import default_rules

    for f in default_rules().facts.values():
        extra = f" 可选：{'/'.join(f.choices)}" if f.choices else ""
        typer.echo(f"{f.name}\t{f.label}\t{f.type}{' ' + f.unit if f.unit else ''}{extra}{'（自动计算）' if f.derived else ''}")


@incentives_app.command("push")
def push_cmd(
    item: Annotated[str, typer.Argument(help="条款 key，如 qz-fdi.17.tiers")],
    on: Annotated[Optional[str], typer.Option(help="计算日期 YYYY-MM-DD（默认今天）")] = None,
    limit: Annotated[int, typer.Option(help="每类最多列出", min=1)] = 50,
) -> None:
    """免申即享：图谱中符合该条款的企业、项目及金额；以及需企业确认的候选。"""
    from matching.incentives import default_rules, push

    book = default_rules()
    if item not in book.items:
        fail(f"政策条款 {item!r} 不存在（`chainmatch incentives items` 列出全部）")
    with store_snapshot(require_data=False) as (_, snap):
        res = push(book, snap, item, on=_date(on, "--on")).as_dict(book, limit=limit)
    typer.echo(f"{res['name']}（{res['doc_no'] or res['document']} {res['article']}）：扫描 {res['counts']['scanned']}，"
               f"符合 {res['counts']['qualified']}（合计 {res['qualified_total']} {res['currency']}），"
               f"待确认 {res['counts']['to_confirm']}")
    for e in res["qualified"]:
        typer.echo(f"  符合\t{e['key']}\t{e['name']}\t{e['amount']} {e['currency']}\t{e['computation']}")
    for e in res["to_confirm"]:
        typer.echo(f"  待确认\t{e['key']}\t{e['name']}\t需确认：{'、'.join(m['label'] for m in e['missing'])}")
    if res["note"]:
        typer.echo(res["note"])


# ============================================================================================== projects
@projects_app.command("board")
def board_cmd(
    park: Annotated[Optional[str], typer.Option(help="只看某园区")] = None,
    today: Annotated[Optional[str], typer.Option(help="以哪天为今天 YYYY-MM-DD")] = None,
    key_wan: Annotated[Optional[float], typer.Option(help="重点项目阈值（万元）")] = None,
    major_wan: Annotated[Optional[float], typer.Option(help="重大项目阈值（万元）")] = None,
    stall_days: Annotated[Optional[int], typer.Option(help="停滞天数")] = None,
) -> None:
    """按阶段汇总项目，列出逾期与停滞项目。"""
    from matching import pipeline as pl

    rules = _rules(key_wan, major_wan, stall_days)
    day = _date(today, "--today") or dt.date.today()
    recs = pl.project_records(open_store(), park=park)
    b = pl.board(recs, today=day, rules=rules)
    typer.echo(f"共 {b['total']} 个项目，已落地 {b['landed']}，逾期 {b['overdue']}，停滞 {b['stalled']}；{b['by_class']}")
    for st in b["stages"]:
        typer.echo(f"  {st['stage']}\t{st['count']} 个\t{st['investment_wan']:,.0f} 万元")
    for v in pl.overdue(recs, today=day, rules=rules)[:20]:
        typer.echo(f"  逾期 {v['overdue_days']} 天\t{v['key']}\t{v['name']}\t{v['next_action']}（{v['next_action_on']}）\t{v['owner']}")


@projects_app.command("stage")
def stage_cmd(
    key: Annotated[str, typer.Argument(help="项目 key")],
    to: Annotated[str, typer.Option("--to", help="目标阶段")],
    on: Annotated[Optional[str], typer.Option(help="日期 YYYY-MM-DD（默认今天）")] = None,
    note: Annotated[Optional[str], typer.Option(help="说明（回退时必填）")] = None,
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """阶段流转（只允许合法流转）。"""
    from matching import pipeline as pl

    try:
        p = pl.change_stage(open_store(), key=key, to=to, on=on, note=note, actor=actor)
    except pl.PipelineError as e:
        fail(e.message)
    typer.echo(f"{key}：已进入“{p['stage']}”（{p['stage_on']}）")


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
    from matching import pipeline as pl

    try:
        p = pl.add_tracking(open_store(), key=key, note=note, on=on, next_action=next_action, next_action_on=next_on,
                            actor=actor)
    except pl.PipelineError as e:
        fail(e.message)
    typer.echo(f"{key}：已记录；下一步 {p.get('next_action') or '—'}（{p.get('next_action_on') or '未定'}）")


@projects_app.command("evaluate")
def evaluate_cmd(
    key: Annotated[Optional[str], typer.Argument(help="项目 key（省略则评价全部落地项目）")] = None,
    shortfalls: Annotated[bool, typer.Option(help="只列不达标的")] = False,
) -> None:
    """落地评价：投资强度、亩均税收、亩均产出、就业对照标准地要求。"""
    from matching import pipeline as pl

    store = open_store()
    if key:
        p = store.get("Project", key)
        if p is None:
            fail(f"项目 {key!r} 不存在")
        evs = [pl.evaluate(p, pl.parcel_of(store, key))]
    else:
        evs = pl.evaluations(store, only_shortfalls=shortfalls)
    for ev in evs:
        typer.echo(f"{ev['project']}\t{ev['name']}\t{ev['stage']}\t地块 {ev['parcel'] or '—'}\t"
                   f"{'达标' if ev['ok'] else '不达标：' + '、'.join(ev['shortfalls'])}")
        for i in ev["indicators"]:
            if i["outcome"] == "shortfall" or key:
                typer.echo(f"    {i['message']}")


@projects_app.command("export")
def export_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出 .xlsx 文件")] = Path("招商项目库.xlsx"),
    park: Annotated[Optional[str], typer.Option(help="只导出某园区")] = None,
) -> None:
    """导出项目库为 Excel（可修改后再导入）。"""
    from matching import pipeline as pl

    if output.suffix.lower() != ".xlsx":
        fail("输出文件应为 .xlsx")
    n = pl.export_xlsx(pl.project_records(open_store(), park=park), output, today=dt.date.today(), rules=_rules(None, None, None))
    typer.echo(f"已导出 {n} 个项目到 {output}")


@projects_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help=".xlsx 文件", exists=True, dir_okay=False)],
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """导入项目库 Excel：全部成功或全部不写；问题列出行与列。"""
    from api.settings import get_settings
    from graph.writer import ValidationFailed
    from matching import pipeline as pl

    try:
        res = pl.import_xlsx(open_store(), path.read_bytes(), actor=actor, file_name=path.name,
                             limits=get_settings().import_limits())
    except ValidationFailed as e:
        fail(str(e))
    except pl.PipelineError as e:
        fail(e.message)
    d = res.as_dict()
    typer.echo(f"新建 {d['created']}，更新 {d['updated']}，未变 {d['unchanged']}；阶段变更：{'；'.join(d['stage_changes']) or '无'}")
