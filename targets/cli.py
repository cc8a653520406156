"""`chainmatch targets`: a target list (招商目标清单) for a region and chain from the command line — printed to the
terminal (rank, 0–100 score, firm, where, reasons), or written as .xlsx/.csv with --output.

Registered in api/cli.py with `app.add_typer(cli_targets.app)` (the command joins the top level).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, fail_lookup, settings, store_snapshot

app = typer.Typer(help="招商目标推荐清单导出。", add_completion=False)


@app.command("targets")
def targets(
    region: Annotated[str, typer.Option("--region", "-r", help="行政区（GB/T 2260 代码或名称，如 330800 / 衢州）")],
    chain: Annotated[str, typer.Option("--chain", "-c", help="产业链 key、名称或别名，如 ic / 集成电路")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="输出文件：.xlsx 或 .csv；不填时打印到终端")] = None,
    segment: Annotated[Optional[str], typer.Option("--segment", "-s", help="环节 key 或名称；不填时取补链/强链/延链环节")] = None,
    k: Annotated[int, typer.Option("--k", help="条数（1–500）", min=1, max=500)] = 50,
) -> None:
    """招商目标清单：本地以外的企业，按得分（0–100）排序，含推荐理由；--output 时写出文件（含各特征贡献）。"""
    from targets.xlsx import write_targets
    from targets import TargetConfig, TargetError, rank_targets

    if output is not None and output.suffix.lower() not in (".xlsx", ".csv"):
        fail(f"--output {output}：只支持 .xlsx 或 .csv")
    with store_snapshot() as (_, snap):
        try:
            out = rank_targets(snap, region=region, chain=chain, segment=segment, k=k,
                               config=TargetConfig(**settings().targets.model_dump()))
        except TargetError as e:
            fail_lookup(e.message, e.candidates)
    segs = "、".join(f"{s.name}（{s.klass or '—'}）" for s in out.segments)
    typer.echo(f"{out.region.name} · {out.chain.name if out.chain else ''}：目标环节 {segs}")
    if output is None:
        typer.echo(f"候选 {out.candidates} 家（已在本地排除 {out.excluded_local} 家），前 {len(out.items)} 家：")
        for line in terminal_lines(out):
            typer.echo(line)
    else:
        write_targets(out, output)
        typer.echo(f"候选 {out.candidates} 家（已在本地排除 {out.excluded_local} 家），写出 {len(out.items)} 家 → {output}")
    typer.echo(("权重：由项目历史学习。" if out.weights.source == "learned" else "权重：默认。") + out.weights.note)
    for note in out.notes:
        typer.echo(note)


def terminal_lines(out) -> list[str]:
    """The list as terminal lines: `  1. 86 分  某某半导体（深圳市 · 封测）` and its reasons indented below."""
    lines = []
    for it in out.items:
        where = " · ".join(x for x in (it.region_name, it.segment_name) if x)
        lines.append(f"{it.rank:>3}. {it.score_100:>3} 分  {it.name}" + (f"（{where}）" if where else ""))
        lines += [f"        - {r}" for r in it.reasons]
    return lines
