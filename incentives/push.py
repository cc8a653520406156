"""政策兑现 push list (免申即享, 智能推送、企业确认 — 衡政办发〔2025〕11号 第17条): for one policy item, the
enterprises and projects in the analytic snapshot that qualify on what the graph knows, with their amounts, and
those with evidence for the item whose remaining facts only the firm can confirm (待确认). Subjects outside the
document's scope, or that fail a condition, are not listed.

Reads the snapshot only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from graph.snapshot import Snapshot
from incentives.calculator import evaluate_item, in_force
from incentives.facts import derive, enterprise_facts, enterprise_parks, project_facts, show
from incentives.formulas import formula_text
from incentives.rules import Document, Item, RuleBook, plain


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
                    "known_facts": {k: show(book, k, v) for k, v in e.facts.items()}}
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
    why = in_force(item.doc, on)
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
            r = evaluate_item(book, item, derive(book, f), on)
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
