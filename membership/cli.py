"""`chainmatch` sub-commands for member recommendation: rank-members, evaluate, chainkg-export.

They work on a dataset folder in the interchange format (../shared/datasets/README.md), not on the store, so a
dataset can be measured without importing it. Registered in api/cli.py.
"""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli_common import fail

app = typer.Typer(help="企业推荐（环节成员发现）：排序、评估、chainkg 数据转换。", no_args_is_help=True, add_completion=False)


def _load(dataset: Path):
    from membership.dataset import DatasetError, read_dataset

    try:
        return read_dataset(dataset)
    except DatasetError as e:
        fail(f"数据集有误，未做任何处理：{e}")


def _info(msg: str) -> None:
    typer.echo(msg, err=True)


def _model_summary(model) -> str:
    """Which regime the data is in and which signals the fitted model uses (printed by both commands)."""
    lam = f"；EASE λ={model.ease_lambda_:g}" if "ease" in model.signals_used_ else ""
    return f"{model.regime_.describe()}\n使用的信号：{', '.join(model.signals_used_)}{lam}"


@app.command("rank-members")
def rank_members(
    dataset: Annotated[Path, typer.Option("--dataset", help="数据交换格式文件夹", exists=True, file_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出 CSV：segment_id,enterprise_id,rank,score")],
    k: Annotated[int, typer.Option("--k", help="每个环节推荐的企业数", min=1, max=10_000)] = 50,
    random_state: Annotated[int, typer.Option("--seed", help="随机种子（相同种子结果相同）")] = 0,
    mode: Annotated[str, typer.Option(
        help="auto（默认）：按数据类型（单归属/多归属、有无产品文本）自动选择信号；"
             "discover：按单归属分类的信号集找出环节归属尚未知的企业（会避开已归属其他环节的企业）；"
             "related：与本环节成员相似的企业，包括已归属其他环节的（招商找相关企业时用）")] = "auto",
) -> None:
    """为每个已有成员的环节推荐 K 家尚非成员的企业（按匹配度排序）。"""
    from membership.dataset import write_csv
    from membership.ranker import DEFAULT_SIGNALS, RELATED_SIGNALS, MembershipRanker

    t0 = time.perf_counter()
    if mode not in ("auto", "discover", "related"):
        fail(f"--mode 只能是 auto、discover 或 related，收到 {mode!r}")
    ds = _load(dataset)
    _info(f"读取 {dataset}：{ds.summary()}（{time.perf_counter() - t0:.1f}s）")
    sizes = ds.segment_sizes()
    segments = [str(s) for s, n in zip(ds.segment_ids, sizes) if n >= 1]
    if not segments:
        fail("没有任何环节有成员：无从推荐")
    t1 = time.perf_counter()
    if mode == "related":
        model = MembershipRanker(random_state=random_state, signals=RELATED_SIGNALS, learn_weights=False).fit(ds)
    elif mode == "discover":
        model = MembershipRanker(random_state=random_state, signals=DEFAULT_SIGNALS).fit(ds)
    else:
        model = MembershipRanker(random_state=random_state).fit(ds)
    typer.echo(_model_summary(model))
    _info(f"训练完成（{time.perf_counter() - t1:.1f}s）；信号权重 "
          + ", ".join(f"{n}={w:.2f}" for n, w in model.weights_.items() if w))
    t2 = time.perf_counter()
    ranked = model.rank(segments, k=k, exclude_members=True)
    _info(f"排序 {len(segments)} 个环节（{time.perf_counter() - t2:.1f}s）")
    output.parent.mkdir(parents=True, exist_ok=True)
    n = write_csv(output, ["segment_id", "enterprise_id", "rank", "score"],
                  ((seg, e, r, f"{score:.6f}")
                   for seg in segments for r, (e, score) in enumerate(ranked[seg], start=1)))
    typer.echo(f"已写入 {output}：{n} 行，{len(segments)} 个环节，总用时 {time.perf_counter() - t0:.1f}s")


@app.command("evaluate")
def evaluate_cmd(
    dataset: Annotated[Path, typer.Option("--dataset", help="数据交换格式文件夹", exists=True, file_okay=False)],
    seeds: Annotated[str, typer.Option("--seeds", help="逗号分隔的随机种子")] = "0,1,2",
    baselines: Annotated[bool, typer.Option(help="同时评估基线（random / popularity / TF-IDF 质心 / 共现质心 / EASE）")] = True,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="把每个种子的结果另存为 CSV")] = None,
) -> None:
    """留出法评估：每个成员 ≥5 的环节隐藏 floor(n/5) 个成员，报告全排序 Recall@10/50、NDCG@10（均值 ± 标准差）。"""
    from membership.baselines import baseline_factories
    from membership.evaluation import evaluate
    from membership.ranker import MembershipRanker

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds 应为逗号分隔的整数，收到 {seeds!r}")
    if not seed_list:
        fail("--seeds 不能为空")
    ds = _load(dataset)
    _info(f"读取 {dataset}：{ds.summary()}")
    models = dict(baseline_factories()) if baselines else {}
    fitted: list = []  # the model of each seed, to say which regime and signals it used
    models["MembershipRanker"] = lambda: fitted.append(MembershipRanker()) or fitted[-1]
    report = evaluate(ds, models, seed_list, progress=_info)
    if not report.n_hidden or not any(report.n_hidden.values()):
        fail("没有成员 ≥5 的环节：无法评估")
    typer.echo(_model_summary(fitted[0]) + f"（种子 {seed_list[0]} 的可见部分）")
    typer.echo(report.format())
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(output, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            keys = list(next(iter(report.scores.values()))[0].as_row())
            w.writerow(["model", "seed", *keys])
            for name, per_seed in report.scores.items():
                for seed, sc in zip(report.seeds, per_seed):
                    w.writerow([name, seed, *(f"{v:.6f}" for v in sc.as_row().values())])
        typer.echo(f"已写入 {output}")


@app.command("chainkg-export")
def chainkg_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹（数据交换格式）；勿放进代码仓库")],
    raw: Annotated[Optional[Path], typer.Option("--raw", help="chainkg 原始文件夹（默认 ../shared/datasets/chainkg）")] = None,
    min_upstream_count: Annotated[int, typer.Option(help="industry_upstream 中至少出现几次才算上下游环节", min=1)] = 2,
) -> None:
    """把公开的 ChainKnowledgeGraph 数据转换为数据交换格式（企业代码统一为 NNNNNN.SH/SZ/BJ）。"""
    from membership.chainkg import default_raw_dir, export_chainkg

    src = raw or default_raw_dir()
    try:
        report = export_chainkg(src, output, min_upstream_count=min_upstream_count)
    except FileNotFoundError as e:
        fail(str(e))
    typer.echo(str(report))


def main() -> None:  # pragma: no cover
    app(prog_name="chainmatch")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
