"""土地超市 soft score (0–100) of feasible (project, parcel) pairs, computed for many pairs at once.

Score = Σ weight·component / Σ weight × 100, components in [0, 1] (LandWeights; defaults in brackets, configured
in api.settings.LandSettings). A component whose facts are unknown counts as ScoreScales.neutral (0.5):
  chain_park  [20] 1 if the project's chain is one of the park's leading chains (主导产业), else 0;
  cluster     [20] up/downstream firms already near: distinct firms in the parcel's city that sit in a segment
                   directly upstream or downstream (UPSTREAM_OF) of the project's segment, plus partner_weight (2)
                   × the investor's own suppliers/customers (SUPPLIES) there; score = 1 − exp(−n / cluster_scale);
  area        [15] closeness of area to the need: 1 − |area − target| / target, target = midpoint of the
                   need (or the one bound given), clipped to [0, 1];
  price       [10] 1 − price / max price (cheaper land scores higher);
  readiness   [10] 0.5 × 标准地 + 0.5 × infrastructure (七通一平/九通一平 1, 五通一平 0.7, 三通一平 0.4);
  preferred   [15] 1 in the project's 意向园区, region_pref_score (0.7) inside its 拟落地行政区 (or that park's
                   region), else 0;
  distance    [10] exp(−d / distance_scale_km), d = great-circle km from the project's anchor (意向园区, else
                   拟落地行政区, else the investor's location) to the parcel (its own coordinates, else its
                   park's, else its region's).
The read side takes these as plain values (ScoreScales, LandWeights); the router and the CLI fill them from the
settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import ConfigDict, Field, model_validator

from graph.schema import StrictNumbers
from kernel.geo import chord_km
from land.context import LandContext
from land.tables import ParcelTable, ProjectTable


@dataclass(frozen=True)
class ScoreScales:
    """The constants of the soft score (see the module docstring); defaults as documented in docs/land.md."""

    neutral: float = 0.5
    cluster_scale: float = 5.0
    partner_weight: float = 2.0
    region_pref_score: float = 0.7
    distance_scale_km: float = 50.0


DEFAULT_SCALES = ScoreScales()

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



def distance_km(P: ProjectTable, Q: ParcelTable, pi: np.ndarray, qi: np.ndarray) -> np.ndarray:
    """Great-circle km from each project's anchor to each parcel (NaN when either has no coordinates), from the
    precomputed unit vectors: chord length c, distance 2R·arcsin(c/2)."""
    ax, ay, az = P.anchor_xyz
    bx, by, bz = Q.xyz
    dx = ax[pi] - bx[qi]
    dy = ay[pi] - by[qi]
    dz = az[pi] - bz[qi]
    return chord_km(np.sqrt(dx * dx + dy * dy + dz * dz))



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


def cluster_weight(ctx: LandContext, P: ProjectTable, pi: np.ndarray, city: np.ndarray,
                   partner_weight: float = DEFAULT_SCALES.partner_weight) -> np.ndarray:
    """up + down + partner_weight × partners per pair (the cluster score's input)."""
    if len(pi) == 0:
        return np.zeros(0)
    width = len(ctx.regions) + 1
    if len(pi) >= len(P) and len(P) * width <= DENSE_TABLE_CELLS:
        rows, inv = np.arange(len(P)), pi  # many pairs: a table over every project, no sort of the pairs
    else:
        rows, inv = np.unique(pi, return_inverse=True)
    seg = _pad_index(P.segment[rows], len(ctx.segments))
    firm = _pad_index(P.investor[rows], len(ctx.firms))
    w = (ctx.seg_up_city[seg] + ctx.seg_down_city[seg] + partner_weight * ctx.partner_city[firm]).tocsr()
    col = _pad_index(city, len(ctx.regions))
    if len(rows) * width <= DENSE_TABLE_CELLS:
        return w.toarray()[inv, col].astype(np.float64)
    return sparse_lookup(w, inv, col)


def score_pairs(P: ProjectTable, Q: ParcelTable, ctx: LandContext, pi: np.ndarray, qi: np.ndarray,
                weights: LandWeights | None = None, scales: ScoreScales = DEFAULT_SCALES
                ) -> tuple[np.ndarray, np.ndarray]:
    """(total 0–100, components n × 7 in [0, 1]) for pairs (pi[k], qi[k])."""
    w = (weights or LandWeights()).vector()
    neutral = scales.neutral
    n = len(pi)
    comps = np.empty((len(COMPONENTS), n), dtype=np.float64)  # one contiguous row per component
    if n == 0:
        return np.zeros(0), comps.T
    # chain_park
    c = P.chain[pi]
    pk = Q.park[qi]
    leads = ctx.park_leads[_pad_index(pk, len(ctx.parks)), _pad_index(c, len(ctx.chains))]  # pads are False
    known = (c >= 0) & ctx.park_has_leads[pk] & ctx.graph
    comps[0] = np.where(known, leads, neutral)
    # cluster
    x = cluster_weight(ctx, P, pi, Q.city[qi], scales.partner_weight)
    has_basis = ((P.segment[pi] >= 0) | (P.investor[pi] >= 0)) & ctx.graph
    comps[1] = np.where(has_basis, 1.0 - np.exp(-x / scales.cluster_scale), neutral)
    # area
    target = P.area_target[pi]
    with np.errstate(invalid="ignore", divide="ignore"):
        comps[2] = np.clip(1.0 - np.abs(Q.area[qi] - target) / target, 0.0, 1.0)
    comps[2][~(target > 0)] = neutral
    # price
    mx = P.num["max_price_wan_per_mu"][pi]
    pr = Q.num["price_wan_per_mu"][qi]
    with np.errstate(invalid="ignore", divide="ignore"):
        s_price = np.where(mx > 0, np.clip(1.0 - pr / mx, 0.0, 1.0), np.where(pr <= 0, 1.0, 0.0))
    comps[3] = np.where(np.isnan(mx) | np.isnan(pr), neutral, s_price)
    # readiness
    comps[4] = Q.ready_level[qi]
    # preferred
    ppark = P.park[pi]
    preg = P.pref_region[pi]
    in_park = (ppark >= 0) & (pk == ppark)
    in_region = ctx.within(Q.region[qi], preg)
    comps[5] = np.where(in_park, 1.0, np.where(in_region, scales.region_pref_score,
                                               np.where((ppark >= 0) | (preg >= 0), 0.0, neutral)))
    # distance
    d = distance_km(P, Q, pi, qi)
    comps[6] = np.where(np.isnan(d), neutral, np.exp(-d / scales.distance_scale_km))
    scale = w / w.sum() * 100.0
    total = comps[0] * scale[0]
    for k in range(1, len(COMPONENTS)):
        total += comps[k] * scale[k]
    return total, comps.T



def from_settings(cfg: Any) -> tuple[LandWeights, ScoreScales]:
    """The configured defaults (api.settings.LandSettings, passed in by the router or the CLI — the read side
    imports no settings): default weights and score constants."""
    return LandWeights(**cfg.default_weights()), ScoreScales(**cfg.score_scales())
