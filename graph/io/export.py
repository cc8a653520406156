"""The whole graph in the native import format, so that an export imports back unchanged."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import orjson

from graph.io.columns import LABEL_ORDER
from graph.io.values import LIST_SEPARATORS
from graph.schema import MODELS, PLURALS, REFERENCE_FIELDS, RELATIONS, Label
from graph.store import GraphStore

XLSX_MAX_ROWS = 1_048_576


def text_cell(ws: Any, v: Any) -> Any:
    """A value for an openpyxl row: text that starts with "=" stays text (never a live formula in the user's Excel),
    and control characters Excel cannot hold are dropped."""
    if not isinstance(v, str):
        return v
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = ILLEGAL_CHARACTERS_RE.sub("", v)
    if not v.startswith("="):
        return v
    c = WriteOnlyCell(ws, value=v)
    c.data_type = "s"
    return c


def export_store(store: GraphStore, out_dir: str | Path, fmt: str = "csv", *, progress: bool = False) -> list[Path]:
    """Write the whole graph in the native import format; returns the files written.

    csv / xlsx: one file per node kind (<plural>.csv, e.g. enterprises.csv) and one per relation type
    (rel_<TYPE>.csv); CSV is UTF-8 with BOM so that Excel shows Chinese correctly. json: one document
    graph.json {"nodes": [...], "relations": [...]}. Relations that a node's reference field implies
    (Segment.chain → PART_OF …) are carried by that column and not repeated, so the export imports back
    into an empty store unchanged.
    """
    if fmt not in ("csv", "xlsx", "json"):
        raise ValueError("导出格式只能是 csv、xlsx 或 json")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    implied: set[tuple[str, str, str, str, str]] = set()
    json_nodes: list[dict[str, Any]] = []
    json_rels: list[dict[str, Any]] = []
    for label in LABEL_ORDER:
        header = ["key", "name"] + [f for f in MODELS[label].model_fields if f not in ("key", "name")]
        rows: list[list[Any]] = []
        for key, props in store.iter_nodes(label.value):
            implied.update(_implied_relations(label, key, props))
            if fmt == "json":
                json_nodes.append({"label": label.value, "key": key, **props})
            else:
                rows.append([key] + [_export_value(props.get(f)) for f in header[1:]])
        if rows:
            written.append(_write_table(out, PLURALS[label], header, rows, fmt))
    for rtype, rt in RELATIONS.items():
        rels = sorted((r for r in store.iter_relations(rtype)
                       if (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key) not in implied),
                      key=lambda r: (r.src_label, r.src_key, r.dst_label, r.dst_key))
        if not rels:
            continue
        if fmt == "json":
            # "source": null says "no recorded source" (an absent key would make the import stamp one)
            json_rels.extend({"type": r.type, "src_label": r.src_label, "src_key": r.src_key, "dst_label": r.dst_label,
                              "dst_key": r.dst_key, "source": None, **r.props} for r in rels)
            continue
        multi_src, multi_dst = len(rt.src) > 1, len(rt.dst) > 1
        prop_names = [*rt.props, "source"]
        header = (["src_label"] if multi_src else []) + ["src"] + (["dst_label"] if multi_dst else []) + ["dst"] + prop_names
        rows = [([r.src_label] if multi_src else []) + [r.src_key] + ([r.dst_label] if multi_dst else []) + [r.dst_key]
                + [_export_value(r.props.get(p)) for p in prop_names] for r in rels]
        written.append(_write_table(out, f"rel_{rtype}", header, rows, fmt))
    if fmt == "json":
        target = out / "graph.json"
        target.write_bytes(orjson.dumps({"nodes": json_nodes, "relations": json_rels},
                                        option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
        written.append(target)
    return written


def _implied_relations(label: Label, key: str, props: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """Keys of the relations a stored node's reference fields imply (as the writer derives them from a model)."""
    for fname, (rtype, target, direction) in REFERENCE_FIELDS.get(label, {}).items():
        v = props.get(fname)
        for ref in [] if v is None else v if isinstance(v, list) else [v]:
            yield ((rtype, label.value, key, target.value, ref) if direction == "out"
                   else (rtype, target.value, ref, label.value, key))


def _export_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        items = [str(x) for x in v]
        if any(LIST_SEPARATORS.search(x) for x in items) or (items and items[0].startswith("[")):
            return orjson.dumps(items).decode()  # an item holds a separator: a JSON array keeps the items apart
        return ";".join(items)
    if isinstance(v, float):
        return repr(v)
    return v


def _write_table(out: Path, stem: str, header: list[str], rows: list[list[Any]], fmt: str) -> Path:
    if fmt == "csv":
        target = out / f"{stem}.csv"
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return target
    from openpyxl import Workbook

    if len(rows) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"{stem} 有 {len(rows)} 行，超过 Excel 单表上限 {XLSX_MAX_ROWS - 1} 行：请导出为 csv 或 json")
    target = out / f"{stem}.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(stem[:31])
    ws.append(header)
    for r in rows:
        ws.append([text_cell(ws, v) for v in r])
    wb.save(target)
    return target
