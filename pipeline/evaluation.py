"""落地评价 (evaluation after landing): for a project at 签约 or later, 投资强度 (投资 ÷ 亩), 亩均税收, 亩均产出 and
jobs, each compared with the 标准地 requirement of the parcel it holds (or the promise, for jobs), shortfalls named
with the gap — what leadership asks of a landed project.

`evaluate` is pure (a project record and its parcel's); `evaluations` and `evaluation_of` read the analytic
snapshot only (every field they need is a snapshot column).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from graph.snapshot import Snapshot
from pipeline.queries import project_keys, snapshot_record
from pipeline.rules import SIGNED, STAGE_INDEX, ProjectNotFound, is_landed

PROJECT_FIELDS = ("stage", "park", "land_area_mu", "total_investment_wan", "actual_investment_wan",
                  "expected_tax_wan", "actual_tax_wan", "expected_output_wan", "actual_output_wan", "jobs",
                  "actual_jobs")
PARCEL_FIELDS = ("area_mu", "min_invest_intensity_wan_per_mu", "min_tax_wan_per_mu", "min_output_wan_per_mu",
                 "transferred_to", "reserved_by")


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


def _per_mu(project: dict[str, Any], parcel: dict[str, Any] | None, area: Decimal | None, area_basis: str,
            name: str, fields: tuple[str, str, str], labels: tuple[str, str]) -> Indicator:
    """One per-亩 indicator: the actual figure where recorded, else the planned one, ÷ area, against the parcel's
    minimum."""
    actual, planned, req_field = fields
    if project.get(actual) is not None:
        v_raw, basis = project.get(actual), labels[0]
    else:
        v_raw, basis = project.get(planned), labels[1]
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
    return Indicator(name, _r(value), f"{basis} ÷ {area_basis}", _r(req), unit, out, msg)


def _jobs(project: dict[str, Any]) -> Indicator:
    promised, actual = project.get("jobs"), project.get("actual_jobs")
    if actual is None:
        return Indicator("就业", None, "实际就业人数", promised, "人", "unknown", "未填实际就业人数")
    if promised is None:
        return Indicator("就业", actual, "实际就业人数", None, "人", "no_requirement", f"实际就业 {actual} 人（未填承诺数）")
    if actual >= promised:
        return Indicator("就业", actual, "实际就业人数", promised, "人", "pass", f"实际就业 {actual} 人 ≥ 承诺 {promised} 人")
    return Indicator("就业", actual, "实际就业人数", promised, "人", "shortfall",
                     f"实际就业 {actual} 人 < 承诺 {promised} 人，差 {promised - actual} 人")


def evaluate(project: dict[str, Any], parcel: dict[str, Any] | None) -> dict[str, Any]:
    """Evaluation after landing: 投资强度 (投资 ÷ 亩), 亩均税收, 亩均产出 and jobs, each compared with the parcel's
    标准地 requirement (or the promise, for jobs); shortfalls named with the gap. Actual figures are used where
    recorded (实际完成固定资产投资, 实际年税收 …), else the planned ones, and the basis says which."""
    stage = project.get("stage") or "线索"
    area = _q(project.get("land_area_mu")) or (_q(parcel.get("area_mu")) if parcel else None)
    area_basis = "实际用地面积" if project.get("land_area_mu") else ("地块面积" if parcel else "—")
    inds = [
        _per_mu(project, parcel, area, area_basis, "投资强度",
                ("actual_investment_wan", "total_investment_wan", "min_invest_intensity_wan_per_mu"),
                ("实际完成固定资产投资", "计划总投资")),
        _per_mu(project, parcel, area, area_basis, "亩均税收", ("actual_tax_wan", "expected_tax_wan", "min_tax_wan_per_mu"),
                ("实际年税收", "预计达产年税收")),
        _per_mu(project, parcel, area, area_basis, "亩均产出",
                ("actual_output_wan", "expected_output_wan", "min_output_wan_per_mu"), ("实际年产值", "预计达产年产值")),
        _jobs(project),
    ]
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


# ============================================================================================== from the snapshot
def _holders(snap: Snapshot) -> dict[str, int]:
    """Project key → row of the parcel it holds: a parcel transferred to it, else one reserved for it (the first
    in key order of each)."""
    out: dict[str, int] = {}
    if not snap.n("LandParcel"):
        return out
    la = snap.labels["LandParcel"]
    for fld in ("reserved_by", "transferred_to"):  # transferred last: it wins
        if fld not in la.cat:
            continue
        codes, vocab = la.cat[fld]
        first: dict[str, int] = {}
        for i in np.flatnonzero(codes >= 0).tolist():
            first.setdefault(str(vocab[codes[i]]), i)
        out.update(first)
    return out


def parcel_of(snap: Snapshot, key: str) -> dict[str, Any] | None:
    """The parcel the project holds (transferred to it, else reserved for it), as a record."""
    i = _holders(snap).get(key)
    return None if i is None else snapshot_record(snap, "LandParcel", i, PARCEL_FIELDS)


def evaluation_of(snap: Snapshot, key: str) -> dict[str, Any]:
    """One project's evaluation (ProjectNotFound if the snapshot has no such project)."""
    i = snap.index_of("Project", key) if snap.n("Project") else -1
    if i < 0:
        raise ProjectNotFound(f"项目 {key!r} 不存在")
    return evaluate(snapshot_record(snap, "Project", i, PROJECT_FIELDS), parcel_of(snap, key))


def evaluations(snap: Snapshot, *, park: str | None = None, only_shortfalls: bool = False) -> list[dict[str, Any]]:
    """Evaluate every landed project (签约 or later) of the snapshot (of one park, if given), parcels looked up
    once; most shortfalls first."""
    holders = _holders(snap)
    out = []
    for key in project_keys(snap, park=park):
        p = snapshot_record(snap, "Project", int(snap.index_of("Project", key)), PROJECT_FIELDS)
        if not is_landed(p.get("stage")):
            continue
        j = holders.get(key)
        ev = evaluate(p, None if j is None else snapshot_record(snap, "LandParcel", j, PARCEL_FIELDS))
        if only_shortfalls and ev["ok"]:
            continue
        out.append(ev)
    out.sort(key=lambda e: (-len(e["shortfalls"]), e["project"]))
    return out
