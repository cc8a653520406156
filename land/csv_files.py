"""CSV in and out for the batch land assignment (`chainmatch land-assign`): the same matcher as the API.

Input files: one row per project / parcel, columns = the model field names of graph.schema.Project /
LandParcel (the Chinese headers and unit suffixes that `chainmatch import` accepts work too, e.g. 面积(亩),
总投资(亿元)); list cells separated by ; 、 or |. Every row is validated by the model; all problems of both files
are collected, each naming file, row (header = row 1) and column, and then nothing is written.

Every column the model requires (key; for parcels also region and area_mu) must be in the header: a missing one is
one problem at the header (row 1), whatever the number of rows. Names: with a graph (--db/--store) the chain,
segment, park and 产业准入 cells are resolved to keys by the one resolver (集成电路 = ic); without one they are
compared as written and values only one file uses are reported as notes (land/names.py).

Outputs (UTF-8 with BOM so Excel opens them): the chosen pairs (A) and every feasible pair with its score
(S). Both are written to temporary files first and moved into place together, so a failure leaves no output.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

from graph.schema import MODELS, LandParcel, Label, Node, Project
from graph.snapshot import Snapshot
from graph.validation import Loc, Problem, ValidationFailed, validate
from land.assignment import Assignment
from land.names import resolve_record_names, unmatched_chains
from land.reasons import explain_components
from land.scoring import COMPONENTS

# The import module's cell parsing (Chinese headers, units such as 亿元/公顷, GBK files) when it is there; else
# the plain contract of this tool: headers are the model's field names, cells are read by the model itself.
try:
    from graph.io.columns import resolve_header
    from graph.io.readers import decode_bytes
    from graph.io.specs import node_specs
except ImportError:  # pragma: no cover - depends on graph.io's layout
    resolve_header = decode_bytes = node_specs = None  # type: ignore[assignment]

_LIST_SPLIT = re.compile(r"[;；、|]")


class _PlainSpec:
    """Fallback cell reader: empty → None, list fields split on ; ； 、 |, everything else as text for the model."""

    def __init__(self, is_list: bool):
        self.is_list = is_list

    def convert(self, raw: Any, column_factor: Any = None) -> tuple[Any, None]:
        t = (raw or "").strip()
        if not t:
            return ([] if self.is_list else None), None
        return ([x.strip() for x in _LIST_SPLIT.split(t) if x.strip()] if self.is_list else t), None


def _specs(label: Label) -> dict[str, Any]:
    if node_specs is not None:
        return node_specs(label)
    return {n: _PlainSpec("list" in str(f.annotation)) for n, f in MODELS[label].model_fields.items()}


def _header(label: Label, h: str) -> tuple[str | None, Any, str | None]:
    if resolve_header is not None:
        return resolve_header(label, h)
    name = h.strip()
    return (name if name in MODELS[label].model_fields else None), None, None


def _decode(raw: bytes, name: str) -> tuple[str | None, Any, str | None]:
    if decode_bytes is not None:
        return decode_bytes(raw, name)
    try:
        return raw.decode("utf-8-sig"), None, None
    except UnicodeDecodeError:
        return None, None, "文件不是 UTF-8 编码；请在 Excel 中另存为“CSV UTF-8(逗号分隔)”"

ASSIGNMENT_COLUMNS = ("project", "project_name", "parcel", "parcel_name", "park", "area_mu", "price_wan_per_mu",
                      "score", *(f"score_{c}" for c, _ in COMPONENTS), "reasons")
SCORE_COLUMNS = ("project", "parcel", "score", *(f"score_{c}" for c, _ in COMPONENTS), "chosen")


def read_table(path: Path, label: Label) -> tuple[list[tuple[int, Node]], list[Problem]]:
    """Rows of a CSV file as validated models with their row numbers, and every problem found."""
    name = path.name
    problems: list[Problem] = []
    try:
        raw = path.read_bytes()
    except OSError as e:
        return [], [Problem(name, None, None, f"无法读取文件：{e}")]
    text, _, problem = _decode(raw, name)
    if problem or text is None:
        return [], [Problem(name, None, None, problem or "无法解码")]
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(c.strip() for c in rows[0]):
        return [], [Problem(name, 1, None, "文件为空或缺少表头")]
    header = rows[0]
    specs = _specs(label)
    columns: list[tuple[int, str, str, Any]] = []  # (index, header, field, unit factor)
    seen: dict[str, str] = {}
    for k, h in enumerate(header):
        if not h.strip():
            continue
        fname, factor, prob = _header(label, h)
        if prob:
            problems.append(Problem(name, 1, h, prob))
            continue
        if fname is None or fname not in specs:
            problems.append(Problem(name, 1, h, f"未知列；可用列为模型字段名：{', '.join(specs)}"))
            continue
        if fname in seen:
            problems.append(Problem(name, 1, h, f"与列 {seen[fname]!r} 重复（都对应字段 {fname}）"))
            continue
        seen[fname] = h
        columns.append((k, h, fname, factor))
    problems += _missing_columns(label, name, seen)
    if problems:
        return [], problems
    out: list[tuple[int, Node]] = []
    keys: dict[str, int] = {}
    for r, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        data: dict[str, Any] = {}
        bad = False
        for k, h, fname, factor in columns:
            cell = cells[k] if k < len(cells) else ""
            try:
                value, _ = specs[fname].convert(cell, factor)
            except ValueError as e:
                problems.append(Problem(name, r, h, str(e)))
                bad = True
                continue
            if value is not None:
                data[fname] = value
        if bad:
            continue
        if data.get("key") and not data.get("name"):
            data["name"] = data["key"]
        obj, probs = validate(label, data, Loc(name, r))
        if probs or obj is None:
            problems.extend(Problem(p.file, p.row, seen.get(p.field or "", p.field), p.message) for p in probs)
            continue
        if obj.key in keys:
            problems.append(Problem(name, r, seen["key"], f"重复的键 {obj.key!r}（首次出现于第{keys[obj.key]}行）"))
            continue
        keys[obj.key] = r
        out.append((r, obj))
    return out, problems


def _missing_columns(label: Label, file: str, seen: dict[str, str]) -> list[Problem]:
    """The model's required columns absent from the header, each one problem at row 1 (name may be left out: it
    defaults to the key)."""
    required = [n for n, f in MODELS[label].model_fields.items() if f.is_required() and n != "name"]
    return [Problem(file, 1, n, "缺少必需的列 key（唯一键）" if n == "key" else "缺少必需的列")
            for n in required if n not in seen]


def load_inputs(projects_path: Path, parcels_path: Path, *, snap: Snapshot | None = None
                ) -> tuple[list[Project], list[LandParcel], list[Problem]]:
    """Both files, validated: (projects, parcels, notes). Raises ValidationFailed listing every problem (file, row,
    column); notes are what the caller should show without refusing (chain values only one file uses, when there
    is no graph to resolve them against).

    With a graph (`snap`): chains, segments, parks and 产业准入 are resolved to keys, and an unknown one is a
    problem. Without one, a project's 意向园区 must be one of the parks of the parcels file."""
    projects, p1 = read_table(projects_path, Label.Project)
    parcels, p2 = read_table(parcels_path, Label.LandParcel)
    problems = p1 + p2
    if any(p.row is None or p.row == 1 for p in problems):  # a file unread (header, encoding): nothing to cross-check
        raise ValidationFailed(problems)
    pj_cols = {f: _column_of(projects_path, Label.Project, f) for f in ("chain", "segment", "park")}
    pc_cols = {f: _column_of(parcels_path, Label.LandParcel, f) for f in ("allowed_chains", "park")}
    notes: list[Problem] = []
    if snap is not None:
        projects, q1 = resolve_record_names(snap, projects, projects_path.name, pj_cols)
        parcels, q2 = resolve_record_names(snap, parcels, parcels_path.name, pc_cols)
        problems += q1 + q2
    else:
        known = {q.park for _, q in parcels if q.park}  # type: ignore[attr-defined]
        for r, p in projects:
            if p.park and p.park not in known:  # type: ignore[attr-defined]
                problems.append(Problem(projects_path.name, r, pj_cols["park"],
                                        f"未知园区 {p.park!r}（不是地块文件中出现的园区）"))  # type: ignore[attr-defined]
        notes = unmatched_chains(projects, parcels, (projects_path.name, parcels_path.name),  # type: ignore[arg-type]
                                 (pj_cols["chain"], pc_cols["allowed_chains"]))
    if problems:
        raise ValidationFailed(problems)
    return [p for _, p in projects], [q for _, q in parcels], notes  # type: ignore[misc]


def _column_of(path: Path, label: Label, fname: str) -> str:
    """The header as written in the file for a field (for error messages); the field name if not found."""
    try:
        text, _, _ = _decode(path.read_bytes(), path.name)
        header = next(csv.reader(io.StringIO((text or "").split("\n", 1)[0])))
    except (OSError, StopIteration):
        return fname
    for h in header:
        if _header(label, h)[0] == fname:
            return h
    return fname


def assignment_rows(result: Assignment) -> list[dict[str, Any]]:
    d = result.data
    rows = []
    edges = sorted(result.chosen.tolist(), key=lambda e: str(d.projects.keys[result.pair_projects[e]]))
    breakdowns = explain_components(d.projects, d.parcels, d.ctx, result.pair_projects[edges],
                                    result.pair_parcels[edges], result.pair_components[edges], result.weights,
                                    result.scales)
    for e, bd in zip(edges, breakdowns):
        i, j = int(result.pair_projects[e]), int(result.pair_parcels[e])
        comps = result.pair_components[e]
        pk = int(d.parcels.park[j])
        rows.append({
            "project": str(d.projects.keys[i]), "project_name": str(d.projects.names[i]),
            "parcel": str(d.parcels.keys[j]), "parcel_name": str(d.parcels.names[j]),
            "park": str(d.ctx.parks.keys[pk]) if pk >= 0 else "",
            "area_mu": _cell(float(d.parcels.area[j])), "price_wan_per_mu": _cell(float(d.parcels.num["price_wan_per_mu"][j])),
            "score": f"{result.pair_scores[e]:.2f}",
            **{f"score_{c}": f"{comps[k]:.4f}" for k, (c, _) in enumerate(COMPONENTS)},
            "reasons": "；".join(f"{b['label']}：{b['reason']}" for b in bd),
        })
    return rows


def score_rows(result: Assignment) -> list[dict[str, Any]]:
    d = result.data
    chosen = set(result.chosen.tolist())
    pk = d.projects.keys[result.pair_projects]
    order = sorted(range(len(result.pair_scores)), key=lambda e: (str(pk[e]), -result.pair_scores[e],
                                                                    str(d.parcels.keys[result.pair_parcels[e]])))
    rows = []
    for e in order:
        comps = result.pair_components[e]
        rows.append({
            "project": str(pk[e]), "parcel": str(d.parcels.keys[result.pair_parcels[e]]),
            "score": f"{result.pair_scores[e]:.2f}",
            **{f"score_{c}": f"{comps[k]:.4f}" for k, (c, _) in enumerate(COMPONENTS)},
            "chosen": "1" if e in chosen else "0",
        })
    return rows


def _cell(x: float) -> str:
    return "" if x != x else f"{x:g}"


def write_outputs(result: Assignment, output: Path, scores: Path | None = None) -> None:
    """Write A (and S) atomically: temporary files in the target folders, renamed only when all are written."""
    targets: list[tuple[Path, Sequence[str], list[dict[str, Any]]]] = [(output, ASSIGNMENT_COLUMNS, assignment_rows(result))]
    if scores is not None:
        targets.append((scores, SCORE_COLUMNS, score_rows(result)))
    temps: list[tuple[str, Path]] = []
    try:
        for path, cols, rows in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(cols))
                w.writeheader()
                w.writerows(rows)
        for tmp, path in temps:
            os.replace(tmp, path)
        temps.clear()
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
