"""An in-memory membership dataset and a reader of the dataset interchange format.

The interchange format (see ../shared/datasets/README.md) is a folder of UTF-8 CSV files with a header row:

| file | columns |
|---|---|
| `enterprises.csv` | `id,name` + optional `full_name`, `business_scope`, `tags` (text the recommender reads), `listed` (listing date `YYYY-MM-DD`, `YYYY-MM` or `YYYY`), `board` (listing board, e.g. 主板/创业板/科创板/B股), any others |
| `segments.csv` | `id,name,chain` + optional `stream` (上游/中游/下游), `parent_id`, `keywords`, `description` |
| `memberships.csv` | `enterprise_id,segment_id` |
| `products.csv` (optional) | `enterprise_id,product,weight` (weight = revenue share; blank = unknown) |
| `segment_links.csv` (optional) | `upstream_id,downstream_id` |
| `supplies.csv` (optional) | `supplier_id,customer_id` |
| `product_links.csv` (optional, ChainMatch extension) | `from_product,to_product,rel` (上游材料 / 下游产品 / 产品小类 …) |

`parent_id` may name another segment or just a group (e.g. a Shenwan L2 code whose L2 is not itself a segment):
both are kept as text. A bad file raises `DatasetError` naming file, row (1-based, header = row 1) and field, and
nothing is returned half-read.

`Dataset` is immutable in spirit: the hold-out protocol derives a split with `with_memberships`, sharing every
other array, so the model sees the same enterprises, products and links with fewer memberships.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import scipy.sparse as sp

STREAM_ALIASES = {"upstream": "上游", "midstream": "中游", "downstream": "下游", "up": "上游", "mid": "中游",
                  "down": "下游", "上游": "上游", "中游": "中游", "下游": "下游"}
ENTERPRISE_TEXT_COLUMNS = ("full_name", "business_scope", "tags")
SEGMENT_TEXT_COLUMNS = ("keywords", "description")


class DatasetError(ValueError):
    """A problem in an interchange-format folder: names the file, the row and the field."""

    def __init__(self, file: str, row: int | None, fld: str | None, message: str):
        self.file, self.row, self.field = file, row, fld
        where = file + (f" 第{row}行" if row is not None else "") + (f" 字段 {fld}" if fld else "")
        super().__init__(f"{where}: {message}")


def _empty_pairs() -> np.ndarray:
    return np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Enterprises, segments, memberships and the optional side information, as arrays.

    Enterprise and segment i are addressed by position; `*_ids` map positions to the dataset's own ids.
    Text columns are object arrays of str ("" = unknown). `memberships` is a CSR 0/1 matrix (enterprises ×
    segments). `products` are three parallel arrays (enterprise index, product name, weight; NaN = unknown).
    """

    enterprise_ids: np.ndarray
    enterprise_names: np.ndarray
    segment_ids: np.ndarray
    segment_names: np.ndarray
    segment_chains: np.ndarray
    memberships: sp.csr_matrix
    enterprise_text: np.ndarray | None = None  # full name, business scope, tags joined by " "
    segment_streams: np.ndarray | None = None  # "上游"/"中游"/"下游"/""
    segment_parents: np.ndarray | None = None  # parent id (a segment id or a group key) or ""
    segment_text: np.ndarray | None = None  # keywords / description
    enterprise_listed: np.ndarray | None = None  # listing date as days since 1970-01-01 (float, NaN = unknown)
    enterprise_board: np.ndarray | None = None  # listing board (str, "" = unknown)
    product_enterprise: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    product_names: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    product_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    segment_links: np.ndarray = field(default_factory=_empty_pairs)  # (upstream index, downstream index)
    supplies: np.ndarray = field(default_factory=_empty_pairs)  # (supplier index, customer index)
    product_links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # from, to, rel (object arrays)
    name: str = ""

    def __post_init__(self) -> None:
        ne, ns = len(self.enterprise_ids), len(self.segment_ids)
        if self.memberships.shape != (ne, ns):
            raise ValueError(f"memberships shape {self.memberships.shape} != ({ne}, {ns})")
        blank_e, blank_s = np.full(ne, "", dtype=object), np.full(ns, "", dtype=object)
        for name, default in (("enterprise_text", blank_e), ("segment_streams", blank_s),
                              ("segment_parents", blank_s), ("segment_text", blank_s), ("enterprise_board", blank_e)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default.copy())
        if self.enterprise_listed is None:
            object.__setattr__(self, "enterprise_listed", np.full(ne, np.nan))
        m = sp.csr_matrix(self.memberships, dtype=np.float32)
        m.sum_duplicates()
        m.data[:] = 1.0
        m.eliminate_zeros()
        object.__setattr__(self, "memberships", m)

    # ----------------------------------------------------------------- sizes and lookups
    @property
    def n_enterprises(self) -> int:
        return len(self.enterprise_ids)

    @property
    def n_segments(self) -> int:
        return len(self.segment_ids)

    @property
    def has_products(self) -> bool:
        return len(self.product_names) > 0

    @property
    def has_structure(self) -> bool:
        parents = np.asarray(self.segment_parents, dtype=object)
        return len(self.segment_links) > 0 or bool((parents != "").any())

    def enterprise_index(self) -> dict[str, int]:
        return {str(k): i for i, k in enumerate(self.enterprise_ids)}

    def segment_index(self) -> dict[str, int]:
        return {str(k): i for i, k in enumerate(self.segment_ids)}

    def members(self, segment: int) -> np.ndarray:
        """Enterprise indices that are members of segment (by position)."""
        return self.memberships.tocsc()[:, segment].indices.copy()

    def segment_sizes(self) -> np.ndarray:
        return np.asarray(self.memberships.sum(axis=0)).ravel().astype(np.int64)

    def with_memberships(self, memberships: sp.spmatrix) -> "Dataset":
        """The same dataset with other memberships (the hold-out split's visible part)."""
        return dataclasses.replace(self, memberships=sp.csr_matrix(memberships))

    def summary(self) -> dict[str, int]:
        return {"enterprises": self.n_enterprises, "segments": self.n_segments,
                "memberships": int(self.memberships.nnz), "products": len(self.product_names),
                "segment_links": len(self.segment_links), "supplies": len(self.supplies),
                "product_links": 0 if self.product_links is None else len(self.product_links[0])}


# --------------------------------------------------------------------- reading
def _rows(path: Path, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) for a CSV with a header; checks the required columns are there."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(name, None, None, f"不是 UTF-8 编码（{e}）") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise DatasetError(name, 1, ",".join(missing), f"缺少必需的列（表头为 {','.join(header) or '空'}）")
    for i, row in enumerate(reader, start=2):
        if None in row:
            raise DatasetError(name, i, None, "列数多于表头")
        yield i, {k: (v or "").strip() for k, v in row.items()}


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_listed(value: str) -> float | None:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY` → days since 1970-01-01 (a missing month/day counts as the 1st);
    blank → NaN; anything else → None."""
    v = value.strip()
    if not v:
        return float("nan")
    m = _DATE_RE.match(v)
    if not m:
        return None
    try:
        d = datetime.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None
    return float((d - datetime.date(1970, 1, 1)).days)


def _need(file: str, row: int, rec: dict[str, str], col: str) -> str:
    v = rec.get(col, "")
    if not v:
        raise DatasetError(file, row, col, "不能为空")
    return v


def _ref(file: str, row: int, rec: dict[str, str], col: str, index: dict[str, int], what: str) -> int:
    v = _need(file, row, rec, col)
    i = index.get(v)
    if i is None:
        raise DatasetError(file, row, col, f"未知的{what} {v!r}")
    return i


def read_dataset(folder: str | Path) -> Dataset:
    """Read an interchange-format folder; raise DatasetError (file, row, field) on the first problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(str(folder), None, None, "不是文件夹")
    for req in ("enterprises.csv", "segments.csv", "memberships.csv"):
        if not (folder / req).is_file():
            raise DatasetError(req, None, None, f"{folder} 中缺少必需文件")
    ents, e_index = _read_enterprises(folder)
    seg_ids, seg_cols, s_index = _read_segments(folder)
    memberships = _read_memberships(folder, e_index, s_index)
    kw = _read_optional(folder, e_index, s_index)
    return Dataset(
        enterprise_ids=np.asarray(ents["ids"], dtype=object),
        enterprise_names=np.asarray(ents["names"], dtype=object),
        segment_ids=np.asarray(seg_ids, dtype=object),
        segment_names=np.asarray(seg_cols["name"], dtype=object),
        segment_chains=np.asarray(seg_cols["chain"], dtype=object),
        memberships=memberships,
        enterprise_text=np.asarray(ents["text"], dtype=object),
        enterprise_listed=np.asarray(ents["listed"], dtype=np.float64),
        enterprise_board=np.asarray(ents["board"], dtype=object),
        segment_streams=np.asarray(seg_cols["stream"], dtype=object),
        segment_parents=np.asarray(seg_cols["parent_id"], dtype=object),
        segment_text=np.asarray(seg_cols["text"], dtype=object),
        name=folder.name,
        **kw,
    )




def _read_enterprises(folder: Path) -> tuple[dict[str, list], dict[str, int]]:
    """enterprises.csv: ids (unique), names, text columns, listing date, board; and id → position."""
    ent_ids: list[str] = []
    ent_names: list[str] = []
    ent_text: list[str] = []
    ent_listed: list[float] = []
    ent_board: list[str] = []
    e_index: dict[str, int] = {}
    for row, r in _rows(folder / "enterprises.csv", ("id", "name")):
        eid = _need("enterprises.csv", row, r, "id")
        if eid in e_index:
            raise DatasetError("enterprises.csv", row, "id", f"重复的企业 id {eid!r}")
        e_index[eid] = len(ent_ids)
        ent_ids.append(eid)
        ent_names.append(_need("enterprises.csv", row, r, "name"))
        ent_text.append(" ".join(r[c] for c in ENTERPRISE_TEXT_COLUMNS if r.get(c)))
        listed = parse_listed(r.get("listed", ""))
        if listed is None:
            raise DatasetError("enterprises.csv", row, "listed", f"{r['listed']!r} 不是日期（YYYY-MM-DD）")
        ent_listed.append(listed)
        ent_board.append(r.get("board", ""))

    return ({"ids": ent_ids, "names": ent_names, "text": ent_text, "listed": ent_listed, "board": ent_board},
            e_index)


def _read_segments(folder: Path) -> tuple[list[str], dict[str, list[str]], dict[str, int]]:
    """segments.csv: ids (unique), name, chain, stream (上游/中游/下游 or an alias), parent, text; id → position."""
    seg_ids: list[str] = []
    seg_cols: dict[str, list[str]] = {k: [] for k in ("name", "chain", "stream", "parent_id", "text")}
    s_index: dict[str, int] = {}
    for row, r in _rows(folder / "segments.csv", ("id", "name", "chain")):
        sid = _need("segments.csv", row, r, "id")
        if sid in s_index:
            raise DatasetError("segments.csv", row, "id", f"重复的环节 id {sid!r}")
        s_index[sid] = len(seg_ids)
        seg_ids.append(sid)
        seg_cols["name"].append(_need("segments.csv", row, r, "name"))
        seg_cols["chain"].append(_need("segments.csv", row, r, "chain"))
        stream = r.get("stream", "")
        if stream:
            norm = STREAM_ALIASES.get(stream.lower())
            if norm is None:
                raise DatasetError("segments.csv", row, "stream", f"{stream!r} 不是 上游/中游/下游")
            stream = norm
        seg_cols["stream"].append(stream)
        parent = r.get("parent_id", "")
        if parent == sid:
            raise DatasetError("segments.csv", row, "parent_id", "上级不能是自己")
        seg_cols["parent_id"].append(parent)
        seg_cols["text"].append(" ".join(r[c] for c in SEGMENT_TEXT_COLUMNS if r.get(c)))

    return seg_ids, seg_cols, s_index


def _read_memberships(folder: Path, e_index: dict[str, int], s_index: dict[str, int]) -> sp.csr_matrix:
    """memberships.csv as a 0/1 enterprises × segments matrix (every reference must exist)."""
    pairs: set[tuple[int, int]] = set()
    for row, r in _rows(folder / "memberships.csv", ("enterprise_id", "segment_id")):
        e = _ref("memberships.csv", row, r, "enterprise_id", e_index, "企业")
        s = _ref("memberships.csv", row, r, "segment_id", s_index, "环节")
        pairs.add((e, s))
    pe = np.fromiter((p[0] for p in sorted(pairs)), np.int64, len(pairs))
    ps = np.fromiter((p[1] for p in sorted(pairs)), np.int64, len(pairs))
    memberships = sp.csr_matrix((np.ones(len(pairs), np.float32), (pe, ps)), shape=(len(e_index), len(s_index)))

    return memberships


def _read_optional(folder: Path, e_index: dict[str, int], s_index: dict[str, int]) -> dict:
    """The optional files: products, segment links, supplies, product links (Dataset keyword arguments)."""
    kw: dict = {}
    if (folder / "products.csv").is_file():
        pe_l: list[int] = []
        pn_l: list[str] = []
        pw_l: list[float] = []
        for row, r in _rows(folder / "products.csv", ("enterprise_id", "product")):
            pe_l.append(_ref("products.csv", row, r, "enterprise_id", e_index, "企业"))
            pn_l.append(_need("products.csv", row, r, "product"))
            w = r.get("weight", "")
            try:
                pw_l.append(float(w) if w else float("nan"))
            except ValueError:
                raise DatasetError("products.csv", row, "weight", f"{w!r} 不是数字") from None
        kw["product_enterprise"] = np.asarray(pe_l, np.int64)
        kw["product_names"] = np.asarray(pn_l, dtype=object)
        kw["product_weights"] = np.asarray(pw_l, np.float64)
    for fname, cols, index, what, key in (
        ("segment_links.csv", ("upstream_id", "downstream_id"), s_index, "环节", "segment_links"),
        ("supplies.csv", ("supplier_id", "customer_id"), e_index, "企业", "supplies"),
    ):
        if not (folder / fname).is_file():
            continue
        got: set[tuple[int, int]] = set()
        for row, r in _rows(folder / fname, cols):
            a = _ref(fname, row, r, cols[0], index, what)
            b = _ref(fname, row, r, cols[1], index, what)
            if a == b:
                raise DatasetError(fname, row, cols[1], "两端相同")
            got.add((a, b))
        kw[key] = np.asarray(sorted(got), np.int64).reshape(-1, 2)
    if (folder / "product_links.csv").is_file():
        fr: list[str] = []
        to: list[str] = []
        rel: list[str] = []
        for row, r in _rows(folder / "product_links.csv", ("from_product", "to_product")):
            fr.append(_need("product_links.csv", row, r, "from_product"))
            to.append(_need("product_links.csv", row, r, "to_product"))
            rel.append(r.get("rel", ""))
        kw["product_links"] = (np.asarray(fr, object), np.asarray(to, object), np.asarray(rel, object))
    return kw


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> int:
    """Write one UTF-8 CSV (header + rows) atomically; returns the number of rows."""
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
            n += 1
    tmp.replace(path)
    return n
