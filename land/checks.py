"""土地超市 hard-rule explanations: every check of one (project, parcel) pair with its numbers.

Driven by the rule bits of land/rules.py, so an explanation always agrees with the decision: a failed rule reads
"投资强度 250 万元/亩 < 要求 300 万元/亩", a passed one "… ≥ …", and a need the parcel does not state (power,
rail, delivery date) is `verify` (待核实). `check_records` runs the same rules on two stored records — the
reservation commands use it, so a reservation obeys exactly the matcher's rules.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from graph.schema import POLLUTION_CLASSES
from land.context import LandContext
from land.rules import RULE_BIT, RULE_LABEL, RULES, check_pairs, now_seconds
from land.tables import ParcelTable, ProjectTable
from land.text import day_text, land_use_text, moment_text, num, project_ref, range_text


@dataclass(frozen=True)
class Check:
    rule: str
    label: str
    outcome: str  # pass | fail | verify (待核实)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "label": self.label, "outcome": self.outcome, "message": self.message}


# One explainer per rule: (message if passed, message if failed, message if to verify) or None when the rule does
# not apply to the pair (e.g. the project states no land use). A None pass message shows nothing when passed.
Texts = tuple[str | None, str, str | None]


@dataclass(frozen=True)
class _Pair:
    P: ProjectTable
    Q: ParcelTable
    ctx: LandContext
    i: int
    j: int
    now_s: float


def _status(p: _Pair) -> Texts:
    Q = p.Q
    st, exp, holder = int(Q.status[p.j]), float(Q.expires[p.j]), str(Q.reserved_by[p.j])
    if st == 2:
        fail = "地块已出让"
    else:
        fail = f"地块已被{project_ref(p.P, holder)}预留" + (f"，至 {moment_text(exp)}" if math.isfinite(exp) else "（未设到期时间）")
    if st == 1 and math.isfinite(exp) and exp <= p.now_s:
        ok = f"原预留已于 {moment_text(exp)} 过期，视为可供"
    elif st == 1:
        ok = "已为本项目预留" + (f"（至 {moment_text(exp)}）" if math.isfinite(exp) else "")
    else:
        ok = "地块可供"
    return ok, fail, None


def _area(p: _Pair) -> Texts | None:
    lo, hi = float(p.P.num["land_min_mu"][p.i]), float(p.P.num["land_max_mu"][p.i])
    if math.isnan(lo) and math.isnan(hi):
        return None
    area = float(p.Q.area[p.j])
    if not math.isnan(lo) and area < lo:
        fail = f"面积 {num(area)} 亩 < 需求下限 {num(lo)} 亩"
    else:
        fail = f"面积 {num(area)} 亩 > 需求上限 {num(hi)} 亩"
    return f"面积 {num(area)} 亩，在需求 {range_text(lo, hi, '亩')}内", fail, None


def _land_use(p: _Pair) -> Texts | None:
    plu = int(p.P.land_use[p.i])
    if plu < 0:  # 未填则不限
        return None
    q_text = land_use_text(int(p.Q.land_use[p.j]))
    verify = f"地块未写明用地性质（项目需要 {land_use_text(plu)}），待核实" if p.Q.land_use[p.j] < 0 else None
    return f"用地性质 {q_text}，与项目一致", f"用地性质 {q_text} ≠ 项目需要 {land_use_text(plu)}", verify


def _per_mu(need_field: str, have_field: str, what: str, missing: str) -> Callable[[_Pair], Texts | None]:
    def explain(p: _Pair) -> Texts | None:
        req = float(p.Q.num[need_field][p.j])
        if math.isnan(req):
            return None
        have = float(p.P.num[have_field][p.i])
        if math.isnan(have):
            return (None, f"项目未填{missing}，无法满足{what}要求（≥ {num(req)} 万元/亩）",
                    f"项目未填{missing}，地块要求{what} ≥ {num(req)} 万元/亩，待核实")
        per = have / float(p.Q.area[p.j])
        return (f"{what} {num(per)} 万元/亩 ≥ 要求 {num(req)} 万元/亩",
                f"{what} {num(per)} 万元/亩 < 要求 {num(req)} 万元/亩", None)

    return explain


def _energy(p: _Pair) -> Texts | None:
    mx = float(p.Q.num["max_energy_tce_per_wan"][p.j])
    if math.isnan(mx):
        return None
    e = float(p.P.num["energy_tce_per_wan"][p.i])
    if math.isnan(e):
        return (None, f"项目未填单位能耗，无法核验上限 {num(mx)} 吨标煤/万元",
                f"项目未填单位能耗，地块要求 ≤ {num(mx)} 吨标煤/万元，待核实")
    return f"单位能耗 {num(e)} ≤ 上限 {num(mx)} 吨标煤/万元", f"单位能耗 {num(e)} 吨标煤/万元 > 上限 {num(mx)} 吨标煤/万元", None


def _pollution(p: _Pair) -> Texts | None:
    if p.Q.poll_any[p.j]:
        return None
    allowed = "、".join(c for k, c in enumerate(POLLUTION_CLASSES) if p.Q.poll_allowed[p.j, k]) or "无"
    pc = int(p.P.pollution[p.i])
    if pc < 0:
        return (None, f"项目未填污染类别（或类别无法识别），地块仅允许：{allowed}",
                f"项目未填污染类别，地块环境准入仅允许：{allowed}，待核实")
    return (f"污染类别「{POLLUTION_CLASSES[pc]}」在允许范围（{allowed}）内",
            f"污染类别「{POLLUTION_CLASSES[pc]}」不在允许范围（{allowed}）", None)


def _chain(p: _Pair) -> Texts | None:
    if p.Q.chain_any[p.j]:
        return None
    ctx = p.ctx
    allowed = "、".join(ctx.chain_name(int(c)) for c in np.nonzero(p.Q.chain_allowed[p.j, :-1])[0]) or "（库中不存在的产业链）"
    c = int(p.P.chain[p.i])
    if c < 0:
        return None, f"项目未填产业链，地块产业准入仅限：{allowed}", f"项目未填产业链，地块产业准入仅限：{allowed}，待核实"
    return f"产业链「{ctx.chain_name(c)}」符合产业准入", f"产业链「{ctx.chain_name(c)}」不在产业准入范围（{allowed}）", None


def _price(p: _Pair) -> Texts | None:
    mp = float(p.P.num["max_price_wan_per_mu"][p.i])
    if math.isnan(mp):
        return None
    pr = float(p.Q.num["price_wan_per_mu"][p.j])
    if math.isnan(pr):
        return (None, f"地块未标价，无法确认不超过可接受上限 {num(mp)} 万元/亩",
                f"地块未标价（项目可接受上限 {num(mp)} 万元/亩），待核实")
    return f"地价 {num(pr)} 万元/亩 ≤ 可接受上限 {num(mp)} 万元/亩", f"地价 {num(pr)} 万元/亩 > 可接受上限 {num(mp)} 万元/亩", None


def _power(p: _Pair) -> Texts | None:
    need = float(p.P.num["power_need_kva"][p.i])
    if math.isnan(need):
        return None
    cap = float(p.Q.num["power_capacity_kva"][p.j])
    return (f"电力容量 {num(cap)} kVA ≥ 需求 {num(need)} kVA", f"电力容量 {num(cap)} kVA < 需求 {num(need)} kVA",
            f"地块未写明电力容量（项目需求 {num(need)} kVA），待核实" if math.isnan(cap) else None)


def _rail(p: _Pair) -> Texts | None:
    if p.P.num["needs_rail"][p.i] != 1:
        return None
    rail = float(p.Q.num["rail_access"][p.j])
    return "地块有铁路专用线", "地块无铁路专用线（项目需要）", "地块未写明是否有铁路专用线，待核实" if math.isnan(rail) else None


def _timeline(p: _Pair) -> Texts | None:
    nb = float(p.P.needed_by[p.i])
    if math.isnan(nb):
        return None
    dl = float(p.Q.deliverable[p.j])
    return (f"计划交地 {day_text(dl)}，不晚于项目用地时间 {day_text(nb)}",
            f"计划交地 {day_text(dl)} 晚于项目最晚用地时间 {day_text(nb)}",
            f"地块未写明交地日期（项目需在 {day_text(nb)} 前用地），待核实" if math.isnan(dl) else None)


EXPLAINERS: dict[str, Callable[[_Pair], Texts | None]] = {
    "status": _status, "area": _area, "land_use": _land_use,
    "invest": _per_mu("min_invest_intensity_wan_per_mu", "total_investment_wan", "投资强度", "总投资"),
    "tax": _per_mu("min_tax_wan_per_mu", "expected_tax_wan", "亩均税收", "达产年税收"),
    "output": _per_mu("min_output_wan_per_mu", "expected_output_wan", "亩均产出", "达产年产值"),
    "energy": _energy, "pollution": _pollution, "chain": _chain, "price": _price, "power": _power, "rail": _rail,
    "timeline": _timeline,
}
assert tuple(EXPLAINERS) == tuple(name for name, _ in RULES)


def explain_checks(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, bits: int,
                   now_s: float, *, failures_only: bool = False, unknown: int = 0) -> list[Check]:
    """The hard-rule checks of one pair with their numbers, driven by the rule bits (so they always agree).
    A failed rule whose bit is in `unknown` (its fact is missing: land.rules.unknown_pairs) reads as 待核实
    (outcome verify) instead of a failure — the 可能符合 tier; with failures_only it is still listed."""
    pair = _Pair(P, Q, ctx, i, j, now_s)
    out: list[Check] = []
    for rule, explain in EXPLAINERS.items():
        failed = bool(bits & RULE_BIT[rule])
        if failures_only and not failed:
            continue
        texts = explain(pair)
        if texts is None:
            continue
        ok_msg, fail_msg, verify_msg = texts
        if failed and unknown & RULE_BIT[rule] and verify_msg is not None:
            out.append(Check(rule, RULE_LABEL[rule], "verify", verify_msg))
        elif failed:
            out.append(Check(rule, RULE_LABEL[rule], "fail", fail_msg))
        elif verify_msg is not None:
            out.append(Check(rule, RULE_LABEL[rule], "verify", verify_msg))
        elif ok_msg is not None:
            out.append(Check(rule, RULE_LABEL[rule], "pass", ok_msg))
    return out


# What is missing when a rule could not be checked, as the 待核实 summary says it: "亩均税收（项目未填）"
VERIFY_WHO = {"land_use": "地块未写明", "invest": "项目未填", "tax": "项目未填", "output": "项目未填",
              "energy": "项目未填", "pollution": "项目未填", "chain": "项目未填", "price": "地块未标价",
              "power": "地块未写明", "rail": "地块未写明", "timeline": "地块未写明"}


def verify_summary(checks: list[Check] | list[dict[str, Any]]) -> str:
    """One line of what must be checked: "待核实：亩均税收（项目未填）、电力容量（地块未写明）" ("" when nothing)."""
    items = [c if isinstance(c, dict) else c.as_dict() for c in checks]
    bits = [f"{c['label']}（{VERIFY_WHO.get(c['rule'], '待确认')}）" for c in items if c["outcome"] == "verify"]
    return "待核实：" + "、".join(bits) if bits else ""


def check_records(project: dict[str, Any], parcel: dict[str, Any], *, now: dt.datetime | None = None,
                  chain_names: dict[str, str] | None = None) -> tuple[int, list[Check]]:
    """The hard rules for one (project, parcel) pair given as stored props (with `key`): (bits, failed checks).
    Used by the reservation commands, which read the store, so that a reservation obeys the same rules."""
    ctx = LandContext.build(None, chains=[project.get("chain") or ""] + list(parcel.get("allowed_chains") or []),
                            parks=[parcel.get("park") or "", project.get("park") or ""],
                            regions=[parcel.get("region") or "", project.get("region") or ""])
    if chain_names:  # rebuilt, not assigned in place: a numpy str array would truncate longer names
        names = ctx.chain_names.tolist()
        for k, v in chain_names.items():
            c = ctx.chains.code(k)
            if c >= 0:
                names[c] = v
        ctx.chain_names = np.asarray(names, dtype=str)
    P = ProjectTable.from_records([project], ctx)
    Q = ParcelTable.from_records([parcel], ctx)
    now_s = now_seconds(now)
    bits = int(check_pairs(P, Q, np.zeros(1, np.int64), np.zeros(1, np.int64), now_s)[0])
    return bits, explain_checks(P, Q, ctx, 0, 0, bits, now_s, failures_only=True)
