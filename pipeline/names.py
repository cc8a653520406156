"""招商项目库 in names, not codes: what a project refers to (投资方 by 统一社会信用代码, 产业链, 环节, 拟落地行政区, 意向园区 —
all stored as keys) shown as the names officers know (the firm's name, 集成电路, 衢州智造新城), and names typed in an
Excel import resolved back to keys through the one resolver (kernel.resolve: key, name or 简称, with "您是不是要找…").

Reads the analytic snapshot only.
"""
from __future__ import annotations

from typing import Any, Callable

from graph.snapshot import Snapshot
from kernel.errors import ChainMatchError
from kernel.resolve import resolver

# project field → (snapshot label, what the field is called on pages and in the export)
REFS: dict[str, tuple[str, str]] = {
    "investor": ("Enterprise", "投资方"), "chain": ("IndustryChain", "产业链"), "segment": ("Segment", "环节"),
    "region": ("Region", "拟落地行政区"), "park": ("Park", "意向园区"),
}


def name_of(snap: Snapshot | None, label: str, key: str | None) -> str | None:
    """The name of a node by key; the key itself when the node has no name or is not in the snapshot (a name
    never hides that something is referenced), None when no key is given."""
    if not key:
        return None
    if snap is None or not snap.n(label):
        return key
    i = snap.index_of(label, key)
    name = str(snap.labels[label].names[i]) if i >= 0 else ""
    return name or key


def ref_names(snap: Snapshot | None, props: dict[str, Any]) -> dict[str, str | None]:
    """A project's references as names: {"investor": "…有限公司", "chain": "集成电路", "park": "衢州智造新城", …}."""
    return {f: name_of(snap, label, props.get(f)) for f, (label, _) in REFS.items()}


class NameRefused(ChainMatchError):
    """A name in an import that names nothing (or several): the message says which and what was meant."""


def ref_key(snap: Snapshot, field: str, text: str, *, chain: str | None = None) -> str:
    """A reference typed in an import (key, name or 简称) → its key. A segment is looked for within the row's
    chain when the chain is known. Unknown or ambiguous → NameRefused with the resolver's suggestions."""
    label = REFS[field][0]
    if snap.n(label) and snap.index_of(label, text) >= 0:
        return text
    r = resolver(snap)
    try:
        if field == "investor":
            j = r.enterprise(text, param=field)
        elif field == "chain":
            j = r.chain(text, param=field)
        elif field == "segment":
            c = snap.index_of("IndustryChain", chain) if chain and snap.n("IndustryChain") else -1
            j = r.segment(text, chain=c if c >= 0 else None, param=field)
        elif field == "region":
            j = r.region(text, param=field)
        else:
            j = r.park(text, param=field)
    except ChainMatchError as e:
        raise NameRefused(e.detail) from None
    return r.key(label, j)


def resolve_refs(snap: Callable[[], Snapshot], values: dict[str, Any], typed: dict[str, str]) -> list[tuple[str, str]]:
    """An import row's references typed in the name columns (`typed`) → keys in `values`; `snap` gives the
    snapshot (built only when a row has names). A code column's key wins; a name beside it that means something
    else is a problem (the officer changed one column and not the other), the name the export wrote is not.
    Returns (field, message) per problem; the chain is settled first, so a segment is looked for in it."""
    problems: list[tuple[str, str]] = []
    for f in ("chain", "investor", "segment", "region", "park"):
        text = typed.get(f)
        if not text:
            continue
        key = values.get(f)
        if key is not None and text == key:
            continue
        s = snap()
        if key is not None and text == name_of(s, REFS[f][0], key):
            continue
        try:
            meant = ref_key(s, f, text, chain=values.get("chain"))
        except NameRefused as e:
            problems.append((f, str(e)))
            continue
        if key is None:
            values[f] = meant
        elif meant != key:
            problems.append((f, f"“{text}”是 {name_of(s, REFS[f][0], meant)}（{meant}），与代码列的 {key} 不一致："
                                f"请两列一起改，或清空代码列"))
    return problems
