"""The rules of the generic node API (/api/v1/enterprises, /parks, /parcels …): what a list filter means, who may
write which object, and which fields only another service may change.

* List filters take the names people type, through the one resolver (kernel.resolve): `region=衢州` means 衢州市 and
  every 行政区 below it; `chain=集成电路`, `park=智造新城`, `segment=封测` mean that one chain, park or segment. A name
  that names nothing is 404 with the resolver's suggestions (您是不是要找…), one that names several is 422 listing
  them — never an empty list that looks like "no data".
* A park administrator writes only park-scoped objects (parcels, projects) of their own park.
* A parcel's reservation state and a project's stage/tracking fields belong to the 土地超市 and the 项目库: a PUT keeps
  them as they are and refuses to change them; the write fails with 409 if they changed meanwhile.

The router (api/routers/nodes.py) resolves the request and calls one function here; errors are kernel.errors (or
graph's ValidationFailed), mapped to problem+json by the one handler.
"""
from __future__ import annotations

from typing import Any

from api.auth import Principal
from api.resources import Resource
from graph import service
from graph.schema import MODELS, utc_timestamp_text
from graph.snapshot import Snapshot
from graph.store import GraphStore
from graph.validation import Problem, ValidationFailed
from kernel.errors import Forbidden, Invalid, NotFound
from kernel.resolve import resolver

PAGING = ("sort", "desc", "limit", "offset")
# filter fields that hold a chain key (scalar or list) / a park key / a segment key, per the schema's references
CHAIN_FIELDS = {"chain", "leading_chains", "focus", "allowed_chains"}


# ---------------------------------------------------------------------------------------------- reads
def store_filters(snap: Snapshot, label: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The store's filters for a list request: names resolved to keys, `region` widened to the 行政区 below it,
    `q` a name substring, `x_min`/`x_max` bounds; paging parameters left out."""
    r = resolver(snap)
    out: dict[str, Any] = {}
    chain = r.chain(filters["chain"]) if filters.get("chain") is not None else None
    for name, value in filters.items():
        if value is None or name in PAGING:
            continue
        if name == "q":
            out["name__like"] = value
        elif name.endswith("_min"):
            out[name[:-4] + "__min"] = value
        elif name.endswith("_max"):
            out[name[:-4] + "__max"] = value
        elif name == "region":
            out["region__in"] = r.region_keys_within(r.region(value, param=name))
        elif name == "parent" and label == "Region":
            out[name] = r.key("Region", r.region(value, param=name))
        elif name in CHAIN_FIELDS:
            out[name] = r.key("IndustryChain", chain if name == "chain" else r.chain(value, param=name))
        elif name == "park":
            out[name] = r.key("Park", r.park(value, param=name))
        elif name == "segment" or (name == "parent" and label == "Segment"):
            out[name] = r.key("Segment", r.segment(value, chain=chain, param=name))
        else:
            out[name] = value
    return out


def list_nodes(store: GraphStore, snap: Snapshot, res: Resource, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of `res` objects matching the filters (names resolved), with the total."""
    items, total = store.find(
        res.label.value, filters=store_filters(snap, res.label.value, filters), order_by=filters["sort"],
        descending=filters["desc"], limit=filters["limit"], offset=filters["offset"],
    )
    return {"items": items, "total": total, "limit": filters["limit"], "offset": filters["offset"]}


def get_node(store: GraphStore, res: Resource, key: str) -> dict[str, Any]:
    item = store.get(res.label.value, key)
    if item is None:
        raise NotFound(f"{res.title} {key!r} 不存在")
    return item


def node_neighbours(store: GraphStore, res: Resource, key: str, *, rel: str | None, direction: str,
                    limit: int) -> list[dict[str, Any]]:
    """The nodes related to one object (optionally by one relation type and direction), with their names."""
    get_node(store, res, key)
    return [
        {"rel_type": n.rel_type, "direction": n.direction, "label": n.label, "key": n.key,
         "name": n.props.get("name"), "rel_props": n.rel_props}
        for n in store.neighbours(res.label.value, key, rel_type=rel, direction=direction, limit=limit)  # type: ignore[arg-type]
    ]


def overview(store: GraphStore, *, chains: int = 100) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """For the home page: the first chains and the number of nodes per label."""
    found, _ = store.find("IndustryChain", limit=chains)
    return found, store.counts()["nodes"]


# ---------------------------------------------------------------------------------------------- writes
def put_node(store: GraphStore, res: Resource, key: str, data: dict[str, Any], p: Principal
             ) -> tuple[dict[str, Any], bool]:
    """Create or replace one object as `p`: park scope checked, protected fields kept. Returns (record, created)."""
    if data.get("key") not in (None, key):
        raise Invalid(f"请求体中的 key {data['key']!r} 与路径 {key!r} 不一致")
    data["key"] = key
    before = store.get(res.label.value, key)
    check_park_scope(p, res, before, data)
    expect = keep_protected(res, before, data) if res.protected else None
    obj, created, _ = service.upsert_node(store, label=res.label, data=data, actor=p.actor, expect=expect)
    return store.get(res.label.value, obj.key) or {}, created


def delete_node(store: GraphStore, res: Resource, key: str, p: Principal) -> None:
    before = get_node(store, res, key)
    check_park_scope(p, res, before)
    service.delete_node(store, label=res.label, key=key, actor=p.actor)


def check_park_scope(p: Principal, res: Resource, *records: dict[str, Any] | None) -> None:
    """A park administrator writes only park-scoped objects, and only their own park's (before and after)."""
    if p.role != "park_admin":
        return
    if not res.park_scoped:
        raise Forbidden(f"园区管理员不能修改{res.title}")
    for rec in records:
        if rec is not None and rec.get("park") != p.park:
            raise Forbidden(f"园区管理员只能修改本园区（{p.park}）的{res.title}")


def _same(field_name: str, a: Any, b: Any) -> bool:
    if field_name.endswith("_at") and isinstance(a, str) and isinstance(b, str):
        try:
            return utc_timestamp_text(a) == utc_timestamp_text(b)
        except ValueError:
            return False
    return a == b


def keep_protected(res: Resource, before: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the fields another service owns (a parcel's reservation state) as they are; refuse a PUT that tries to
    change them (422, naming each field). Returns the precondition for the write: those fields as read, so a
    reservation landing between this read and the write makes the PUT fail with 409 instead of undoing it."""
    current = {f: (before or {}).get(f) for f in res.protected}
    defaults = {f: MODELS[res.label].model_fields[f].get_default(call_default_factory=True) for f in res.protected}
    problems = []
    for f in res.protected:
        if f not in data:
            continue
        given, now = data[f], current[f] if current[f] is not None else defaults[f]
        if not _same(f, given, now) and not (given is None and now is None):
            problems.append(Problem(None, None, f, f"{f} 只能通过 {res.protected_owner} 修改（当前 {now!r}，请求 {given!r}）"))
    if problems:
        raise ValidationFailed(problems)
    for f in res.protected:
        data.pop(f, None)
        if current[f] is not None:
            data[f] = current[f]
    return {f: current[f] for f in res.protected}
