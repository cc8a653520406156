"""政策兑现 formulas: the amount of one item for one subject's facts, by the formula kinds the rules file allows,
with the computation written out with the numbers, and each formula in words.

  fixed         a fixed amount, optionally split between recipients (企业 / 企业管理层)
  rate          base × rate, optionally capped, optionally per deal (每单) or with rate and cap chosen by a fact
  tiered_rate   base × the rate of the tier the base falls in (tiers may be borrowed from another item × factor)
  tiered_fixed  the amount of the tier the base falls in
  lookup        an amount per choice (国家级 50 / 省级 30), summed over a list of choices when per_each
  per_unit      count × amount per unit
  sum           the sum of several base × rate terms, capped

Tier edges compare exactly (500 万美元 is in the 500–1000 tier); amounts are rounded half-up to 0.0001 万 once.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from incentives.facts import show
from incentives.rules import Item, RuleBook, dec, grouped, money, pct, plain


class MissingFacts(Exception):
    """The formula needs facts the subject's facts lack (names listed)."""

    def __init__(self, names: list[str]):
        self.names = names


class NoTier(Exception):
    """The subject's figure earns nothing under the formula (below the lowest tier, an empty list, a choice the
    item does not reward); the message says which."""


def _need(facts: dict[str, Any], *names: str) -> list[Any]:
    miss = [n for n in names if facts.get(n) is None]
    if miss:
        raise MissingFacts(miss)
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


Amount = tuple[Decimal, list[tuple[str, Decimal]], str]  # (amount, parts by recipient, the computation)


def _fixed(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f = item.formula
    parts = [(p["to"], dec(p["amount"])) for p in f.get("parts", [])] or [("企业", dec(f["amount"]))]
    total = sum((a for _, a in parts), Decimal(0))
    return money(total), parts, _parts_text(parts, item.currency)


def _rate(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f, cur = item.formula, item.currency
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
        raise NoTier(f"{book.fact_label(f['base'])}为空")
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


def _tiered(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f, cur, kind = item.formula, item.currency, item.formula["kind"]
    (base,) = _need(facts, f["base"])
    tiers, factor = _tiers(book, item)
    t = _tier_of(tiers, base)
    if t is None:
        lows = [dec(x.get("ge", x.get("gt", 0))) for x in tiers if "ge" in x or "gt" in x]
        low = f"，低于最低档 {grouped(min(lows))} {_unit(book, f['base'])}" if lows and base < min(lows) else ""
        raise NoTier(f"{book.fact_label(f['base'])} {show(book, f['base'], base)} 不在任何奖励档位内{low}")
    if kind == "tiered_fixed":
        a = dec(t["amount"]) * factor
        return money(a), [("企业", money(a))], f"{show(book, f['base'], base)} 属“{t['text']}”档：{grouped(a)} {cur}"
    rate = dec(t["rate"])
    tier_amount = money(base * rate)
    text = f"{show(book, f['base'], base)} 属“{t['text']}”档：{grouped(base)} × {pct(rate)} = {grouped(tier_amount)} {cur}"
    if factor != 1:
        a = money(base * rate * factor)
        text += f"；× {pct(factor)} = {grouped(a)} {cur}"
        return a, [("企业", a)], text
    return tier_amount, [("企业", tier_amount)], text


def _lookup(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f, cur = item.formula, item.currency
    (v,) = _need(facts, f["fact"])
    choices = v if isinstance(v, list) else [v]
    if not choices:
        raise NoTier(f"{book.fact_label(f['fact'])}为空")
    parts: list[tuple[str, Decimal]] = []
    steps = []
    for ch in choices:
        row = f["table"].get(ch)
        if row is None:
            raise NoTier(f"{book.fact_label(f['fact'])}“{ch}”不在本条款奖励范围内")
        rows = [(p["to"], dec(p["amount"])) for p in row] if isinstance(row, list) else [("企业", dec(row))]
        parts.extend(rows)
        steps.append(f"{ch}：{_parts_text(rows, cur)}")
    merged: dict[str, Decimal] = {}
    for to, a in parts:
        merged[to] = merged.get(to, Decimal(0)) + a
    total = sum(merged.values(), Decimal(0))
    text = "；".join(steps) + (f"；合计 {grouped(total)} {cur}" if len(steps) > 1 else "")
    return money(total), list(merged.items()), text


def _per_unit(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f, cur = item.formula, item.currency
    (n,) = _need(facts, f["count"])
    unit_amount = dec(f["amount"])
    if n == 0:
        raise NoTier(f"{book.fact_label(f['count'])}为 0")
    a = money(n * unit_amount)
    return a, [("企业", a)], f"{grouped(n)} × {grouped(unit_amount)} {cur} = {grouped(a)} {cur}"


def _sum(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    f, cur = item.formula, item.currency
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


_KINDS: dict[str, Callable[[RuleBook, Item, dict[str, Any]], Amount]] = {
    "fixed": _fixed, "rate": _rate, "tiered_rate": _tiered, "tiered_fixed": _tiered, "lookup": _lookup,
    "per_unit": _per_unit, "sum": _sum,
}


def compute(book: RuleBook, item: Item, facts: dict[str, Any]) -> Amount:
    """(amount, parts by recipient, the computation with the numbers). Raises MissingFacts naming the facts the
    formula needs and lacks, NoTier when the subject's figure earns nothing under it. The kinds are checked when
    the rules are loaded."""
    return _KINDS[item.formula["kind"]](book, item, facts)


def _derivation(book: RuleBook, name: str, facts: dict[str, Any]) -> str:
    """How a derived base was obtained, with the numbers: “（10,000 万元 × 4.35% = 435 万元）”."""
    spec = book.facts.get(name)
    if not spec or not spec.derived:
        return ""
    op, (a, b) = spec.derived
    sym = {"increase": "−", "ratio": "÷", "product": "×"}[op]
    return (f"{spec.label}：{show(book, a, facts[a])} {sym} {show(book, b, facts[b])} = "
            f"{show(book, name, facts[name])}；")


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
