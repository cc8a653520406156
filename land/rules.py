"""土地超市 hard rules: which (project, parcel) pairs are feasible, evaluated over the table arrays at once.

A pair is infeasible if any rule fails (land/checks.py explains each with its numbers):
  status     parcel available — or reserved for this very project, or its reservation has expired;
  area       land_min_mu ≤ area_mu ≤ land_max_mu (a missing bound does not limit);
  land_use   parcel land use = project land use (GB/T 21010; 未填则不限: a project without one takes any);
  invest     total_investment_wan ≥ min_invest_intensity_wan_per_mu × area_mu   (固定资产投资强度)
  tax        expected_tax_wan ≥ min_tax_wan_per_mu × area_mu                     (亩均税收)
  output     expected_output_wan ≥ min_output_wan_per_mu × area_mu               (亩均产出)
  energy     energy_tce_per_wan ≤ max_energy_tce_per_wan                         (单位能耗)
  pollution  pollution_class ∈ allowed_pollution (when the parcel restricts it)   (环境准入)
  chain      chain ∈ allowed_chains (when the parcel restricts it)                (产业准入)
  price      price_wan_per_mu ≤ max_price_wan_per_mu (when the project sets a maximum)
  power      power_need_kva ≤ power_capacity_kva (when both are stated)
  rail       a project that needs a rail siding never gets a parcel stated to have none
  timeline   deliverable_on ≤ land_needed_by (when both are stated)
When the parcel sets a 标准地 requirement and the project lacks the figure to meet it (no investment, tax,
output, energy, pollution class or chain), the rule fails: a requirement that cannot be verified is not met.
Needs the parcel does not state (power, rail, delivery date) do not fail; the explanation marks them 待核实.

Unknown facts (可能符合，待核实): `unknown_pairs` says, per pair, which rules could not be checked because a fact
is missing — on the project (total investment, tax, output, energy, pollution class, chain) or on the parcel (price,
land use). A pair whose failed rules are all among them breaks no rule on known facts: the rankings list it in the
待核实 tier with what must be checked, instead of only among the failures (an officer's quick question — 80 亩,
投资强度 ≥ 300 万元/亩, nothing else known — otherwise finds no parcel with a tax requirement).

Exactly on the limit: the per-亩 rules compare the project's total with the requirement times the area, and a
total short of it by less than PER_MU_REL_TOL (one part in a billion) counts as meeting it. Dividing first in
floating point refused 136675 万元 on 273.35 亩 against ≥ 500 万元/亩 (136675 / 273.35 = 499.99999999999994);
no figure people write (万元 to four decimals on areas to two) is within that tolerance of a real shortfall.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np

from land.tables import ParcelTable, ProjectTable

# Stages after which a project has its land (开工 …): not offered parcels by default.
LANDED_STAGES = ("开工", "投产", "达产")
STATUS_CN = {"available": "可供", "reserved": "已预留", "transferred": "已出让"}
PER_MU_REL_TOL = 1e-9

RULES: tuple[tuple[str, str], ...] = (
    ("status", "地块可供"),
    ("area", "面积符合用地需求"),
    ("land_use", "用地性质一致"),
    ("invest", "固定资产投资强度"),
    ("tax", "亩均税收"),
    ("output", "亩均产出"),
    ("energy", "单位能耗"),
    ("pollution", "环境准入"),
    ("chain", "产业准入"),
    ("price", "地价"),
    ("power", "电力容量"),
    ("rail", "铁路专用线"),
    ("timeline", "交地时间"),
)
RULE_BIT = {name: 1 << i for i, (name, _) in enumerate(RULES)}
RULE_LABEL = dict(RULES)


def now_seconds(now: dt.datetime | None = None) -> float:
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.timestamp()




def per_mu_short(total: np.ndarray | float, required_per_mu: np.ndarray | float,
                 area: np.ndarray | float) -> np.ndarray:
    """True where `total` does not reach `required_per_mu` × `area` (beyond PER_MU_REL_TOL, see the module
    docstring). An unknown total (−inf) never reaches a real requirement; an absent requirement (−inf) is always
    reached."""
    need = np.asarray(required_per_mu, dtype=np.float64) * np.asarray(area, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(total, dtype=np.float64) < need - np.abs(need) * PER_MU_REL_TOL


def _fail_status(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float) -> np.ndarray:
    status = Q.status[qi]
    with np.errstate(invalid="ignore"):
        held = (status == 2) | ((status == 1) & ~(Q.expires[qi] <= now_s))
    own = np.nonzero(held & (status == 1))[0]
    if own.size:  # reserved for this very project: available to it
        mine = Q.reserved_by[qi[own]] == P.keys[pi[own]]
        held[own[mine]] = False
    return held


def _fail_area(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float) -> np.ndarray:
    area = Q.area[qi]
    return (area < P.land_lo[pi]) | (area > P.land_hi[pi])



def _fail_per_mu(p_col: str, q_col: str):
    # an unknown figure is −inf and an absent requirement −inf: "no requirement" always passes and "unknown
    # figure" fails a real one
    def rule(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float) -> np.ndarray:
        return per_mu_short(getattr(P, p_col)[pi], getattr(Q, q_col)[qi], Q.area[qi])

    return rule


RULE_CHECKS: dict[str, Any] = {
    "status": _fail_status,
    "area": _fail_area,
    "land_use": lambda P, Q, pi, qi, now_s: (P.land_use[pi] >= 0) & (Q.land_use[qi] != P.land_use[pi]),
    "invest": _fail_per_mu("invest_r", "req_invest"),
    "tax": _fail_per_mu("tax_r", "req_tax"),
    "output": _fail_per_mu("output_r", "req_output"),
    "energy": lambda P, Q, pi, qi, now_s: P.energy_r[pi] > Q.max_energy[qi],
    "pollution": lambda P, Q, pi, qi, now_s: ~Q.poll_any[qi] & ~Q.poll_allowed[qi, P.pollution[pi]],
    "chain": lambda P, Q, pi, qi, now_s: ~Q.chain_any[qi] & ~Q.chain_allowed[qi, P.chain[pi]],
    "price": lambda P, Q, pi, qi, now_s: Q.price_r[qi] > P.max_price_r[pi],
    "power": lambda P, Q, pi, qi, now_s: P.power_need_r[pi] > Q.power_cap_r[qi],
    "rail": lambda P, Q, pi, qi, now_s: (P.num["needs_rail"][pi] == 1) & (Q.num["rail_access"][qi] == 0),
    "timeline": lambda P, Q, pi, qi, now_s: Q.deliverable_r[qi] > P.needed_by_r[pi],
}
assert tuple(RULE_CHECKS) == tuple(name for name, _ in RULES)
# The batch filter's order: the most selective rules first, so later ones see few pairs. (status, chain and
# area are settled before it runs: see feasible_pairs.)
FILTER_ORDER = ("invest", "output", "tax", "price", "energy", "pollution", "land_use", "power", "rail", "timeline")


def _project_missing(column: str):
    def unknown(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray) -> np.ndarray:
        return np.isnan(P.num[column][pi])

    return unknown


# Per rule that a missing fact can fail: which pairs lack the fact (the rule then could not be checked).
RULE_UNKNOWN: dict[str, Any] = {
    "land_use": lambda P, Q, pi, qi: Q.land_use[qi] < 0,
    "invest": _project_missing("total_investment_wan"),
    "tax": _project_missing("expected_tax_wan"),
    "output": _project_missing("expected_output_wan"),
    "energy": _project_missing("energy_tce_per_wan"),
    "pollution": lambda P, Q, pi, qi: P.pollution[pi] < 0,
    "chain": lambda P, Q, pi, qi: P.chain[pi] < 0,
    "price": lambda P, Q, pi, qi: np.isnan(Q.num["price_wan_per_mu"][qi]),
}


def unknown_pairs(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray) -> np.ndarray:
    """Per pair, the rules (RULE_BIT mask) whose facts are missing on the project or the parcel: when such a rule
    fails, it failed for want of a fact, not on a known one."""
    bits = np.zeros(len(pi), dtype=np.int32)
    for name, unknown in RULE_UNKNOWN.items():
        bits |= unknown(P, Q, pi, qi).astype(np.int32) * RULE_BIT[name]
    return bits


def check_pairs(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float) -> np.ndarray:
    """Failed hard rules per pair (project pi[k], parcel qi[k]) as a bit mask (RULE_BIT); 0 = feasible."""
    bits = np.zeros(len(pi), dtype=np.int32)
    for name, rule in RULE_CHECKS.items():
        bits |= rule(P, Q, pi, qi, now_s).astype(np.int32) * RULE_BIT[name]
    return bits


def filter_pairs(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float,
                 rules: Sequence[str] = tuple(RULE_CHECKS)) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that pass `rules` (same rule functions as check_pairs), dropping failures after each rule."""
    for name in rules:
        if len(pi) == 0:
            break
        ok = ~RULE_CHECKS[name](P, Q, pi, qi, now_s)
        pi, qi = pi[ok], qi[ok]
    return pi, qi

