"""招商项目库: project stages with enforced, dated transitions; weekly tracking; 一般/重点/重大 classification;
overdue and stalled lists; evaluation after landing against the parcel's 标准地 requirements; Excel export/import.

Where things live (both store backends hold them as given — flat values and lists of strings):
  Project.stage            current stage, one of 线索 → 接洽 → 洽谈 → 签约 → 注册 → 开工 → 投产 → 达产
  Project.stage_on         the date the current stage was entered (YYYY-MM-DD text, sorts as time)
  Project.stage_history    one JSON object text per transition: {"on", "from", "to", "by", "at", "note"}
  Project.signed_on        the date of the transition into 签约 (landed projects: the recommender's positives)
  Project.tracking_log     one JSON object text per weekly tracking entry: {"on", "by", "at", "note"}
  Project.next_action(_on) what is to be done next, and by when

Only this module changes stage, stage_on, stage_history, signed_on and tracking_log (the generic PUT refuses).
Every write re-reads the project, checks the rules, and writes with a precondition on what it read (stage, the
history and the log as they were), so two officers moving the same project at once cannot both succeed; the
audit entry records who, when, before and after, in the same transaction.

Service functions are keyword-only and raise PipelineError subclasses carrying an HTTP status (the API router
stays thin, the CLI uses the same functions). Reads take project records (dicts as the store returns them).
"""
from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import numpy as np

from graph.schema import LABEL_CN, PROJECT_STAGES, Label, iso_date_text, utc_timestamp_text
from graph.snapshot import Snapshot
from graph.store import AuditEntry, ConflictError, Expect, GraphStore
from graph.writer import Plan
from graph.validation import Loc, Problem, ValidationFailed, validate
from kernel.errors import ChainMatchError, Conflict, Forbidden, Invalid, NotFound, TooLarge as _TooLarge

STAGES = PROJECT_STAGES
STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}
SIGNED = STAGE_INDEX["签约"]
# Allowed transitions: one step forward; before signing a project may also fall back one step (talks cool down),
# with a note saying why. After signing there is no way back: a signed project that fails is deleted or kept as is.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "线索": ("接洽",),
    "接洽": ("洽谈", "线索"),
    "洽谈": ("签约", "接洽"),
    "签约": ("注册",),
    "注册": ("开工",),
    "开工": ("投产",),
    "投产": ("达产",),
    "达产": (),
}
PROTECTED_FIELDS = ("stage", "stage_on", "stage_history", "signed_on", "tracking_log")
CLASSES = ("一般", "重点", "重大")


# ============================================================================================== errors
class PipelineError(ChainMatchError):
    """Any refusal of the project library (the kernel's kind says which)."""


class ProjectNotFound(PipelineError, NotFound):
    pass


class ProjectForbidden(PipelineError, Forbidden):
    pass


class IllegalTransition(PipelineError, Conflict):
    pass


class ProjectConflict(PipelineError, Conflict):
    pass


class InvalidRequest(PipelineError, Invalid):
    pass


class TooLarge(PipelineError, _TooLarge):
    pass


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (settings: CHAINMATCH_IMPORT_MAX_ROWS, CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES). An
    .xlsx is a zip: a few MB can unpack to gigabytes of sheet XML, so the unpacked size is checked from the zip's
    directory before anything is parsed, and rows are counted while the sheet is streamed."""

    max_rows: int = 20_000
    max_unpacked_bytes: int = 64 * 1024 * 1024


def _check_unpacked(src: Any, file_name: str, limits: ImportLimits) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(src) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: load_workbook says so below
    finally:
        if hasattr(src, "seek"):
            src.seek(0)
    if total > limits.max_unpacked_bytes:
        raise TooLarge(f"{file_name}: 解压后 {total / 2**20:,.1f} MB，超过上限 {limits.max_unpacked_bytes / 2**20:,.0f} MB"
                       "（CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES）；请拆分文件")


# ============================================================================================== rules
@dataclass(frozen=True)
class PipelineRules:
    """Classification thresholds (总投资, 万元) and tracking limits; configurable per deployment.

    Defaults: 重大 ≥ 10 亿元, 重点 ≥ 1 亿元, 一般 below; a project without a tracking entry or stage change for
    more than 30 days is stalled (the documents ask for weekly tracking: 每周跟踪)."""

    key_wan: Decimal = Decimal(10_000)
    major_wan: Decimal = Decimal(100_000)
    stall_days: int = 30

    def __post_init__(self) -> None:
        if self.key_wan <= 0 or self.major_wan <= 0:
            raise InvalidRequest("分类阈值应为正数（万元）")
        if self.major_wan <= self.key_wan:
            raise InvalidRequest(f"重大项目阈值 {self.major_wan} 万元应高于重点项目阈值 {self.key_wan} 万元")
        if self.stall_days < 1:
            raise InvalidRequest("停滞天数应至少为 1 天")

    def as_dict(self) -> dict[str, Any]:
        return {"key_wan": float(self.key_wan), "major_wan": float(self.major_wan), "stall_days": self.stall_days,
                "text": f"重大：总投资 ≥ {self.major_wan:,} 万元；重点：≥ {self.key_wan:,} 万元；其余一般；"
                        f"超过 {self.stall_days} 天无阶段变化且无跟踪记录为停滞"}


def classify(total_investment_wan: float | None, rules: PipelineRules = PipelineRules()) -> str | None:
    """一般 / 重点 / 重大 by 总投资 (万元); None when the investment is not known."""
    if total_investment_wan is None:
        return None
    x = Decimal(str(total_investment_wan))
    return "重大" if x >= rules.major_wan else "重点" if x >= rules.key_wan else "一般"


def transition_error(frm: str, to: str) -> str | None:
    """Why frm → to is not allowed (None if it is)."""
    if to not in STAGE_INDEX:
        return f"未知阶段“{to}”；阶段依次为 {' → '.join(STAGES)}"
    if to == frm:
        return f"项目已处于“{frm}”阶段"
    if to in TRANSITIONS[frm]:
        return None
    allowed = "、".join(TRANSITIONS[frm]) or "无（已达产）"
    if STAGE_INDEX[to] > STAGE_INDEX[frm]:
        skipped = "、".join(STAGES[STAGE_INDEX[frm] + 1:STAGE_INDEX[to]])
        return f"不能从“{frm}”跳到“{to}”：须依次经过“{skipped}”；当前可转入：{allowed}"
    if STAGE_INDEX[frm] >= SIGNED:
        return f"已签约项目不能退回“{to}”；当前可转入：{allowed}"
    return f"不能从“{frm}”退回“{to}”（签约前只能退回上一阶段）；当前可转入：{allowed}"


# ============================================================================================== reading records
def _entries(props: dict[str, Any], name: str) -> list[dict[str, Any]]:
    out = []
    for t in props.get(name) or []:
        try:
            e = json.loads(t)
        except (TypeError, ValueError):
            continue
        if isinstance(e, dict):
            out.append(e)
    return out


def stage_history(props: dict[str, Any]) -> list[dict[str, Any]]:
    return _entries(props, "stage_history")


def tracking_log(props: dict[str, Any]) -> list[dict[str, Any]]:
    return _entries(props, "tracking_log")


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def last_activity(props: dict[str, Any]) -> dt.date | None:
    """The latest of: entering the current stage, any transition, any tracking entry."""
    dates = [_d(props.get("stage_on"))] + [_d(e.get("on")) for e in stage_history(props)] + \
        [_d(e.get("on")) for e in tracking_log(props)]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def project_view(props: dict[str, Any], *, today: dt.date, rules: PipelineRules = PipelineRules()) -> dict[str, Any]:
    """A project as the board and lists show it: classification, overdue and stalled flags with their numbers."""
    stage = props.get("stage") or "线索"
    done = stage == "达产"
    nxt = _d(props.get("next_action_on"))
    overdue_days = (today - nxt).days if nxt and not done and nxt < today else 0
    last = last_activity(props)
    idle = (today - last).days if last else None
    log = tracking_log(props)
    return {
        "key": props["key"], "name": props.get("name"), "stage": stage, "stage_on": props.get("stage_on"),
        "days_in_stage": (today - _d(props["stage_on"])).days if props.get("stage_on") else None,
        "classification": classify(props.get("total_investment_wan"), rules),
        "total_investment_wan": props.get("total_investment_wan"), "owner": props.get("owner"),
        "park": props.get("park"), "chain": props.get("chain"), "investor": props.get("investor"),
        "next_action": props.get("next_action"), "next_action_on": props.get("next_action_on"),
        "overdue": overdue_days > 0, "overdue_days": overdue_days,
        "last_activity_on": last.isoformat() if last else None, "idle_days": idle,
        "stalled": (not done) and (idle is None or idle > rules.stall_days),
        "last_tracking": log[-1] if log else None, "signed_on": props.get("signed_on"),
        "synthetic": bool(props.get("synthetic")),
    }


def board(records: Iterable[dict[str, Any]], *, today: dt.date, rules: PipelineRules = PipelineRules()) -> dict[str, Any]:
    """Projects by stage (overdue first, then by investment), with counts per stage and class."""
    views = [project_view(p, today=today, rules=rules) for p in records]
    by_stage: dict[str, list[dict[str, Any]]] = {s: [] for s in STAGES}
    for v in views:
        by_stage[v["stage"]].append(v)
    for rows in by_stage.values():
        rows.sort(key=lambda v: (not v["overdue"], not v["stalled"], -(v["total_investment_wan"] or 0), v["key"]))
    by_class = {c: sum(1 for v in views if v["classification"] == c) for c in CLASSES}
    by_class["未填总投资"] = sum(1 for v in views if v["classification"] is None)
    return {
        "today": today.isoformat(), "rules": rules.as_dict(), "total": len(views),
        "overdue": sum(v["overdue"] for v in views), "stalled": sum(v["stalled"] for v in views),
        "landed": sum(STAGE_INDEX[v["stage"]] >= SIGNED for v in views), "by_class": by_class,
        "stages": [{"stage": s, "count": len(by_stage[s]),
                    "investment_wan": round(sum(v["total_investment_wan"] or 0 for v in by_stage[s]), 2),
                    "projects": by_stage[s]} for s in STAGES],
    }


def overdue(records: Iterable[dict[str, Any]], *, today: dt.date, rules: PipelineRules = PipelineRules()) -> list[dict[str, Any]]:
    """Projects whose next action date has passed (not 达产), most overdue first."""
    views = [v for v in (project_view(p, today=today, rules=rules) for p in records) if v["overdue"]]
    return sorted(views, key=lambda v: (-v["overdue_days"], v["key"]))


def stalled(records: Iterable[dict[str, Any]], *, today: dt.date, rules: PipelineRules = PipelineRules()) -> list[dict[str, Any]]:
    """Projects with no stage change and no tracking for more than `stall_days` days (not 达产), longest first."""
    views = [v for v in (project_view(p, today=today, rules=rules) for p in records) if v["stalled"]]
    return sorted(views, key=lambda v: (-(v["idle_days"] if v["idle_days"] is not None else 10**6), v["key"]))


def project_records(store: GraphStore, *, park: str | None = None) -> list[dict[str, Any]]:
    """Every project (of one park, if given) as the store holds it."""
    if park:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows, total = store.find("Project", filters={"park": park}, limit=500, offset=offset)
            out.extend(rows)
            offset += len(rows)
            if not rows or offset >= total:
                return out
    return [{"key": k, **p} for k, p in store.iter_nodes("Project")]


# ============================================================================================== landed projects
@dataclass(frozen=True)
class LandedProjects:
    """Projects at 签约 or later in the analytic snapshot — the recommender's positives.

    `index` are row indices into snapshot label "Project"; `stage` the stage text; `signed_on` / `stage_on` ISO
    dates ("" when unknown). `investor`, `chain`, `segment`, `park` are keys ("" when unknown)."""

    index: np.ndarray
    keys: np.ndarray
    stage: np.ndarray
    signed_on: np.ndarray
    stage_on: np.ndarray
    investor: np.ndarray
    chain: np.ndarray
    segment: np.ndarray
    park: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def signed_before(self, date: str | dt.date) -> np.ndarray:
        """Boolean mask: signed strictly before the date (a time-based hold-out)."""
        d = date.isoformat() if isinstance(date, dt.date) else str(date)
        return (self.signed_on != "") & (self.signed_on < d)


def landed_projects(snap: Snapshot) -> LandedProjects:
    """Projects whose stage is 签约 or later, read from the snapshot (stage is a categorical column; dates are
    ISO text, so they compare as time)."""
    n = snap.n("Project")
    empty = np.asarray([], dtype=str)
    if n == 0:
        return LandedProjects(np.zeros(0, np.int64), *(empty,) * 8)

    def col(name: str) -> np.ndarray:
        la = snap.labels["Project"]
        if name not in la.cat:
            return np.full(n, "", dtype=str)
        codes, vocab = la.cat[name]
        padded = np.concatenate([vocab.astype(str), np.asarray([""])])
        return padded[codes]

    stage = col("stage")
    rank = np.asarray([STAGE_INDEX.get(s, -1) for s in stage.tolist()], dtype=np.int64)
    idx = np.flatnonzero(rank >= SIGNED)
    return LandedProjects(idx, snap.keys("Project")[idx], stage[idx], col("signed_on")[idx], col("stage_on")[idx],
                          col("investor")[idx], col("chain")[idx], col("segment")[idx], col("park")[idx])


# ============================================================================================== writes
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


def _get(store: GraphStore, key: str) -> dict[str, Any]:
    p = store.get("Project", key)
    if p is None:
        raise ProjectNotFound(f"项目 {key!r} 不存在")
    return p


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
    stage = data.get("stage") or "线索"
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
    """Move a project to `to` on date `on` (default today). Illegal jumps raise IllegalTransition naming the
    allowed next stages; a date before the current stage's date or in the future raises InvalidRequest."""
    today = today or dt.date.today()
    before = _get(store, key)
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
    before = _get(store, key)
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
    before = _get(store, key)
    data = dict(before)
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    _check_park(before, data, park)
    return _write(store, before=before, data=data, actor=actor, action="project.update")


# ============================================================================================== evaluation
@dataclass
class Indicator:
    name: str
    value: float | None
    basis: str
    required: float | None
    unit: str
    outcome: str  # pass | shortfall | unknown | no_requirement
    message: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _q(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _r(x: Decimal | None) -> float | None:
    return None if x is None else float(x.quantize(Decimal("0.01")))


def _t(x: Decimal | float | None) -> str:
    """2 decimals at most, no trailing zeros: 280.0 → '280', 12.345 → '12.35'."""
    if x is None:
        return "—"
    t = f"{Decimal(str(x)).quantize(Decimal('0.01')):f}"
    return t.rstrip("0").rstrip(".") if "." in t else t


def parcel_of(store: GraphStore, key: str) -> dict[str, Any] | None:
    """The parcel the project holds: transferred to it, else reserved for it."""
    for fld in ("transferred_to", "reserved_by"):
        rows, _ = store.find("LandParcel", filters={fld: key}, limit=1)
        if rows:
            return rows[0]
    return None


def evaluate(project: dict[str, Any], parcel: dict[str, Any] | None) -> dict[str, Any]:
    """Evaluation after landing: 投资强度 (投资 ÷ 亩), 亩均税收, 亩均产出 and jobs, each compared with the parcel's
    标准地 requirement (or the promise, for jobs); shortfalls named with the gap. Actual figures are used where
    recorded (实际完成固定资产投资, 实际年税收 …), else the planned ones, and the basis says which."""
    stage = project.get("stage") or "线索"
    area = _q(project.get("land_area_mu")) or (_q(parcel.get("area_mu")) if parcel else None)
    area_basis = "实际用地面积" if project.get("land_area_mu") else ("地块面积" if parcel else "—")
    inds: list[Indicator] = []

    def per_mu(name: str, actual: str, planned: str, req_field: str, a_label: str, p_label: str) -> None:
        v_raw, basis = (project.get(actual), a_label) if project.get(actual) is not None else (project.get(planned), p_label)
        req = _q(parcel.get(req_field)) if parcel else None
        value = (_q(v_raw) / area) if (v_raw is not None and area) else None
        unit = "万元/亩"
        if value is None:
            out, msg = "unknown", f"{name}无法计算（缺少{basis if v_raw is None else '用地面积'}）"
        elif req is None:
            out, msg = "no_requirement", f"{name} {_t(value)} {unit}（地块未规定下限）"
        elif value >= req:
            out, msg = "pass", f"{name} {_t(value)} {unit} ≥ 要求 {_t(req)} {unit}"
        else:
            gap = req - value
            out = "shortfall"
            msg = (f"{name} {_t(value)} {unit} < 要求 {_t(req)} {unit}，差 {_t(gap)} {unit}"
                   f"（按 {_t(area)} 亩共差 {_t(gap * area)} 万元）")
        inds.append(Indicator(name, _r(value), f"{basis} ÷ {area_basis}", _r(req), unit, out, msg))

    per_mu("投资强度", "actual_investment_wan", "total_investment_wan", "min_invest_intensity_wan_per_mu",
           "实际完成固定资产投资", "计划总投资")
    per_mu("亩均税收", "actual_tax_wan", "expected_tax_wan", "min_tax_wan_per_mu", "实际年税收", "预计达产年税收")
    per_mu("亩均产出", "actual_output_wan", "expected_output_wan", "min_output_wan_per_mu", "实际年产值", "预计达产年产值")
    promised, actual = project.get("jobs"), project.get("actual_jobs")
    if actual is None:
        inds.append(Indicator("就业", None, "实际就业人数", promised, "人", "unknown", "未填实际就业人数"))
    elif promised is None:
        inds.append(Indicator("就业", actual, "实际就业人数", None, "人", "no_requirement", f"实际就业 {actual} 人（未填承诺数）"))
    elif actual >= promised:
        inds.append(Indicator("就业", actual, "实际就业人数", promised, "人", "pass", f"实际就业 {actual} 人 ≥ 承诺 {promised} 人"))
    else:
        inds.append(Indicator("就业", actual, "实际就业人数", promised, "人", "shortfall",
                              f"实际就业 {actual} 人 < 承诺 {promised} 人，差 {promised - actual} 人"))
    shortfalls = [i.name for i in inds if i.outcome == "shortfall"]
    notes = []
    if STAGE_INDEX.get(stage, 0) < SIGNED:
        notes.append(f"项目尚处于“{stage}”阶段，评价按计划值预估")
    elif stage != "达产":
        notes.append(f"项目处于“{stage}”阶段，未达产，税收/产出按已填数值评价")
    if parcel is None:
        notes.append("未找到项目所用地块（地块出让或预留给本项目后可对照标准地指标）")
    return {
        "project": project.get("key"), "name": project.get("name"), "stage": stage,
        "parcel": parcel.get("key") if parcel else None, "parcel_name": parcel.get("name") if parcel else None,
        "area_mu": _r(area), "indicators": [i.as_dict() for i in inds], "shortfalls": shortfalls,
        "ok": not shortfalls, "notes": notes,
    }


def evaluations(store: GraphStore, *, park: str | None = None, only_shortfalls: bool = False) -> list[dict[str, Any]]:
    """Evaluate every landed project (签约 or later), parcels looked up once."""
    # the same choice as parcel_of: a parcel transferred to the project, else one reserved for it
    transferred: dict[str, dict[str, Any]] = {}
    reserved: dict[str, dict[str, Any]] = {}
    for k, p in store.iter_nodes("LandParcel"):
        for fld, into in (("transferred_to", transferred), ("reserved_by", reserved)):
            if p.get(fld):
                into.setdefault(p[fld], {"key": k, **p})
    holders = reserved | transferred
    out = []
    for p in project_records(store, park=park):
        if STAGE_INDEX.get(p.get("stage") or "线索", 0) < SIGNED:
            continue
        ev = evaluate(p, holders.get(p["key"]))
        if only_shortfalls and ev["ok"]:
            continue
        out.append(ev)
    out.sort(key=lambda e: (-len(e["shortfalls"]), e["project"]))
    return out


# ============================================================================================== Excel
# (field, header, importable). Headers are the ones officers use; import also accepts every header the generic
# importer knows (graph/io/columns.py), e.g. 项目名称, 总投资, 责任人, and units in brackets: 总投资(亿元).
EXPORT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("key", "项目编号", True), ("name", "项目名称", True), ("stage", "阶段", True), ("stage_on", "阶段日期", True),
    ("classification", "分类", False), ("investor", "投资方", True), ("chain", "产业链", True),
    ("segment", "环节", True), ("region", "拟落地行政区", True), ("park", "意向园区", True),
    ("total_investment_wan", "总投资(万元)", True), ("land_min_mu", "用地需求下限(亩)", True),
    ("land_max_mu", "用地需求上限(亩)", True), ("expected_tax_wan", "达产年税收(万元)", True),
    ("expected_output_wan", "达产年产值(万元)", True), ("jobs", "就业人数", True), ("owner", "责任人", True),
    ("signed_on", "签约日期", False), ("next_action", "下一步工作", True), ("next_action_on", "下一步计划日期", True),
    ("overdue_days", "逾期天数", False), ("idle_days", "未更新天数", False), ("last_tracking", "最近跟踪", False),
    ("synthetic", "合成数据", False),
)
_EXPORT_ONLY = {h for _, h, imp in EXPORT_COLUMNS if not imp} | {"备注"}
_OWN_HEADERS = {h: f for f, h, imp in EXPORT_COLUMNS if imp}


def export_xlsx(records: Iterable[dict[str, Any]], out: str | Path | BinaryIO, *, today: dt.date,
                rules: PipelineRules = PipelineRules()) -> int:
    """The project list as one sheet “招商项目库” (re-importable: computed columns are skipped on import)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from graph.io.export import text_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "招商项目库"
    ws.append([h for _, h, _ in EXPORT_COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE2E2")
    n = 0
    for p in sorted(records, key=lambda r: (STAGE_INDEX.get(r.get("stage") or "线索", 0), r["key"])):
        v = project_view(p, today=today, rules=rules)
        row = []
        for f, _, _ in EXPORT_COLUMNS:
            if f in ("classification", "overdue_days", "idle_days"):
                row.append(v[f])
            elif f == "last_tracking":
                lt = v["last_tracking"]
                row.append(f"{lt.get('on')} {lt.get('note', '')}" if lt else None)
            elif f == "synthetic":
                row.append("是" if p.get("synthetic") else None)
            else:
                row.append(p.get(f))
        ws.append([text_cell(ws, c) for c in row])
        n += 1
        if v["overdue"]:
            for c in ws[ws.max_row]:
                c.fill = red
    ws.freeze_panes = "C2"
    wb.save(out)
    return n


def _resolve(header: str) -> tuple[str | None, Decimal | None, str | None]:
    from graph.io.columns import resolve_header

    h = header.strip()
    if h in _OWN_HEADERS:  # our own headers (units included): no conversion
        return _OWN_HEADERS[h], None, None
    if h in ("阶段日期", "阶段变更日期", "进入阶段日期"):
        return "stage_on", None, None
    return resolve_header(Label.Project, h)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stage_changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "stage_changes": self.stage_changes, "keys": {"created": self.created, "updated": self.updated}}


def import_xlsx(store: GraphStore, data: bytes | str | Path, *, actor: str, file_name: str = "项目库.xlsx",
                today: dt.date | None = None, now: dt.datetime | None = None, park: str | None = None,
                limits: ImportLimits = ImportLimits()) -> ImportResult:
    """Import a project list (the export's layout, or any sheet with the importer's Chinese headers).

    All or nothing: every problem — unknown column, bad value, unknown reference, illegal stage change (an
    existing project may move only by a legal transition, recorded with 阶段日期 or today) — is reported with row
    and column, and nothing is written. Empty cells keep the stored value; computed columns are ignored. A file
    over `limits` (rows, unpacked size) is refused with TooLarge (413) before its rows are read; a park
    administrator's rows for another park are refused with ProjectForbidden (403), naming the rows."""
    from openpyxl import load_workbook

    from graph.io.readers import table_from_rows
    from graph.io.report import Log
    from graph.io.values import node_specs

    today = today or dt.date.today()
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    _check_unpacked(src, file_name, limits)
    try:
        wb = load_workbook(src, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a non-xlsx file
        raise InvalidRequest(f"{file_name}: 无法读取 Excel 文件（需要 .xlsx）：{type(e).__name__}") from None
    try:
        if not wb.worksheets:
            raise InvalidRequest(f"{file_name}: 工作簿中没有工作表")
        raw_rows = []
        for r in wb.worksheets[0].iter_rows(values_only=True):  # streamed (read-only mode), counted as it goes
            raw_rows.append(list(r))
            if len(raw_rows) > limits.max_rows + 10:  # (a title row and blank rows above the header are allowed)
                raise TooLarge(f"{file_name}: 超过 {limits.max_rows:,} 行的上限（CHAINMATCH_IMPORT_MAX_ROWS）；请拆分文件")
    finally:
        wb.close()
    # the importer's own header detection: blank rows and a title row above the header are skipped, and every row
    # keeps the number Excel shows
    log = Log()
    table = table_from_rows(file_name, Label.Project, raw_rows, log)
    if table is None:
        raise InvalidRequest(f"{file_name}: {log.problems[0].message}")
    if len(table.rows) > limits.max_rows:
        raise TooLarge(f"{file_name}: {len(table.rows):,} 行，超过上限 {limits.max_rows:,} 行（CHAINMATCH_IMPORT_MAX_ROWS）；请拆分文件")
    header, hrow = [h.strip() for h in table.header], table.header_row
    problems: list[Problem] = []
    cols: list[tuple[int, str, str, Decimal | None]] = []
    seen: dict[str, str] = {}
    for i, h in enumerate(header):
        if not h or h in _EXPORT_ONLY:
            continue
        fname, factor, prob = _resolve(h)
        if prob or fname is None:
            problems.append(Problem(file_name, hrow, h, prob or f"未知列“{h}”"))
        elif fname in ("stage_history", "tracking_log"):
            problems.append(Problem(file_name, hrow, h, "阶段流转与跟踪记录不能通过导入修改"))
        elif fname in seen:
            problems.append(Problem(file_name, hrow, h, f"与列“{seen[fname]}”是同一字段"))
        else:
            seen[fname] = h
            cols.append((i, h, fname, factor))
    if "key" not in seen:
        problems.append(Problem(file_name, hrow, "项目编号", "缺少必需列“项目编号”"))
    if problems:
        raise ValidationFailed(problems)
    specs = node_specs(Label.Project)
    plan = Plan(source=file_name)
    expects: list[Expect] = []
    result = ImportResult()
    befores: dict[str, Any] = {}
    afters: dict[str, Any] = {}
    forbidden: list[dict[str, Any]] = []
    stamp = _now(now)
    for rownum, cells in table.rows:
        loc = Loc(file_name, rownum)
        values: dict[str, Any] = {}
        for i, h, fname, factor in cols:
            raw = cells[i] if i < len(cells) else None
            try:
                v, _ = specs[fname].convert(raw, factor)
            except ValueError as e:
                problems.append(Problem(file_name, rownum, h, str(e)))
                continue
            if v is not None:
                values[fname] = v
        key = values.get("key")
        if not key:
            problems.append(Problem(file_name, rownum, seen["key"], "缺少项目编号"))
            continue
        before = store.get("Project", key)
        stage_on = values.pop("stage_on", None)
        if stage_on and stage_on > today.isoformat():
            problems.append(Problem(file_name, rownum, seen.get("stage_on"), f"阶段日期 {stage_on} 晚于今天"))
            continue
        if before is None:
            data = dict(values)
            stage = data.get("stage") or "线索"
            on_d = stage_on or today.isoformat()
            data["stage_on"] = on_d
            data["stage_history"] = [_entry(on=on_d, to=stage, by=actor, at=stamp, note=f"导入建档（{file_name}）")]
            if stage in STAGE_INDEX and STAGE_INDEX[stage] >= SIGNED and not data.get("signed_on"):
                data["signed_on"] = on_d
            result.created.append(key)
        else:
            data = dict(before) | values
            frm, to = before.get("stage") or "线索", values.get("stage")
            if to and to != frm:
                why = transition_error(frm, to)
                last_on = max([before.get("stage_on") or ""] + [e.get("on", "") for e in stage_history(before)])
                on_d = stage_on or today.isoformat()
                if why:
                    problems.append(Problem(file_name, rownum, seen.get("stage"), why))
                    continue
                if STAGE_INDEX[to] < STAGE_INDEX[frm]:
                    problems.append(Problem(file_name, rownum, seen.get("stage"), "阶段回退须在项目库中说明原因后操作，不能通过导入"))
                    continue
                if last_on and on_d < last_on:
                    problems.append(Problem(file_name, rownum, seen.get("stage_on") or seen.get("stage"),
                                            f"阶段日期 {on_d} 早于上一阶段日期 {last_on}"))
                    continue
                data["stage_on"] = on_d
                data["stage_history"] = list(before.get("stage_history") or []) + [
                    _entry(on=on_d, **{"from": frm}, to=to, by=actor, at=stamp, note=f"导入（{file_name}）")]
                if to == "签约":
                    data["signed_on"] = on_d
                result.stage_changes.append(f"{key}: {frm}→{to}")
                expects.append(Expect("Project", key, {"stage": frm}))
            (result.unchanged if data == before else result.updated).append(key)
        if park is not None and ((before and before.get("park") != park) or data.get("park") != park):
            forbidden.append({"file": file_name, "row": rownum, "field": seen.get("park") or "意向园区",
                              "message": f"项目 {key} 不属于本园区（{park}）"})
            continue
        obj, probs = validate(Label.Project, data, loc)
        if probs or obj is None:
            problems.extend(probs)
            continue
        if before is not None and obj.props() | {"key": key} == before:
            if key in result.updated:  # a value that normalises to what is stored (1,200 → 1200.0)
                result.updated.remove(key)
                result.unchanged.append(key)
            continue  # nothing to write for this row
        plan.add_node(obj, loc)
        if before is not None:
            befores[key] = before
        afters[key] = obj.props()
    if forbidden:
        raise ProjectForbidden(f"{file_name}: 园区管理员只能导入本园区（{park}）的项目；{len(forbidden)} 行属于其他园区，"
                               "未写入任何数据", errors=forbidden)
    plan.check(store)
    problems.extend(plan.problems)
    if problems:
        # header names instead of field names where we know them
        by_field = {f: h for f, h in seen.items()}
        raise ValidationFailed([Problem(p.file, p.row, by_field.get(p.field or "", p.field), p.message) for p in problems])
    if not plan.nodes:
        return result
    batch = plan.batch()
    batch.expect = expects
    try:
        store.write(batch, audit=AuditEntry(actor=actor, action="project.import", target=f"Project/*（{file_name}）",
                                            before=befores or None, after=afters))
    except ConflictError:
        raise ProjectConflict("导入期间有项目被他人修改，未写入任何数据，请重新导入") from None
    return result


def rules_info() -> dict[str, Any]:
    return {"stages": list(STAGES), "transitions": {k: list(v) for k, v in TRANSITIONS.items()},
            "protected_fields": list(PROTECTED_FIELDS), "label": LABEL_CN[Label.Project]}
