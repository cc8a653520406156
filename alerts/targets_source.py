"""Event sources that rank the whole graph: new 招商目标 above a score for a subscribed chain/segment (targets'
attractability ranking for the subscription's 行政区) and new firms/projects eligible for a policy item (the
calculator's 免申即享 push list). Each keeps, as its watched value, the set it saw last time (JSON list of keys)
and records an event for each key that entered the set; a scope seen for the first time is its baseline.

Both re-rank only when the pass saw a change (a tick with nothing written costs nothing). Reads the snapshot only.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import targets
from alerts.model import EventDraft, target_scope, topic
from alerts.sources import Source, SourceContext, Watch, WatchUpdate, register_source
from alerts.topics import places, project_topics_of
from incentives.push import push
from incentives.rules import default_rules
from kernel.errors import ChainMatchError

log = logging.getLogger("chainmatch.alerts")


def _scope_key(s: Any) -> str:
    return target_scope(s.region, s.kind, s.key)


def _floors(ctx: SourceContext) -> dict[str, Any]:
    """Per scope, the lowest threshold any subscription asks for (the scope's events carry the score; each
    subscription then keeps those at or above its own threshold)."""
    out: dict[str, Any] = {}
    for s in ctx.scopes:
        k = _scope_key(s)
        if k not in out or s.min_score < out[k].min_score:
            out[k] = s
    return out


def _targets_needs(ctx: SourceContext) -> list[str]:
    return [f"tgt:{k}" for k in _floors(ctx)]


def _targets_run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    events: list[EventDraft] = []
    upd: WatchUpdate = {}
    for k, s in sorted(_floors(ctx).items()):
        seen = watch.get(f"tgt:{k}")
        if seen is not None and not ctx.anything_changed:
            continue
        try:
            out = targets.rank_targets(ctx.snap, region=s.region, k=ctx.target_k,
                                       **{"chain" if s.kind == "chain" else "segment": s.key})
        except ChainMatchError as e:  # the chain or region is gone: nothing to rank
            log.warning("内容订阅：无法计算招商目标 %s：%s", k, e)
            continue
        above = {it.enterprise: it for it in out.items if it.score_100 >= s.min_score}
        now = json.dumps(sorted(above))
        if now != seen:
            upd[f"tgt:{k}"] = now
        if seen is None or ctx.baseline:
            continue
        where = f"{out.region.name} · {out.chain.name if out.chain else s.key}"
        for firm in sorted(set(above) - set(json.loads(seen))):
            it = above[firm]
            events.append(EventDraft(ctx.version, "target.new", "Enterprise", firm,
                                     f"「{it.name}」成为{where}的招商目标（{it.score_100} 分）",
                                     [k, topic("Enterprise", firm)],
                                     {"scope": k, "score": it.score_100, "rank": it.rank, "reasons": it.reasons[:3],
                                      "region": s.region, "segment_name": it.segment_name}))
    return events, upd


def _policy_needs(ctx: SourceContext) -> list[str]:
    return [f"pol:{key}" for key in default_rules().items]


_POLICY_LABELS = ("Enterprise", "Project", "Park", "Region")


def _policy_run(ctx: SourceContext, watch: Watch) -> tuple[list[EventDraft], WatchUpdate]:
    """免申即享: subjects qualifying for an item now that did not before."""
    events: list[EventDraft] = []
    upd: WatchUpdate = {}
    if not ctx.baseline and not any(ctx.changes(lab) for lab in _POLICY_LABELS) and all(
            f"pol:{k}" in watch for k in default_rules().items):
        return events, upd
    book = default_rules()
    on = ctx.today if isinstance(ctx.today, dt.date) else dt.date.today()
    for key, item in book.items.items():
        res = push(book, ctx.snap, key, on=on)
        now = {f"{e.kind}:{e.key}": e for e in res.qualified}
        seen = watch.get(f"pol:{key}")
        text = json.dumps(sorted(now))
        if text != seen:
            upd[f"pol:{key}"] = text
        if seen is None or ctx.baseline:
            continue
        for subject in sorted(set(now) - set(json.loads(seen))):
            e = now[subject]
            where = places(ctx.snap).firm(e.key) if e.kind == "Enterprise" else project_topics_of(ctx.snap, e.key)
            amount = None if e.amount is None else float(e.amount)
            events.append(EventDraft(ctx.version, "policy.eligible", e.kind, e.key,
                                     f"「{e.name}」符合「{item.name}」（{item.doc.doc_no}）",
                                     where, {"item": key, "item_name": item.name, "doc_no": item.doc.doc_no,
                                             "amount": amount, "currency": item.currency}))
    return events, upd


register_source(Source("targets", _targets_needs, _targets_run))
register_source(Source("policy", _policy_needs, _policy_run))
