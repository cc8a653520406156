"""The 企业尽调 signals as an event source of 内容订阅: a firm's 扩张指数 entering 扩张活跃, or its 外迁预警 entering
高, after a change to the firm (kind "signal.crossed"; one event per signal, so both can fire at one version).

The watched value per firm is the pair of flags "expansion above, relocation above" as the last pass saw them after
a change to that firm. A firm seen for the first time (no watched value yet) is its own baseline: nothing is
recorded, so an unrelated edit never reports a firm as "crossing" into a level it was already in.

What it does not see: a signal that moves only because time passes (a financing round leaving the two-year
window) or because ANOTHER node changed (a 链主 customer moving away) is picked up at the firm's next change, not
at once; a bulk import too large for the change log is not itemised (the processor then reads only parcels and
projects). Reads the snapshot only.
"""
from __future__ import annotations

from alerts.model import EventDraft
from alerts.sources import Source, SourceContext, Watch, WatchUpdate, register_source
from alerts.topics import places
from dossier import EXPANSION_LEVELS, RELOCATION_LEVELS, signals_for

# the top level of each signal (扩张活跃 / 外迁预警 高) is the line an officer is told about
EXPANSION_LINE, EXPANSION_LEVEL = EXPANSION_LEVELS[0]
RELOCATION_LINE, RELOCATION_LEVEL = RELOCATION_LEVELS[0]


def _flags(text: str | None) -> tuple[bool, bool] | None:
    if text is None or len(text) != 2:
        return None
    return text[0] == "1", text[1] == "1"


def _needs(ctx: SourceContext) -> list[str]:
    return [f"sig:{k}" for k in ctx.changes("Enterprise")]


def _event(ctx: SourceContext, key: str, name: str, which: str, score: int, level: str) -> EventDraft:
    title = "扩张指数" if which == "expansion" else "外迁预警"
    return EventDraft(ctx.version, "signal.crossed", "Enterprise", key, f"「{name}」{title} {score}（{level}）",
                      places(ctx.snap).firm(key),
                      {"scope": which, "signal": which, "score": score, "level": level})


def _run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    events: list[EventDraft] = []
    upd: WatchUpdate = {}
    for key, props in sorted(ctx.changes("Enterprise").items()):
        if props is None:
            if watch.get(f"sig:{key}") is not None:
                upd[f"sig:{key}"] = None
            continue
        if int(ctx.snap.index_of("Enterprise", key)) < 0:  # not in this snapshot (yet): look at its next change
            continue
        exp, rel = signals_for(ctx.snap, key, ctx.today)
        now = (exp.score is not None and exp.score >= EXPANSION_LINE,
               rel.score is not None and rel.score >= RELOCATION_LINE)
        before = _flags(watch.get(f"sig:{key}"))
        text = "".join("1" if f else "0" for f in now)
        if watch.get(f"sig:{key}") != text:
            upd[f"sig:{key}"] = text
        if before is None or ctx.baseline:
            continue
        name = str(props.get("name") or key)
        if now[0] and not before[0]:
            events.append(_event(ctx, key, name, "expansion", int(exp.score), EXPANSION_LEVEL))
        if now[1] and not before[1]:
            events.append(_event(ctx, key, name, "relocation", int(rel.score), RELOCATION_LEVEL))
    return events, upd


register_source(Source("dossier_signals", _needs, _run))
