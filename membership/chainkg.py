"""Adapter: the public ChainKnowledgeGraph files (../shared/datasets/chainkg) → the dataset interchange format.

Run at evaluation time into a temporary or output folder; the raw files and everything derived from them stay
out of the repository.

Mapping
- enterprises.csv: every company seen in company.jsonl, company_industry.jsonl or company_product.csv. The three
  spellings of a stock code (`301079`, `600373.SH`, `688268SH`, also lower case) become one id `NNNNNN.EX`; a
  code without exchange gets it from its first digit (6/9 → SH, 0/2/3 → SZ, 4/8 → BJ; an explicit suffix never
  contradicts this rule in the data). company.jsonl has 68 rows with an already seen code (renamed firms, rows
  whose fields are shifted, e.g. 688096 京源环保 paired with 大连港's full name): the first row wins. name = short name from
  company.jsonl (else company_industry's company_name), full_name = full name, listed = listing date (`time`,
  kept only when it is a date: 86 rows carry the exchange name there), board = the listing board read from the
  code (`listing_board`: 主板/中小板/创业板/科创板/B股/北交所).
- segments.csv: Shenwan L3 industries (codes not ending in 00) from industry.jsonl and company_industry.jsonl —
  the two disagree for a few codes (e.g. 610202 玻纤制造 vs 玻璃制造, 8 codes only in company_industry);
  memberships use company_industry's codes, so its names win. chain = the L1 name, parent_id = the L2 code,
  keywords = the L2 name.
- memberships.csv: company_industry.jsonl (one L3 industry per firm).
- products.csv: company_product.csv (weight = revenue share as given; elimination items such as 分部间抵销
  carry negative weights and are kept — the recommender clips weights).
- product_links.csv (ChainMatch extension of the format): product_product.csv as it is.
- segment_links.csv: industry_upstream.jsonl, names mapped to codes through both name lists; pairs seen fewer
  than `min_upstream_count` times are dropped (the file is noisy: 大众出版 ← 磷肥及磷化工 …).
- supplies.csv: not written — the data has no firm-to-firm relation (product_product links products, not
  firms; deriving "A makes an input of B's product" would be a guess, not a supply fact).

Leakage note for the hold-out protocol: industry_upstream counts are segment-to-segment aggregates; they never
name a firm, and a firm with no visible membership and no supplies gets no structure signal from them.
"""
from __future__ import annotations

import csv
import json
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from membership.dataset import Dataset, read_dataset, write_csv

RAW_FILES = ("company.jsonl", "company_industry.jsonl", "industry.jsonl", "industry_parent.jsonl",
             "company_product.csv", "product_product.csv", "industry_upstream.jsonl")
_CODE_RE = re.compile(r"^(\d{6})(SH|SZ|BJ)?$")


def default_raw_dir(repo_root: str | Path | None = None) -> Path:
    """../shared/datasets/chainkg relative to the repository root."""
    root = Path(repo_root) if repo_root else Path(__file__).resolve().parents[1]
    return root.parent / "shared" / "datasets" / "chainkg"


def available(raw_dir: str | Path | None = None) -> bool:
    d = Path(raw_dir) if raw_dir else default_raw_dir()
    return all((d / f).is_file() for f in RAW_FILES)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def listing_board(code: str) -> str:
    """The board a normalised code `NNNNNN.EX` is listed on, from its prefix ("" if none applies)."""
    d = code[:6]
    if d.startswith(("688", "689")):
        return "科创板"
    if d.startswith(("300", "301")):
        return "创业板"
    if d.startswith(("002", "003", "004")):
        return "中小板"
    if d.startswith(("000", "001", "600", "601", "603", "605")):
        return "主板"
    if d.startswith(("200", "900")):
        return "B股"
    if code.endswith(".BJ"):
        return "北交所"
    return ""


def normalise_code(raw: str) -> str | None:
    """`301079`, `600373.SH`, `688268SH`, `600000.sh` → `NNNNNN.EX`; None if it is no stock code."""
    c = (raw or "").strip().upper().replace(".", "")
    m = _CODE_RE.match(c)
    if not m:
        return None
    digits, ex = m.group(1), m.group(2)
    if ex is None:
        ex = "SH" if digits[0] in "69" else "SZ" if digits[0] in "023" else "BJ"
    return f"{digits}.{ex}"


@dataclass
class ExportReport:
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"chainkg → {self.folder}"] + [f"  {k}: {v}" for k, v in self.counts.items()]
        return "\n".join(lines + [f"  注意: {n}" for n in self.notes])


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _date_or_blank(value) -> str:
    v = str(value or "").strip()
    return v if _DATE_RE.match(v) else ""


def _clean_name(name: str) -> str:
    return name.rstrip("ⅠⅡⅢ").strip()


def export_chainkg(raw_dir: str | Path, out_dir: str | Path, *, min_upstream_count: int = 2) -> ExportReport:
    """Write the interchange format for the chainkg files into out_dir (created if needed)."""
    raw, out = Path(raw_dir), Path(out_dir)
    missing = [f for f in RAW_FILES if not (raw / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{raw} 中缺少 chainkg 文件：{', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    rep = ExportReport(out)
    seg = _export_segments(raw, out, rep)
    _export_enterprises(raw, out, rep, seg)
    _export_links(raw, out, rep, seg, min_upstream_count)
    return rep


@dataclass
class _Segments:
    """The level-3 industries (segments) as exported, and what the later steps look them up by."""

    l3: list[str]
    industries: dict[str, str]
    seg_name: dict[str, str]
    ci_rows: list[dict]


def _export_segments(raw: Path, out: Path, rep: ExportReport) -> _Segments:
    """segments.csv: the level-3 industries with their chain (level 1), parent (level 2) and keywords."""
    industries = {r["code"]: r["name"] for r in _jsonl(raw / "industry.jsonl")}
    parent_of = {r["from_code"]: r["to_code"] for r in _jsonl(raw / "industry_parent.jsonl")}
    ci_rows = _jsonl(raw / "company_industry.jsonl")
    ci_names: dict[str, Counter] = defaultdict(Counter)
    for r in ci_rows:
        ci_names[r["industry_code"]][r["industry_name"]] += 1
    l3 = sorted({c for c in industries if not c.endswith("00")} | set(ci_names))
    seg_name = {c: (ci_names[c].most_common(1)[0][0] if c in ci_names else industries[c]) for c in l3}
    name_disagree = sum(1 for c in l3 if c in industries and c in ci_names and industries[c] != seg_name[c])
    seg_rows = []
    for c in l3:
        l2 = parent_of.get(c) or c[:4] + "00"
        l1 = parent_of.get(l2) or c[:2] + "0000"
        chain = industries.get(l1, l1)
        seg_rows.append((c, seg_name[c], chain, l2, _clean_name(industries.get(l2, ""))))
    rep.counts["segments"] = write_csv(out / "segments.csv", ["id", "name", "chain", "parent_id", "keywords"], seg_rows)
    if name_disagree or len(set(ci_names) - set(industries)):
        rep.notes.append(f"industry.jsonl 与 company_industry 的行业名不一致 {name_disagree} 个、"
                         f"仅见于 company_industry 的代码 {len(set(ci_names) - set(industries))} 个（以 company_industry 为准）")
    return _Segments(l3, industries, seg_name, ci_rows)


def _export_enterprises(raw: Path, out: Path, rep: ExportReport, seg: _Segments) -> None:
    """enterprises.csv, memberships.csv and products.csv; codes normalised, unreadable codes counted."""
    ci_rows = seg.ci_rows
    bad_codes: Counter = Counter()
    ents: dict[str, dict[str, str]] = {}
    dup = 0
    for r in _jsonl(raw / "company.jsonl"):
        cid = normalise_code(r.get("code", ""))
        if cid is None:
            bad_codes[r.get("code", "")] += 1
            continue
        if cid in ents:
            dup += 1
            continue
        ents[cid] = {"name": (r.get("name") or "").strip(), "full_name": (r.get("fullname") or "").strip(),
                     "listed": _date_or_blank(r.get("time"))}
    memberships = set()
    from_ci = 0
    for r in ci_rows:
        cid = normalise_code(r.get("company_code", ""))
        if cid is None:
            bad_codes[r.get("company_code", "")] += 1
            continue
        if cid not in ents or not ents[cid]["name"]:
            from_ci += cid not in ents
            ents[cid] = {"name": r.get("company_name", "").strip() or cid, "full_name": "", "listed": ""}
        memberships.add((cid, r["industry_code"]))
    products = []
    with open(raw / "company_product.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            cid = normalise_code(r.get("company_code", ""))
            name = (r.get("product_name") or "").strip()
            if cid is None:
                bad_codes[r.get("company_code", "")] += 1
                continue
            if not name:
                continue
            if cid not in ents:
                ents[cid] = {"name": cid, "full_name": "", "listed": ""}
            products.append((cid, name, (r.get("weight") or "").strip()))
    rep.counts["enterprises"] = write_csv(
        out / "enterprises.csv", ["id", "name", "full_name", "listed", "board"],
        ((k, v["name"], v["full_name"], v["listed"], listing_board(k)) for k, v in sorted(ents.items())))
    rep.counts["memberships"] = write_csv(out / "memberships.csv", ["enterprise_id", "segment_id"], sorted(memberships))
    rep.counts["products"] = write_csv(out / "products.csv", ["enterprise_id", "product", "weight"], products)
    rep.notes.append(f"company.jsonl 重复代码 {dup} 行（保留首行）；仅见于 company_industry 的企业 {from_ci} 家")
    if bad_codes:
        rep.notes.append(f"无法识别的公司代码 {sum(bad_codes.values())} 行：{list(bad_codes)[:5]}")


def _export_links(raw: Path, out: Path, rep: ExportReport, seg: _Segments, min_upstream_count: int) -> None:
    """product_links.csv (extension) and segment_links.csv (industry_upstream pairs seen often enough)."""
    l3, industries, seg_name = seg.l3, seg.industries, seg.seg_name
    with open(raw / "product_product.csv", encoding="utf-8", newline="") as fh:
        pl = [(r["from_product"].strip(), r["to_product"].strip(), r.get("rel", "").strip())
              for r in csv.DictReader(fh) if r.get("from_product", "").strip() and r.get("to_product", "").strip()]
    rep.counts["product_links"] = write_csv(out / "product_links.csv", ["from_product", "to_product", "rel"], pl)

    by_name: dict[str, str] = {}
    for c in l3:
        for n in (industries.get(c), seg_name[c]):
            if n:
                by_name.setdefault(n, c)
                by_name.setdefault(_clean_name(n), c)
    links = Counter()
    unmapped = Counter()
    for r in _jsonl(raw / "industry_upstream.jsonl"):
        down = by_name.get(r["industry"]) or by_name.get(_clean_name(r["industry"]))
        for up_name, cnt in (r.get("ups") or {}).items():
            up = by_name.get(up_name) or by_name.get(_clean_name(up_name))
            if down is None or up is None:
                unmapped[up_name if up is None else r["industry"]] += 1
                continue
            if up != down:
                links[(up, down)] += int(cnt)
    kept = sorted(k for k, v in links.items() if v >= min_upstream_count)
    rep.counts["segment_links"] = write_csv(out / "segment_links.csv", ["upstream_id", "downstream_id"], kept)
    rep.notes.append(f"industry_upstream: {len(links)} 对行业，保留出现 ≥{min_upstream_count} 次的 {len(kept)} 对；"
                     f"无法对应代码的名称 {len(unmapped)} 个")
    rep.notes.append("supplies.csv 未生成：数据中没有企业间供货关系")


def load_chainkg(raw_dir: str | Path | None = None, *, min_upstream_count: int = 2) -> Dataset:
    """Convert into a temporary folder and read it back (nothing is left on disk)."""
    raw = Path(raw_dir) if raw_dir else default_raw_dir()
    with tempfile.TemporaryDirectory(prefix="chainkg-") as tmp:
        export_chainkg(raw, tmp, min_upstream_count=min_upstream_count)
        ds = read_dataset(tmp)
    object.__setattr__(ds, "name", "chainkg")
    return ds
