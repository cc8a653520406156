"""政策兑现 rule book: the incentive policies written down as data (seed_data/facts/policies.json), read and
checked, and the exact numbers they are computed with.

The rules were written down by hand from the public documents: each document with its 文号, issuer, effective
dates, version, scope (where the firm must be registered), exclusions and its duplicate rule; each item with its
article, the conditions in the article's own words and a formula of one of a few closed kinds (no expressions are
evaluated; incentives/formulas.py computes them). `load_rules` checks the whole file and names the item and field
at fault. Money is Decimal throughout (`dec`, `money`), and every amount is in the currency of its base figure
(万元 for the 2019 innovation policy, 万美元 for the FDI rewards).

A document's scope names the fact that places a firm (`registered_park` or `region`) and the values inside it;
a park-based scope may also list `regions`, the 行政区 its parks lie in, so a firm known to be registered in
another 行政区 (江山市 for 衢州市本级) is out of scope without being asked for its park.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "facts" / "policies.json"
CENT = Decimal("0.0001")  # amounts are in 万 (万元 / 万美元): four decimals = one 元 / one dollar
RULES_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "facts" / "policies.json"
CENT = Decimal("0.0001")  # amounts are in 万 (万元 / 万美元): four decimals = one 元 / one dollar
FACT_TYPES = ("number", "number_list", "integer", "ratio", "bool", "choice", "choice_list", "text")
FORMULA_KINDS = ("fixed", "rate", "tiered_rate", "tiered_fixed", "lookup", "per_unit", "sum")
OPS = ("==", "!=", ">=", ">", "<=", "<", "in", "not_in", "is_true", "is_false")
DERIVED_OPS = ("increase", "ratio", "product")


class RulesError(ValueError):
    """The rules file is malformed; the message names the item and the field."""

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
            names.extend(condition_facts(c))
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


def condition_facts(c: dict[str, Any]) -> list[str]:
    if "any" in c:
        return [f for sub in c["any"] for f in condition_facts(sub)]
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
        if doc.scope and not all(isinstance(x, str) for x in doc.scope.get("regions") or []):
            raise RulesError(f"{w}.scope.regions: 应为行政区划代码列表")
        if doc.scope and doc.scope.get("regions") and "region" not in facts:
            raise RulesError(f"{w}.scope.regions: 需要事实 region")
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
