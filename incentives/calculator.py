"""政策兑现 calculator: for one enterprise's or project's facts, which policy items apply, the amount of each, the
formula and the computation with the numbers, and the article; items that do not apply say why (the failed
condition with the value given, or out of scope), items that need more facts say which. Within a document whose
rule is 就高不重复 only the highest of the overlapping items of one group is granted; under 就高补差 what was
already received for an item is deducted.

The rule book is incentives/rules.py, the facts incentives/facts.py, the amounts incentives/formulas.py, the
免申即享 push list incentives/push.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from incentives.facts import FactsError, derive, parse_facts, show
from incentives.formulas import MissingFacts, NoTier, compute, formula_text
from incentives.rules import Document, Item, RuleBook, condition_facts, dec, grouped, plain

STATUS_CN = {
    "applies": "适用",
    "duplicate": "就高不重复（未计）",
    "not_applicable": "不符合条件",
    "out_of_scope": "不在实施范围",
    "excluded": "排除",
    "missing_facts": "缺少信息",
    "not_in_force": "不在有效期",
}


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
              parsed: bool = False, names: Mapping[str, Mapping[str, str]] | None = None) -> Calculation:
    """Evaluate every item (or the given ones) for one subject's facts on a date (default today). `names` shows
    values that stand for graph nodes by their names in the reasons (facts.value_names: park key → park name)."""
    on = on or dt.date.today()
    f = facts if parsed else parse_facts(book, facts)
    f = derive(book, f)
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
    results = [evaluate_item(book, book.items[k], f, on, names) for k in keys]
    _apply_groups(results)
    _apply_received(results, received)
    return Calculation(on, results)


def scope_error(book: RuleBook, doc: Document, facts: dict[str, Any],
                names: Mapping[str, Mapping[str, str]] | None = None) -> str | None:
    """Why the subject is outside the document's scope (None if inside, or not known to be outside). A park-based
    scope that lists its 行政区 (`regions`) also places a subject whose park is not given but whose registered
    行政区 is: a firm registered in 江山市 is outside 衢州市本级 whatever its park."""
    sc = doc.scope
    if not sc:
        return None
    v = facts.get(sc["fact"])
    if v is not None:
        return None if v in sc["in"] else f"实施范围为{sc['text']}；{book.fact_label(sc['fact'])}为 {show(book, sc['fact'], v, names)}"
    region = facts.get("region")
    if sc.get("regions") and region is not None and region not in sc["regions"]:
        return f"实施范围为{sc['text']}；{book.fact_label('region')}为 {show(book, 'region', region, names)}，不在范围内"
    return None


def in_force(doc: Document, on: dt.date) -> str | None:
    if doc.effective_from and on < doc.effective_from:
        return f"{doc.cite} 所涉政策自 {doc.effective_from.isoformat()} 起执行，计算日期 {on.isoformat()} 早于此"
    if doc.effective_to and on > doc.effective_to:
        return f"{doc.cite} 已于 {doc.effective_to.isoformat()} 到期"
    return None


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


def _condition_text(book: RuleBook, c: dict[str, Any], facts: dict[str, Any],
                    names: Mapping[str, Mapping[str, str]] | None = None) -> str:
    if "any" in c:
        return c["text"] + "（" + "；".join(_condition_text(book, s, facts, names) for s in c["any"]) + "）"
    v = facts.get(c["fact"])
    return f"{c['text']}（{book.fact_label(c['fact'])}：{'未提供' if v is None else show(book, c['fact'], v, names)}）"


def evaluate_item(book: RuleBook, item: Item, facts: dict[str, Any], on: dt.date,
                  names: Mapping[str, Mapping[str, str]] | None = None) -> ItemResult:
    """One item for one subject (facts already parsed and derived), before 就高 / 补差; `names` as in calculate."""
    doc = item.doc
    r = ItemResult(item, "applies", formula=formula_text(book, item), notes=list(doc.notes) + list(item.notes))
    where = {doc.scope["fact"]} if doc.scope else set()
    r.touched = any(facts.get(n) is not None for n in book.item_facts(item) if n not in where)
    why = in_force(doc, on)
    if why:
        r.status, r.reasons = "not_in_force", [why]
        return r
    missing: list[str] = []
    outside = scope_error(book, doc, facts, names)
    if outside:
        r.status, r.reasons = "out_of_scope", [outside]
        return r
    if doc.scope and facts.get(doc.scope["fact"]) is None:
        missing.append(doc.scope["fact"])
    for c in doc.exclusions:
        t = _test(c, facts)
        if t is True:
            r.status, r.reasons = "excluded", [f"{c['text']}（{_condition_text(book, c, facts, names)}）"]
            return r
        if t is None:
            if c.get("if_missing") is False:
                r.notes.append(f"未提供“{book.fact_label(c['fact'])}”，按“否”计算")
            else:
                missing.extend(condition_facts(c))
    failed: list[str] = []
    for c in (*doc.requires, *item.conditions):
        t = _test(c, facts)
        if t is False:
            failed.append(_condition_text(book, c, facts, names))
        elif t is None:
            missing.extend(f for f in condition_facts(c) if facts.get(f) is None)
        else:
            r.evidence += 1
    if failed:
        r.status, r.reasons = "not_applicable", ["不满足：" + x for x in failed]
        return r
    try:
        amount, parts, computation = compute(book, item, facts)
    except MissingFacts as m:
        missing.extend(m.names)
        amount = None
    except NoTier as e:
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
