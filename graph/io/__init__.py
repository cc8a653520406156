"""Import and export: CSV, XLSX and JSON in the native format, plus the dataset interchange format.

Native format (docs/import-format.md): one file per node kind or relation type, the kind taken from the file
name (`enterprises.csv`, `segments.xlsx`, `parcels.json`, `rel_SUPPLIES.csv` …). Columns are model field
names or their Chinese headers (统一社会信用代码, 面积(亩) …). The export writes the same format, so an export
imports back unchanged; JSON also has a whole-graph document `{"nodes": [...], "relations": [...]}`.

Dataset interchange format (../shared/datasets/README.md): a folder with enterprises.csv, segments.csv,
memberships.csv [, products.csv, segment_links.csv, supplies.csv]; detected by memberships.csv.

Every import is all-or-nothing: all rows of all files are read, cleaned and validated, and the whole import is
one writer.Plan: its checks (references, relation kinds, the UPSTREAM_OF DAG) and the problems found here are
reported together with file, row (header = row 1) and column, and on any problem ValidationFailed is raised and
nothing is written. Otherwise the plan is committed in one store transaction, so re-importing the same files
changes nothing.

Import semantics worth knowing:
- A node that already exists is updated: columns present in the file replace the stored values (an empty
  cell clears the value), columns absent from the file keep the stored values.
- Reference fields (Segment.chain, Enterprise.region …) become relations; when a reference changes, the
  relation the old value implied is removed (by the writer, as for every write).
- `source`: a `source` column is taken as written (empty = unknown, "manual"); without one, the file name is
  recorded as the source of every node and relation the file brings.

Modules: values (cell → value), columns (file and column names), readers (files → tables), native (tables →
plan), interchange (dataset folder → data → plan), importer (import_path), report (problems, notes,
ImportReport), export (export_store).
"""
from graph.io.export import export_store
from graph.io.importer import import_path
from graph.io.interchange import InterchangeData, read_interchange
from graph.io.report import PROGRESS_MIN_ROWS, ImportReport
from graph.io.values import parse_number

__all__ = [
    "ImportReport",
    "InterchangeData",
    "import_path",
    "export_store",
    "read_interchange",
    "parse_number",
    "PROGRESS_MIN_ROWS",
]
