"""土地超市 names: the chains, segments, parks, regions and firms users type, turned into keys by the one resolver.

集成电路, ic and a chain's aliases all name the chain `ic` (kernel.resolve); a name that names nothing is an error
naming the field (API) or the file, row and column (CSV) with the resolver's suggestion (您是不是要找…), never a
value silently kept. Without a snapshot (`chainmatch land-assign` on plain files) there is nothing to resolve
against: chain values are compared as written, and `unmatched_chains` reports the values only one file uses.
"""
from __future__ import annotations

from typing import Any, Sequence

from graph.schema import LandParcel, Project
from graph.snapshot import Snapshot
from graph.validation import Problem, ValidationFailed
from kernel.errors import AmbiguousName, Invalid, LookupFailed
from kernel.resolve import resolver

LABELS = {"chain": "IndustryChain", "segment": "Segment", "park": "Park", "region": "Region", "enterprise": "Enterprise"}
WHAT = {"chain": "产业链", "segment": "环节", "park": "园区", "region": "行政区", "enterprise": "企业"}


def lookup_message(kind: str, text: str, e: LookupFailed, where: str = "") -> str:
    """「未知产业链 '集成电漏'；您是不是要找：集成电路（ic）」 — the resolver's suggestions in the message itself."""
    if isinstance(e, AmbiguousName):
        return f"{WHAT[kind]} {text!r} 对应多个{WHAT[kind]}：{'、'.join(e.candidates[:8])}，请用代码或全称"
    hint = f"；您是不是要找：{'、'.join(e.candidates[:5])}" if e.candidates else ""
    return f"未知{WHAT[kind]} {text!r}{where}{hint}"


def resolve_key(snap: Snapshot, kind: str, text: str, *, field: str, chain: str | None = None, where: str = "") -> str:
    """The key of the `kind` node `text` names (key, name, short name, alias); Invalid naming `field` otherwise.
    A segment is looked for within `chain` (a chain key) when given."""
    r = resolver(snap)
    try:
        if kind == "segment" and chain is not None and snap.index_of("IndustryChain", chain) >= 0:
            i = r.segment(text, chain=int(snap.index_of("IndustryChain", chain)), param=field)
        elif kind == "region":
            i = r.region(text, param=field)
        else:
            i = getattr(r, kind)(text, param=field)
    except LookupFailed as e:
        msg = lookup_message(kind, text, e, where)
        raise Invalid(msg, errors=[{"field": field, "message": msg}]) from e
    return r.key(LABELS[kind], i)


def resolve_project_names(snap: Snapshot, data: dict[str, Any], *, prefix: str) -> dict[str, Any]:
    """An inline project's references (chain, segment, park, region, investor) as keys; every unknown one is
    reported (the field named `prefix.field`), all at once."""
    out = dict(data)
    problems = []
    for field, kind in (("chain", "chain"), ("segment", "segment"), ("park", "park"), ("region", "region"),
                        ("investor", "enterprise")):
        v = data.get(field)
        if not isinstance(v, str) or not v.strip():
            continue
        try:
            out[field] = resolve_key(snap, kind, v, field=f"{prefix}.{field}", chain=out.get("chain"))
        except Invalid as e:
            problems.append(Problem(prefix, None, f"{prefix}.{field}", e.message))
    if problems:
        raise ValidationFailed(problems)
    return out


def resolve_record_names(snap: Snapshot, rows: Sequence[tuple[int, Project | LandParcel]], file: str,
                         columns: dict[str, str]) -> tuple[list[tuple[int, Project | LandParcel]], list[Problem]]:
    """CSV rows with their chain (产业准入 for parcels), segment and park given as keys, however the file wrote
    them; a name the graph does not know is a problem at its file, row and column (`columns`: field → header)."""
    out: list[tuple[int, Project | LandParcel]] = []
    problems: list[Problem] = []
    for row, obj in rows:
        update: dict[str, Any] = {}
        bad = False
        for field, kind in (("chain", "chain"), ("segment", "segment"), ("park", "park"), ("allowed_chains", "chain")):
            if field not in type(obj).model_fields:
                continue
            value = getattr(obj, field)
            values = value if isinstance(value, list) else [value] if value else []
            keys = []
            for v in values:
                try:
                    keys.append(resolve_key(snap, kind, v, field=field, where="（库中不存在）",
                                            chain=update.get("chain", getattr(obj, "chain", None))))
                except Invalid as e:
                    problems.append(Problem(file, row, columns.get(field, field), e.message))
                    bad = True
            if values and not bad:
                update[field] = keys if isinstance(value, list) else keys[0]
        if not bad:
            out.append((row, obj.model_copy(update=update) if update else obj))
    return out, problems


def unmatched_chains(projects: Sequence[tuple[int, Project]], parcels: Sequence[tuple[int, LandParcel]],
                     files: tuple[str, str], columns: tuple[str, str]) -> list[Problem]:
    """Without a graph: chain values one file uses and the other never mentions (a project's chain that no
    parcel's 产业准入 lists, while some parcel restricts; a 产业准入 value no project has) — likely a typo or a
    name where the other file wrote the key. Reported, not refused: the values are compared as written."""
    admitted = {c for _, q in parcels for c in q.allowed_chains}
    used = {p.chain for _, p in projects if p.chain}
    out = []
    if admitted:
        out += [Problem(files[0], r, columns[0], f"产业链 {p.chain!r} 不在地块文件的任何产业准入中（未提供图谱，"
                                                 "产业链按原文比较；请核对名称或改用 key）")
                for r, p in projects if p.chain and p.chain not in admitted]
    out += [Problem(files[1], r, columns[1], f"产业准入 {c!r} 不是项目文件中任何项目的产业链（未提供图谱，"
                                             "产业链按原文比较；请核对名称或改用 key）")
            for r, q in parcels for c in q.allowed_chains if c not in used]
    return out
