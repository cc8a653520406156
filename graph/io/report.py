"""What an import tells its user: problems named by file, row and the file's own column header; notes (encodings
guessed, units converted, values dropped); progress on long files; and the ImportReport of what was written."""
from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, TypeVar

from tqdm import tqdm

from graph.store import GraphStore, WriteResult
from graph.writer import Plan
from graph.validation import Problem

PROGRESS_MIN_ROWS = 10_000
T = TypeVar("T")


@dataclass
class Log:
    """Problems and notes collected while reading and planning (nothing is raised one by one)."""

    progress: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # file → field → the file's column header
    file_order: dict[str, int] = field(default_factory=dict)  # problems are listed in import order of their file
    conversions: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)  # (file, header, note) → [n, example]

    def problem(self, file: str | None, row: int | None, fld: str | None, msg: str) -> None:
        self.problems.append(Problem(file, row, fld, msg))

    def conversion(self, file: str, header: str, note: str, row: int, raw: Any, value: Any) -> None:
        """A value converted (5公顷 → 75 亩) or dropped: counted per column, reported once with an example."""
        self.conversions.setdefault((file, header, note), [0, row, raw, value])[0] += 1

    def conversion_notes(self) -> list[str]:
        out = []
        for (file, header, note), (n, row, raw, val) in self.conversions.items():
            ex = f"第{row}行 {raw!r}" + (f" → {val:g}" if isinstance(val, (int, float)) else "")
            out.append(f"{file} 列“{header}”：{n} 个值 {note}（如 {ex}）")
        return out

    def rows(self, items: list[T], desc: str) -> Iterable[T]:
        """The items, with a progress bar on the terminal when there are many."""
        return tqdm(items, total=len(items), desc=desc, unit="行", file=sys.stderr, mininterval=1.0, leave=False,
                    disable=not (self.progress and len(items) > PROGRESS_MIN_ROWS))

    def finish(self, more: list[Problem]) -> list[Problem]:
        """These problems and the writer's, fields named as each file's own column headers, in file and row order."""
        out = []
        for p in self.problems + more:
            hm = self.header_maps.get(p.file or "")
            out.append(Problem(p.file, p.row, hm[p.field], p.message) if hm and p.field in hm else p)
        order = self.file_order
        return sorted(dict.fromkeys(out), key=lambda p: (order.get(p.file or "", len(order)), -1 if p.row is None else p.row))


@dataclass
class ImportReport:
    path: str
    files: list[dict[str, Any]] = field(default_factory=list)  # {file, kind, rows, nodes_written, rels_written}
    notes: list[str] = field(default_factory=list)
    nodes_written: int = 0
    rels_written: int = 0
    deleted: int = 0
    version: int | None = None

    @classmethod
    def of(cls, path: str, notes: list[str], file_rows: dict[str, tuple[str, int]], result: WriteResult,
           per_file: dict[str, tuple[int, int]] | None) -> "ImportReport":
        """per_file: (nodes, relations) written per file, for a multi-file import (one file gets the totals)."""
        report = cls(path, notes=notes, nodes_written=result.nodes_written, rels_written=result.rels_written,
                     deleted=result.deleted, version=result.version)
        for f, (kind, n) in file_rows.items():
            nw, rw = (result.nodes_written, result.rels_written) if per_file is None else per_file.get(f, (0, 0))
            report.files.append({"file": f, "kind": kind, "rows": n, "nodes_written": nw, "rels_written": rw})
        return report

    @property
    def rows(self) -> int:
        return sum(f["rows"] for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "files": self.files, "notes": self.notes, "rows": self.rows,
                "nodes_written": self.nodes_written, "rels_written": self.rels_written,
                "deleted": self.deleted, "version": self.version}

    def __str__(self) -> str:
        lines = []
        if self.nodes_written or self.rels_written or self.deleted:
            head = f"导入完成：{self.path}，共 {self.rows} 行，写入（新增或变更）节点 {self.nodes_written} 个、关系 {self.rels_written} 条"
            if self.deleted:
                head += f"，移除过时关系 {self.deleted} 条"
            lines.append(head + "。")
        else:
            lines.append(f"导入完成：{self.path}，共 {self.rows} 行，数据与库中一致，没有变化。")
        for f in self.files:
            lines.append(f"  {f['file']}  {f['kind']}  {f['rows']} 行  写入节点 {f['nodes_written']}  关系 {f['rels_written']}")
        if self.notes:
            lines.append("说明：")
            lines.extend(f"  - {n}" for n in self.notes)
        return "\n".join(lines)


def count_per_file(plan: Plan, store: GraphStore, known: dict[str, dict[str, dict[str, Any]]]) -> dict[str, tuple[int, int]]:
    """Per file, the nodes and relations the write will insert or change (a store write reports totals only).
    Run before the write; `known` holds stored nodes already fetched (label → key → props)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unfetched: dict[str, list[str]] = defaultdict(list)
    for lab, key in plan.nodes:
        if key not in known.get(lab, {}):
            unfetched[lab].append(key)
    fetched = {lab: store.get_many(lab, keys) for lab, keys in unfetched.items()}
    new_nodes: set[tuple[str, str]] = set()
    for (lab, key), rec in plan.nodes.items():
        old = known.get(lab, {}).get(key) or fetched.get(lab, {}).get(key)
        if old is None:
            new_nodes.add((lab, key))
        if old is None or {k: v for k, v in old.items() if k != "key"} != rec.props:
            counts[plan.node_locs[(lab, key)].file or ""][0] += 1
    maybe: dict[str, dict[tuple, str]] = defaultdict(dict)  # relation type → relation key → file
    for k, rel in plan.rels.items():
        file = plan.rel_locs[k][0].file or ""
        if (rel.src_label, rel.src_key) in new_nodes or (rel.dst_label, rel.dst_key) in new_nodes:
            counts[file][1] += 1
        else:
            maybe[rel.type][k] = file
    for rtype, files in maybe.items():
        stored = {}
        for r in store.iter_relations(rtype):
            k = (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key)
            if k in files:
                stored[k] = r.props
        for k, file in files.items():
            if stored.get(k) != plan.rels[k].props:
                counts[file][1] += 1
    return {f: (c[0], c[1]) for f, c in counts.items()}
