"""政策兑现: the incentive calculator over policy rules kept as data, and the 免申即享 push list.

The rules live in seed_data/facts/policies.json, written down by hand from the public documents: each document
with its 文号, issuer, effective dates, version, scope (where the firm must be registered), exclusions and its
duplicate rule; each item with its article, the conditions in the article's own words and a formula of one of a
few closed kinds (no expressions are evaluated):

  fixed         a fixed amount, optionally split between recipients (企业 / 企业管理层)
  rate          base × rate, optionally capped, optionally per deal (每单) or with rate and cap chosen by a fact
  tiered_rate   base × the rate of the tier the base falls in (tiers may be borrowed from another item × factor)
  tiered_fixed  the amount of the tier the base falls in
  lookup        an amount per choice (国家级 50 / 省级 30), summed over a list of choices when per_each
  per_unit      count × amount per unit
  sum           the sum of several base × rate terms, capped

Money is Decimal throughout, and every amount is in the currency of its base figure (万元 for the 2019 innovation
policy, 万美元 for the FDI rewards); tier edges compare exactly (500 万美元 is in the 500–1000 tier).

`calculate` answers, for one enterprise's or project's facts: which items apply, the amount of each, the formula
and the computation with the numbers, and the article; items that do not apply say why (the failed condition with
the value given), items that need more facts say which. Within a document whose rule is 就高不重复 only the
highest of the overlapping items of one group is granted; under 就高补差 what was already received for an item is
deducted.

`push` (免申即享, 智能推送、企业确认) finds, for one item, the enterprises and projects in the analytic snapshot that
qualify on what the graph knows, with their amounts, and those that need the firm to confirm facts the graph
does not hold. It reads the snapshot only.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from graph.snapshot import Snapshot
from kernel.sparse import first_index
from kernel.errors import Invalid, NotFound

RULES_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "facts" / "policies.json"
CENT = Decimal("0.0001")  # amounts are in 万 (万元 / 万美元): four decimals = one 元 / one dollar
FACT_TYPES = ("number", "number_list", "integer", "ratio", "bool", "choice", "choice_list", "text")
FORMULA_KINDS = ("fixed", "rate", "tiered_rate", "tiered_fixed", "lookup", "per_unit", "sum")
OPS = ("==", "!=", ">=", ">", "<=", "<", "in", "not_in", "is_true", "is_false")
DERIVED_OPS = ("increase", "ratio", "product")
STATUS_CN = {
    "applies": "适用",
    "duplicate": "就高不重复（未计）",
    "not_applicable": "不符合条件",
    "out_of_scope": "不在实施范围",
    "excluded": "排除",
    "missing_facts": "缺少信息",
    "not_in_force": "不在有效期",
}


class RulesError(ValueError):
    """The rules file is malformed; the message names the item and the field."""


class FactsError(Invalid, ValueError):
    """Facts given to the calculator are invalid; `problems` lists (field, Chinese message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"字段 {f}: {m}" for f, m in problems),
                         errors=[{"field": f, "message": m} for f, m in problems])

    @property
    def detail(self) -> str:
        return f"字段 {self.problems[0][0]}: {self.problems[0][1]}" if self.problems else self.message


# ============================================================================================== numbers
def dec(v: Any) -> Decimal:
    """A number from the rules file or the facts as an exact Decimal (floats through their shortest text)."""
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        raise InvalidOperation
    if isinstance(v, (int, float)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    else:
        d = Decimal(str(v).strip())
    if not d.is_finite():  # NaN / Infinity (JSON parsers accept them) are not amounts
        raise InvalidOperation
    return d


def money(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(d: Decimal) -> str:
    """Decimal as plain text without trailing zeros or exponent: 135.0000 → '135', 7.5 → '7.5'."""
    d = d.normalize()
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d, "f")


def grouped(d: Decimal) -> str:
    """Thousands-separated for explanations: 12000 → '12,000'."""
    t = plain(d)
    head, _, tail = t.partition(".")
    sign = "-" if head.startswith("-") else ""
    head = head.lstrip("-")
    head = f"{int(head):,}"
    return sign + head + ("." + tail if tail else "")


def pct(rate: Decimal) -> str:
    """0.045 → '4.5%', 0.001 → '1‰'."""
    if rate < Decimal("0.01") and (rate * 1000) == (rate * 1000).to_integral_value():
        return f"{plain(rate * 1000)}‰"
    return f"{plain(rate * 100)}%"


# ============================================================================================== the rules
@dataclass(frozen=True)
class FactSpec:
    name: str
    label: str
    type: str
    unit: str | None = None
    choices: tuple[str, ...] = ()
    help: str | None = None
    derived: tuple[str, list[str]] | None = None  # (op, args) for derived facts

    def as_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "label": self.label, "type": self.type, "unit": self.unit,
               "choices": list(self.choices) or None, "help": self.help}
        if self.derived:
            out["derived_from"] = {"op": self.derived[0], "args": self.derived[1]}
        return out


@dataclass(frozen=True)
class Document:
    key: str
    doc_no: str | None
    title: str
    issuer: str | None
    issued_on: dt.date | None
    in_force_from: dt.date | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    version: str
    region: str | None
    currency: str
    duplicate_rule: str
    scope: dict[str, Any] | None
    requires: tuple[dict[str, Any], ...]
    exclusions: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    source: str

    @property
    def cite(self) -> str:
        return f"{self.title}（{self.doc_no}）" if self.doc_no else self.title


@dataclass(frozen=True)
class Item:
    key: str
    doc: Document
    article: str
    name: str
    group: str | None
    amount_kind: str  # exact | up_to (原文“最高”“不超过”)
    conditions: tuple[dict[str, Any], ...]
    formula: dict[str, Any]
    text: str
    notes: tuple[str, ...] = ()

    @property
    def currency(self) -> str:
        return self.doc.currency


@dataclass
class RuleBook:
    version: str
    facts: dict[str, FactSpec]
    documents: dict[str, Document]
    items: dict[str, Item]  # in file order
    source: str = ""
    # per item: what it reads and its formula in words — fixed once loaded, asked for once per subject by push()
    _derived: dict[tuple[str, str], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, what: str, item: Item, make: Any) -> Any:
        key = (what, item.key)
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    def item(self, key: str) -> Item:
        try:
            return self.items[key]
        except KeyError:
            raise KeyError(f"政策条款 {key!r} 不存在") from None

    def fact_label(self, name: str) -> str:
        f = self.facts.get(name)
        return f.label if f else name

    def item_facts(self, item: Item) -> list[str]:
        """Every fact an item reads (scope, document conditions, conditions, formula), derived ones expanded."""
        return list(self.memo("facts", item, lambda: self._item_facts(item)))

    def _item_facts(self, item: Item) -> list[str]:
        names: list[str] = []
        doc = item.doc
        if doc.scope:
            names.append(doc.scope["fact"])
        for c in (*doc.requires, *doc.exclusions, *item.conditions):
            names.extend(_condition_facts(c))
        names.extend(_formula_facts(item.formula))
        out: list[str] = []
        for n in names:
            spec = self.facts.get(n)
            for m in (spec.derived[1] if spec and spec.derived else [n]):
                if m not in out:
                    out.append(m)
        return out


def _date(v: Any, where: str) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise RulesError(f"{where}: 日期应为 YYYY-MM-DD，实际 {v!r}") from None


def _condition_facts(c: dict[str, Any]) -> list[str]:
    if "any" in c:
        return [f for sub in c["any"] for f in _condition_facts(sub)]
    return [c["fact"]]


def _formula_facts(f: dict[str, Any]) -> list[str]:
    out = []
    for k in ("base", "fact", "count", "by"):
        if k in f:
            out.append(f[k])
    for t in f.get("terms", []):
        out.append(t["base"])
    return out


def load_rules(path: str | Path | None = None) -> RuleBook:
    """Read and check the rules file; a malformed rule raises RulesError naming the item and field."""
    p = Path(path) if path else RULES_FILE
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RulesError(f"{p.name} 不是合法 JSON：第 {e.lineno} 行第 {e.colno} 列 {e.msg}") from None
    return build_rules(raw)


def build_rules(raw: dict[str, Any]) -> RuleBook:
    facts: dict[str, FactSpec] = {}
    for name, f in raw.get("facts", {}).items():
        if f.get("type") not in FACT_TYPES:
            raise RulesError(f"facts.{name}: type 应为 {'/'.join(FACT_TYPES)}，实际 {f.get('type')!r}")
        if f["type"] in ("choice", "choice_list") and not f.get("choices"):
            raise RulesError(f"facts.{name}: 选择类事实需要 choices")
        facts[name] = FactSpec(name, f.get("label") or name, f["type"], f.get("unit"), tuple(f.get("choices") or ()),
                               f.get("help"))
    for name, d in raw.get("derived", {}).items():
        if d.get("op") not in DERIVED_OPS or len(d.get("args") or []) != 2:
            raise RulesError(f"derived.{name}: op 应为 {'/'.join(DERIVED_OPS)} 且 args 为两个事实")
        for a in d["args"]:
            if a not in facts:
                raise RulesError(f"derived.{name}: 引用了未定义的事实 {a!r}")
        facts[name] = FactSpec(name, d.get("label") or name, "ratio" if d["op"] == "ratio" else "number", d.get("unit"),
                               derived=(d["op"], list(d["args"])))
    docs: dict[str, Document] = {}
    for d in raw.get("documents", []):
        w = f"documents.{d.get('key')}"
        if d.get("duplicate_rule") not in ("就高不重复", "就高补差"):
            raise RulesError(f"{w}.duplicate_rule: 应为 就高不重复 或 就高补差")
        doc = Document(
            key=d["key"], doc_no=d.get("doc_no"), title=d["title"], issuer=d.get("issuer"),
            issued_on=_date(d.get("issued_on"), w), in_force_from=_date(d.get("in_force_from"), w),
            effective_from=_date(d.get("effective_from"), w), effective_to=_date(d.get("effective_to"), w),
            version=d["version"], region=d.get("region"), currency=d["currency"], duplicate_rule=d["duplicate_rule"],
            scope=d.get("scope"), requires=tuple(d.get("requires") or ()), exclusions=tuple(d.get("exclusions") or ()),
            notes=tuple(d.get("notes") or ()), source=d.get("source") or "",
        )
        if doc.scope and doc.scope.get("fact") not in facts:
            raise RulesError(f"{w}.scope: 引用了未定义的事实 {doc.scope.get('fact')!r}")
        for c in (*doc.requires, *doc.exclusions):
            _check_condition(c, facts, w)
        docs[doc.key] = doc
    items: dict[str, Item] = {}
    for it in raw.get("items", []):
        w = f"items.{it.get('key')}"
        if it.get("key") in items:
            raise RulesError(f"{w}: 重复的条款 key")
        if it.get("doc") not in docs:
            raise RulesError(f"{w}.doc: 未知文件 {it.get('doc')!r}")
        if it.get("amount_kind") not in ("exact", "up_to"):
            raise RulesError(f"{w}.amount_kind: 应为 exact 或 up_to")
        for c in it.get("conditions", []):
            _check_condition(c, facts, w)
        _check_formula(it.get("formula") or {}, facts, w, raw.get("items", []))
        items[it["key"]] = Item(
            key=it["key"], doc=docs[it["doc"]], article=it["article"], name=it["name"], group=it.get("group"),
            amount_kind=it["amount_kind"], conditions=tuple(it.get("conditions") or ()), formula=it["formula"],
            text=it.get("text") or "", notes=tuple(it.get("notes") or ()),
        )
    return RuleBook(version=str(raw.get("version") or ""), facts=facts, documents=docs, items=items,
                    source=raw.get("source") or "")


def _check_condition(c: dict[str, Any], facts: dict[str, FactSpec], where: str) -> None:
    if "any" in c:
        for sub in c["any"]:
            _check_condition(sub, facts, where)
        return
    if c.get("fact") not in facts:
        raise RulesError(f"{where}: 条件引用了未定义的事实 {c.get('fact')!r}")
    if c.get("op") not in OPS:
        raise RulesError(f"{where}: 条件运算 {c.get('op')!r} 不支持（可用 {' '.join(OPS)}）")
    if c["op"] in (">=", ">", "<=", "<"):
        try:
            dec(c["value"])
        except (InvalidOperation, KeyError):
            raise RulesError(f"{where}: 条件 {c['fact']} 的阈值应为数字") from None
    if not c.get("text"):
        raise RulesError(f"{where}: 条件 {c['fact']} 需要原文 text")


def _check_formula(f: dict[str, Any], facts: dict[str, FactSpec], where: str, all_items: list[dict]) -> None:
    kind = f.get("kind")
    if kind not in FORMULA_KINDS:
        raise RulesError(f"{where}.formula.kind: 应为 {'/'.join(FORMULA_KINDS)}，实际 {kind!r}")
    for n in _formula_facts(f):
        if n not in facts:
            raise RulesError(f"{where}.formula: 引用了未定义的事实 {n!r}")
    try:
        for k in ("amount", "rate", "cap", "factor"):
            if k in f:
                dec(f[k])
        for t in f.get("tiers", []):
            for k in ("ge", "gt", "le", "lt", "rate", "amount"):
                if k in t:
                    dec(t[k])
        for t in f.get("terms", []):
            dec(t["rate"])
        for v in (f.get("table") or {}).values():
            if isinstance(v, dict):
                dec(v["rate"]), dec(v.get("cap", 0))
            elif isinstance(v, list):
                [dec(p["amount"]) for p in v]
            else:
                dec(v)
        for p in f.get("parts", []):
            dec(p["amount"])
    except (InvalidOperation, KeyError, TypeError):
        raise RulesError(f"{where}.formula: 金额、比例与档位界限应为数字") from None
    if kind == "fixed" and "amount" not in f and not f.get("parts"):
        raise RulesError(f"{where}.formula: fixed 需要 amount 或 parts")
    if kind in ("tiered_rate", "tiered_fixed") and not f.get("tiers") and not f.get("tiers_from"):
        raise RulesError(f"{where}.formula: 分档需要 tiers 或 tiers_from")
    if f.get("tiers_from") and not any(i.get("key") == f["tiers_from"] for i in all_items):
        raise RulesError(f"{where}.formula.tiers_from: 未知条款 {f['tiers_from']!r}")
    if kind == "lookup" and not f.get("table"):
        raise RulesError(f"{where}.formula: lookup 需要 table")
    if kind == "rate" and "rate" not in f and not f.get("table"):
        raise RulesError(f"{where}.formula: rate 需要 rate 或 by+table")


@lru_cache(maxsize=1)
def default_rules() -> RuleBook:
    """The shipped rules (seed_data/facts/policies.json), read once."""
    return load_rules()


# ============================================================================================== facts in
_TRUE = {"true", "1", "yes", "y", "是", "有", "√"}
_FALSE = {"false", "0", "no", "n", "否", "无", "×"}


def _number_text(t: str, spec: FactSpec) -> Decimal:
    """“1,200” · “3000万美元” · “1亿美元” (in a 万美元 fact) · “300万” / “300万元” (in a 万元 fact) → Decimal."""
    s = unicodedata.normalize("NFKC", t).strip().replace(",", "").replace(" ", "")
    unit = spec.unit or ""
    factor = Decimal(1)
    if unit and s.endswith(unit):
        s = s[: -len(unit)]
    elif unit.startswith("万") and s.endswith("亿" + unit[1:]):
        s, factor = s[: -len(unit)], Decimal(10000)
    elif unit.startswith("万") and s.endswith("万"):
        s = s[:-1]
    try:
        return dec(s) * factor
    except InvalidOperation:
        raise ValueError(f"应为数字（单位 {unit or '无'}），实际 {t!r}") from None


def parse_facts(book: RuleBook, raw: dict[str, Any]) -> dict[str, Any]:
    """Facts as the calculator uses them: numbers as Decimal, ratios in 0..1, booleans, checked choices.

    Unknown or derived names, wrong types and out-of-range values are all reported at once (FactsError)."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, v in raw.items():
        spec = book.facts.get(name)
        if spec is None:
            problems.append((name, "未知事实字段（可用字段见 GET /api/v1/incentives/facts）"))
            continue
        if spec.derived:
            problems.append((name, f"由 {'、'.join(spec.derived[1])} 计算得出，无需填写"))
            continue
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        try:
            out[name] = _fact_value(spec, v)
        except (ValueError, InvalidOperation) as e:
            msg = str(e) if isinstance(e, ValueError) and str(e) else f"应为数字，实际 {v!r}"
            problems.append((name, msg))
    if problems:
        raise FactsError(problems)
    return out


def _fact_value(spec: FactSpec, v: Any) -> Any:
    t = spec.type
    if t == "bool":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise ValueError(f"应为 是/否（true/false），实际 {v!r}")
    if t in ("number", "integer", "ratio"):
        if isinstance(v, bool):
            raise ValueError(f"应为数字，实际 {v!r}")
        d = _ratio(v) if t == "ratio" else (dec(v) if not isinstance(v, str) else _number_text(v, spec))
        if not d.is_finite():
            raise ValueError(f"应为数字，实际 {v!r}")
        if d < 0:
            raise ValueError(f"不能为负数，实际 {v!r}")
        if t == "integer" and d != d.to_integral_value():
            raise ValueError(f"应为整数，实际 {v!r}")
        return d
    if t == "number_list":
        vals = v if isinstance(v, (list, tuple)) else [p for p in str(v).replace("；", ";").split(";") if p.strip()]
        out = []
        for x in vals:
            d = _number_text(x, spec) if isinstance(x, str) else dec(x)
            if d < 0:
                raise ValueError(f"不能为负数，实际 {x!r}")
            out.append(d)
        return out
    if t == "choice":
        s = str(v).strip()
        if s not in spec.choices:
            raise ValueError(f"取值 {s!r} 不在可选范围（{'/'.join(spec.choices)}）")
        return s
    if t == "choice_list":
        vals = v if isinstance(v, (list, tuple)) else [p for p in str(v).replace("；", ";").replace("、", ";").split(";")]
        out = [str(x).strip() for x in vals if str(x).strip()]
        bad = [x for x in out if x not in spec.choices]
        if bad:
            raise ValueError(f"取值 {'、'.join(bad)} 不在可选范围（{'/'.join(spec.choices)}）")
        return out
    return str(v).strip()


def _ratio(v: Any) -> Decimal:
    if isinstance(v, str):
        s = unicodedata.normalize("NFKC", v).strip().replace(" ", "")
        if s.endswith("%"):
            return dec(s[:-1]) / 100
        if s.endswith("‰"):
            return dec(s[:-1]) / 1000
        d = dec(s)
    else:
        d = dec(v)
    if d > 1:
        raise ValueError(f"比例应在 0–1 之间（或写成百分数，如 75%），实际 {v!r}")
    return d


def _derive(book: RuleBook, facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts)
    for name, spec in book.facts.items():
        if not spec.derived:
            continue
        op, (a, b) = spec.derived
        if a not in facts or b not in facts:
            continue
        x, y = facts[a], facts[b]
        if op == "increase":
            out[name] = max(Decimal(0), x - y)
        elif op == "ratio":
            if y > 0:
                out[name] = x / y
        elif op == "product":
            out[name] = x * y
    return out


# ============================================================================================== the calculation
@dataclass
class ItemResult:
    item: Item
    status: str
    amount: Decimal | None = None  # granted (after 就高 / 补差)
    computed: Decimal | None = None  # what the formula gives before 就高 / 补差
    parts: list[tuple[str, Decimal]] = field(default_factory=list)
    formula: str = ""
    computation: str = ""
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evidence: int = 0  # conditions decided by a given fact (push uses it)
    touched: bool = False  # the subject's facts include something this item asks about (beyond where it registers)

    def as_dict(self, book: RuleBook) -> dict[str, Any]:
        it = self.item
        return {
            "item": it.key, "name": it.name, "document": it.doc.title, "doc_no": it.doc.doc_no, "article": it.article,
            "version": it.doc.version, "status": self.status, "status_cn": STATUS_CN[self.status],
            "amount": None if self.amount is None else plain(self.amount),
            "computed_amount": None if self.computed is None else plain(self.computed),
            "currency": it.currency, "amount_kind": it.amount_kind,
            "amount_kind_cn": "上限（最高）" if it.amount_kind == "up_to" else "按公式",
            "parts": [{"to": to, "amount": plain(a)} for to, a in self.parts],
            "formula": self.formula, "computation": self.computation, "reasons": self.reasons,
            "missing": [{"fact": m, "label": book.fact_label(m)} for m in self.missing],
            "notes": self.notes, "group": it.group, "text": it.text,
        }


@dataclass
class Calculation:
    on: dt.date
    results: list[ItemResult]

    def granted(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == "applies"]

    def totals(self) -> dict[str, dict[str, str]]:
        """Per currency: the exact total and the part that is an upper bound (原文“最高”)."""
        out: dict[str, dict[str, Decimal]] = {}
        for r in self.granted():
            t = out.setdefault(r.item.currency, {"total": Decimal(0), "exact": Decimal(0), "up_to": Decimal(0)})
            t["total"] += r.amount or 0
            t["exact" if r.item.amount_kind == "exact" else "up_to"] += r.amount or 0
        return {c: {k: plain(v) for k, v in t.items()} for c, t in out.items()}

    def as_dict(self, book: RuleBook, *, only_relevant: bool = False) -> dict[str, Any]:
        rows = [r for r in self.results if not only_relevant or r.status in ("applies", "duplicate") or r.touched]
        return {"on": self.on.isoformat(), "rules_version": book.version, "totals": self.totals(),
                "items": [r.as_dict(book) for r in rows]}


def calculate(book: RuleBook, facts: dict[str, Any], *, on: dt.date | None = None,
              already_received: dict[str, Any] | None = None, items: Iterable[str] | None = None,
              parsed: bool = False) -> Calculation:
    """Evaluate every item (or the given ones) for one subject's facts on a date (default today)."""
    on = on or dt.date.today()
    f = facts if parsed else parse_facts(book, facts)
    f = _derive(book, f)
    received: dict[str, Decimal] = {}
    problems = []
    for k, v in (already_received or {}).items():
        if k not in book.items:
            problems.append((f"already_received.{k}", "未知政策条款"))
            continue
        try:
            d = dec(v)
            if d < 0:
                raise InvalidOperation
            received[k] = d
        except (InvalidOperation, ValueError):
            problems.append((f"already_received.{k}", f"应为非负数字，实际 {v!r}"))
    keys = list(items) if items is not None else list(book.items)
    for k in keys:
        if k not in book.items:
            problems.append(("items", f"未知政策条款 {k!r}"))
    if problems:
        raise FactsError(problems)
    results = [evaluate_item(book, book.items[k], f, on) for k in keys]
    _apply_groups(results)
    _apply_received(results, received)
    return Calculation(on, results)


def _in_force(doc: Document, on: dt.date) -> str | None:
    if doc.effective_from and on < doc.effective_from:
        return f"{doc.cite} 所涉政策自 {doc.effective_from.isoformat()} 起执行，计算日期 {on.isoformat()} 早于此"
    if doc.effective_to and on > doc.effective_to:
        return f"{doc.cite} 已于 {doc.effective_to.isoformat()} 到期"
    return None


def _show(book: RuleBook, name: str, v: Any) -> str:
    spec = book.facts.get(name)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        if spec and spec.type == "ratio":
            return pct(v) if v != 0 else "0"
        return grouped(v) + (f" {spec.unit}" if spec and spec.unit else "")
    if isinstance(v, list):
        return "、".join(_show(book, name, x) for x in v) or "（空）"
    return str(v)


def _test(c: dict[str, Any], facts: dict[str, Any]) -> bool | None:
    """True / False, or None when the fact is not given."""
    if "any" in c:
        outs = [_test(s, facts) for s in c["any"]]
        if any(o is True for o in outs):
            return True
        return None if any(o is None for o in outs) else False
    v = facts.get(c["fact"])
    if v is None:
        return None
    op = c["op"]
    if op == "is_true":
        return v is True
    if op == "is_false":
        return v is False
    if op in ("in", "not_in"):
        hit = (any(x in c["value"] for x in v) if isinstance(v, list) else v in c["value"])
        return hit if op == "in" else not hit
    if op in ("==", "!="):
        return (v == c["value"]) if op == "==" else (v != c["value"])
    x, y = v, dec(c["value"])
    return {">=": x >= y, ">": x > y, "<=": x <= y, "<": x < y}[op]


def _condition_text(book: RuleBook, c: dict[str, Any], facts: dict[str, Any]) -> str:
    if "any" in c:
        return c["text"] + "（" + "；".join(_condition_text(book, s, facts) for s in c["any"]) + "）"
    v = facts.get(c["fact"])
    return f"{c['text']}（{book.fact_label(c['fact'])}：{'未提供' if v is None else _show(book, c['fact'], v)}）"


def evaluate_item(book: RuleBook, item: Item, facts: dict[str, Any], on: dt.date) -> ItemResult:
    """One item for one subject (facts already parsed and derived), before 就高 / 补差."""
    doc = item.doc
    r = ItemResult(item, "applies", formula=formula_text(book, item), notes=list(doc.notes) + list(item.notes))
    where = {doc.scope["fact"]} if doc.scope else set()
    r.touched = any(facts.get(n) is not None for n in book.item_facts(item) if n not in where)
    why = _in_force(doc, on)
    if why:
        r.status, r.reasons = "not_in_force", [why]
        return r
    missing: list[str] = []
    if doc.scope:
        v = facts.get(doc.scope["fact"])
        if v is None:
            missing.append(doc.scope["fact"])
        elif v not in doc.scope["in"]:
            r.status = "out_of_scope"
            r.reasons = [f"实施范围为{doc.scope['text']}；{book.fact_label(doc.scope['fact'])}为 {v}"]
            return r
    for c in doc.exclusions:
        t = _test(c, facts)
        if t is True:
            r.status, r.reasons = "excluded", [f"{c['text']}（{_condition_text(book, c, facts)}）"]
            return r
        if t is None:
            if c.get("if_missing") is False:
                r.notes.append(f"未提供“{book.fact_label(c['fact'])}”，按“否”计算")
            else:
                missing.extend(_condition_facts(c))
    failed: list[str] = []
    for c in (*doc.requires, *item.conditions):
        t = _test(c, facts)
        if t is False:
            failed.append(_condition_text(book, c, facts))
        elif t is None:
            missing.extend(f for f in _condition_facts(c) if facts.get(f) is None)
        else:
            r.evidence += 1
    if failed:
        r.status, r.reasons = "not_applicable", ["不满足：" + x for x in failed]
        return r
    try:
        amount, parts, computation = _compute(book, item, facts)
    except _Missing as m:
        missing.extend(m.names)
        amount = None
    except _NoTier as e:
        r.status, r.reasons = "not_applicable", [str(e)]
        return r
    if missing:
        expanded: list[str] = []
        for n in missing:
            spec = book.facts.get(n)
            for m in (spec.derived[1] if spec and spec.derived else [n]):
                if facts.get(m) is None and m not in expanded:
                    expanded.append(m)
        r.status, r.missing = "missing_facts", expanded
        r.reasons = ["需补充：" + "、".join(book.fact_label(m) for m in expanded)]
        return r
    r.computed = r.amount = amount
    r.parts = parts
    r.computation = computation
    return r


class _Missing(Exception):
    def __init__(self, names: list[str]):
        self.names = names


class _NoTier(Exception):
    pass


def _need(facts: dict[str, Any], *names: str) -> list[Any]:
    miss = [n for n in names if facts.get(n) is None]
    if miss:
        raise _Missing(miss)
    return [facts[n] for n in names]


def _tiers(book: RuleBook, item: Item) -> tuple[list[dict[str, Any]], Decimal]:
    f = item.formula
    factor = dec(f.get("factor", 1))
    if f.get("tiers_from"):
        return book.items[f["tiers_from"]].formula["tiers"], factor
    return f["tiers"], factor


def _tier_of(tiers: list[dict[str, Any]], x: Decimal) -> dict[str, Any] | None:
    for t in tiers:
        if "ge" in t and not x >= dec(t["ge"]):
            continue
        if "gt" in t and not x > dec(t["gt"]):
            continue
        if "lt" in t and not x < dec(t["lt"]):
            continue
        if "le" in t and not x <= dec(t["le"]):
            continue
        return t
    return None


def _compute(book: RuleBook, item: Item, facts: dict[str, Any]) -> tuple[Decimal, list[tuple[str, Decimal]], str]:
    """(amount, parts by recipient, the computation with the numbers)."""
    f = item.formula
    cur = item.currency
    kind = f["kind"]
    if kind == "fixed":
        parts = [(p["to"], dec(p["amount"])) for p in f.get("parts", [])] or [("企业", dec(f["amount"]))]
        total = sum((a for _, a in parts), Decimal(0))
        return money(total), parts, _parts_text(parts, cur)
    if kind == "rate":
        (base,) = _need(facts, f["base"])
        rate, cap = (dec(f["rate"]) if "rate" in f else None), (dec(f["cap"]) if "cap" in f else None)
        by_text = ""
        if f.get("by"):
            (choice,) = _need(facts, f["by"])
            row = f["table"][choice]
            rate, cap = dec(row["rate"]), dec(row["cap"]) if "cap" in row else None
            by_text = f"{choice}："
        bases = base if isinstance(base, list) else [base]
        if not bases:
            raise _NoTier(f"{book.fact_label(f['base'])}为空")
        total, steps = Decimal(0), []
        for b in bases:
            raw = money(b * rate)
            got = min(raw, cap) if cap is not None else raw
            step = f"{grouped(b)} {cur} × {pct(rate)} = {grouped(raw)} {cur}"
            if cap is not None and raw > cap:
                step += f"，超过上限 {grouped(cap)} {cur}，按 {grouped(cap)} {cur}"
            steps.append(step)
            total += got
        text = _derivation(book, f["base"], facts) + by_text + (
            "；".join(f"第{i}单 {s}" for i, s in enumerate(steps, 1)) if len(steps) > 1 else steps[0])
        if len(steps) > 1:
            text += f"；合计 {grouped(total)} {cur}"
        return money(total), [("企业", money(total))], text
    if kind in ("tiered_rate", "tiered_fixed"):
        (base,) = _need(facts, f["base"])
        tiers, factor = _tiers(book, item)
        t = _tier_of(tiers, base)
        if t is None:
            lows = [dec(x.get("ge", x.get("gt", 0))) for x in tiers if "ge" in x or "gt" in x]
            low = f"，低于最低档 {grouped(min(lows))} {_unit(book, f['base'])}" if lows and base < min(lows) else ""
            raise _NoTier(f"{book.fact_label(f['base'])} {_show(book, f['base'], base)} 不在任何奖励档位内{low}")
        if kind == "tiered_fixed":
            a = dec(t["amount"]) * factor
            return money(a), [("企业", money(a))], f"{_show(book, f['base'], base)} 属“{t['text']}”档：{grouped(a)} {cur}"
        rate = dec(t["rate"])
        tier_amount = money(base * rate)
        text = f"{_show(book, f['base'], base)} 属“{t['text']}”档：{grouped(base)} × {pct(rate)} = {grouped(tier_amount)} {cur}"
        if factor != 1:
            a = money(base * rate * factor)
            text += f"；× {pct(factor)} = {grouped(a)} {cur}"
            return a, [("企业", a)], text
        return tier_amount, [("企业", tier_amount)], text
    if kind == "lookup":
        (v,) = _need(facts, f["fact"])
        choices = v if isinstance(v, list) else [v]
        if not choices:
            raise _NoTier(f"{book.fact_label(f['fact'])}为空")
        parts: list[tuple[str, Decimal]] = []
        steps = []
        for ch in choices:
            row = f["table"].get(ch)
            if row is None:
                raise _NoTier(f"{book.fact_label(f['fact'])}“{ch}”不在本条款奖励范围内")
            rows = [(p["to"], dec(p["amount"])) for p in row] if isinstance(row, list) else [("企业", dec(row))]
            parts.extend(rows)
            steps.append(f"{ch}：{_parts_text(rows, cur)}")
        merged: dict[str, Decimal] = {}
        for to, a in parts:
            merged[to] = merged.get(to, Decimal(0)) + a
        total = sum(merged.values(), Decimal(0))
        text = "；".join(steps) + (f"；合计 {grouped(total)} {cur}" if len(steps) > 1 else "")
        return money(total), list(merged.items()), text
    if kind == "per_unit":
        (n,) = _need(facts, f["count"])
        unit_amount = dec(f["amount"])
        if n == 0:
            raise _NoTier(f"{book.fact_label(f['count'])}为 0")
        a = money(n * unit_amount)
        return a, [("企业", a)], f"{grouped(n)} × {grouped(unit_amount)} {cur} = {grouped(a)} {cur}"
    if kind == "sum":
        vals = _need(facts, *[t["base"] for t in f["terms"]])
        total, steps = Decimal(0), []
        for t, b in zip(f["terms"], vals):
            x = money(b * dec(t["rate"]))
            total += x
            steps.append(f"{t.get('text') or book.fact_label(t['base'])}：{grouped(b)} × {pct(dec(t['rate']))} = {grouped(x)}")
        text = "".join(_derivation(book, t["base"], facts) for t in f["terms"]) + "；".join(steps) + \
            f"；合计 {grouped(total)} {cur}"
        if "cap" in f and total > dec(f["cap"]):
            text += f"，超过上限 {grouped(dec(f['cap']))} {cur}，按 {grouped(dec(f['cap']))} {cur}"
            total = dec(f["cap"])
        return money(total), [("企业", money(total))], text
    raise AssertionError(kind)  # pragma: no cover - checked when the rules are loaded


def _derivation(book: RuleBook, name: str, facts: dict[str, Any]) -> str:
    """How a derived base was obtained, with the numbers: “（10,000 万元 × 4.35% = 435 万元）”."""
    spec = book.facts.get(name)
    if not spec or not spec.derived:
        return ""
    op, (a, b) = spec.derived
    sym = {"increase": "−", "ratio": "÷", "product": "×"}[op]
    return (f"{spec.label}：{_show(book, a, facts[a])} {sym} {_show(book, b, facts[b])} = "
            f"{_show(book, name, facts[name])}；")


def _unit(book: RuleBook, name: str) -> str:
    s = book.facts.get(name)
    return s.unit if s and s.unit else ""


def _parts_text(parts: list[tuple[str, Decimal]], cur: str) -> str:
    if len(parts) == 1:
        return f"{grouped(parts[0][1])} {cur}" + (f"（奖励{parts[0][0]}）" if parts[0][0] != "企业" else "")
    return "，".join(f"{to} {grouped(a)} {cur}" for to, a in parts) + \
        f"，共 {grouped(sum((a for _, a in parts), Decimal(0)))} {cur}"


def formula_text(book: RuleBook, item: Item) -> str:
    """The item's formula in words, with its units: “当年度实际利用外资 × 4.5%（万美元）”."""
    return book.memo("formula", item, lambda: _formula_text(book, item))


def _formula_text(book: RuleBook, item: Item) -> str:
    f = item.formula
    cur = item.currency
    k = f["kind"]
    lab = book.fact_label
    if k == "fixed":
        parts = [(p["to"], dec(p["amount"])) for p in f.get("parts", [])] or [("企业", dec(f["amount"]))]
        return ("最高 " if item.amount_kind == "up_to" else "") + _parts_text(parts, cur)
    if k == "rate":
        each = "（每单计算）" if f.get("per_each") else ""
        if f.get("by"):
            rows = "；".join(f"{ch} {pct(dec(r['rate']))}" + (f" 最高 {plain(dec(r['cap']))} {cur}" if "cap" in r else "")
                            for ch, r in f["table"].items())
            return f"{lab(f['base'])} × 比例（按{lab(f['by'])}：{rows}）"
        cap = f"，最高 {plain(dec(f['cap']))} {cur}" if "cap" in f else ""
        up = "不超过 " if item.amount_kind == "up_to" else ""
        return f"{lab(f['base'])} × {up}{pct(dec(f['rate']))}{cap}{each}"
    if k in ("tiered_rate", "tiered_fixed"):
        tiers, factor = _tiers(book, item)
        rows = "；".join(f"{t['text']} " + (pct(dec(t["rate"])) if k == "tiered_rate" else f"{plain(dec(t['amount']))} {cur}")
                        for t in tiers)
        fac = f"，再 × {pct(factor)}（第17小点制造业分档金额的{pct(factor)}）" if factor != 1 else ""
        return f"按{lab(f['base'])}分档：{rows}{fac}（金额单位 {cur}）" if k == "tiered_rate" else f"按{lab(f['base'])}分档：{rows}"
    if k == "lookup":
        rows = "；".join(f"{ch} " + (_parts_text([(p["to"], dec(p["amount"])) for p in v], cur) if isinstance(v, list)
                                    else f"{plain(dec(v))} {cur}") for ch, v in f["table"].items())
        return f"按{lab(f['fact'])}：{rows}" + ("（每项分别计算后相加）" if f.get("per_each") else "")
    if k == "per_unit":
        up = "最高 " if item.amount_kind == "up_to" else ""
        return f"{lab(f['count'])} × 每件（个）{up}{plain(dec(f['amount']))} {cur}"
    if k == "sum":
        terms = " + ".join(f"{lab(t['base'])} × {pct(dec(t['rate']))}" for t in f["terms"])
        cap = f"，最高 {plain(dec(f['cap']))} {cur}" if "cap" in f else ""
        return terms + cap
    return ""  # pragma: no cover


def _apply_groups(results: list[ItemResult]) -> None:
    """就高不重复: of the applying items of one group, only the highest is granted (the first on a tie)."""
    by_group: dict[str, list[ItemResult]] = {}
    for r in results:
        if r.status == "applies" and r.item.group and r.item.doc.duplicate_rule == "就高不重复":
            by_group.setdefault(r.item.group, []).append(r)
    for rows in by_group.values():
        if len(rows) < 2:
            continue
        best = max(rows, key=lambda r: r.computed or Decimal(0))  # max keeps the first of equals
        for r in rows:
            if r is not best:
                r.status = "duplicate"
                r.amount = Decimal(0)
                r.reasons.append(f"同一事项同时符合“{best.item.name}”（{grouped(best.computed or Decimal(0))} "
                                 f"{best.item.currency}），按“就高不重复”原则只享受较高者")


def _apply_received(results: list[ItemResult], received: dict[str, Decimal]) -> None:
    """就高补差: what was already received for an item (e.g. the provincial level before the national) is deducted."""
    for r in results:
        got = received.get(r.item.key)
        if got is None or r.status != "applies" or r.item.doc.duplicate_rule != "就高补差":
            continue
        before = r.amount or Decimal(0)
        r.amount = max(Decimal(0), before - got)
        r.parts = [("企业", r.amount)] if len(r.parts) <= 1 else r.parts
        r.computation += f"；已享受 {grouped(got)} {r.item.currency}，按就高补差原则补差 {grouped(r.amount)} {r.item.currency}"


# ============================================================================================== push (免申即享)
TAG_FACTS = {"上市": ("is_listed", True), "外资": ("foreign_invested", True),
             "高新技术": ("rd_subject_type", "国家高新技术企业")}


@dataclass
class PushEntry:
    kind: str  # Enterprise | Project
    key: str
    name: str
    status: str  # applies | missing_facts
    amount: Decimal | None
    computation: str
    missing: list[str]
    facts: dict[str, Any]


def _cat_value(snap: Snapshot, label: str, field: str, i: int) -> str | None:
    la = snap.labels[label]
    if field not in la.cat:
        return None
    codes, vocab = la.cat[field]
    c = int(codes[i])
    return None if c < 0 else str(vocab[c])


def _num_value(snap: Snapshot, label: str, field: str, i: int) -> Decimal | None:
    la = snap.labels[label]
    if field not in la.num:
        return None
    v = float(la.num[field][i])
    return None if v != v else dec(v)


def enterprise_facts(snap: Snapshot, i: int, parks: np.ndarray | None = None) -> dict[str, Any]:
    """What the graph knows of enterprise i in the calculator's terms (unknowns left out, never guessed as 否).
    `parks`: enterprise_parks(snap), when the caller asks for many firms."""
    f: dict[str, Any] = {}
    region = _cat_value(snap, "Enterprise", "region", i)
    if region:
        f["region"] = region
    park = (parks if parks is not None else enterprise_parks(snap, rows=[i]))[i if parks is not None else 0]
    if park >= 0:
        f["registered_park"] = str(snap.keys("Park")[park])
    la = snap.labels["Enterprise"]
    if "tags" in la.lists:
        m, vocab = la.lists["tags"]
        for c in m.indices[m.indptr[i]:m.indptr[i + 1]]:
            hit = TAG_FACTS.get(str(vocab[c]))
            if hit:
                f[hit[0]] = hit[1]
    size = _cat_value(snap, "Enterprise", "size", i)
    if size:
        f["is_large_enterprise"] = size == "大型"
    rev = _num_value(snap, "Enterprise", "revenue_wan", i)
    if rev is not None:
        f["revenue_wan"] = rev
    return f


PROJECT_FACT_FIELDS = ("industry_class", "fdi_form", "fdi_total_usd_wan", "fdi_first_year_usd_wan", "fdi_year_usd_wan")


def project_facts(snap: Snapshot, i: int) -> dict[str, Any]:
    """The calculator's facts of project i: where it registers (park, region) and its foreign-investment figures."""
    f: dict[str, Any] = {}
    for fld, fact in (("region", "region"), ("park", "registered_park"), ("industry_class", "industry_class"),
                      ("fdi_form", "fdi_form")):
        v = _cat_value(snap, "Project", fld, i)
        if v:
            f[fact] = v
    for fld in ("fdi_total_usd_wan", "fdi_first_year_usd_wan", "fdi_year_usd_wan"):
        v = _num_value(snap, "Project", fld, i)
        if v is not None:
            f[fld] = v
    if any(f.get(k, 0) > 0 for k in ("fdi_total_usd_wan", "fdi_year_usd_wan", "fdi_first_year_usd_wan")):
        f["foreign_invested"] = True
    return f


def _in_scope_mask(snap: Snapshot, label: str, doc: Document, parks_of: np.ndarray) -> np.ndarray:
    n = snap.n(label)
    if not doc.scope:
        return np.ones(n, dtype=bool)
    allowed = set(doc.scope["in"])
    fact = doc.scope["fact"]
    if fact == "region":
        codes, vocab = snap.categorical(label, "region")
        ok = np.asarray([str(v) in allowed for v in vocab] + [False], dtype=bool)
        return ok[codes]  # code -1 reads the pad (False)
    if fact == "registered_park":
        if label == "Project":
            codes, vocab = snap.categorical(label, "park")
            ok = np.asarray([str(v) in allowed for v in vocab] + [False], dtype=bool)
            return ok[codes]
        park_keys = snap.keys("Park") if snap.n("Park") else []
        park_ok = np.asarray([str(k) in allowed for k in park_keys] + [False], dtype=bool)
        return park_ok[parks_of]  # -1 (no park) reads the pad (False)
    return np.ones(n, dtype=bool)


def enterprise_parks(snap: Snapshot, rows: Sequence[int] | None = None) -> np.ndarray:
    """Park index (in snap.keys("Park")) each enterprise is registered in (LOCATED_IN Enterprise → Park; the first
    if several; -1 if none) — for all enterprises, or for `rows` only."""
    if not snap.n("Enterprise") or not snap.n("Park"):
        return np.full(snap.n("Enterprise") if rows is None else len(rows), -1, dtype=np.int64)
    m = snap.relation("LOCATED_IN", "Enterprise", "Park").tocsr()
    return first_index(m if rows is None else m[np.asarray(rows, dtype=np.int64)])


class UnknownSubject(NotFound):
    pass


def subject_facts(snap: Snapshot, *, enterprise: str | None = None, project: str | None = None) -> dict[str, Any]:
    """The calculator's starting facts for an enterprise and/or a project of the graph. With both, the project's
    facts win where they overlap (region, registered park: the reward follows where the project registers)."""
    out: dict[str, Any] = {}
    for label, key, facts_of, what in (("Enterprise", enterprise, enterprise_facts, "企业"),
                                        ("Project", project, project_facts, "项目")):
        if key is None:
            continue
        i = snap.index_of(label, key) if snap.n(label) else -1
        if i < 0:
            field = label.lower()
            raise UnknownSubject(f"{what} {key!r} 不存在", errors=[{"field": field, "message": f"{what}不存在"}])
        out.update(facts_of(snap, i))
    return out


@dataclass
class PushResult:
    item: Item
    on: dt.date
    qualified: list[PushEntry]
    to_confirm: list[PushEntry]
    scanned: int
    note: str | None = None

    def as_dict(self, book: RuleBook, limit: int | None = None) -> dict[str, Any]:
        def row(e: PushEntry) -> dict[str, Any]:
            return {"kind": e.kind, "key": e.key, "name": e.name,
                    "amount": None if e.amount is None else plain(e.amount), "currency": self.item.currency,
                    "computation": e.computation,
                    "missing": [{"fact": m, "label": book.fact_label(m)} for m in e.missing],
                    "known_facts": {k: _show(book, k, v) for k, v in e.facts.items()}}
        q = self.qualified[:limit] if limit else self.qualified
        c = self.to_confirm[:limit] if limit else self.to_confirm
        total = sum((e.amount or Decimal(0) for e in self.qualified), Decimal(0))
        return {
            "item": self.item.key, "name": self.item.name, "doc_no": self.item.doc.doc_no,
            "document": self.item.doc.title, "article": self.item.article, "on": self.on.isoformat(),
            "currency": self.item.currency, "amount_kind": self.item.amount_kind,
            "formula": formula_text(book, self.item),
            "counts": {"scanned": self.scanned, "qualified": len(self.qualified), "to_confirm": len(self.to_confirm)},
            "qualified_total": plain(total), "qualified": [row(e) for e in q], "to_confirm": [row(e) for e in c],
            "note": self.note,
        }


def push(book: RuleBook, snap: Snapshot, item_key: str, *, on: dt.date | None = None) -> PushResult:
    """免申即享 for one item: subjects in the graph that qualify on what the graph knows (with amounts), and those
    with evidence for the item but facts only the firm can confirm. Subjects outside the document's scope, or that
    fail a condition, are not listed. The graph knows registration (region, park), tags (上市/外资/高新技术), size,
    revenue, and for projects their foreign-investment figures."""
    item = book.item(item_key)
    on = on or dt.date.today()
    needed = set(book.item_facts(item))
    parks_of = enterprise_parks(snap)
    qualified: list[PushEntry] = []
    to_confirm: list[PushEntry] = []
    scanned = 0
    why = _in_force(item.doc, on)
    if why:
        return PushResult(item, on, [], [], 0, why)
    for label, facts_of in (("Enterprise", lambda i: enterprise_facts(snap, i, parks_of)),
                            ("Project", lambda i: project_facts(snap, i))):
        if not snap.n(label):
            continue
        mask = _in_scope_mask(snap, label, item.doc, parks_of)
        idx = np.flatnonzero(mask)
        scanned += len(idx)
        keys, names = snap.keys(label), snap.labels[label].names
        scope_fact = item.doc.scope["fact"] if item.doc.scope else None
        for i in idx.tolist():
            f = facts_of(i)
            if not (needed & (set(f) - {scope_fact, "region", "registered_park"})):
                continue  # the graph knows nothing this item asks about
            r = evaluate_item(book, item, _derive(book, f), on)
            if r.status == "applies":
                qualified.append(PushEntry(label, str(keys[i]), str(names[i]), "applies", r.amount, r.computation, [], f))
            elif r.status == "missing_facts" and r.evidence > 0:
                amount = None
                to_confirm.append(PushEntry(label, str(keys[i]), str(names[i]), "missing_facts", amount,
                                            "", r.missing, f))
    qualified.sort(key=lambda e: (-(e.amount or 0), e.key))
    to_confirm.sort(key=lambda e: (len(e.missing), e.key))
    note = None
    if not qualified and not to_confirm:
        asks = "、".join(book.fact_label(n) for n in sorted(needed))
        note = f"图谱中没有本条款所需的信息（{asks}）可供主动推送；请用计算器逐户测算。"
    return PushResult(item, on, qualified, to_confirm, scanned, note)


def item_summary(book: RuleBook, it: Item) -> dict[str, Any]:
    d = it.doc
    return {
        "item": it.key, "name": it.name, "document": d.title, "doc_no": d.doc_no, "issuer": d.issuer,
        "article": it.article, "version": d.version, "issued_on": d.issued_on and d.issued_on.isoformat(),
        "effective_from": d.effective_from and d.effective_from.isoformat(),
        "effective_to": d.effective_to and d.effective_to.isoformat(),
        "scope": d.scope["text"] if d.scope else None,
        "exclusions": [c["text"] for c in d.exclusions], "duplicate_rule": d.duplicate_rule, "group": it.group,
        "currency": d.currency, "amount_kind": it.amount_kind, "formula": formula_text(book, it),
        "facts": [book.fact_label(n) for n in book.item_facts(it)], "fact_names": book.item_facts(it),
        "text": it.text, "notes": list(d.notes) + list(it.notes), "source": d.source,
    }
