"""招商项目库 commands — the project library's only contact with the store: create and patch projects, move them
through the stages, add weekly tracking, import an Excel list; and fetch the projects a board or page shows with
their logs (the analytic snapshot selects them; it does not hold the logs).

Only this module changes stage, stage_on, stage_history, signed_on and tracking_log (the generic PUT refuses).
Every write re-reads the project, checks the rules, and writes with a precondition on what it read (stage, the
history and the log as they were), so two officers moving the same project at once cannot both succeed; the
audit entry records who, when, before and after, in the same transaction.

Service functions are keyword-only and raise PipelineError subclasses (kernel error kinds: the API maps them to
problem+json, the CLI prints their message). A park administrator passes its park: only that park's projects.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.schema import Label, iso_date_text, utc_timestamp_text
from graph.snapshot import Snapshot
from graph.store import AuditEntry, ConflictError, Expect, GraphStore
from graph.validation import Loc, Problem, ValidationFailed, validate
from graph.writer import Plan
from pipeline.board import stage_history, tracking_log
from pipeline.excel import Sheet, read_sheet
from pipeline.names import resolve_refs
from pipeline.queries import project_keys
from pipeline.rules import (
    PROTECTED_FIELDS, SIGNED, STAGE_INDEX, IllegalTransition, ImportLimits, InvalidRequest, ProjectConflict,
    ProjectForbidden, ProjectNotFound, stage_of, transition_error,
)


# ============================================================================================== reading
def project(store: GraphStore, key: str) -> dict[str, Any]:
    """One project with its logs (ProjectNotFound if absent)."""
    p = store.get("Project", key)
    if p is None:
        raise ProjectNotFound(f"项目 {key!r} 不存在")
    return p


def project_records(store: GraphStore, snap: Snapshot | None = None, *, park: str | None = None,
                    owner: str | None = None) -> list[dict[str, Any]]:
    """The projects (of one park and/or 责任人, if given) with their logs, in key order. With a snapshot, it
    selects the keys and only those records are fetched; without one (scripts, tests) the store is scanned."""
    if snap is not None:
        keys = project_keys(snap, park=park, owner=owner)
        got = store.get_many("Project", keys) if keys else {}
        return [got[k] | {"key": k} for k in keys if k in got]
    recs = [{"key": k, **p} for k, p in store.iter_nodes("Project")]
    return sorted((p for p in recs if (not park or p.get("park") == park) and (not owner or p.get("owner") == owner)),
                  key=lambda p: p["key"])


# ============================================================================================== writing
def _now(now: dt.datetime | None) -> str:
    return utc_timestamp_text(now or dt.datetime.now(dt.timezone.utc))  # type: ignore[return-value]


def _entry(**kw: Any) -> str:
    return json.dumps({k: v for k, v in kw.items() if v not in (None, "")}, ensure_ascii=False, separators=(",", ":"))


def _date_arg(v: Any, fld: str, *, today: dt.date, not_before: str | None = None, what: str = "") -> str:
    try:
        d = iso_date_text(v) if v not in (None, "") else today.isoformat()
    except ValueError as e:
        raise InvalidRequest(f"字段 {fld}: {e}", errors=[{"field": fld, "message": str(e)}]) from None
    if d > today.isoformat():
        msg = f"{what}日期 {d} 晚于今天 {today.isoformat()}，不能预先登记"
        raise InvalidRequest(f"字段 {fld}: {msg}", errors=[{"field": fld, "message": msg}])
    if not_before and d < not_before:
        msg = f"{what}日期 {d} 早于{not_before}（上一记录的日期），记录须按时间先后"
        raise InvalidRequest(f"字段 {fld}: {msg}", errors=[{"field": fld, "message": msg}])
    return d


def _check_park(before: dict[str, Any] | None, after: dict[str, Any], park: str | None) -> None:
    """A park administrator (park given) may only touch its own park's projects."""
    if park is None:
        return
    for rec in (before, after):
        if rec is not None and rec.get("park") != park:
            raise ProjectForbidden(f"园区管理员只能操作本园区（{park}）的项目")


def _write(store: GraphStore, *, before: dict[str, Any] | None, data: dict[str, Any], actor: str, action: str,
           loc: Loc = Loc()) -> dict[str, Any]:
    obj, problems = validate(Label.Project, data, loc)
    if problems or obj is None:
        raise ValidationFailed(problems)
    plan = Plan()
    plan.add_node(obj)
    after = obj.props() | {"key": obj.key}
    # the stage and its records change only through this module: a concurrent change of them is a conflict
    expect = [] if before is None else [
        Expect("Project", obj.key, {f: before.get(f) for f in ("stage", "stage_history", "tracking_log")})]
    try:
        plan.commit(store, audit=AuditEntry(actor=actor, action=action, target=f"Project/{obj.key}",
                                            before=before, after=after), expect=expect)
    except ConflictError:
        raise ProjectConflict(f"项目 {obj.key!r} 刚被他人修改，请刷新后重试") from None
    return store.get("Project", obj.key) or after


def create_project(store: GraphStore, *, data: dict[str, Any], actor: str, on: Any = None,
                   today: dt.date | None = None, now: dt.datetime | None = None, park: str | None = None) -> dict[str, Any]:
    """New project at its given stage (default 线索), entering it on `on` (default today), with a first history
    entry. A project entered at 签约 or later gets signed_on = `on` unless given."""
    today = today or dt.date.today()
    data = dict(data)
    key = str(data.get("key") or "").strip()
    if not key:
        raise InvalidRequest("字段 key: 缺少项目编号", errors=[{"field": "key", "message": "缺少必填值"}])
    if store.get("Project", key) is not None:
        raise ProjectConflict(f"项目 {key!r} 已存在；修改请用 PATCH，阶段变更请用阶段流转")
    for f in ("stage_history", "tracking_log", "stage_on"):
        if data.get(f):
            raise InvalidRequest(f"字段 {f}: 由系统记录，不能直接填写", errors=[{"field": f, "message": "由系统记录"}])
    stage = stage_of(data.get("stage")) or "线索"
    if stage not in STAGE_INDEX:
        raise InvalidRequest(f"字段 stage: {transition_error('线索', stage)}", errors=[{"field": "stage", "message": "未知阶段"}])
    on_d = _date_arg(on, "on", today=today, what="建档")
    data["stage"], data["stage_on"] = stage, on_d
    data["stage_history"] = [_entry(on=on_d, to=stage, by=actor, at=_now(now), note=data.pop("note", None) or "建档")]
    data["tracking_log"] = []
    if STAGE_INDEX[stage] >= SIGNED and not data.get("signed_on"):
        data["signed_on"] = on_d
    _check_park(None, data, park)
    return _write(store, before=None, data=data, actor=actor, action="project.create")


def change_stage(store: GraphStore, *, key: str, to: str, actor: str, on: Any = None, note: str | None = None,
                 today: dt.date | None = None, now: dt.datetime | None = None, park: str | None = None) -> dict[str, Any]:
    """Move a project to `to` on date `on` (default today); `to` may be the word officers use (落地 = 注册).
    Illegal jumps raise IllegalTransition naming the allowed next stages; a date before the current stage's date
    or in the future raises InvalidRequest."""
    today = today or dt.date.today()
    to = stage_of(to) or ""
    before = project(store, key)
    _check_park(before, before, park)
    frm = before.get("stage") or "线索"
    why = transition_error(frm, to)
    if why:
        raise IllegalTransition(why, errors=[{"field": "to", "message": why}])
    back = STAGE_INDEX[to] < STAGE_INDEX[frm]
    if back and not (note or "").strip():
        raise InvalidRequest("字段 note: 阶段回退须说明原因", errors=[{"field": "note", "message": "阶段回退须说明原因"}])
    history = stage_history(before)
    last_on = max([before.get("stage_on") or ""] + [e.get("on", "") for e in history]) or None
    on_d = _date_arg(on, "on", today=today, not_before=last_on, what=f"进入“{to}”的")
    data = {k: v for k, v in before.items()}
    data["stage"], data["stage_on"] = to, on_d
    data["stage_history"] = list(before.get("stage_history") or []) + [
        _entry(on=on_d, **{"from": frm}, to=to, by=actor, at=_now(now), note=(note or "").strip() or None)]
    if to == "签约":
        data["signed_on"] = on_d
    elif STAGE_INDEX[to] < SIGNED:
        data.pop("signed_on", None)
    return _write(store, before=before, data=data, actor=actor, action=f"project.stage {frm}→{to}")


def add_tracking(store: GraphStore, *, key: str, note: str, actor: str, on: Any = None,
                 next_action: str | None = None, next_action_on: Any = None, today: dt.date | None = None,
                 now: dt.datetime | None = None, park: str | None = None) -> dict[str, Any]:
    """Append a tracking entry (每周跟踪) and optionally set the next action and its date."""
    today = today or dt.date.today()
    if not (note or "").strip():
        raise InvalidRequest("字段 note: 跟踪记录不能为空", errors=[{"field": "note", "message": "不能为空"}])
    before = project(store, key)
    _check_park(before, before, park)
    log = tracking_log(before)
    on_d = _date_arg(on, "on", today=today, not_before=log[-1]["on"] if log else None, what="跟踪")
    data = dict(before)
    data["tracking_log"] = list(before.get("tracking_log") or []) + [
        _entry(on=on_d, by=actor, at=_now(now), note=note.strip())]
    if next_action is not None:
        data["next_action"] = next_action.strip() or None
    if next_action_on not in (None, ""):
        try:
            data["next_action_on"] = iso_date_text(next_action_on)
        except ValueError as e:
            raise InvalidRequest(f"字段 next_action_on: {e}", errors=[{"field": "next_action_on", "message": str(e)}]) from None
    return _write(store, before=before, data=data, actor=actor, action="project.track")


def update_project(store: GraphStore, *, key: str, changes: dict[str, Any], actor: str,
                   park: str | None = None) -> dict[str, Any]:
    """Change a project's other fields (PATCH: only the given fields; null clears). Stage and the logs refuse."""
    bad = [f for f in changes if f in PROTECTED_FIELDS]
    if bad:
        raise InvalidRequest(f"字段 {bad[0]}: 阶段与跟踪记录只能通过阶段流转、跟踪接口变更",
                             errors=[{"field": f, "message": "请用阶段流转或跟踪接口"} for f in bad])
    if "key" in changes and changes["key"] != key:
        raise InvalidRequest("字段 key: 不能修改项目编号", errors=[{"field": "key", "message": "不能修改"}])
    before = project(store, key)
    data = dict(before)
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    _check_park(before, data, park)
    return _write(store, before=before, data=data, actor=actor, action="project.update")


# ============================================================================================== Excel import
@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stage_changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "stage_changes": self.stage_changes, "keys": {"created": self.created, "updated": self.updated}}


@dataclass
class _Import:
    """One import under way: what it will write, and every problem found (nothing is written if there is one)."""

    file_name: str
    sheet: Sheet
    snap: Any  # () -> the analytic snapshot, built once when a row names a reference
    actor: str
    today: dt.date
    stamp: str
    park: str | None
    result: ImportResult = field(default_factory=ImportResult)
    plan: Plan = field(default_factory=Plan)
    expects: list[Expect] = field(default_factory=list)
    befores: dict[str, Any] = field(default_factory=dict)
    afters: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)

    def _problem(self, row: int, fld: str | None, message: str) -> None:
        self.problems.append(Problem(self.file_name, row, fld, message))

    def _created(self, key: str, values: dict[str, Any], stage_on: str | None) -> dict[str, Any]:
        data = dict(values)
        stage = data.get("stage") or "线索"
        on_d = stage_on or self.today.isoformat()
        data["stage_on"] = on_d
        data["stage_history"] = [_entry(on=on_d, to=stage, by=self.actor, at=self.stamp,
                                        note=f"导入建档（{self.file_name}）")]
        if stage in STAGE_INDEX and STAGE_INDEX[stage] >= SIGNED and not data.get("signed_on"):
            data["signed_on"] = on_d
        self.result.created.append(key)
        return data

    def _moved(self, row: int, key: str, before: dict[str, Any], values: dict[str, Any],
               stage_on: str | None) -> dict[str, Any] | None:
        """An existing project with the row's values; a stage change only by a legal step forward, dated."""
        data = dict(before) | values
        frm, to = before.get("stage") or "线索", values.get("stage")
        if to and to != frm:
            why = transition_error(frm, to)
            last_on = max([before.get("stage_on") or ""] + [e.get("on", "") for e in stage_history(before)])
            on_d = stage_on or self.today.isoformat()
            if why:
                return self._problem(row, self.headers.get("stage"), why)
            if STAGE_INDEX[to] < STAGE_INDEX[frm]:
                return self._problem(row, self.headers.get("stage"), "阶段回退须在项目库中说明原因后操作，不能通过导入")
            if last_on and on_d < last_on:
                return self._problem(row, self.headers.get("stage_on") or self.headers.get("stage"),
                                     f"阶段日期 {on_d} 早于上一阶段日期 {last_on}")
            data["stage_on"] = on_d
            data["stage_history"] = list(before.get("stage_history") or []) + [
                _entry(on=on_d, **{"from": frm}, to=to, by=self.actor, at=self.stamp, note=f"导入（{self.file_name}）")]
            if to == "签约":
                data["signed_on"] = on_d
            self.result.stage_changes.append(f"{key}: {frm}→{to}")
            self.expects.append(Expect("Project", key, {"stage": frm}))
        (self.result.unchanged if data == before else self.result.updated).append(key)
        return data

    @property
    def headers(self) -> dict[str, str]:
        return self.sheet.headers

    def refs(self, row: int, values: dict[str, Any], names: dict[str, str]) -> bool:
        """The row's references typed as names → keys; False (problems recorded) if one names nothing."""
        probs = resolve_refs(self.snap, values, names)
        for f, msg in probs:
            self._problem(row, self.sheet.name_headers.get(f) or self.headers.get(f), msg)
        return not probs

    def row(self, store: GraphStore, row: int, values: dict[str, Any]) -> None:
        key = values.get("key")
        if not key:
            return self._problem(row, self.headers["key"], "缺少项目编号")
        before = store.get("Project", key)
        stage_on = values.pop("stage_on", None)
        if stage_on and stage_on > self.today.isoformat():
            return self._problem(row, self.headers.get("stage_on"), f"阶段日期 {stage_on} 晚于今天")
        data = self._created(key, values, stage_on) if before is None else self._moved(row, key, before, values, stage_on)
        if data is None:
            return None
        if self.park is not None and ((before and before.get("park") != self.park) or data.get("park") != self.park):
            self.forbidden.append({"file": self.file_name, "row": row, "field": self.headers.get("park") or "意向园区",
                                   "message": f"项目 {key} 不属于本园区（{self.park}）"})
            return None
        obj, probs = validate(Label.Project, data, Loc(self.file_name, row))
        if probs or obj is None:
            self.problems.extend(probs)
            return None
        if before is not None and obj.props() | {"key": key} == before:
            if key in self.result.updated:  # a value that normalises to what is stored (1,200 → 1200.0)
                self.result.updated.remove(key)
                self.result.unchanged.append(key)
            return None  # nothing to write for this row
        self.plan.add_node(obj, Loc(self.file_name, row))
        if before is not None:
            self.befores[key] = before
        self.afters[key] = obj.props()
        return None

    def commit(self, store: GraphStore) -> ImportResult:
        if self.forbidden:
            raise ProjectForbidden(f"{self.file_name}: 园区管理员只能导入本园区（{self.park}）的项目；{len(self.forbidden)} 行属于"
                                   "其他园区，未写入任何数据", errors=self.forbidden)
        self.plan.check(store)
        problems = self.problems + self.plan.problems
        if problems:  # header names instead of field names where we know them
            raise ValidationFailed([Problem(p.file, p.row, self.headers.get(p.field or "", p.field), p.message)
                                    for p in problems])
        if not self.plan.nodes:
            return self.result
        batch = self.plan.batch()
        batch.expect = self.expects
        try:
            store.write(batch, audit=AuditEntry(actor=self.actor, action="project.import",
                                                target=f"Project/*（{self.file_name}）",
                                                before=self.befores or None, after=self.afters))
        except ConflictError:
            raise ProjectConflict("导入期间有项目被他人修改，未写入任何数据，请重新导入") from None
        return self.result


def import_xlsx(store: GraphStore, data: bytes | str | Path, *, actor: str, file_name: str = "项目库.xlsx",
                today: dt.date | None = None, now: dt.datetime | None = None, park: str | None = None,
                limits: ImportLimits = ImportLimits(), snap: Snapshot | None = None) -> ImportResult:
    """Import a project list (the export's layout, or any sheet with the importer's Chinese headers).

    All or nothing: every problem — unknown column, bad value, unknown reference, illegal stage change (an
    existing project may move only by a legal transition, recorded with 阶段日期 or today) — is reported with row
    and column, and nothing is written. Empty cells keep the stored value; computed columns are ignored. A file
    over `limits` (rows, unpacked size) is refused with TooLarge (413) before its rows are read; a park
    administrator's rows for another park are refused with ProjectForbidden (403), naming the rows.

    投资方, 产业链, 环节, 拟落地行政区 and 意向园区 may hold names (the export writes names there, and keys in its code
    columns): a name is resolved with `snap` (built from the store when not given and a row needs it); one that
    names nothing is a problem of its cell, with the closest names."""
    sheet = read_sheet(data, file_name=file_name, limits=limits)
    built: list[Snapshot] = [snap] if snap is not None else []

    def snapshot() -> Snapshot:
        if not built:
            built.append(Snapshot.build(store))
        return built[0]

    run = _Import(file_name, sheet, snapshot, actor, today or dt.date.today(), _now(now), park)
    for r in sheet.rows:
        run.problems.extend(r.problems)
        if run.refs(r.num, r.values, r.names):
            run.row(store, r.num, r.values)
    return run.commit(store)
