"""import_path: a file or a folder → one writer.Plan → one store transaction (or every problem, and nothing written)."""
from __future__ import annotations

import sys
from pathlib import Path

from graph.io.columns import LABEL_ORDER
from graph.io.interchange import INTERCHANGE_FILES, is_interchange_folder, plan_dataset, read_dataset
from graph.io.native import Build, node_table, rel_table
from graph.io.readers import Table, read_tables
from graph.io.report import PROGRESS_MIN_ROWS, ImportReport, Log, count_per_file
from graph.schema import RELATIONS, Label
from graph.store import AuditEntry, GraphStore
from graph.validation import ValidationFailed

READABLE = (".csv", ".tsv", ".xlsx", ".xlsm", ".json", ".xls")  # .xls: read only to say it is not supported


def import_path(store: GraphStore, path: str | Path, *, actor: str = "cli", progress: bool = True) -> ImportReport:
    """Import a file or a folder (native files and/or the dataset interchange format) in one atomic write.

    Everything is validated first; on any problem ValidationFailed lists every problem (file, row, column,
    message) and nothing is written. Returns an ImportReport; re-importing the same data writes nothing.
    """
    log = Log(progress=progress)
    tables, dataset = _collect(Path(path), log)
    b = Build(store, log)
    for t in tables:  # nodes first (in dependency order), then the dataset, then relation files
        if isinstance(t.kind, Label):
            node_table(b, t)
    if dataset is not None:
        before = len(log.problems)
        data = read_dataset(dataset, log, check_refs=False)  # ids may name nodes of the store or of other files
        plan_dataset(b, data, partial=len(log.problems) > before)
    for t in tables:
        if not isinstance(t.kind, Label):
            rel_table(b, t)
    b.check_failed_rows()
    log.notes += [f"{f}：{n} 行关系与本次导入中已有的关系相同（重复行或引用列已表达），已合并" for f, n in b.merged.items()]
    plan = b.plan
    # The writer's checks (commit would run them, once): done first so that the per-file counts below, which read
    # the store, are only made for a write that will happen.
    plan.check(store)
    problems = log.finish(plan.problems)
    if problems:
        raise ValidationFailed(problems)
    total_rows = sum(n for _, n in b.file_rows.values())
    per_file = count_per_file(plan, store, b.existing) if len(b.file_rows) > 1 else None
    if progress and total_rows > PROGRESS_MIN_ROWS:
        print(f"写入 {len(plan.nodes)} 个节点、{len(plan.rels)} 条关系…", file=sys.stderr, flush=True)
    result = plan.commit(store, audit=AuditEntry(actor=actor, action="import", target=str(path),
                                                 after={"rows": total_rows}))
    return ImportReport.of(str(path), log.notes + log.conversion_notes(), b.file_rows, result, per_file)


def _collect(path: Path, log: Log) -> tuple[list[Table], Path | None]:
    """Tables to import, in dependency order; and the interchange folder when there is one."""
    tables: list[Table] = []
    dataset: Path | None = None
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
        if is_interchange_folder(path):
            dataset = path
            files = [p for p in files if p.suffix.lower() != ".csv" or p.stem not in INTERCHANGE_FILES]
        skipped = [p.name for p in files if p.suffix.lower() not in READABLE]
        if skipped:
            log.notes.append(f"忽略非数据文件：{', '.join(skipped)}")
        for p in files:
            if p.suffix.lower() in READABLE:
                tables.extend(read_tables(p, p.name, log))
        if not files and dataset is None:
            log.problem(path.name, None, None, "文件夹中没有可导入的文件（.csv/.xlsx/.json）")
    elif path.is_file():
        if path.suffix.lower() in READABLE:
            tables.extend(read_tables(path, path.name, log))
        else:
            log.problem(path.name, None, None, "不支持的文件类型：请用 .csv、.xlsx 或 .json")
    else:
        raise FileNotFoundError(f"找不到 {path}")
    tables.sort(key=lambda t: (0, LABEL_ORDER.index(t.kind)) if isinstance(t.kind, Label) else (1, list(RELATIONS).index(t.kind)))
    for i, t in enumerate(tables):
        log.file_order.setdefault(t.file, i)
    return tables, dataset
