"""The dataset interchange format (../shared/datasets/README.md): a folder with enterprises.csv, segments.csv,
memberships.csv [, products.csv, segment_links.csv, supplies.csv], detected by memberships.csv.

read_interchange gives the dataset as plain python data (no store needed, e.g. for evaluating the recommender);
plan_dataset maps it onto the graph. Real datasets carry free text, so the mapping is lenient where the native
format is strict: a region that is no known region, or an optional value that does not parse, is dropped with a
note; ids, names, USCCs and references are checked as strictly as anywhere.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from graph.io.columns import resolve_header
from graph.io.native import Build, merge_stored
from graph.io.readers import Table, csv_table, read_text
from graph.io.report import Log
from graph.io.specs import node_specs
from graph.io.values import cell_text, parse_number, split_list
from graph.schema import LABEL_CN, STREAM_ALIASES, Label
from graph.store import RelRec
from graph.validation import Loc, Problem, ValidationFailed, validate

# file stem → (required columns, whether the file must be there)
INTERCHANGE_FILES: dict[str, tuple[tuple[str, ...], bool]] = {
    "enterprises": (("id", "name"), True),
    "segments": (("id", "name", "chain"), True),
    "memberships": (("enterprise_id", "segment_id"), True),
    "products": (("enterprise_id", "product"), False),
    "segment_links": (("upstream_id", "downstream_id"), False),
    "supplies": (("supplier_id", "customer_id"), False),
}
# file stem → relation type, (label, column) of each end, property columns
LINKS: tuple[tuple[str, str, tuple[Label, str], tuple[Label, str], tuple[str, ...]], ...] = (
    ("memberships", "IN_SEGMENT", (Label.Enterprise, "enterprise_id"), (Label.Segment, "segment_id"), ("weight",)),
    ("products", "MAKES", (Label.Enterprise, "enterprise_id"), (Label.Product, "product"), ("weight",)),
    ("segment_links", "UPSTREAM_OF", (Label.Segment, "upstream_id"), (Label.Segment, "downstream_id"), ()),
    ("supplies", "SUPPLIES", (Label.Enterprise, "supplier_id"), (Label.Enterprise, "customer_id"), ("share",)),
)


@dataclass
class InterchangeData:
    """A dataset in the interchange format as plain python data (no store needed).

    enterprises: [{"id", "name", optional "region", "founded", "tags" (list) and any other column as text}]
    segments: [{"id", "name", "chain", optional "stream" (上游/中游/下游), "parent_id"}]
    memberships: [{"enterprise_id", "segment_id" [, "weight"]}]
    products: [{"enterprise_id", "product", "weight" (float or None)}]
    segment_links: [{"upstream_id", "downstream_id"}]
    supplies: [{"supplier_id", "customer_id" [, "share"]}]
    rows: file stem → row number (header = 1) of each item above, in the same order.
    """

    path: str
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    segment_links: list[dict[str, Any]] = field(default_factory=list)
    supplies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)  # files read without a problem

    @property
    def chains(self) -> list[str]:
        return sorted({s["chain"] for s in self.segments})

    def members_of(self) -> dict[str, list[str]]:
        """segment id → enterprise ids."""
        out: dict[str, list[str]] = defaultdict(list)
        for m in self.memberships:
            out[m["segment_id"]].append(m["enterprise_id"])
        return dict(out)

    def numbered(self, stem: str) -> list[tuple[dict[str, Any], int]]:
        """(item, row number) of one file."""
        return list(zip(getattr(self, stem), self.rows.get(stem, [])))


def is_interchange_folder(path: Path) -> bool:
    return path.is_dir() and (path / "memberships.csv").is_file()


# ===================================================================================== reading
def read_interchange(path: str | Path, *, check_refs: bool = True, progress: bool = False) -> InterchangeData:
    """Read a dataset interchange folder into plain lists/dicts. Raises ValidationFailed naming file, row and
    column for: missing files or columns, empty ids, duplicate ids, bad weights, and (check_refs) ids that no
    file of the dataset defines."""
    log = Log(progress=progress)
    data = read_dataset(Path(path), log, check_refs=check_refs)
    if log.problems:
        raise ValidationFailed(log.problems)
    data.notes = log.notes
    return data


def read_dataset(root: Path, log: Log, *, check_refs: bool) -> InterchangeData:
    data = InterchangeData(path=str(root))
    loaded: set[str] = set()  # files read without a problem: references into the others are not checked
    for stem, (required, mandatory) in INTERCHANGE_FILES.items():
        p = root / f"{stem}.csv"
        if not p.is_file():
            if mandatory:
                log.problem(p.name, None, None, f"数据交换格式缺少文件 {p.name}")
            continue
        text = read_text(p, p.name, log)
        t = csv_table(text, p.name, stem, log, ",") if text is not None else None
        if t is None:
            continue
        t.header = [h.lower() for h in t.header]
        for c in required:
            if c not in t.header:
                log.problem(p.name, t.header_row, c, f"缺少必需列“{c}”")
        dup_cols = sorted({h for h in t.header if h and t.header.count(h) > 1})
        for h in dup_cols:
            log.problem(p.name, t.header_row, h, f"列“{h}”出现了多次")
        if not dup_cols and all(c in t.header for c in required):
            before = len(log.problems)
            items = _items(t, required, log)
            setattr(data, stem, [d for d, _ in items])
            data.rows[stem] = [row for _, row in items]
            if len(log.problems) == before:
                loaded.add(stem)
    data.loaded = loaded
    if check_refs:  # every file's problems in one pass: references are checked against the files that were read
        ids = {lab: ids for lab, stem, ids in (
            (Label.Enterprise, "enterprises", {e["id"] for e in data.enterprises}),
            (Label.Segment, "segments", {s["id"] for s in data.segments})) if stem in loaded}
        for stem, _, *ends, _ in LINKS:
            for item, row in data.numbered(stem):
                for lab, col in ends:
                    if lab in ids and item[col] not in ids[lab]:
                        log.problem(f"{stem}.csv", row, col, f"引用了不存在的{LABEL_CN[lab]} {item[col]!r}")
    return data


def _items(t: Table, required: tuple[str, ...], log: Log) -> list[tuple[dict[str, Any], int]]:
    """The rows of one file as dicts; a repeated id is a problem, a repeated link row is merged with a note."""
    stem, name = t.kind, t.file
    keyed = stem in ("enterprises", "segments")
    items: list[tuple[dict[str, Any], int]] = []
    columns = [(i, h) for i, h in enumerate(t.header) if h]
    seen: dict[Any, int] = {}
    dups = 0
    for rownum, cells in log.rows(t.rows, name):
        d: dict[str, Any] = {}
        for i, h in columns:
            v = cell_text(cells[i]) if i < len(cells) else None
            if v is not None:
                d[h] = v
        bad = False
        for c in required:
            if c not in d:
                log.problem(name, rownum, c, "缺少必填值")
                bad = True
        if stem == "enterprises" and "tags" in d:
            d["tags"] = split_list(d["tags"]) or []
        if stem == "segments" and "stream" in d:
            d["stream"] = STREAM_ALIASES.get(d["stream"].lower(), d["stream"])
        for wf in ("weight", "share"):
            if wf in d:
                try:
                    d[wf], _ = parse_number(d[wf], "ratio")
                except ValueError as e:
                    log.problem(name, rownum, wf, str(e))
                    bad = True
        if stem == "products":
            d.setdefault("weight", None)
        if bad:
            continue
        ident = d["id"] if keyed else tuple(d[c] for c in required)
        if ident in seen:
            if keyed:
                log.problem(name, rownum, "id", f"重复的键 {ident!r}（首次出现于第{seen[ident]}行）")
            else:
                dups += 1
            continue
        seen[ident] = rownum
        items.append((d, rownum))
    if dups:
        log.notes.append(f"{name}：{dups} 行与前面的行重复（相同 {'/'.join(required)}），已合并")
    return items


# ===================================================================================== onto the graph
_KEY_BAD = re.compile(r"[\s/\\?#]+")


def text_key(text: str) -> str:
    """A node key from free text (chain names, product names): whitespace and / \\ ? # become _."""
    return _KEY_BAD.sub("_", text.strip()).strip("_")[:128]


_NODE_FILE = {Label.Enterprise: "enterprises", Label.Segment: "segments"}


def plan_dataset(b: Build, data: InterchangeData, *, partial: bool = False) -> None:
    """Add the dataset's nodes and relations to the import's plan. `partial`: some files had problems — plan only
    the files that were read cleanly, and links only where their ends' files were too, so that the writer's checks
    still report every other problem in the same pass (and none that a broken file would cause)."""
    ok = (lambda stem: stem in data.loaded) if partial else (lambda stem: True)
    for stem in INTERCHANGE_FILES:
        if stem in data.rows:
            b.file_rows[f"{stem}.csv"] = (f"数据交换格式 {stem}", len(data.rows[stem]))
    if ok("segments"):
        _segments(b, data, _chains(b, data))
    if ok("enterprises"):
        _enterprises(b, data)
    product_key = {p["product"]: text_key(p["product"]) for p in data.products}
    stored = b.store.existing_keys(Label.Product.value, set(product_key.values()))
    for p, row in data.numbered("products"):
        k = product_key[p["product"]]
        if k not in stored and (Label.Product.value, k) not in b.plan.nodes:
            _text_node(b, Label.Product, k, p["product"], Loc("products.csv", row), "product")
    for stem, rtype, (sl, sf), (dl, df), prop_names in LINKS:
        if not (ok(stem) and all(ok(_NODE_FILE[lab]) for lab in (sl, dl) if lab in _NODE_FILE)):
            continue
        for item, row in data.numbered(stem):
            props = {x: item[x] for x in prop_names if item.get(x) is not None} | {"source": f"{stem}.csv"}
            dst = product_key[item[df]] if dl is Label.Product else item[df]
            b.add_rel(RelRec(rtype, sl.value, item[sf], dl.value, dst, props), Loc(f"{stem}.csv", row), sf, df)


def _text_node(b: Build, label: Label, key: str, text: str, loc: Loc, column: str) -> None:
    """A chain or product named by free text in `column`."""
    obj, probs = validate(label, {"key": key, "name": text}, loc)
    if obj is None:
        b.log.problems.extend(Problem(p.file, p.row, column, p.message) for p in probs)
    else:
        b.add_node(obj, loc, loc.file, column)


def _chains(b: Build, data: InterchangeData) -> dict[str, str]:
    """Chain text → key: a stored chain whose key, name or alias is the text is reused, otherwise one is created."""
    by_text: dict[str, str] = {}
    for k, p in b.store.iter_nodes(Label.IndustryChain.value):
        for t in [k, p.get("name"), *(p.get("aliases") or [])]:
            if t:
                by_text.setdefault(t, k)
    chain_key: dict[str, str] = {}
    created: list[str] = []
    for s, row in data.numbered("segments"):
        text = s["chain"]
        if text in chain_key:
            continue
        chain_key[text] = by_text.get(text) or text_key(text)
        if text not in by_text and (Label.IndustryChain.value, chain_key[text]) not in b.plan.nodes:
            _text_node(b, Label.IndustryChain, chain_key[text], text, Loc("segments.csv", row), "chain")
            created.append(text)
    if created:
        b.log.notes.append(f"segments.csv：新建产业链 {len(created)} 条（{'、'.join(created[:10])}"
                           f"{' …' if len(created) > 10 else ''}）")
    return chain_key


def _segments(b: Build, data: InterchangeData, chain_key: dict[str, str]) -> None:
    b.log.header_maps["segments.csv"] = {"key": "id", "parent": "parent_id"}
    ids = {s["id"] for s in data.segments}
    b.fetch_existing(Label.Segment, list(ids))
    parents = ids | b.store.existing_keys(Label.Segment.value, {s["parent_id"] for s in data.segments if "parent_id" in s} - ids)
    unknown_parent = 0
    for s, row in data.numbered("segments"):
        d = {"key": s["id"], "name": s["name"], "chain": chain_key[s["chain"]]}
        if "stream" in s:
            d["stream"] = s["stream"]
        if "parent_id" in s:
            if s["parent_id"] in parents:
                d["parent"] = s["parent_id"]
            else:
                unknown_parent += 1
        _node(b, Label.Segment, d, Loc("segments.csv", row), optional={"stream", "parent"})
    if unknown_parent:
        b.log.notes.append(f"segments.csv：{unknown_parent} 个 parent_id 不是已知环节，已忽略")


def _enterprises(b: Build, data: InterchangeData) -> None:
    columns: dict[str, str] = {}  # column → field
    ignored = []
    for c in sorted({c for e in data.enterprises for c in e} - {"id", "name"}):
        fname, _, prob = resolve_header(Label.Enterprise, c)
        if fname and not prob and fname not in ("key", "name", "source", "synthetic"):
            columns[c] = fname
        else:
            ignored.append(c)
    if ignored:
        b.log.notes.append(f"enterprises.csv：忽略模型之外的列 {', '.join(ignored)}")
    b.log.header_maps["enterprises.csv"] = {"key": "id", **{f: c for c, f in columns.items()}}
    optional = set(columns.values()) - {"uscc"}  # a wrong USCC is an error, not noise to drop
    region = _region_resolver(b, {e[c] for e in data.enterprises for c, f in columns.items() if f == "region" and c in e})
    b.fetch_existing(Label.Enterprise, [e["id"] for e in data.enterprises])
    specs = node_specs(Label.Enterprise)
    unknown_regions: list[str] = []
    for e, row in b.log.rows(data.numbered("enterprises"), "enterprises.csv"):
        d = {"key": e["id"], "name": e["name"]}
        for c, fname in columns.items():
            if c not in e:
                continue
            if fname == "region":
                r = region(e[c])
                if r is None:
                    unknown_regions.append(str(e[c]))
                else:
                    d["region"] = r
                continue
            try:
                val, _ = specs[fname].convert(e[c])
            except ValueError:
                b.log.conversion("enterprises.csv", c, "无法解析，已忽略", row, e[c], None)
                continue
            if val is not None:
                d[fname] = val
        _node(b, Label.Enterprise, d, Loc("enterprises.csv", row), optional)
    if unknown_regions:
        examples = "、".join(list(dict.fromkeys(unknown_regions))[:3])
        b.log.notes.append(f"enterprises.csv：{len(unknown_regions)} 个地区不是已知行政区（如 {examples}），未设置 region")


def _region_resolver(b: Build, values: set[str]) -> Callable[[str], str | None]:
    """Region text → Region key when it is a known key (store or this import) or the unique name of one."""
    known = b.store.existing_keys(Label.Region.value, values) if values else set()
    known |= {k for (lab, k) in b.plan.nodes if lab == Label.Region.value and k in values}
    names: dict[str, str | None] = {}  # name → key; None when two regions share the name
    if values - known:
        for k, p in b.store.iter_nodes(Label.Region.value):
            names[p.get("name")] = None if p.get("name") in names else k
        for (lab, k), rec in b.plan.nodes.items():
            if lab == Label.Region.value:
                n = rec.props.get("name")
                names[n] = None if n in names and names[n] != k else k
    return lambda v: v if v in known else names.get(v)


def _node(b: Build, label: Label, d: dict[str, Any], loc: Loc, optional: set[str]) -> None:
    """Validate one node; a bad optional value is dropped with a note, a bad id, name or USCC is a problem."""
    merge_stored(label, d, b.existing[label.value].get(d["key"]), set(d))
    obj, probs = validate(label, d, loc)
    columns = b.log.header_maps[loc.file or ""]
    if probs and all(p.field in optional for p in probs):
        for f in {p.field for p in probs}:
            b.log.conversion(loc.file or "", columns.get(f, f), "取值无效，已忽略", loc.row or 0, d.pop(f, None), None)
        obj, probs = validate(label, d, loc)
    if obj is None:
        b.log.problems.extend(probs)
        b.row_failed(label, d, loc)
    else:
        b.add_node(obj, loc, loc.file, columns.get("key", "key"))
