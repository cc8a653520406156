"""`chainmatch land-assign` (and `land-sweep`): the 土地超市 batch assignment from CSV files, same code as the API.

Registered in api/cli.py (no name: the commands join the top level). The graph (--db FILE or --store) is opened
through api.cli_common's one store helper; defaults (weights, score constants) come from Settings.land.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, open_store, settings, store_snapshot

app = typer.Typer(help="土地超市：项目与地块的批量最优匹配。", add_completion=False)


def parse_weights(text: str | None, defaults: dict[str, float] | None = None):
    """`chain_park=30,price=5` or a JSON object → LandWeights (unspecified weights keep `defaults`, the configured
    ones)."""
    from pydantic import ValidationError

    from land.scoring import LandWeights

    defaults = dict(defaults or {})
    if not text:
        return LandWeights(**defaults)
    try:
        if text.strip().startswith("{"):
            data = json.loads(text)
        else:
            data = {}
            for part in text.split(","):
                if not part.strip():
                    continue
                k, sep, v = part.partition("=")
                if not sep:
                    raise ValueError(f"权重应写成 名称=数值，实际 {part!r}")
                data[k.strip()] = float(v)
        return LandWeights(**{**defaults, **data})
    except (ValueError, ValidationError) as e:
        raise typer.BadParameter(f"{e}；可用权重：{', '.join(LandWeights.model_fields)}", param_hint="--weights") from None


@app.command("land-assign")
def land_assign(
    projects: Annotated[Path, typer.Option("--projects", help="项目 CSV（列 = Project 字段名）", exists=True, dir_okay=False)],
    parcels: Annotated[Path, typer.Option("--parcels", help="地块 CSV（列 = LandParcel 字段名）", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出：选中的（项目, 地块）组合 CSV")],
    scores: Annotated[Optional[Path], typer.Option("--scores", help="输出：全部可行组合及得分 CSV")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="可选：SQLite 图谱库文件（园区主导产业、上下游企业、坐标；并校验园区存在）",
                                               exists=True, dir_okay=False)] = None,
    use_store: Annotated[bool, typer.Option("--store", help="用已配置的图谱库（CHAINMATCH_STORE_BACKEND：sqlite 或 neo4j），作用同 --db")] = False,
    weights: Annotated[Optional[str], typer.Option("--weights", help="软评分权重，如 chain_park=30,price=5（见 docs/land.md）")] = None,
) -> None:
    """批量匹配：N 个项目 × M 块地 → 总分最高的一对一分配（硬性条件不符的组合绝不入选，可不匹配）。

    输入有任何问题（负面积、下限大于上限、未知园区、未知用地性质 …）时列出文件、行、列，且不写任何输出。"""
    from graph.validation import ValidationFailed
    from land.assignment import assign
    from land.csv_files import load_inputs, write_outputs
    from land.data import LandData
    from land.scoring import from_settings

    cfg = settings().land
    w = parse_weights(weights, cfg.default_weights())
    _, scales = from_settings(cfg)
    t0 = time.perf_counter()
    if db is not None and use_store:
        fail("--db 与 --store 只能选一个")
    snap = None
    if db is not None or use_store:
        with store_snapshot(require_data=False, db=db) as (_, snap):
            pass  # the snapshot is all the matcher reads; the store closes here
    try:
        pj, pc, notes = load_inputs(projects, parcels, snap=snap)
    except ValidationFailed as e:
        fail(str(e))
    for note in notes:
        typer.secho(f"提示：{note}", fg=typer.colors.YELLOW, err=True)
    result = assign(LandData.from_records(pj, pc, snap), weights=w, scales=scales)
    try:
        write_outputs(result, output, scores)
    except OSError as e:
        fail(f"写入输出失败（未留下部分结果）：{e}")
    matched = len(result.chosen)
    typer.echo(f"项目 {len(pj)} 个，地块 {len(pc)} 块，可行组合 {len(result.pair_scores)} 个；"
               f"分配 {matched} 对，未匹配项目 {len(pj) - matched} 个，总分 {result.total_score:.2f}；"
               f"用时 {time.perf_counter() - t0:.2f}s")
    typer.echo(f"分配结果：{output}" + (f"\n全部可行组合：{scores}" if scores else ""))


@app.command("land-sweep")
def land_sweep(actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli") -> None:
    """释放所有已过期的地块预留（每块一次带版本校验的写入，记入审计日志）。"""
    from land.commands import sweep_expired_reservations

    store = open_store()
    try:
        released = sweep_expired_reservations(store, actor=actor)
    finally:
        store.close()
    typer.echo(f"已释放过期预留 {len(released)} 块" + (f"：{', '.join(released)}" if released else ""))
