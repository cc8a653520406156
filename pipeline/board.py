"""招商项目库 board: how leadership and officers see projects — a project's view (classification, overdue and
stalled flags with their numbers), the board by stage, the overdue and stalled lists, and one project's detail.

Pure functions over project records (dicts as the store holds them, stage_history / tracking_log included: the
analytic snapshot leaves those logs out, so the records come from the project library's commands, which fetch
only the projects the snapshot selected). Where things live in a record:
  stage                 current stage, one of 线索 → 接洽 → 洽谈 → 签约 → 注册 → 开工 → 投产 → 达产
  stage_on              the date the current stage was entered (YYYY-MM-DD text, sorts as time)
  stage_history         one JSON object text per transition: {"on", "from", "to", "by", "at", "note"}
  signed_on             the date of the transition into 签约 (landed projects: the recommender's positives)
  tracking_log          one JSON object text per weekly tracking entry: {"on", "by", "at", "note"}
  next_action(_on)      what is to be done next, and by when
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from pipeline.rules import CLASSES, SIGNED, STAGE_INDEX, STAGES, TRANSITIONS, PipelineRules, classify, is_landed


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


# ============================================================================================== views
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


def detail(props: dict[str, Any], evaluation: dict[str, Any] | None, *, today: dt.date,
           rules: PipelineRules = PipelineRules()) -> dict[str, Any]:
    """One project for its page and the API: the record, its view, both logs, the allowed next stages and its
    evaluation after landing (None before 签约)."""
    return {"project": props, "view": project_view(props, today=today, rules=rules),
            "history": stage_history(props), "tracking": tracking_log(props),
            "allowed_next": list(TRANSITIONS.get(props.get("stage") or "线索", ())),
            "evaluation": evaluation if is_landed(props.get("stage")) else None}
