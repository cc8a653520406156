"""Native tables → one writer.Plan: a node row becomes a validated model object, a relation row a relation.

The writer does the graph checks when the plan is committed — references and relation ends must exist (in this
import or the store), relation types connect the right kinds, UPSTREAM_OF stays acyclic, and relations a replaced
node's old reference values implied are deleted. What is left here is what only the file knows: cells, columns,
which rows failed, and which stored values a row keeps (columns absent from the file keep the stored values).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.io.columns import END_FIELDS, Column, cell, kind_text, label_from_text, map_columns
from graph.io.readers import Table
from graph.io.report import Log
from graph.io.specs import REL_PROP_RANGES, REL_PROP_SPECS, node_specs
from graph.io.values import ABSENT, cell_text, is_blank
from graph.schema import CHECKED_FIELDS, LABEL_CN, MODELS, REFERENCE_FIELDS, RELATIONS, Label
from graph.store import GraphStore, RelRec
from graph.writer import Plan
from graph.validation import Loc, validate


@dataclass
class Build:
    """One import: a single Plan for all its files, and what the report and the checks need besides."""

    store: GraphStore
    log: Log
    plan: Plan = field(default_factory=Plan)
    existing: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))  # stored nodes
    file_rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # file → (kind text, rows)
    failed_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    failed_refs: list[tuple[str, str, Loc, str]] = field(default_factory=list)  # label, key, where, field
    merged: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # file → relation rows already given

    def fetch_existing(self, label: Label, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Stored nodes of these keys (kept for merging and for the per-file counts)."""
        found = self.existing[label.value]
        found.update(self.store.get_many(label.value, keys) if keys else {})
        return found

    def add_node(self, obj: Any, loc: Loc, source: str | None, key_field: str) -> None:
        """`source` is stamped on the node (unless it names its own) and on the relations its references imply."""
        self.plan.source = source
        self.plan.add_node(obj, loc, key_field=key_field)
        self.plan.source = None

    def row_failed(self, label: Label, data: dict[str, Any], loc: Loc) -> None:
        """A row that failed validation is not in the plan; its references are still checked (check_failed_rows)."""
        if data.get("key"):
            self.failed_keys[label.value].add(data["key"])
        refs = {f: target for f, (_, target, _) in REFERENCE_FIELDS.get(label, {}).items()} | CHECKED_FIELDS.get(label, {})
        for fname, target in refs.items():
            v = data.get(fname)
            for ref in v if isinstance(v, list) else [v] if isinstance(v, str) else []:
                self.failed_refs.append((target.value, ref, loc, fname))

    def add_rel(self, rel: RelRec, loc: Loc, src_field: str, dst_field: str) -> None:
        """A relation row; the writer's problems about it name src_field or dst_field, the file's own columns."""
        if rel.src_key in self.failed_keys.get(rel.src_label, ()) or rel.dst_key in self.failed_keys.get(rel.dst_label, ()):
            return  # it ends at a row that failed validation: that row's problem is reported already
        k = (rel.type, rel.src_label, rel.src_key, rel.dst_label, rel.dst_key)
        first = self.plan.rels.get(k)
        if first is not None and _sans_source(first.props) == _sans_source(rel.props):
            self.merged[loc.file or ""] += 1  # a repeated row, or given by a reference column or another file too:
            return  # one fact, and the first keeps its source (different properties: the writer reports it)
        self.plan.add_rel(rel, loc, src_field=src_field, dst_field=dst_field)

    def check_failed_rows(self) -> None:
        """References of failed rows must exist too, so that one report lists every problem of the import."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for lab, key, _, _ in self.failed_refs:
            if (lab, key) not in self.plan.nodes and key not in self.failed_keys.get(lab, ()):
                wanted[lab].add(key)
        stored = {lab: self.store.existing_keys(lab, keys) for lab, keys in wanted.items()}
        for lab, key, loc, fname in self.failed_refs:
            if key in wanted.get(lab, ()) and key not in stored[lab]:
                self.log.problem(loc.file, loc.row, fname, f"引用了不存在的{LABEL_CN[Label(lab)]} {key!r}")


def _sans_source(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "source"}


_KEPT_FIELDS = {lab: frozenset(m.model_fields) - {"key", "source"} for lab, m in MODELS.items()}


def merge_stored(label: Label, data: dict[str, Any], old: dict[str, Any] | None, present: set[str]) -> None:
    """Columns absent from the file keep the stored values (a present column replaces them; an empty cell clears)."""
    if old:
        kept = _KEPT_FIELDS[label]
        for f, v in old.items():
            if f not in present and f in kept:
                data[f] = v


def node_table(b: Build, t: Table) -> None:
    log = b.log
    label: Label = t.kind  # type: ignore[assignment]
    b.file_rows[t.file] = (kind_text(label), len(t.rows))
    cols = map_columns(t, log)
    if cols is None:
        return
    specs = node_specs(label)
    present_all = {c.field for c in cols}
    key_col = next((c for c in cols if c.field == "key"), None)
    key_from_uscc = key_col is None and label is Label.Enterprise and "uscc" in present_all
    if key_from_uscc:
        key_col = next(c for c in cols if c.field == "uscc")
        log.header_maps[t.file]["key"] = key_col.header  # the model's problems with the key name this column
    keys = [k for k in (cell_text(cell(cells, key_col)) for _, cells in t.rows) if k] if key_col else []
    existing = b.fetch_existing(label, [k.upper() for k in keys] if key_from_uscc else keys)
    key_header = key_col.header if key_col else "key"
    has_source_col = "source" in present_all
    width = len(t.header)
    for rownum, cells in log.rows(t.rows, t.file):
        loc = Loc(t.file, rownum)
        present = {c.field for c in cols if c.index < len(cells) and cells[c.index] is not ABSENT} if t.sparse else present_all
        data: dict[str, Any] = {}
        failed: set[str] = set()  # fields whose cell could not be read (the model would only say "missing")
        bad = len(cells) > width and not is_blank(cells[width:])
        if bad:
            log.problem(t.file, rownum, None, f"本行有 {len(cells) - width} 个单元格超出表头范围（列名缺失？）")
        for idx, h, fname, factor in cols:
            raw = cells[idx] if idx < len(cells) else None
            if raw is None or raw is ABSENT or raw == "":
                continue
            try:
                val, note = specs[fname].convert(raw, factor)
            except ValueError as e:
                log.problem(t.file, rownum, h, str(e))
                failed.add(fname)
                continue
            if val is not None:
                data[fname] = val
                if note:
                    log.conversion(t.file, h, note, rownum, raw, val)
        if key_from_uscc:
            if "uscc" not in data:
                log.problem(t.file, rownum, key_header, "缺少统一社会信用代码（本文件没有 key 列，以统一社会信用代码为键）")
                continue
            data["key"] = str(data["uscc"]).upper()
        merge_stored(label, data, existing.get(data.get("key", "")), present)
        obj, probs = validate(label, data, loc)
        if bad or failed or obj is None:  # a bad cell: the row is still validated, to report its other problems too
            log.problems.extend(p for p in probs if p.field not in failed)
            b.row_failed(label, data, loc)
            continue
        if has_source_col and "source" in present:  # as written; empty = unknown
            source = data.get("source")
            b.add_node(obj, loc, None if source == "manual" else source, key_header)
        else:
            b.add_node(obj, loc, t.source, key_header)


def rel_table(b: Build, t: Table) -> None:
    log = b.log
    rtype: str = t.kind  # type: ignore[assignment]
    b.file_rows[t.file] = (kind_text(rtype), len(t.rows))
    cols = map_columns(t, log)
    if cols is None:
        return
    by_field = {c.field: c for c in cols}
    prop_cols = [c for c in cols if c.field not in END_FIELDS]
    source_col = by_field.get("source")
    for rownum, cells in log.rows(t.rows, t.file):
        ends = [_end(log, t, rownum, cells, by_field, end) for end in ("src", "dst")]
        props = _props(log, t, rownum, cells, prop_cols)
        if None in ends or props is None:
            continue
        if source_col is None or (t.sparse and cell(cells, source_col) is ABSENT):
            props["source"] = t.source
        (sl, sk), (dl, dk) = ends
        b.add_rel(RelRec(rtype, sl.value, sk, dl.value, dk, props), Loc(t.file, rownum),
                  by_field["src"].header, by_field["dst"].header)


def _end(log: Log, t: Table, rownum: int, cells: list[Any], by_field: dict[str, Column], end: str) -> tuple[Label, str] | None:
    """One end of a relation row: its kind (from the relation type, or the src_label/dst_label column) and key."""
    labels = getattr(RELATIONS[t.kind], end)
    lab: Label | None = labels[0] if len(labels) == 1 else None
    lab_col = by_field.get(f"{end}_label")
    if lab_col is not None:
        text = cell_text(cell(cells, lab_col))
        try:
            given = label_from_text(text) if text else None
        except ValueError as e:
            log.problem(t.file, rownum, lab_col.header, str(e))
            return None
        if given is not None and given not in labels:
            log.problem(t.file, rownum, lab_col.header, f"关系 {t.kind} 的{'起点' if end == 'src' else '终点'}应为 "
                                                        f"{'/'.join(l.value for l in labels)}，实际 {given.value}")
            return None
        lab = given or lab
    if lab is None:
        log.problem(t.file, rownum, lab_col.header if lab_col else f"{end}_label", "缺少必填值（类别）")
        return None
    key = cell_text(cell(cells, by_field[end]))
    if key is None:
        log.problem(t.file, rownum, by_field[end].header, "缺少必填值")
        return None
    return lab, key


def _props(log: Log, t: Table, rownum: int, cells: list[Any], prop_cols: list[Column]) -> dict[str, Any] | None:
    """A relation row's properties, converted and range-checked; None (problems logged) when one is bad."""
    props: dict[str, Any] = {}
    ok = True
    for col in prop_cols:
        raw = cell(cells, col)
        try:
            val, note = REL_PROP_SPECS[col.field].convert(raw, col.factor)
        except ValueError as e:
            log.problem(t.file, rownum, col.header, str(e))
            ok = False
            continue
        if val is None:
            continue
        lo, hi = REL_PROP_RANGES.get(col.field, (None, None))
        if (lo is not None and val < lo) or (hi is not None and val > hi):
            log.problem(t.file, rownum, col.header, f"数值超出范围: {raw!r}（应在 {lo} 到 {hi if hi is not None else '∞'} 之间）")
            ok = False
            continue
        props[col.field] = val
        if note:
            log.conversion(t.file, col.header, note, rownum, raw, val)
    return props if ok else None
