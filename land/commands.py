"""土地超市 commands: reserve / release / transfer a parcel, safely under concurrency, every change audited.

The only land module that writes. Each change is one `store.write(Batch(nodes=[parcel], expect=[Expect(rev,
status, holder, expiry, park as read)]), audit=…)`: the store checks the expectation inside its write transaction,
so of two requests that read the same state only the first write lands and the other gets ConflictError — a
parcel is never reserved twice. A reservation or transfer checks the project against the parcel's hard rules with
the matcher's own code (land.checks.check_records), so the two can never disagree.

Expiry: a reservation whose `expires_at` has passed counts as available (land.reservations.effective_status); a
new reservation replaces it lazily, `sweep_expired_reservations` releases them in bulk.

Functions are keyword-only and raise the kernel's errors (land.reservations' subclasses), so the API router stays
thin and the CLI uses the same functions.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from graph.schema import LandParcel
from graph.store import AuditEntry, Batch, ConflictError, Expect, GraphStore, NodeRec
from land.checks import check_records
from land.reservations import (
    DEFAULT_TTL_HOURS, MAX_TTL_HOURS, InvalidRequest, ParcelForbidden, ParcelNotFound, ReservationConflict,
    RuleViolation, effective_status, moment_text, state_of, utc_now,
)
from land.rules import STATUS_CN
from land.text import stored_moment_text

_EXPECT_FIELDS = ("rev", "status", "reserved_by", "expires_at", "park")
_RESERVATION_FIELDS = ("reserved_by", "reserved_at", "expires_at")


def _load(store: GraphStore, parcel: str, park_scope: str | None) -> dict[str, Any]:
    before = store.get("LandParcel", parcel)
    if before is None:
        raise ParcelNotFound(f"地块 {parcel!r} 不存在")
    if park_scope is not None and before.get("park") != park_scope:
        raise ParcelForbidden(f"园区管理员只能操作本园区（{park_scope}）的地块")
    return before


def _project(store: GraphStore, project: str) -> dict[str, Any]:
    proj = store.get("Project", project)
    if proj is None:
        raise InvalidRequest(f"项目 {project!r} 不存在", errors=[{"field": "project", "message": "项目不存在"}])
    return proj


def _holder(store: GraphStore, key: str | None, project: str | None = None) -> str:
    """The project holding a parcel as messages name it: 本项目, 项目「封测基地项目」 (by name, not by key)."""
    if not key:
        return "其他项目"
    if key == project:
        return "本项目"
    rec = store.get("Project", key)
    return f"项目「{rec.get('name') or key}」" if rec else f"项目 {key}"


def _check_rules(store: GraphStore, proj: dict[str, Any], parcel: dict[str, Any], now: dt.datetime) -> None:
    chains = {c for c in [proj.get("chain"), *(parcel.get("allowed_chains") or [])] if c}
    names = {k: v.get("name", k) for k, v in store.get_many("IndustryChain", sorted(chains)).items()} if chains else {}
    # the status rule is the service's own business (it knows who holds the parcel); check the others
    probe = {**parcel, "status": "available"}
    _, failures = check_records(proj, probe, now=now, chain_names=names)
    if failures:
        raise RuleViolation(
            f"项目「{proj.get('name', proj['key'])}」不满足地块「{parcel.get('name', parcel['key'])}」的硬性条件：" +
            "；".join(f.message for f in failures),
            errors=[{"field": f.rule, "rule": f.rule, "label": f.label, "message": f.message} for f in failures],
        )


def _write(store: GraphStore, before: dict[str, Any], changes: dict[str, Any], drop: tuple[str, ...], *,
           actor: str, action: str, note: str | None = None) -> dict[str, Any]:
    key = before["key"]
    props = {k: v for k, v in before.items() if k != "key" and k not in drop}
    props.update(changes)
    props["rev"] = int(before.get("rev") or 0) + 1
    obj = LandParcel(key=key, **props)  # the result must still be a valid parcel
    new = obj.props()
    after = state_of(new)
    if note:
        after["note"] = note
    try:
        store.write(
            Batch(nodes=[NodeRec("LandParcel", key, new)],
                  expect=[Expect("LandParcel", key, {k: before.get(k) for k in _EXPECT_FIELDS})]),
            audit=AuditEntry(actor=actor, action=action, target=f"LandParcel/{key}", before=state_of(before), after=after),
        )
    except ConflictError as e:
        raise ReservationConflict(f"地块 {key!r} 的状态刚被他人修改（并发操作），本次未生效，请刷新后重试") from e
    return {"key": key, **new}


def reserve_parcel(store: GraphStore, *, parcel: str, project: str, actor: str,
                   ttl_hours: float = DEFAULT_TTL_HOURS, max_ttl_hours: float = MAX_TTL_HOURS,
                   park_scope: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Reserve an available parcel (or one whose reservation expired) for a project that meets its hard rules.
    Raises ReservationConflict if it is reserved (by anyone, this project included) or transferred, or if
    another change lands first."""
    now = utc_now(now)
    if not (0 < ttl_hours <= max_ttl_hours):
        raise InvalidRequest(f"预留时长应在 0–{max_ttl_hours:g} 小时之间", errors=[{"field": "ttl_hours", "message": "超出范围"}])
    before = _load(store, parcel, park_scope)
    proj = _project(store, project)
    st = effective_status(before, now)
    if st == "transferred":
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」已出让，不能预留")
    if st == "reserved":
        until = stored_moment_text(before.get("expires_at"))
        who = _holder(store, before.get("reserved_by"), project)
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」已被{who}预留" + (f"（至 {until}）" if until else ""))
    _check_rules(store, proj, before, now)
    expired = before.get("status") == "reserved"
    return _write(
        store, before,
        {"status": "reserved", "reserved_by": project, "reserved_at": moment_text(now),
         "expires_at": moment_text(now + dt.timedelta(hours=ttl_hours))},
        ("transferred_to", "transferred_at"),
        actor=actor, action="land.reserve",
        note=f"替换已过期的预留（{before.get('reserved_by')}，到期 {before.get('expires_at')}）" if expired else None,
    )


def release_parcel(store: GraphStore, *, parcel: str, actor: str, project: str | None = None,
                   park_scope: str | None = None, reason: str | None = None,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """Release a reservation (active or expired). With `project`, only if the parcel is reserved for it."""
    before = _load(store, parcel, park_scope)
    if before.get("status") != "reserved":
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」未被预留（当前：{STATUS_CN.get(before.get('status', 'available'), '')}）")
    holder = before.get("reserved_by")
    if project is not None and holder != project:
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」预留给的是{_holder(store, holder)}，"
                                  f"不是{_holder(store, project)}")
    return _write(store, before, {"status": "available"}, _RESERVATION_FIELDS, actor=actor, action="land.release",
                  note=reason)


def transfer_parcel(store: GraphStore, *, parcel: str, project: str, actor: str, park_scope: str | None = None,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    """Record the transfer (出让) of a parcel to a project: from its active reservation for that project, or
    from available (then the hard rules are checked here)."""
    now = utc_now(now)
    before = _load(store, parcel, park_scope)
    proj = _project(store, project)
    st = effective_status(before, now)
    if st == "transferred":
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」已出让给{_holder(store, before.get('transferred_to'))}")
    if st == "reserved" and before.get("reserved_by") != project:
        raise ReservationConflict(f"地块「{before.get('name', parcel)}」已被{_holder(store, before.get('reserved_by'))}预留，"
                                  "不能出让给其他项目")
    _check_rules(store, proj, before, now)
    return _write(store, before, {"status": "transferred", "transferred_to": project, "transferred_at": moment_text(now)},
                  _RESERVATION_FIELDS, actor=actor, action="land.transfer")


def sweep_expired_reservations(store: GraphStore, *, actor: str, now: dt.datetime | None = None,
                               limit: int = 10_000) -> list[str]:
    """Release every reservation that has expired; returns the parcel keys released. A parcel changed
    concurrently is skipped (its new state wins)."""
    now = utc_now(now)
    items, _ = store.find("LandParcel", filters={"status": "reserved", "expires_at__max": moment_text(now)}, limit=limit)
    released = []
    for it in items:
        if effective_status(it, now) != "available":
            continue
        try:
            _write(store, it, {"status": "available"}, _RESERVATION_FIELDS, actor=actor, action="land.expire",
                   note="预留到期自动释放")
        except ReservationConflict:
            continue
        released.append(it["key"])
    return released
