"""`chainmatch map` and `chainmatch report`: chain maps and promotion-event exports from the command line.

Registered in api/cli.py with `app.add_typer(cli_maps.app)` (the commands join the top level).
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail_lookup, settings, store_snapshot

app = typer.Typer(help="产业链图谱与招商报告导出。", add_completion=False)


def _build(chain: str, region: str, strong_lq: float | None, strong_min_count: int | None, *,
           map_targets: bool = False):
    """The analysis and its view (plus the snapshot). `map_targets`: the interactive page carries every segment's
    recommended target firms in its click panel."""
    from chains.render import report as chain_render
    from chains import AnalysisConfig, ChainLookupError

    cfg = settings().analysis.model_dump()
    cfg.update({k: v for k, v in (("strong_lq", strong_lq), ("strong_min_count", strong_min_count)) if v is not None})
    with store_snapshot() as (_, snap):
        try:
            targets = chain_render.segment_targets(snap, chain, region, target_settings=_target_settings()) \
                if map_targets else None
            return chain_render.build(snap, chain=chain, region=region, config=AnalysisConfig(**cfg),
                                      targets=targets), snap
        except ChainLookupError as e:
            fail_lookup(e.message, e.candidates)


def _target_settings() -> dict:
    return settings().targets.model_dump()


def _png_options():
    """PNG rendering as Settings.render says."""
    from chains.render.png import PngOptions

    r = settings().render
    return PngOptions(timeout_s=r.png_timeout_s, concurrency=r.chromium_concurrency, default_width=r.png_default_width,
                      default_height=r.png_default_height)


class Audience(str, Enum):
    """Who a 推介会 handout is for: the officers (internal diagnosis, the default) or the investors."""

    internal = "internal"
    investor = "investor"


Region = Annotated[str, typer.Option("--region", "-r", help="行政区（代码或名称，如 衢州 / 330800）或园区（key 或名称）")]
Chain = Annotated[str, typer.Argument(help="产业链 key、名称或别名，如 ic / 集成电路")]
StrongLq = Annotated[Optional[float], typer.Option(help="优势：区位熵下限（默认 1.25）", min=0.01)]
StrongMin = Annotated[Optional[int], typer.Option(help="优势：本地企业数下限（默认 3）", min=1)]


@app.command("map")
def map_(
    chain: Chain,
    region: Region,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="输出文件：.html 交互页面（默认）、.svg / .png 静态图或 .json 数据")] = None,
    strong_lq: StrongLq = None,
    strong_min_count: StrongMin = None,
) -> None:
    """写出产业链图谱：离线交互页面（HTML，无需网络）、静态图（.svg / .png）或分析数据（.json）。"""
    from chains.render import report as chain_render
    from chains.render.png import BrowserMissing

    interactive = output is None or output.suffix.lower() not in (".json", ".svg", ".png")
    out, _ = _build(chain, region, strong_lq, strong_min_count, map_targets=interactive)
    path = output or Path(f"{out.stem}-map.html")
    try:
        chain_render.write_map(out, path, png_options=_png_options())
    except BrowserMissing as e:
        typer.secho(str(e), fg=typer.colors.RED, err=True)
        raise typer.Exit(3) from None
    s = out.cmap.summary
    typer.echo(f"{out.cmap.chain.name} · {out.cmap.scope.name}：优势 {s.strong}、薄弱 {s.weak}、空白 {s.gap}；"
               f"补链 {s.fill}、强链 {s.strengthen}、延链 {s.extend}")
    for n in out.cmap.notes:
        typer.secho(f"注意：{n}", fg=typer.colors.YELLOW)
    typer.echo(str(path))


@app.command("report")
def report(
    chain: Chain,
    region: Region,
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹")] = Path("reports"),
    png: Annotated[Optional[bool], typer.Option("--png/--no-png", help="生成 PNG 图（默认：有 Chromium 时生成）")] = None,
    strong_lq: StrongLq = None,
    strong_min_count: StrongMin = None,
    audience: Annotated[Audience, typer.Option("--audience", "-a", help="读者：internal 内部招商报告（默认，含强弱项与空白诊断）；investor 面向投资方的投资推介（产业基础、链主、园区、可供地块、政策，不列短板）")] = Audience.internal,
) -> None:
    """写出招商推介会材料：内部招商报告（默认：单文件 HTML、环节表 XLSX、图谱 SVG 与 PNG），或 --audience investor 面向投资方的投资推介（单文件 HTML）。"""
    from chains.render import report as chain_render

    internal = audience is Audience.internal
    out, _ = _build(chain, region, strong_lq, strong_min_count, map_targets=internal)
    targets = None
    if internal and out.view.targets is not None:  # every segment's panel has its targets; the table the recruiting ones
        keep = set(chain_render.recruiting_segments(out))
        targets = {k: v for k, v in out.view.targets.items() if k in keep}
    try:
        written, note = chain_render.write_report(out, output, png=png, targets=targets, png_options=_png_options(),
                                                  audience=audience.value)
    except Exception as e:  # PNG explicitly requested but Chromium failed
        typer.secho(f"导出失败：{e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(3) from None
    s = out.cmap.summary
    typer.echo(f"{out.cmap.chain.name} · {out.cmap.scope.name}：优势 {s.strong}、薄弱 {s.weak}、空白 {s.gap}；"
               f"补链 {s.fill}、强链 {s.strengthen}、延链 {s.extend}")
    if note:
        typer.secho(note, fg=typer.colors.YELLOW)
    for n in out.cmap.notes:
        typer.secho(f"注意：{n}", fg=typer.colors.YELLOW)
    for p in written:
        typer.echo(str(p))
