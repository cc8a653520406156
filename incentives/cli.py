"""`chainmatch incentives …` (政策计算器: items, calculator, facts, 免申即享 push) — the same service functions as the
API. Registered in api/cli.py (the group joins the top level)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, parse_date as _date, store_snapshot

app = typer.Typer(add_completion=False)
incentives_app = typer.Typer(help="政策兑现：条款列表、计算器、免申即享推送。", no_args_is_help=True)
app.add_typer(incentives_app, name="incentives")


@incentives_app.command("items")
def items(doc: Annotated[Optional[str], typer.Option(help="只列某文件（qz-fdi / qz-innovation-2019）")] = None) -> None:
    """列出政策条款：key、名称、文号与条款、公式。"""
    from incentives.formulas import formula_text
    from incentives.rules import default_rules

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
    from incentives.calculator import calculate
    from incentives.facts import FactsError, UnknownSubject, parse_facts, subject_facts
    from incentives.rules import default_rules

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
    from incentives.rules import default_rules

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
    from incentives.push import push
    from incentives.rules import default_rules

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
