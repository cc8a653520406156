"""`chainmatch` command line: serve, seed, import, export, keys, snapshot, status, and the capability commands."""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import ChineseGroup, fail, open_store, resolve_name, store_snapshot
from api.settings import get_settings

app = typer.Typer(help="ChainMatch 产业链招商：图谱、推荐、土地超市。", no_args_is_help=True, add_completion=False,
                  cls=ChineseGroup)
keys_app = typer.Typer(help="API key 管理（创建、列出、吊销）。", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
# Capability commands join the top level (`chainmatch map`, `chainmatch land-assign`, `chainmatch rank-members` …).
from alerts import cli as alerts_cli  # noqa: E402
from chains import cli as chains_cli  # noqa: E402
from dossier import cli as dossier_cli  # noqa: E402
from incentives import cli as incentives_cli  # noqa: E402
from land import cli as land_cli  # noqa: E402
from membership import cli as membership_cli  # noqa: E402
from pipeline import cli as pipeline_cli  # noqa: E402
from search import cli as search_cli  # noqa: E402
from targets import cli as targets_cli  # noqa: E402

for _cli in (chains_cli, dossier_cli, land_cli, membership_cli, pipeline_cli, incentives_cli, targets_cli, alerts_cli,
             search_cli):
    app.add_typer(_cli.app)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="监听地址（默认取设置 127.0.0.1）")] = None,
    port: Annotated[Optional[int], typer.Option(help="端口（默认 8000）")] = None,
    seed_if_empty: Annotated[bool, typer.Option(help="空库时先写入种子数据")] = True,
) -> None:
    """启动 API 服务（嵌入式 SQLite 或 Neo4j，取决于设置）。"""
    import uvicorn

    from api.app import create_app

    s = get_settings()
    host = host or s.host
    port = port or s.port
    from api.logs import configure_logging

    configure_logging(fmt=s.log_format, level=s.log_level)
    store = open_store()
    if seed_if_empty and sum(store.counts()["nodes"].values()) == 0:
        from seed_data.seed import seed_store

        typer.echo("空库：写入种子数据（真实公开信息 + 合成示例企业）…")
        # as of today: the demo's project board then shows a live pipeline (next actions due, a few overdue)
        seed_store(store, scale=s.seed_scale, seed=s.seed_value, progress=True, as_of=dt.date.today())
    typer.echo("构建分析快照…")
    from graph.snapshot import SnapshotCache

    try:
        snap = SnapshotCache(store, s.snapshot_dir).get()
        for lab, key, why, _ in snap.skipped[:20]:
            typer.secho(f"快照略去 {lab} {key}…：{why}（见 /ready）", fg=typer.colors.YELLOW, err=True)
    except Exception as e:  # a start-up never fails because of the data: the requests that need it will say why
        logging.getLogger("chainmatch.api").exception("snapshot not built at start")
        typer.secho(f"分析快照未能构建（{type(e).__name__}: {e}）；服务照常启动，需要快照的请求会报告原因", fg=typer.colors.RED,
                    err=True)
    base = f"http://{host}:{port}"
    typer.echo(
        f"\nChainMatch 已启动：\n  首页        {base}/\n  API 文档    {base}/docs\n  页面        {base}/pages\n"
        f"  产业链图谱  {base}/pages/chains/ic/map?region=330800\n  土地超市    {base}/pages/land\n"
        f"  项目库      {base}/pages/pipeline\n  政策计算器  {base}/pages/incentives\n"
        f"  就绪检查    {base}/ready\n"
    )
    # logging configured above (structured, with request ids); the app's middleware writes the access log
    store.close()
    # The app opens the store itself and closes it in its shutdown (SQLite: WAL checkpointed, every connection
    # closed; Neo4j: driver closed). SIGINT/SIGTERM: uvicorn stops accepting, lets running requests finish
    # (≤ 10 s), runs that shutdown, then ends the process with the signal.
    uvicorn.run(create_app(s), host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=10)


@app.command()
def seed(
    scale: Annotated[int, typer.Option(help="合成企业数量（基准测试可到 1000000）", min=0, max=1_000_000)] = 3000,
    seed_value: Annotated[int, typer.Option("--seed", help="随机种子（相同种子、相同基准日结果相同）")] = 42,
    as_of: Annotated[Optional[dt.datetime], typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="合成数据的基准日（成立、投资、签约、阶段、下一步等日期相对于它）；默认今天")] = None,
) -> None:
    """写入种子数据：产业链/行政区/园区的真实公开信息 + 确定性生成的合成企业、基金、地块、项目。"""
    from seed_data.seed import seed_store

    store = open_store()
    t0 = time.perf_counter()
    day = as_of.date() if as_of else dt.date.today()
    counts = seed_store(store, scale=scale, seed=seed_value, progress=True, as_of=day)
    typer.echo(json.dumps(counts, ensure_ascii=False, indent=1))
    typer.echo(f"完成，用时 {time.perf_counter() - t0:.1f}s，版本 {store.version()}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="文件（CSV/XLSX/JSON）或文件夹（含数据交换格式）", exists=True)],
    actor: Annotated[str, typer.Option(help="审计日志中的操作人")] = "cli",
) -> None:
    """导入数据。每个文件（或整个文件夹）全部成功或全部不写；问题报告列出文件、行、字段。"""
    from graph.io import import_path
    from graph.validation import ValidationFailed

    store = open_store()
    try:
        report = import_path(store, path, actor=actor, progress=True)
    except ValidationFailed as e:
        fail(str(e))
    except (ValueError, OSError) as e:
        fail(f"导入失败，未写入任何数据：{e}")
    typer.echo(str(report))


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹")] = Path("export"),
    fmt: Annotated[str, typer.Option("--format", help="csv / xlsx / json")] = "csv",
) -> None:
    """导出全部数据（可再导入：格式与导入相同）。"""
    from graph.io import export_store

    if fmt not in ("csv", "xlsx", "json"):
        fail("--format 只能是 csv、xlsx 或 json")
    written = export_store(open_store(), output, fmt=fmt)
    for f in written:
        typer.echo(str(f))


@app.command()
def status() -> None:
    """存储后端、版本与各类节点/关系数量。"""
    store = open_store()
    typer.echo(json.dumps({"backend": store.backend, "version": store.version(), **store.counts()},
                          ensure_ascii=False, indent=1))


@app.command()
def snapshot() -> None:
    """构建（或从缓存读取）分析快照并打印规模与用时。"""
    from graph.snapshot import SnapshotCache

    s = get_settings()
    t0 = time.perf_counter()
    snap = SnapshotCache(open_store(), s.snapshot_dir).get()
    typer.echo(f"快照版本 {snap.version}：{ {k: len(v) for k, v in snap.labels.items()} }")
    typer.echo(f"关系矩阵 {len(snap.adj)} 个，共 {sum(m.nnz for m in snap.adj.values())} 条；用时 {time.perf_counter() - t0:.2f}s")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="持有人/用途")],
    role: Annotated[str, typer.Option(help="admin / officer / park_admin / viewer")],
    park: Annotated[Optional[str], typer.Option(help="park_admin 所属园区（key 或名称，如 智造新城）")] = None,
) -> None:
    """创建 API key（只显示一次）。"""
    from api.auth import create_key

    if park is not None:
        with store_snapshot() as (_, snap):
            park = resolve_name(snap, "park", park, param="--park")
    try:
        rec, token = create_key(open_store(), name=name, role=role, park=park)
    except ValueError as e:
        fail(str(e))
    typer.echo(f"已创建 {rec.key_id}（{rec.role}{'，园区 ' + rec.park if rec.park else ''}）。请妥善保存，仅显示一次：")
    typer.echo(token)


@keys_app.command("list")
def keys_list() -> None:
    """列出 API key（不含密钥）。"""
    for k in open_store().list_api_keys():
        state = f"已吊销 {k.revoked_at}" if k.revoked_at else "有效"
        typer.echo(f"{k.key_id}\t{k.name}\t{k.role}\t{k.park or '-'}\t{k.created_at}\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="key id")]) -> None:
    """吊销 API key。"""
    import datetime as dt

    ok = open_store().revoke_api_key(key_id, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    if not ok:
        fail(f"没有有效的 key {key_id!r}")
    typer.echo(f"已吊销 {key_id}")


def main() -> None:  # pragma: no cover
    app(prog_name="chainmatch")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
