"""The 企业尽调 signals as an event source of 内容订阅: a firm's 扩张指数 or 外迁预警 rising after a change to the firm
(kind "signal.crossed"; one event per (firm, signal, version), so both signals can fire at one version).

The watched value per firm is the pair of scores "expansion,relocation" (e.g. "72,18"; no score counts as 0) as
the last pass saw them after a change to that firm. A firm seen for the first time (no watched value yet) is its
own baseline: nothing is recorded, so an unrelated edit never reports a firm as "crossing" into a level it was
already in. After that, a change that raises a score records one event carrying `before` and `score`; the event
reaches a subscription only if it crossed that subscription's floor upwards — before < floor <= score, the floor
being the subscription's `min_score`, else the signal's top level line (扩张活跃 60 / 外迁预警 高 50) — so an
officer may ask for "温和扩张 and up" with min_score 30 (`crossed`, used by the processor's matching).

A firm someone subscribed to is re-checked on every pass, changed or not: its signals also move because time passes
(a financing round leaving the two-year window) or because ANOTHER node changed (a 链主 customer moving away); such
an event is dated by the pass's day (its id carries "version@date"), so a second rise on a later day is a new event.
What it does not see: for firms followed only through a chain, segment or region subscription, those indirect moves
are picked up at the firm's next change; a bulk import too large for the change log is not itemised (the
processor then reads only parcels and projects). Reads the snapshot only.
"""
from __future__ import annotations

from typing import Any

from alerts.model import EventDraft
from alerts.sources import Source, SourceContext, Watch, WatchUpdate, register_source
from alerts.topics import places
from dossier import EXPANSION_LEVELS, RELOCATION_LEVELS, Signal, signals_for

# the top level of each signal (扩张活跃 / 外迁预警 高): the floor of a subscription that sets no min_score
SIGNAL_LINE = {"expansion": EXPANSION_LEVELS[0][0], "relocation": RELOCATION_LEVELS[0][0]}
SIGNAL_KIND = "signal.crossed"


def crossed(detail: dict[str, Any], min_score: float | None) -> bool:
    """Did this signal event cross the subscription's floor upwards (before < floor <= score)?"""
    floor = SIGNAL_LINE.get(str(detail.get("signal"))) if min_score is None else min_score
    before, score = detail.get("before"), detail.get("score")
    if floor is None or not isinstance(before, (int, float)) or not isinstance(score, (int, float)):
        return False
    return before < floor <= score


def _scores(text: str | None) -> tuple[int, int] | None:
    """The watched "expansion,relocation" pair (None: not seen yet, or an older format — a new baseline)."""
    parts = (text or "").split(",")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _firms(ctx: SourceContext) -> dict[str, dict[str, Any] | None]:
    """The firms this pass looks at: every changed one, and every followed one (props None = deleted)."""
    out = dict(ctx.changes("Enterprise"))
    for key in ctx.followed_firms:
        if key not in out and int(ctx.snap.index_of("Enterprise", key)) >= 0:
            out[key] = {"name": _snap_name(ctx.snap, key), "_unchanged": True}
    return out


def _snap_name(snap: Any, key: str) -> str:
    i = int(snap.index_of("Enterprise", key))
    return str(snap.labels["Enterprise"].names[i] or key)


def _needs(ctx: SourceContext) -> list[str]:
    return [f"sig:{k}" for k in _firms(ctx)]


def _event(ctx: SourceContext, key: str, name: str, sig: Signal, before: int, version: int | str) -> EventDraft:
    """The signal `sig` (its title, score and level as the dossier worked them out) rose from `before`."""
    score = int(sig.score or 0)
    return EventDraft(version, SIGNAL_KIND, "Enterprise", key,
                      f"「{name}」{sig.title} {before} → {score}（{sig.level}）", places(ctx.snap).firm(key),
                      {"scope": sig.kind, "signal": sig.kind, "score": score, "before": before, "level": sig.level})


def _run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    events: list[EventDraft] = []
    upd: WatchUpdate = {}
    for key, props in sorted(_firms(ctx).items()):
        if props is None:
            if watch.get(f"sig:{key}") is not None:
                upd[f"sig:{key}"] = None
            continue
        if int(ctx.snap.index_of("Enterprise", key)) < 0:  # not in this snapshot (yet): look at its next change
            continue
        exp, rel = signals_for(ctx.snap, key, ctx.today)
        now = (int(exp.score or 0), int(rel.score or 0))
        text = f"{now[0]},{now[1]}"
        before = _scores(watch.get(f"sig:{key}"))
        if watch.get(f"sig:{key}") != text:
            upd[f"sig:{key}"] = text
        if before is None or ctx.baseline:
            continue
        name = str(props.get("name") or key)
        version = f"{ctx.version}@{ctx.today.isoformat()}" if props.get("_unchanged") else ctx.version
        for sig, b, n in ((exp, before[0], now[0]), (rel, before[1], now[1])):
            if n > b:
                events.append(_event(ctx, key, name, sig, b, version))
    return events, upd


register_source(Source("dossier_signals", _needs, _run))
