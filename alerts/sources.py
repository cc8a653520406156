"""The event sources of 内容订阅, in one small registry: each source names the watched values it needs (the
processor loads them from the store) and turns what changed into events plus the new watched values.

"What changed" is always a comparison with the watched value the processor stored the last time — a parcel's
status, a project's stage, the set of firms above a target score for a chain — never with a snapshot held in
memory, so a restarted processor (or the CLI's) compares with exactly what the last pass saw. A first pass (no
cursor yet) stores the baseline and records nothing: subscribing does not flood the digest with the past.

Built in: parcel listed / reserved / transferred, project stage changed, project overdue (time-based, every
tick), new target above a score (targets_source.py), new eligible firm for a policy (targets_source.py). Another
package adds its own with `register_source(Source(...))` — e.g. the firm dossier's 扩张指数 / 外迁预警 crossing a
threshold (kind "signal.crossed"; see docs/alerts.md).

Reads the snapshot and the records the processor hands over; never the store.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from alerts.model import EventDraft
from alerts.topics import parcel_topics, project_props_at, project_topics

Watch = dict[str, str]
WatchUpdate = dict[str, "str | None"]


@dataclass(frozen=True)
class TargetScope:
    """A chain or segment some subscription follows targets of, for a 行政区, from `min_score` (0–100) up."""

    region: str
    kind: str  # chain | segment
    key: str
    min_score: float


@dataclass
class SourceContext:
    """What a pass of the processor knows: the snapshot, the changed records (label → key → props, None =
    deleted; for a full pass every record the processor read), the store version read up to, today in 北京时间,
    the rules (settings) and the target scopes the subscriptions ask for."""

    snap: Any
    changed: dict[str, dict[str, dict[str, Any] | None]]
    version: int
    today: dt.date
    overdue_days: int = 60
    target_k: int = 200
    scopes: list[TargetScope] = field(default_factory=list)
    baseline: bool = False  # first pass: store what is, record nothing
    followed_firms: list[str] = field(default_factory=list)  # firms someone subscribed to (re-checked every pass)
    anything_changed: bool = True
    overdue: list[dict[str, Any]] | None = None  # the overdue projects, worked out from the snapshot on first use

    def changes(self, label: str) -> dict[str, dict[str, Any] | None]:
        return self.changed.get(label, {})


@dataclass(frozen=True)
class Source:
    """An event source: `needs(ctx)` the watch keys to load; `run(ctx, watch)` → (events, watch updates)."""

    name: str
    needs: Callable[[SourceContext], list[str]]
    run: Callable[[SourceContext, Watch], tuple[list[EventDraft], WatchUpdate]]


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    """Add (or replace, by name) an event source; the processor runs every registered source on each pass."""
    SOURCES[source.name] = source
    return source


# ------------------------------------------------------------------------------------------------ land
PARCEL_KIND = {"available": "parcel.listed", "reserved": "parcel.reserved", "transferred": "parcel.transferred"}
PARCEL_VERB = {"available": "挂牌可供", "reserved": "已预留", "transferred": "已出让"}


def _land_needs(ctx: SourceContext) -> list[str]:
    return [f"land:{k}" for k in ctx.changes("LandParcel")]


Move = tuple[str, dict[str, Any], "str | None", str]  # key, props, watched value before, now


def _moves(ctx: SourceContext, watch: Watch, label: str, prefix: str,
           value: Callable[[dict[str, Any]], str]) -> tuple[list[Move], WatchUpdate]:
    """The changed `label` records whose watched value moved since the last pass: (key, props, before, now) each,
    and the watch updates (deleted records drop their value; a baseline pass records values, no moves)."""
    moves: list[Move] = []
    upd: WatchUpdate = {}
    for key, props in sorted(ctx.changes(label).items()):
        before = watch.get(f"{prefix}:{key}")
        now = None if props is None else value(props)
        if now == before:
            continue
        upd[f"{prefix}:{key}"] = now
        if props is not None and now is not None and not ctx.baseline:
            moves.append((key, props, before, now))
    return moves, upd


def _land_run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    moves, upd = _moves(ctx, watch, "LandParcel", "land", lambda p: str(p.get("status") or "available"))
    events: list[EventDraft] = []
    for key, props, before, now in moves:
        name = props.get("name") or key
        detail = {"status": now, "before": before, "area_mu": props.get("area_mu"), "park": props.get("park"),
                  "reserved_by": props.get("reserved_by"), "transferred_to": props.get("transferred_to")}
        events.append(EventDraft(ctx.version, PARCEL_KIND[now], "LandParcel", key, f"地块「{name}」{PARCEL_VERB[now]}",
                                 parcel_topics(ctx.snap, key, props), {k: v for k, v in detail.items() if v is not None}))
    return events, upd


# ------------------------------------------------------------------------------------------------ projects
def _stage_needs(ctx: SourceContext) -> list[str]:
    return [f"stage:{k}" for k in ctx.changes("Project")]


def _stage_run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    moves, upd = _moves(ctx, watch, "Project", "stage", lambda p: str(p.get("stage") or "线索"))
    events: list[EventDraft] = []
    for key, props, before, now in moves:
        name = props.get("name") or key
        title = f"项目「{name}」{before} → {now}" if before else f"新项目「{name}」（{now}）"
        events.append(EventDraft(ctx.version, "project.stage", "Project", key, title,
                                 project_topics(ctx.snap, key, props),
                                 {"stage": now, "before": before, "stage_on": props.get("stage_on")}))
    return events, upd


DONE_STAGE = "达产"


def overdue_projects(snap: Any, today: dt.date, overdue_days: int) -> list[dict[str, Any]]:
    """The projects whose current stage began more than `overdue_days` before `today` and is not 达产 (a project
    without a stage is a 线索), read from the snapshot's stage/stage_on columns — the dates of the vocabulary are
    parsed once, so a tick over a large project library costs one pass over two integer arrays. Each: key, name,
    stage, stage_on and the place fields of alerts.topics.project_props_at."""
    if not snap.n("Project"):
        return []
    try:
        on_codes, on_vocab = snap.categorical("Project", "stage_on")
        st_codes, st_vocab = snap.categorical("Project", "stage")
    except (KeyError, ValueError):
        return []
    cutoff = today - dt.timedelta(days=overdue_days)
    began = []
    for text in on_vocab:
        try:
            began.append(dt.date.fromisoformat(str(text)[:10]) <= cutoff)
        except ValueError:
            began.append(False)
    late = np.zeros(len(on_codes), dtype=bool)
    if len(on_vocab):
        known = on_codes >= 0
        late[known] = np.asarray(began, dtype=bool)[on_codes[known]]
    done = [i for i, v in enumerate(st_vocab) if str(v) == DONE_STAGE]
    if done:
        late &= ~np.isin(st_codes, done)
    keys, names = snap.keys("Project"), snap.labels["Project"].names
    out = []
    for i in np.flatnonzero(late):
        stage = str(st_vocab[st_codes[i]]) if st_codes[i] >= 0 else "线索"
        out.append({"key": str(keys[i]), "name": str(names[i]) or None, "stage": stage,
                    "stage_on": str(on_vocab[on_codes[i]]), **project_props_at(snap, int(i))})
    return out


def _overdue(ctx: SourceContext) -> list[dict[str, Any]]:
    if ctx.overdue is None:
        ctx.overdue = overdue_projects(ctx.snap, ctx.today, ctx.overdue_days)
    return ctx.overdue


def _overdue_needs(ctx: SourceContext) -> list[str]:
    return [f"overdue:{p['key']}" for p in _overdue(ctx)]


def _overdue_run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    """A project whose current stage began more than `overdue_days` ago (not yet 达产): one event per stage
    entered (its id uses the stage's start date in place of a version)."""
    events: list[EventDraft] = []
    upd: WatchUpdate = {}
    for p in _overdue(ctx):
        stage, since = p["stage"], p["stage_on"]
        mark = f"{stage}|{since}"
        if watch.get(f"overdue:{p['key']}") == mark:
            continue
        upd[f"overdue:{p['key']}"] = mark
        if ctx.baseline:
            continue
        days = (ctx.today - dt.date.fromisoformat(since[:10])).days
        events.append(EventDraft(f"{since}/{stage}", "project.overdue", "Project", p["key"],
                                 f"项目「{p.get('name') or p['key']}」在「{stage}」阶段已 {days} 天",
                                 project_topics(ctx.snap, p["key"], p),
                                 {"stage": stage, "stage_on": since, "days": days, "limit_days": ctx.overdue_days}))
    return events, upd


register_source(Source("land", _land_needs, _land_run))
register_source(Source("project_stage", _stage_needs, _stage_run))
register_source(Source("project_overdue", _overdue_needs, _overdue_run))
