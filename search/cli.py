"""`chainmatch search <q>` — the same search as GET /api/v1/search and the search box of the pages, in a terminal.
Registered in api/cli.py (joins the top level)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from api.cli_common import fail, settings, store_snapshot
from kernel.errors import ChainMatchError

app = typer.Typer(add_completion=False)


@app.command("search")
def search_cmd(
    q: Annotated[str, typer.Argument(help="检索词：名称、简称、拼音、首字母或代码")],
    label: Annotated[Optional[str], typer.Option(help="只检索某类：企业、园区、地块、项目、基金、产业链、环节、行政区、产品、政策")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="最多显示条数")] = 20,
) -> None:
    """信息检索：一个检索词查企业、园区、地块、项目、基金、产业链、环节、行政区、产品、政策。"""
    from search import Limits, index_for, search

    s = settings()
    with store_snapshot(require_data=False) as (store, snap):
        index = index_for(store, snap, s.snapshot_dir, max_changes=s.search.max_changes)
        try:
            out = search(index, snap, q=q, label=label, limit=limit,
                         limits=Limits(candidates=s.search.candidates, fuzzy=s.search.fuzzy_candidates),
                         home_region=s.alerts.home_region)
        except ChainMatchError as e:
            fail(e.detail)
    if not out.hits:
        typer.echo(f"没有找到与“{q}”相关的结果：可以少输几个字、用拼音或首字母、或输入统一社会信用代码。")
        return
    typer.echo(f"“{q}” 共 {out.total} 条结果" + (f"，显示前 {len(out.hits)} 条" if out.total > len(out.hits) else ""))
    for h in out.hits:
        lead = " [链主]" if h.leader else ""
        ctx = f"（{h.context}）" if h.context else ""
        typer.echo(f"{h.label_name}\t{h.name}{lead}{ctx}\t{h.why}·{h.how}\t{h.key}")
