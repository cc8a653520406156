"""`chainmatch dossier <企业名称或代码> --output x.xlsx|x.pdf|x.json`: a firm's 企业尽调 report from the command line
(the PDF through headless Chromium, as the API's dossier.pdf). Registered in api/cli.py."""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail, fail_lookup, parse_date, settings, store_snapshot

app = typer.Typer(help="企业尽调报告导出。", add_completion=False)
FORMATS = (".xlsx", ".pdf", ".json")


@app.command("dossier")
def dossier_cmd(
    firm: Annotated[str, typer.Argument(help="企业名称、简称或统一社会信用代码")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件：.xlsx / .pdf / .json")],
    region: Annotated[Optional[str], typer.Option(
        help="招商地区（行政区代码或名称，如 衢州；默认本地：alerts.home_region）")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="数据截至日期 YYYY-MM-DD（默认今天）")] = None,
) -> None:
    """企业尽调：登记信息、扩张指数与外迁预警（含依据）、环节、上下游、基金、项目、可享政策。"""
    from dossier import commands, service
    from kernel.errors import ChainMatchError, LookupFailed

    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        fail(f"--output 应以 {' / '.join(FORMATS)} 结尾，实际 {output.name!r}")
    day = parse_date(as_of, "--as-of")
    with store_snapshot() as (store, snap):
        record_of = partial(commands.registration_record, store)
        common = {"region": region, "home": settings().alerts.home_region, "as_of": day,
                  "stages_of": partial(commands.stage_histories, store)}
        try:
            if suffix == ".xlsx":
                data, _ = service.dossier_xlsx(snap, firm, record_of, **common)
            elif suffix == ".pdf":
                data, _ = service.dossier_pdf(snap, firm, record_of, target_settings=settings().targets.model_dump(),
                                              timeout=settings().render.png_timeout_s,
                                              concurrency=settings().render.chromium_concurrency, **common)
            else:
                data = json.dumps(service.dossier_json(snap, firm, record_of, **common),
                                  ensure_ascii=False, indent=2).encode("utf-8")
        except LookupFailed as e:
            fail_lookup(e.message, e.candidates)
        except ChainMatchError as e:
            fail(e.detail)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    typer.echo(f"已写入 {output}（{len(data):,} 字节）")
