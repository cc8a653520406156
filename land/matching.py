"""土地超市 matcher: projects ↔ parcels under 标准地 rules, scored, explained, and optimally assigned.

"变项目等地为地等项目": parks list ready land, officers bring projects, and this module decides which pairs
fit, why, and which one-to-one assignment of many projects to many parcels is best. It works on arrays only:
`ParcelTable` / `ProjectTable` hold one numpy column per fact (built from the analytic snapshot, or from
validated records for CSV files and inline API projects), `LandContext` holds the graph facts the soft score
needs (park leading chains, up/downstream firms per city, region hierarchy, coordinates). Nothing here
touches a store backend; reservations (writes) live in matching/land_reservations.py.

Hard rules (a pair is infeasible if any fails; each failure names its numbers)
  status     parcel available — or reserved for this very project, or its reservation has expired;
  area       land_min_mu ≤ area_mu ≤ land_max_mu (a missing bound does not limit);
  land_use   parcel land use = project land use (GB/T 21010; a project without one takes any);
  invest     total_investment_wan ÷ area_mu ≥ min_invest_intensity_wan_per_mu   (固定资产投资强度)
  tax        expected_tax_wan ÷ area_mu ≥ min_tax_wan_per_mu                     (亩均税收)
  output     expected_output_wan ÷ area_mu ≥ min_output_wan_per_mu               (亩均产出)
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

Soft score (0–100) = Σ weight·component / Σ weight × 100, components in [0, 1] (LandWeights, defaults in
brackets; a component whose facts are unknown counts as NEUTRAL = 0.5 and says so):
  chain_park  [20] 1 if the project's chain is one of the park's leading chains (主导产业), else 0;
  cluster     [20] up/downstream firms already near: distinct firms in the parcel's city that sit in a segment
                   directly upstream or downstream (UPSTREAM_OF) of the project's segment, plus twice the
                   investor's own suppliers/customers (SUPPLIES) there; score = 1 − exp(−n / CLUSTER_SCALE);
  area        [15] closeness of area to the need: 1 − |area − target| / target, target = midpoint of the
                   need (or the one bound given), clipped to [0, 1];
  price       [10] 1 − price / max price (cheaper land scores higher);
  readiness   [10] 0.5 × 标准地 + 0.5 × infrastructure (七通一平/九通一平 1, 五通一平 0.7, 三通一平 0.4);
  preferred   [15] 1 in the project's 意向园区, 0.7 inside its 拟落地行政区 (or that park's region), else 0;
  distance    [10] exp(−d / DISTANCE_SCALE_KM), d = great-circle km from the project's anchor (意向园区, else
                   拟落地行政区, else the investor's location) to the parcel (its own coordinates, else its
                   park's, else its region's).

Assignment: maximise the total score over feasible pairs, one parcel per project and one project per parcel,
unmatched allowed. Each project gets a private dummy column of score 0 so leaving it unmatched is always
possible and an infeasible pair is never needed; infeasible pairs are simply not edges. The reduced problem
(only projects and parcels with at least one feasible pair) is solved exactly, by sparse LAPJV when few pairs
are feasible and by scipy's linear_sum_assignment on the dense matrix otherwise (optimal_assignment).

Speed: one project against every parcel evaluates each rule once over the parcel arrays. A batch never builds
the N × M grid: feasible_pairs turns status, chain and area into index ranges and filters the remaining
candidate pairs rule by rule; scores are computed on the feasible pairs only.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np
import scipy.sparse as sp
from pydantic import ConfigDict, Field, model_validator
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from graph.schema import LAND_USES, POLLUTION_CLASSES, LandParcel, Project, StrictNumbers
from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.geo import chord_km
from land.tables import (  # noqa: F401  (re-exported: the tables are part of this module's API)
    INFRA_LEVELS, LAND_USE_CODES, STANDARD_LAND, LandContext, ParcelTable, ProjectTable, Vocab,
)

# ------------------------------------------------------------------------------------------------ constants
NEUTRAL = 0.5
CLUSTER_SCALE = 5.0
DISTANCE_SCALE_KM = 50.0
PARTNER_WEIGHT = 2.0
REGION_PREF_SCORE = 0.7
# Stages after which a project has its land (开工 …): not offered parcels by default.
LANDED_STAGES = ("开工", "投产", "达产")
STATUS_CN = {"available": "可供", "reserved": "已预留", "transferred": "已出让"}

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

MAX_WEIGHT = 1000.0  # weights are relative; a bound keeps their sum finite
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("chain_park", "园区主导产业契合"),
    ("cluster", "上下游配套"),
    ("area", "面积契合"),
    ("price", "地价"),
    ("readiness", "开发程度"),
    ("preferred", "意向区位"),
    ("distance", "距离"),
)


class LandWeights(StrictNumbers):
    """Weights of the soft-score components (non-negative numbers up to 1000; they are normalised to sum 100)."""

    model_config = ConfigDict(extra="forbid")
    chain_park: float = Field(le=MAX_WEIGHT, default=20, ge=0, description="园区主导产业契合")
    cluster: float = Field(le=MAX_WEIGHT, default=20, ge=0, description="上下游配套（附近的上游/下游企业、投资方供应商/客户）")
    area: float = Field(le=MAX_WEIGHT, default=15, ge=0, description="面积契合")
    price: float = Field(le=MAX_WEIGHT, default=10, ge=0, description="地价（越低越好）")
    readiness: float = Field(le=MAX_WEIGHT, default=10, ge=0, description="开发程度（标准地、七通一平）")
    preferred: float = Field(le=MAX_WEIGHT, default=15, ge=0, description="意向园区/行政区")
    distance: float = Field(le=MAX_WEIGHT, default=10, ge=0, description="距意向地点的距离")

    @model_validator(mode="after")
    def _positive(self) -> "LandWeights":
        if sum(self.vector()) <= 0:
            raise ValueError("权重不能全为 0")
        return self

    def vector(self) -> np.ndarray:
        return np.asarray([getattr(self, c) for c, _ in COMPONENTS], dtype=np.float64)


# ------------------------------------------------------------------------------------------------ formatting, time
def _num(x: float) -> str:
    """A number as people write it: 300, 8.5, 102.76."""
    if x is None or x != x or x in (math.inf, -math.inf):
        return "—"
    r = round(x)
    if -1e-9 < x - r < 1e-9:
        return str(int(r))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _day_text(days: float) -> str:
    return dt.date.fromordinal(int(days)).isoformat() if math.isfinite(days) else "—"


def _moment_text(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "—"
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def now_seconds(now: dt.datetime | None = None) -> float:
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.timestamp()


def distance_km(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray) -> np.ndarray:
    """Great-circle km from each project's anchor to each parcel (NaN when either has no coordinates), from the
    precomputed unit vectors: chord length c, distance 2R·arcsin(c/2)."""
    ax, ay, az = P.anchor_xyz
    bx, by, bz = Q.xyz
    dx = ax[pi] - bx[qi]
    dy = ay[pi] - by[qi]
    dz = az[pi] - bz[qi]
    return chord_km(np.sqrt(dx * dx + dy * dy + dz * dz))


# ------------------------------------------------------------------------------------------------ rules
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
    # per-亩 figures exactly as the rules read: figure ÷ area ≥ minimum (an unknown figure is −inf and an absent
    # requirement −inf, so "no requirement" always passes and "unknown figure" fails a real one)
    def rule(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray, now_s: float) -> np.ndarray:
        return getattr(P, p_col)[pi] / Q.area[qi] < getattr(Q, q_col)[qi]

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
_FILTER_ORDER = ("invest", "output", "tax", "price", "energy", "pollution", "land_use", "power", "rail", "timeline")


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


# ------------------------------------------------------------------------------------------------ scores
def _pad_index(codes: np.ndarray, size: int) -> np.ndarray:
    """Code -1 → the pad position (size), so sparse lookups never see a negative index."""
    return np.where(codes >= 0, codes, size)


def sparse_lookup(m: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """m[rows[k], cols[k]] for many (row, col) at once by binary search over the sorted entries (0 where absent)."""
    m = m.tocsr()
    if not m.has_sorted_indices:
        m = m.sorted_indices()
    width = m.shape[1]
    keys = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)) * width + m.indices
    q = rows.astype(np.int64) * width + cols
    if keys.size == 0:
        return np.zeros(len(q))
    pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
    return np.where(keys[pos] == q, m.data[pos], 0).astype(np.float64)


def cluster_counts(ctx: LandContext, P: ProjectTable, pi: np.ndarray, city: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair (project pi[k] in city city[k]): (upstream firms, downstream firms, investor's partners)."""
    if len(pi) == 0:
        z = np.zeros(0)
        return z, z, z
    urows, inv = np.unique(pi, return_inverse=True)
    seg = _pad_index(P.segment[urows], len(ctx.segments))
    firm = _pad_index(P.investor[urows], len(ctx.firms))
    col = _pad_index(city, len(ctx.regions))
    out = []
    for m, codes in ((ctx.seg_up_city, seg), (ctx.seg_down_city, seg), (ctx.partner_city, firm)):
        out.append(sparse_lookup(m[codes], inv, col))  # (unique projects × cities) rows, then one value per pair
    return out[0], out[1], out[2]


DENSE_TABLE_CELLS = 5_000_000  # a per-(project, city) table up to this size (40 MB) is dense, else sparse lookups


def cluster_weight(ctx: LandContext, P: ProjectTable, pi: np.ndarray, city: np.ndarray) -> np.ndarray:
    """up + down + PARTNER_WEIGHT × partners per pair (the cluster score's input)."""
    if len(pi) == 0:
        return np.zeros(0)
    width = len(ctx.regions) + 1
    if len(pi) >= len(P) and len(P) * width <= DENSE_TABLE_CELLS:
        rows, inv = np.arange(len(P)), pi  # many pairs: a table over every project, no sort of the pairs
    else:
        rows, inv = np.unique(pi, return_inverse=True)
    seg = _pad_index(P.segment[rows], len(ctx.segments))
    firm = _pad_index(P.investor[rows], len(ctx.firms))
    w = (ctx.seg_up_city[seg] + ctx.seg_down_city[seg] + PARTNER_WEIGHT * ctx.partner_city[firm]).tocsr()
    col = _pad_index(city, len(ctx.regions))
    if len(rows) * width <= DENSE_TABLE_CELLS:
        return w.toarray()[inv, col].astype(np.float64)
    return sparse_lookup(w, inv, col)


def score_pairs(P: ProjectTable, Q: ParcelTable, ctx: LandContext, pi: np.ndarray, qi: np.ndarray,
                weights: LandWeights | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(total 0–100, components n × 7 in [0, 1]) for pairs (pi[k], qi[k])."""
    w = (weights or LandWeights()).vector()
    n = len(pi)
    comps = np.empty((len(COMPONENTS), n), dtype=np.float64)  # one contiguous row per component
    if n == 0:
        return np.zeros(0), comps.T
    # chain_park
    c = P.chain[pi]
    pk = Q.park[qi]
    leads = ctx.park_leads[_pad_index(pk, len(ctx.parks)), _pad_index(c, len(ctx.chains))]  # pads are False
    known = (c >= 0) & ctx.park_has_leads[pk] & ctx.graph
    comps[0] = np.where(known, leads, NEUTRAL)
    # cluster
    x = cluster_weight(ctx, P, pi, Q.city[qi])
    has_basis = ((P.segment[pi] >= 0) | (P.investor[pi] >= 0)) & ctx.graph
    comps[1] = np.where(has_basis, 1.0 - np.exp(-x / CLUSTER_SCALE), NEUTRAL)
    # area
    target = P.area_target[pi]
    with np.errstate(invalid="ignore", divide="ignore"):
        comps[2] = np.clip(1.0 - np.abs(Q.area[qi] - target) / target, 0.0, 1.0)
    comps[2][~(target > 0)] = NEUTRAL
    # price
    mx = P.num["max_price_wan_per_mu"][pi]
    pr = Q.num["price_wan_per_mu"][qi]
    with np.errstate(invalid="ignore", divide="ignore"):
        s_price = np.where(mx > 0, np.clip(1.0 - pr / mx, 0.0, 1.0), np.where(pr <= 0, 1.0, 0.0))
    comps[3] = np.where(np.isnan(mx) | np.isnan(pr), NEUTRAL, s_price)
    # readiness
    comps[4] = Q.ready_level[qi]
    # preferred
    ppark = P.park[pi]
    preg = P.pref_region[pi]
    in_park = (ppark >= 0) & (pk == ppark)
    in_region = ctx.within(Q.region[qi], preg)
    comps[5] = np.where(in_park, 1.0, np.where(in_region, REGION_PREF_SCORE,
                                               np.where((ppark >= 0) | (preg >= 0), 0.0, NEUTRAL)))
    # distance
    d = distance_km(P, Q, pi, qi)
    comps[6] = np.where(np.isnan(d), NEUTRAL, np.exp(-d / DISTANCE_SCALE_KM))
    scale = w / w.sum() * 100.0
    total = comps[0] * scale[0]
    for k in range(1, len(COMPONENTS)):
        total += comps[k] * scale[k]
    return total, comps.T


# ------------------------------------------------------------------------------------------------ explanations
@dataclass(frozen=True)
class Check:
    rule: str
    label: str
    outcome: str  # pass | fail | verify (待核实)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "label": self.label, "outcome": self.outcome, "message": self.message}


def explain_checks(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, bits: int,
                   now_s: float, *, failures_only: bool = False) -> list[Check]:
    """The hard-rule checks of one pair with their numbers, driven by the rule bits (so they always agree)."""
    out: list[Check] = []
    pn, qn = P.num, Q.num

    def add(rule: str, ok_msg: str | None, fail_msg: str, verify_msg: str | None = None) -> None:
        failed = bool(bits & RULE_BIT[rule])
        if failed:
            out.append(Check(rule, RULE_LABEL[rule], "fail", fail_msg))
        elif failures_only:
            return
        elif verify_msg is not None:
            out.append(Check(rule, RULE_LABEL[rule], "verify", verify_msg))
        elif ok_msg is not None:
            out.append(Check(rule, RULE_LABEL[rule], "pass", ok_msg))

    area = float(Q.area[j])
    # status
    st = int(Q.status[j])
    exp = float(Q.expires[j])
    holder = str(Q.reserved_by[j])
    if st == 2:
        fail = "地块已出让"
    else:
        fail = f"地块已被{_project_ref(P, holder)}预留" + (f"，至 {_moment_text(exp)}" if math.isfinite(exp) else "（未设到期时间）")
    if st == 1 and math.isfinite(exp) and exp <= now_s:
        ok = f"原预留已于 {_moment_text(exp)} 过期，视为可供"
    elif st == 1:
        ok = "已为本项目预留" + (f"（至 {_moment_text(exp)}）" if math.isfinite(exp) else "")
    else:
        ok = "地块可供"
    add("status", ok, fail)
    # area
    lo, hi = float(pn["land_min_mu"][i]), float(pn["land_max_mu"][i])
    if not (math.isnan(lo) and math.isnan(hi)):
        need = _range_text(lo, hi, "亩")
        if not math.isnan(lo) and area < lo:
            fail = f"面积 {_num(area)} 亩 < 需求下限 {_num(lo)} 亩"
        else:
            fail = f"面积 {_num(area)} 亩 > 需求上限 {_num(hi)} 亩"
        add("area", f"面积 {_num(area)} 亩，在需求 {need}内", fail)
    # land use
    plu = int(P.land_use[i])
    if plu >= 0:
        qlu = int(Q.land_use[j])
        q_text = _land_use_text(qlu)
        add("land_use", f"用地性质 {q_text}，与项目一致", f"用地性质 {q_text} ≠ 项目需要 {_land_use_text(plu)}")
    # 标准地 indicators
    for rule, need_field, have_field, what, missing in (
        ("invest", "min_invest_intensity_wan_per_mu", "total_investment_wan", "投资强度", "总投资"),
        ("tax", "min_tax_wan_per_mu", "expected_tax_wan", "亩均税收", "达产年税收"),
        ("output", "min_output_wan_per_mu", "expected_output_wan", "亩均产出", "达产年产值"),
    ):
        req = float(qn[need_field][j])
        if math.isnan(req):
            continue
        have = float(pn[have_field][i])
        if math.isnan(have):
            fail = f"项目未填{missing}，无法满足{what}要求（≥ {_num(req)} 万元/亩）"
            okm = None
        else:
            per = have / area
            fail = f"{what} {_num(per)} 万元/亩 < 要求 {_num(req)} 万元/亩"
            okm = f"{what} {_num(per)} 万元/亩 ≥ 要求 {_num(req)} 万元/亩"
        add(rule, okm, fail)
    mx = float(qn["max_energy_tce_per_wan"][j])
    if not math.isnan(mx):
        e = float(pn["energy_tce_per_wan"][i])
        if math.isnan(e):
            add("energy", None, f"项目未填单位能耗，无法核验上限 {_num(mx)} 吨标煤/万元")
        else:
            add("energy", f"单位能耗 {_num(e)} ≤ 上限 {_num(mx)} 吨标煤/万元",
                f"单位能耗 {_num(e)} 吨标煤/万元 > 上限 {_num(mx)} 吨标煤/万元")
    if not Q.poll_any[j]:
        allowed = "、".join(c for k, c in enumerate(POLLUTION_CLASSES) if Q.poll_allowed[j, k]) or "无"
        pc = int(P.pollution[i])
        if pc < 0:
            add("pollution", None, f"项目未填污染类别（或类别无法识别），地块仅允许：{allowed}")
        else:
            add("pollution", f"污染类别「{POLLUTION_CLASSES[pc]}」在允许范围（{allowed}）内",
                f"污染类别「{POLLUTION_CLASSES[pc]}」不在允许范围（{allowed}）")
    if not Q.chain_any[j]:
        allowed_codes = np.nonzero(Q.chain_allowed[j, :-1])[0]
        allowed = "、".join(ctx.chain_name(int(c)) for c in allowed_codes) or "（库中不存在的产业链）"
        c = int(P.chain[i])
        if c < 0:
            add("chain", None, f"项目未填产业链，地块产业准入仅限：{allowed}")
        else:
            add("chain", f"产业链「{ctx.chain_name(c)}」符合产业准入", f"产业链「{ctx.chain_name(c)}」不在产业准入范围（{allowed}）")
    mp = float(pn["max_price_wan_per_mu"][i])
    if not math.isnan(mp):
        pr = float(qn["price_wan_per_mu"][j])
        if math.isnan(pr):
            add("price", None, f"地块未标价，无法确认不超过可接受上限 {_num(mp)} 万元/亩")
        else:
            add("price", f"地价 {_num(pr)} 万元/亩 ≤ 可接受上限 {_num(mp)} 万元/亩",
                f"地价 {_num(pr)} 万元/亩 > 可接受上限 {_num(mp)} 万元/亩")
    need = float(pn["power_need_kva"][i])
    if not math.isnan(need):
        cap = float(qn["power_capacity_kva"][j])
        add("power", f"电力容量 {_num(cap)} kVA ≥ 需求 {_num(need)} kVA",
            f"电力容量 {_num(cap)} kVA < 需求 {_num(need)} kVA",
            f"地块未写明电力容量（项目需求 {_num(need)} kVA），待核实" if math.isnan(cap) else None)
    if pn["needs_rail"][i] == 1:
        rail = float(qn["rail_access"][j])
        add("rail", "地块有铁路专用线", "地块无铁路专用线（项目需要）",
            "地块未写明是否有铁路专用线，待核实" if math.isnan(rail) else None)
    nb = float(P.needed_by[i])
    if not math.isnan(nb):
        dl = float(Q.deliverable[j])
        add("timeline", f"计划交地 {_day_text(dl)}，不晚于项目用地时间 {_day_text(nb)}",
            f"计划交地 {_day_text(dl)} 晚于项目最晚用地时间 {_day_text(nb)}",
            f"地块未写明交地日期（项目需在 {_day_text(nb)} 前用地），待核实" if math.isnan(dl) else None)
    return out


def _project_ref(P: ProjectTable, key: str) -> str:
    if not key:
        return "其他项目"
    i = P.pos(key)
    return f"项目「{P.names[i]}」" if i >= 0 else f"项目 {key}"


def _range_text(lo: float, hi: float, unit: str) -> str:
    if math.isnan(lo):
        return f"≤ {_num(hi)} {unit}"
    if math.isnan(hi):
        return f"≥ {_num(lo)} {unit}"
    return f"{_num(lo)}–{_num(hi)} {unit}"


def _land_use_text(code: int) -> str:
    if code < 0:
        return "未知"
    c = LAND_USE_CODES[code]
    return f"{c} {LAND_USES[c]}"


def explain_components(P: ProjectTable, Q: ParcelTable, ctx: LandContext, pi: Sequence[int] | np.ndarray,
                       qi: Sequence[int] | np.ndarray, comps: np.ndarray, weights: LandWeights | None = None
                       ) -> list[list[dict[str, Any]]]:
    """Score breakdown of pairs (pi[k], qi[k]) with components comps[k]: each component's weight, score,
    points (their sum = the total score) and reason. The graph counts and distances are computed for all the
    pairs at once."""
    pi = np.asarray(pi, dtype=np.int64)
    qi = np.asarray(qi, dtype=np.int64)
    w = (weights or LandWeights()).vector()
    wsum = w.sum()
    up, down, part = cluster_counts(ctx, P, pi, Q.city[qi])
    dist = distance_km(P, Q, pi, qi)
    out = []
    for k in range(len(pi)):
        reasons = component_reasons(P, Q, ctx, int(pi[k]), int(qi[k]), cluster=(up[k], down[k], part[k]),
                                    dist_km=float(dist[k]))
        row = comps[k]
        out.append([{"component": name, "label": label, "weight": float(w[c]), "score": round(float(row[c]), 4),
                     "points": round(float(row[c] * w[c] / wsum * 100), 2), "reason": reasons[c]}
                    for c, (name, label) in enumerate(COMPONENTS)])
    return out


def component_reasons(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, *,
                      cluster: tuple[float, float, float] | None = None, dist_km: float | None = None) -> list[str]:
    """One reason per component for pair (i, j); `cluster` (up, down, partners) and `dist_km` may be given
    when already computed for many pairs."""
    neutral = f"（未知，按中性 {NEUTRAL} 计）"
    c, pk = int(P.chain[i]), int(Q.park[j])
    # chain_park
    if not ctx.graph:
        r0 = "未提供图谱，无法判断园区主导产业" + neutral
    elif c < 0:
        r0 = "项目未填产业链" + neutral
    elif pk < 0 or not ctx.park_has_leads[pk]:
        r0 = "地块所属园区无主导产业信息" + neutral
    else:
        leads = [ctx.chain_name(int(x)) for x in np.nonzero(ctx.park_leads[pk, :-1])[0]]
        if ctx.park_leads[pk, c]:
            r0 = f"园区「{ctx.park_name(pk)}」主导产业含「{ctx.chain_name(c)}」"
        else:
            r0 = f"园区「{ctx.park_name(pk)}」主导产业为{'、'.join(leads)}，不含「{ctx.chain_name(c)}」"
    # cluster
    city = int(Q.city[j])
    if not ctx.graph:
        r1 = "未提供图谱，无法统计上下游企业" + neutral
    elif P.segment[i] < 0 and P.investor[i] < 0:
        r1 = "项目未填环节和投资方" + neutral
    else:
        if cluster is None:
            u, dn, pa = cluster_counts(ctx, P, np.asarray([i]), np.asarray([city]))
            cluster = (u[0], dn[0], pa[0])
        where = ctx.region_name(city) or "所在地"
        bits = []
        if P.segment[i] >= 0:
            bits.append(f"上游环节企业 {int(cluster[0])} 家")
            bits.append(f"下游环节企业 {int(cluster[1])} 家")
        if P.investor[i] >= 0:
            bits.append(f"投资方的供应商/客户 {int(cluster[2])} 家")
        r1 = f"{where}已有" + "、".join(bits)
    # area
    lo, hi = float(P.num["land_min_mu"][i]), float(P.num["land_max_mu"][i])
    area = float(Q.area[j])
    if math.isnan(lo) and math.isnan(hi):
        r2 = f"面积 {_num(area)} 亩；项目未填用地需求" + neutral
    else:
        target = hi if math.isnan(lo) else lo if math.isnan(hi) else (lo + hi) / 2
        r2 = f"面积 {_num(area)} 亩，需求 {_range_text(lo, hi, '亩')}（目标 {_num(target)} 亩）"
    # price
    mx, pr = float(P.num["max_price_wan_per_mu"][i]), float(Q.num["price_wan_per_mu"][j])
    if math.isnan(pr):
        r3 = "地块未标价" + neutral
    elif math.isnan(mx):
        r3 = f"地价 {_num(pr)} 万元/亩；项目未填可接受上限" + neutral
    else:
        r3 = f"地价 {_num(pr)} 万元/亩，可接受上限 {_num(mx)} 万元/亩"
    # readiness
    r4 = f"开发程度：{Q.readiness[j]}" if Q.readiness[j] else "未写明开发程度（七通一平/标准地）"
    # preferred
    ppark, preg = int(P.park[i]), int(P.pref_region[i])
    if ppark >= 0 and pk == ppark:
        r5 = f"位于意向园区「{ctx.park_name(ppark)}」"
    elif preg >= 0 and bool(ctx.within(Q.region[j:j + 1], P.pref_region[i:i + 1])[0]):
        r5 = f"位于意向行政区「{ctx.region_name(preg)}」内" + (f"（非意向园区「{ctx.park_name(ppark)}」）" if ppark >= 0 else "")
    elif ppark >= 0 or preg >= 0:
        want = "、".join(x for x in (f"园区「{ctx.park_name(ppark)}」" if ppark >= 0 else "",
                                      f"行政区「{ctx.region_name(preg)}」" if preg >= 0 else "") if x)
        r5 = f"不在意向{want}"
    else:
        r5 = "项目未填意向园区/行政区" + neutral
    # distance
    d = dist_km if dist_km is not None else float(distance_km(P, Q, np.asarray([i]), np.asarray([j]))[0])
    if math.isnan(d):
        r6 = "缺少坐标，无法计算距离" + neutral
    else:
        r6 = f"距{P.anchor_text[i]} {_num(round(d, 1))} 公里"
    return [r0, r1, r2, r3, r4, r5, r6]


def check_records(project: dict[str, Any], parcel: dict[str, Any], *, now: dt.datetime | None = None,
                  chain_names: dict[str, str] | None = None) -> tuple[int, list[Check]]:
    """The hard rules for one (project, parcel) pair given as stored props (with `key`): (bits, failed checks).
    Used by the reservation service, which reads the store, so that a reservation obeys the same rules."""
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


# ------------------------------------------------------------------------------------------------ index
@dataclass
class LandData:
    """Everything the matcher needs: the graph context and the two tables (from one snapshot, or from files)."""

    ctx: LandContext
    parcels: ParcelTable
    projects: ProjectTable
    version: int | None = None

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "LandData":
        ctx = LandContext.build(snap)
        return cls(ctx, ParcelTable.from_snapshot(snap, ctx), ProjectTable.from_snapshot(snap, ctx), snap.version)

    @classmethod
    def from_records(cls, projects: Sequence[Project], parcels: Sequence[LandParcel],
                     snap: Snapshot | None = None) -> "LandData":
        """Tables from validated records (CSV files); graph facts from `snap` when given."""
        ctx = LandContext.build(
            snap,
            chains=[p.chain for p in projects if p.chain] + [c for q in parcels for c in q.allowed_chains],
            parks=[p.park for p in projects if p.park] + [q.park for q in parcels if q.park],
            regions=[p.region for p in projects if p.region] + [q.region for q in parcels],
            segments=[p.segment for p in projects if p.segment],
        )
        return cls(ctx, ParcelTable.from_records(parcels, ctx), ProjectTable.from_records(projects, ctx),
                   None if snap is None else snap.version)

    def with_project(self, project: Project) -> tuple["LandData", int]:
        """A view whose project table is the single (inline) project; returns (data, its row)."""
        return LandData(self.ctx, self.parcels, ProjectTable.from_records([project], self.ctx), self.version), 0


def land_data(snap: Snapshot) -> LandData:
    """The matcher's arrays for a snapshot, built once per snapshot (kept in the derived registry)."""
    return derived(snap, "land.data", lambda: LandData.from_snapshot(snap))


# ------------------------------------------------------------------------------------------------ results
def _parcel_brief(data: LandData, j: int) -> dict[str, Any]:
    Q, ctx = data.parcels, data.ctx
    pk = int(Q.park[j])
    st = ("available", "reserved", "transferred")[int(Q.status[j])]
    return {
        "parcel": str(Q.keys[j]), "name": str(Q.names[j]), "park": str(ctx.parks.keys[pk]) if pk >= 0 else None,
        "park_name": ctx.park_name(pk) or None, "region": ctx.region_name(int(Q.region[j])) or None,
        "area_mu": _float(Q.area[j]), "price_wan_per_mu": _float(Q.num["price_wan_per_mu"][j]),
        "land_use": _land_use_text(int(Q.land_use[j])), "readiness": str(Q.readiness[j]) or None, "status": st,
    }


def _project_brief(data: LandData, i: int) -> dict[str, Any]:
    P, ctx = data.projects, data.ctx
    c = int(P.chain[i])
    return {
        "project": str(P.keys[i]), "name": str(P.names[i]), "chain": ctx.chain_name(c) or None,
        "stage": str(P.stage[i]) or None, "total_investment_wan": _float(P.num["total_investment_wan"][i]),
        "land_min_mu": _float(P.num["land_min_mu"][i]), "land_max_mu": _float(P.num["land_max_mu"][i]),
    }


def _float(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _fail_summary(bits: np.ndarray) -> dict[str, int]:
    out = {}
    for name, label in RULES:
        n = int(np.count_nonzero(bits & RULE_BIT[name]))
        if n:
            out[label] = n
    return out


def _near_miss_order(bits: np.ndarray) -> np.ndarray:
    """Infeasible first by fewest failed rules (the near misses), then by position."""
    return np.lexsort((np.arange(len(bits)), np.bitwise_count(bits.astype(np.uint32))))


@dataclass
class Ranking:
    """A ranked answer in one direction, ready for JSON."""

    subject: dict[str, Any]
    feasible: list[dict[str, Any]]
    infeasible: list[dict[str, Any]]
    counts: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "feasible": self.feasible, "infeasible": self.infeasible, "counts": self.counts}


def rank_parcels(data: LandData, project: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                 parcels: np.ndarray | None = None, limit: int = 20, infeasible_limit: int = 50,
                 include_transferred: bool = False) -> Ranking:
    """Project → parcels: feasible ones ranked by score with breakdown and checks, infeasible ones with the
    failed rules (near misses first). `parcels` restricts the candidates (indices into data.parcels)."""
    P, Q, ctx = data.projects, data.parcels, data.ctx
    now_s = now_seconds(now)
    qi = np.arange(len(Q)) if parcels is None else np.asarray(parcels, dtype=np.int64)
    hidden = 0
    if not include_transferred:
        keep = Q.status[qi] != 2
        hidden = int((~keep).sum())
        qi = qi[keep]
    pi = np.full(len(qi), project, dtype=np.int64)
    bits = check_pairs(P, Q, pi, qi, now_s)
    ok = bits == 0
    fq = qi[ok]
    total, comps = score_pairs(P, Q, ctx, pi[ok], fq, weights)
    order = np.lexsort((fq, -total))[:limit]
    breakdowns = explain_components(P, Q, ctx, np.full(len(order), project), fq[order], comps[order], weights)
    feasible = []
    for r, bd in zip(order, breakdowns):
        j = int(fq[r])
        feasible.append({**_parcel_brief(data, j), "score": round(float(total[r]), 2), "breakdown": bd,
                         "checks": [c.as_dict() for c in explain_checks(P, Q, ctx, project, j, 0, now_s)]})
    bad = np.nonzero(~ok)[0]
    infeasible = []
    for r in bad[_near_miss_order(bits[bad])][:infeasible_limit]:
        j = int(qi[r])
        infeasible.append({**_parcel_brief(data, j), "failures": [
            c.as_dict() for c in explain_checks(P, Q, ctx, project, j, int(bits[r]), now_s, failures_only=True)]})
    counts = {"candidates": int(len(qi)), "feasible": int(ok.sum()), "infeasible": int((~ok).sum()),
              "transferred_hidden": hidden, "excluded_by_rule": _fail_summary(bits[~ok])}
    return Ranking(_project_brief(data, project), feasible, infeasible, counts)


def rank_projects(data: LandData, parcel: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                  limit: int = 20, infeasible_limit: int = 50, include_landed: bool = False) -> Ranking:
    """Parcel → projects (地等项目): the projects that may take this parcel, ranked, and why not the others.
    Projects at 开工/投产/达产 already have their land and are left out unless include_landed."""
    P, Q, ctx = data.projects, data.parcels, data.ctx
    now_s = now_seconds(now)
    pi = np.arange(len(P))
    hidden = 0
    if not include_landed and len(P):
        keep = ~np.isin(P.stage, LANDED_STAGES)
        hidden = int((~keep).sum())
        pi = pi[keep]
    qi = np.full(len(pi), parcel, dtype=np.int64)
    bits = check_pairs(P, Q, pi, qi, now_s)
    ok = bits == 0
    fp = pi[ok]
    total, comps = score_pairs(P, Q, ctx, fp, qi[ok], weights)
    order = np.lexsort((fp, -total))[:limit]
    breakdowns = explain_components(P, Q, ctx, fp[order], np.full(len(order), parcel), comps[order], weights)
    feasible = []
    for r, bd in zip(order, breakdowns):
        i = int(fp[r])
        feasible.append({**_project_brief(data, i), "score": round(float(total[r]), 2), "breakdown": bd,
                         "checks": [c.as_dict() for c in explain_checks(P, Q, ctx, i, parcel, 0, now_s)]})
    bad = np.nonzero(~ok)[0]
    infeasible = []
    for r in bad[_near_miss_order(bits[bad])][:infeasible_limit]:
        i = int(pi[r])
        infeasible.append({**_project_brief(data, i), "failures": [
            c.as_dict() for c in explain_checks(P, Q, ctx, i, parcel, int(bits[r]), now_s, failures_only=True)]})
    counts = {"candidates": int(len(pi)), "feasible": int(ok.sum()), "infeasible": int((~ok).sum()),
              "landed_hidden": hidden, "excluded_by_rule": _fail_summary(bits[~ok])}
    return Ranking(_parcel_brief(data, parcel), feasible, infeasible, counts)


# ------------------------------------------------------------------------------------------------ batch
def feasible_pairs(data: LandData, projects: np.ndarray | None = None, parcels: np.ndarray | None = None, *,
                   now: dt.datetime | None = None, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """All feasible (project, parcel) index pairs among the given rows, without a full N × M grid.

    Three rules become index ranges instead of pair tests: only open parcels are candidates (status), projects
    are grouped by chain and see only the parcels whose 产业准入 admits that chain (chain), and within a group the
    parcels are sorted by area so each project's need is a contiguous range (area). The remaining rules run on
    those candidate pairs, most selective first, dropping failures as they go (filter_pairs)."""
    P, Q = data.projects, data.parcels
    now_s = now_seconds(now)
    pi_all = np.arange(len(P)) if projects is None else np.asarray(projects, dtype=np.int64)
    qi_all = np.arange(len(Q)) if parcels is None else np.asarray(parcels, dtype=np.int64)
    # parcels nobody can take (transferred, or reserved and not expired) only stay for the project holding them
    avail = Q.available(now_s)[qi_all]
    held = qi_all[~avail & (Q.status[qi_all] == 1)]
    qi_open = qi_all[avail]
    qi_open = qi_open[np.argsort(Q.area[qi_open], kind="stable")]
    out_p: list[np.ndarray] = []
    out_q: list[np.ndarray] = []
    chains = P.chain[pi_all]
    for c in np.unique(chains).tolist():
        group = pi_all[chains == c]
        order = qi_open[Q.chain_any[qi_open] | Q.chain_allowed[qi_open, c]]  # c = -1 reads the pad column (False)
        if order.size == 0:
            continue
        sorted_area = Q.area[order]
        for b in range(0, len(group), block):
            pb = group[b:b + block]
            lo = np.searchsorted(sorted_area, P.land_lo[pb], side="left")
            hi = np.searchsorted(sorted_area, P.land_hi[pb], side="right")
            lens = np.maximum(hi - lo, 0)
            tot = int(lens.sum())
            if tot == 0:
                continue
            rows = np.repeat(pb, lens)
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
            cols = order[np.arange(tot) + starts]
            rows, cols = filter_pairs(P, Q, rows, cols, now_s, _FILTER_ORDER)
            out_p.append(rows)
            out_q.append(cols)
    if held.size and len(pi_all):  # reservations held by projects in the batch
        holders = np.asarray([P.pos(k) for k in Q.reserved_by[held].tolist()], dtype=np.int64)
        in_batch = np.isin(holders, pi_all) & (holders >= 0)
        if in_batch.any():
            rows, cols = filter_pairs(P, Q, holders[in_batch], held[in_batch], now_s)
            out_p.append(rows)
            out_q.append(cols)
    if not out_p:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_p), np.concatenate(out_q)


DENSE_ASSIGN_CELLS = 30_000_000  # the dense solver's cost matrix (float64) stays under ~240 MB
DENSE_ASSIGN_MIN_DENSITY = 0.02


def _compact(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative ids → dense 0..k-1 codes (in id order) and k, by a presence table instead of a sort."""
    present = np.zeros(int(ids.max()) + 1, dtype=bool)
    present[ids] = True
    code = np.cumsum(present) - 1
    return code[ids], int(present.sum())


def solver_for(n_edges: int, n_rows: int, n_cols: int) -> str:
    """The solver "auto" picks for a reduced problem of this size (see optimal_assignment)."""
    dense = n_rows * (n_cols + n_rows) <= DENSE_ASSIGN_CELLS and n_edges >= DENSE_ASSIGN_MIN_DENSITY * n_rows * n_cols
    return "dense" if dense else "sparse"


def optimal_assignment(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, *,
                       method: str = "auto") -> tuple[np.ndarray, float]:
    """Maximum-total-score one-to-one matching over the given (row, col, score) edges; unmatched allowed.

    Returns (edge indices chosen, total score). Only rows and columns with an edge take part. Every row gets a
    private dummy column of score 0, so a full matching of the rows always exists and no non-edge is ever
    needed; maximising the total score is then the rectangular assignment problem on costs C0 − score
    (dummy: C0), which both solvers answer exactly:
      sparse  LAPJVsp (scipy.sparse.csgraph.min_weight_full_bipartite_matching) on the edges only; C0 = max
              score + 1 keeps every cost positive (it needs non-zero weights). Fast when few pairs are feasible.
      dense   linear_sum_assignment on the rows × (columns + dummies) matrix, +inf for non-edges. Faster once
              a good share of the pairs is feasible.
    "auto" takes dense when at least DENSE_ASSIGN_MIN_DENSITY of the reduced grid are edges and the matrix has
    at most DENSE_ASSIGN_CELLS cells."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if rows.size == 0:
        return np.zeros(0, np.int64), 0.0
    r, nr = _compact(rows)
    c, nc = _compact(cols)
    width = nc + nr
    if method == "auto":
        method = solver_for(rows.size, nr, nc)
    if method == "dense":
        ids = np.full((nr, nc), -1, dtype=np.int64)
        ids[r, c] = np.arange(rows.size)
        if np.count_nonzero(ids >= 0) != rows.size:
            raise ValueError("重复的 (项目, 地块) 组合")
        cost = np.full((nr, width), np.inf)
        cost[r, c] = -scores
        cost[np.arange(nr), nc + np.arange(nr)] = 0.0
        row_ind, col_ind = linear_sum_assignment(cost)
        del cost
        real = col_ind < nc
        chosen = ids[row_ind[real], col_ind[real]]
        return chosen, float(scores[chosen].sum())
    if method != "sparse":
        raise ValueError(f"unknown method {method!r}")
    key = r * width + c
    if np.unique(key).size != key.size:
        raise ValueError("重复的 (项目, 地块) 组合")
    c0 = float(scores.max()) + 1.0  # any scores, negative ones too: every cost C0 − score ≥ 1
    # real edges and one dummy per row, sorted by (row, col): these are the CSR arrays directly
    dkey = np.arange(nr, dtype=np.int64) * width + nc + np.arange(nr)
    allkey = np.concatenate([key, dkey])
    allw = np.concatenate([c0 - scores, np.full(nr, c0)])
    edge = np.concatenate([np.arange(len(rows)), np.full(nr, -1)])
    o = np.argsort(allkey, kind="stable")
    allkey, allw, edge = allkey[o], allw[o], edge[o]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(allkey // width, minlength=nr))])
    g = sp.csr_matrix((allw, allkey % width, indptr), shape=(nr, width))
    row_ind, col_ind = min_weight_full_bipartite_matching(g)
    chosen = edge[np.searchsorted(allkey, row_ind.astype(np.int64) * width + col_ind)]
    chosen = chosen[chosen >= 0]
    return chosen, float(scores[chosen].sum())


@dataclass
class Assignment:
    """A batch result: the chosen pairs, every feasible pair with its score, and the unmatched projects."""

    data: LandData
    pair_projects: np.ndarray  # every feasible pair …
    pair_parcels: np.ndarray
    pair_scores: np.ndarray
    pair_components: np.ndarray
    chosen: np.ndarray  # indices into the pair arrays
    total_score: float
    projects: np.ndarray  # the projects considered
    parcels: np.ndarray  # the parcels considered
    weights: LandWeights
    now_s: float

    @property
    def unmatched(self) -> np.ndarray:
        return np.setdiff1d(self.projects, self.pair_projects[self.chosen])

    def pair_dicts(self, edges: Sequence[int], *, explain: bool = True) -> list[dict[str, Any]]:
        d = self.data
        edges = np.asarray(edges, dtype=np.int64)
        pi, qi = self.pair_projects[edges], self.pair_parcels[edges]
        breakdowns = (explain_components(d.projects, d.parcels, d.ctx, pi, qi, self.pair_components[edges], self.weights)
                      if explain else [None] * len(edges))
        out = []
        for e, i, j, bd in zip(edges.tolist(), pi.tolist(), qi.tolist(), breakdowns):
            row = {"project": str(d.projects.keys[i]), "project_name": str(d.projects.names[i]),
                   **_parcel_brief(d, j), "score": round(float(self.pair_scores[e]), 2)}
            if explain:
                row["breakdown"] = bd
                row["checks"] = [c.as_dict() for c in explain_checks(d.projects, d.parcels, d.ctx, i, j, 0, self.now_s)]
            out.append(row)
        return out

    def unmatched_dicts(self) -> list[dict[str, Any]]:
        d = self.data
        n_pairs = np.bincount(self.pair_projects, minlength=len(d.projects)) if len(self.pair_projects) else \
            np.zeros(len(d.projects), dtype=np.int64)
        best: dict[int, int] = {}
        if len(self.pair_projects):
            order = np.lexsort((-self.pair_scores, self.pair_projects))
            first = np.concatenate([[True], self.pair_projects[order][1:] != self.pair_projects[order][:-1]])
            best = dict(zip(self.pair_projects[order][first].tolist(), order[first].tolist()))
        out = []
        for i in self.unmatched.tolist():
            if n_pairs[i]:
                e = best[i]
                reason = (f"有 {int(n_pairs[i])} 块可行地块，但都分配给了其他项目（全局总分最优）；其中得分最高的是"
                          f"「{d.parcels.names[self.pair_parcels[e]]}」（{_num(round(float(self.pair_scores[e]), 2))} 分）")
            else:
                reason = "没有满足硬性条件的地块（可用 /land/match 查看每块地的不符原因）"
            out.append({**_project_brief(d, i), "reason": reason})
        return out

    def as_dict(self, *, explain: bool = True, include_pairs: bool = False) -> dict[str, Any]:
        chosen = sorted(self.chosen.tolist(), key=lambda e: (-self.pair_scores[e], str(self.data.projects.keys[self.pair_projects[e]])))
        out = {
            "total_score": round(self.total_score, 2),
            "assigned": self.pair_dicts(chosen, explain=explain),
            "unmatched": self.unmatched_dicts(),
            "counts": {"projects": int(len(self.projects)), "parcels": int(len(self.parcels)),
                       "feasible_pairs": int(len(self.pair_scores)), "assigned": int(len(self.chosen))},
        }
        if include_pairs:
            out["pairs"] = [{"project": str(self.data.projects.keys[self.pair_projects[e]]),
                             "parcel": str(self.data.parcels.keys[self.pair_parcels[e]]),
                             "score": round(float(self.pair_scores[e]), 4)} for e in range(len(self.pair_scores))]
        return out


def assign(data: LandData, *, projects: np.ndarray | None = None, parcels: np.ndarray | None = None,
           weights: LandWeights | None = None, now: dt.datetime | None = None) -> Assignment:
    """N projects × M parcels → the one-to-one assignment with the largest total score over feasible pairs."""
    weights = weights or LandWeights()
    now_s = now_seconds(now)
    P, Q = data.projects, data.parcels
    pi_all = np.arange(len(P)) if projects is None else np.unique(np.asarray(projects, dtype=np.int64))
    qi_all = np.arange(len(Q)) if parcels is None else np.unique(np.asarray(parcels, dtype=np.int64))
    pp, qq = feasible_pairs(data, pi_all, qi_all, now=now)
    total, comps = score_pairs(P, Q, data.ctx, pp, qq, weights)
    chosen, best = optimal_assignment(pp, qq, total)
    return Assignment(data, pp, qq, total, comps, chosen, best, pi_all, qi_all, weights, now_s)


# ------------------------------------------------------------------------------------------------ storefront
def list_parcels(data: LandData, *, chain: str | None = None, area_min: float | None = None,
                 area_max: float | None = None, invest_wan: float | None = None, park: str | None = None,
                 standard_only: bool = False, status: str = "available", now: dt.datetime | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[np.ndarray, int]:
    """The 土地超市 listing: parcel indices passing the filters (sorted by park, then key) and their count.

    chain: parcels whose 产业准入 admits it; invest_wan (投资规模): parcels whose 投资强度 requirement an
    investment of that size meets (投资 ÷ 面积 ≥ 要求); status: available (incl. expired reservations) / reserved
    / transferred / all."""
    Q, ctx = data.parcels, data.ctx
    now_s = now_seconds(now)
    m = np.ones(len(Q), dtype=bool)
    if status == "available":
        m &= Q.available(now_s)
    elif status == "reserved":
        m &= (Q.status == 1) & ~Q.available(now_s)
    elif status == "transferred":
        m &= Q.status == 2
    if chain:
        c = ctx.chains.code(chain)
        m &= Q.chain_any | (Q.chain_allowed[:, c] if c >= 0 else False)
    if area_min is not None:
        m &= Q.area >= area_min
    if area_max is not None:
        m &= Q.area <= area_max
    if invest_wan is not None:
        m &= invest_wan / Q.area >= Q.req_invest
    if park:
        m &= Q.park == ctx.parks.code(park)
    if standard_only:
        m &= Q.ready_std
    idx = np.nonzero(m)[0]
    names = ctx.park_names[Q.park[idx]]
    idx = idx[np.lexsort((Q.keys[idx], names))]
    return idx[offset:offset + limit], int(len(idx))


# ------------------------------------------------------------------------------------------------ extension point
class EnterpriseRecommender(Protocol):
    """Extension point for "parcel → candidate enterprises" (招商目标企业). The target-enterprise recommender
    does not exist yet; when it does, it implements this and the API app sets
    `app.state.land_enterprise_recommender` to it. Until then GET /parcels/{key}/enterprises answers 501.

    `chains` are the chain keys the parcel admits (产业准入) or, when unrestricted, its park's leading chains;
    `region` is the parcel's region key. The recommender returns ranked firms as dicts with at least
    {"enterprise", "name", "score", "reasons"}; the land matcher does not re-rank them."""

    def recommend_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                             limit: int) -> list[dict[str, Any]]: ...


def parcel_target_chains(data: LandData, parcel: int) -> list[str]:
    """The chains a recommender should look in for a parcel: its 产业准入, else its park's leading chains."""
    Q, ctx = data.parcels, data.ctx
    if not Q.chain_any[parcel]:
        codes = np.nonzero(Q.chain_allowed[parcel, :-1])[0]
    else:
        codes = np.nonzero(ctx.park_leads[Q.park[parcel], :-1])[0]
    return [str(ctx.chains.keys[c]) for c in codes]
