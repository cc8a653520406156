"""土地超市 tables: one numpy column per fact of every parcel and every project, plus "rule-ready" columns.

In a rule-ready column an unknown value is replaced so that one comparison encodes the rule (an absent 标准地
requirement is −inf, an unknown project figure −inf too, so "no requirement" passes and "unknown figure" fails a
real one — see land/rules.py). Both tables are built through `_from_raw` from land/columns.py, from the snapshot
or from validated records alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import LAND_USES, POLLUTION_CLASSES, LandParcel, Project
from graph.snapshot import Snapshot
from kernel.geo import unit_vectors
from land.columns import (
    Raw, Vocab, epoch_days, epoch_seconds, list_to_dense, raw_from_records, raw_from_snapshot, records_of, row_nonempty,
)
from land.context import LandContext

INFRA_LEVELS = {"九通一平": 1.0, "七通一平": 1.0, "六通一平": 0.85, "五通一平": 0.7, "三通一平": 0.4}
STANDARD_LAND = "标准地"
LAND_USE_CODES = tuple(sorted(LAND_USES))


# ------------------------------------------------------------------------------------------------ tables
_PARCEL_NUM = ("area_mu", "price_wan_per_mu", "far_min", "far_max", "density_min", "density_max", "green_ratio_max",
               "term_years", "min_invest_intensity_wan_per_mu", "min_tax_wan_per_mu", "min_output_wan_per_mu",
               "max_energy_tce_per_wan", "power_capacity_kva", "rail_access", "lat", "lon", "rev")
_PARCEL_TEXT = ("park", "region", "land_use", "status", "reserved_by", "expires_at", "deliverable_on")
_PARCEL_LISTS = ("readiness", "allowed_pollution", "allowed_chains")
_PROJECT_NUM = ("land_min_mu", "land_max_mu", "total_investment_wan", "expected_tax_wan", "expected_output_wan",
                "energy_tce_per_wan", "max_price_wan_per_mu", "power_need_kva", "needs_rail")
_PROJECT_TEXT = ("chain", "segment", "park", "region", "investor", "land_use", "pollution_class", "stage",
                 "land_needed_by")


@dataclass
class ParcelTable:
    keys: np.ndarray
    names: np.ndarray
    num: dict[str, np.ndarray]  # the model's numeric facts, NaN = unknown
    park: np.ndarray
    region: np.ndarray
    city: np.ndarray
    land_use: np.ndarray  # index into LAND_USE_CODES, -1 unknown
    status: np.ndarray  # 0 available, 1 reserved, 2 transferred
    reserved_by: np.ndarray  # project key or ""
    expires: np.ndarray  # epoch seconds, NaN = no expiry
    deliverable: np.ndarray  # ordinal day, NaN unknown
    readiness: np.ndarray  # display text "七通一平、标准地"
    ready_std: np.ndarray
    ready_level: np.ndarray
    poll_any: np.ndarray  # no pollution restriction
    poll_allowed: np.ndarray  # n × (len(POLLUTION_CLASSES)+1) bool, pad column False
    chain_any: np.ndarray
    chain_allowed: np.ndarray  # n × (C+1) bool, pad column False
    lat: np.ndarray  # effective: own, else park's, else region's
    lon: np.ndarray
    # rule- and score-ready columns (NaN replaced so that comparisons encode "no requirement")
    area: np.ndarray = field(init=False)
    req_invest: np.ndarray = field(init=False)
    req_tax: np.ndarray = field(init=False)
    req_output: np.ndarray = field(init=False)
    max_energy: np.ndarray = field(init=False)
    price_r: np.ndarray = field(init=False)
    power_cap_r: np.ndarray = field(init=False)
    deliverable_r: np.ndarray = field(init=False)
    xyz: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False)  # unit vectors, for distances
    _pos: dict[str, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.xyz = unit_vectors(self.lat, self.lon)
        a = self.num["area_mu"]
        self.area = a
        self.req_invest = np.where(np.isnan(self.num["min_invest_intensity_wan_per_mu"]), -np.inf,
                                   self.num["min_invest_intensity_wan_per_mu"])
        self.req_tax = np.where(np.isnan(self.num["min_tax_wan_per_mu"]), -np.inf, self.num["min_tax_wan_per_mu"])
        self.req_output = np.where(np.isnan(self.num["min_output_wan_per_mu"]), -np.inf, self.num["min_output_wan_per_mu"])
        self.max_energy = np.where(np.isnan(self.num["max_energy_tce_per_wan"]), np.inf, self.num["max_energy_tce_per_wan"])
        self.price_r = np.where(np.isnan(self.num["price_wan_per_mu"]), np.inf, self.num["price_wan_per_mu"])
        self.power_cap_r = np.where(np.isnan(self.num["power_capacity_kva"]), np.inf, self.num["power_capacity_kva"])
        self.deliverable_r = np.where(np.isnan(self.deliverable), -np.inf, self.deliverable)

    def __len__(self) -> int:
        return len(self.keys)

    def pos(self, key: str) -> int:
        if self._pos is None:
            self._pos = {k: i for i, k in enumerate(self.keys.tolist())}
        return self._pos.get(key, -1)

    @classmethod
    def from_snapshot(cls, snap: Snapshot, ctx: LandContext) -> "ParcelTable":
        return cls._from_raw(raw_from_snapshot(snap, "LandParcel", _PARCEL_NUM, _PARCEL_TEXT, _PARCEL_LISTS), ctx)

    @classmethod
    def from_records(cls, parcels: Sequence[LandParcel | dict[str, Any]], ctx: LandContext) -> "ParcelTable":
        return cls._from_raw(raw_from_records(records_of(parcels), _PARCEL_NUM, _PARCEL_TEXT, _PARCEL_LISTS), ctx)

    @classmethod
    def _from_raw(cls, raw: Raw, ctx: LandContext) -> "ParcelTable":
        t = raw.text
        park = ctx.parks.codes(t["park"])
        region = ctx.regions.codes(t["region"])
        # land use, status
        lu_vocab = Vocab(LAND_USE_CODES)
        land_use = lu_vocab.codes(t["land_use"])
        status = np.zeros(raw.n, dtype=np.int8)
        status[t["status"] == "reserved"] = 1
        status[t["status"] == "transferred"] = 2
        # readiness
        rm, rvocab = raw.lists["readiness"]
        vocab_std = np.asarray([v == STANDARD_LAND for v in rvocab.tolist()], dtype=np.float32)
        vocab_lvl = np.asarray([INFRA_LEVELS.get(v, 0.0) for v in rvocab.tolist()], dtype=np.float64)
        ready_std = (rm @ vocab_std > 0) if len(rvocab) else np.zeros(raw.n, dtype=bool)
        if len(rvocab):
            rc = rm.tocsr()
            lvl = np.zeros(raw.n)
            if rc.nnz:
                vals = vocab_lvl[rc.indices]
                rows = np.repeat(np.arange(raw.n), np.diff(rc.indptr))
                np.maximum.at(lvl, rows, vals)
        else:
            lvl = np.zeros(raw.n)
        ready_level = 0.5 * ready_std.astype(np.float64) + 0.5 * lvl
        readiness = _readiness_texts(rm.tocsr(), rvocab) if len(rvocab) else np.full(raw.n, "", dtype=str)
        # rules
        pol = raw.lists["allowed_pollution"]
        chains = raw.lists["allowed_chains"]
        lat = raw.num["lat"].copy()
        lon = raw.num["lon"].copy()
        miss = np.isnan(lat) | np.isnan(lon)
        lat[miss] = ctx.park_lat[park[miss]]
        lon[miss] = ctx.park_lon[park[miss]]
        miss = np.isnan(lat) | np.isnan(lon)
        lat[miss] = ctx.region_lat[region[miss]]
        lon[miss] = ctx.region_lon[region[miss]]
        return cls(
            keys=raw.keys, names=raw.names, num=raw.num, park=park, region=region, city=ctx.region_city[region],
            land_use=land_use, status=status, reserved_by=t["reserved_by"], expires=epoch_seconds(t["expires_at"]),
            deliverable=epoch_days(t["deliverable_on"]), readiness=readiness, ready_std=ready_std,
            ready_level=ready_level, poll_any=~row_nonempty(pol), poll_allowed=list_to_dense(pol, POLLUTION_CLASSES),
            chain_any=~row_nonempty(chains), chain_allowed=list_to_dense(chains, ctx.chains), lat=lat, lon=lon,
        )

    def available(self, now_s: float) -> np.ndarray:
        """Available for anyone: status available, or reserved with an expired reservation."""
        with np.errstate(invalid="ignore"):
            expired = (self.status == 1) & (self.expires <= now_s)
        return (self.status == 0) | expired


def _readiness_rank(v: str) -> int:
    order = ("九通一平", "七通一平", "六通一平", "五通一平", "三通一平", STANDARD_LAND)
    return order.index(v) if v in order else len(order)


def _readiness_texts(rc: sp.csr_matrix, vocab: np.ndarray) -> np.ndarray:
    """Display text per row ("七通一平、标准地"), computed once per distinct combination."""
    ranks = np.asarray([_readiness_rank(v) for v in vocab.tolist()])
    memo: dict[tuple[int, ...], str] = {}
    out = []
    for i in range(rc.shape[0]):
        idx = tuple(rc.indices[rc.indptr[i]:rc.indptr[i + 1]].tolist())
        t = memo.get(idx)
        if t is None:
            order = sorted(idx, key=lambda k: (ranks[k], k))
            t = memo[idx] = "、".join(vocab[list(order)].tolist()) if order else ""
        out.append(t)
    return np.asarray(out, dtype=str) if out else np.asarray([], dtype=str)


@dataclass
class ProjectTable:
    keys: np.ndarray
    names: np.ndarray
    num: dict[str, np.ndarray]
    stage: np.ndarray
    chain: np.ndarray
    segment: np.ndarray
    park: np.ndarray
    region: np.ndarray
    pref_region: np.ndarray  # 拟落地行政区, else the 意向园区's region
    investor: np.ndarray  # firm code, -1 unknown
    investor_key: np.ndarray
    land_use: np.ndarray  # -1 = any
    pollution: np.ndarray  # index into POLLUTION_CLASSES, -1 unknown
    needed_by: np.ndarray  # ordinal day, NaN unknown
    anchor_lat: np.ndarray
    anchor_lon: np.ndarray
    anchor_text: np.ndarray
    # rule-ready
    land_lo: np.ndarray = field(init=False)
    land_hi: np.ndarray = field(init=False)
    invest_r: np.ndarray = field(init=False)
    tax_r: np.ndarray = field(init=False)
    output_r: np.ndarray = field(init=False)
    energy_r: np.ndarray = field(init=False)
    max_price_r: np.ndarray = field(init=False)
    power_need_r: np.ndarray = field(init=False)
    needed_by_r: np.ndarray = field(init=False)
    anchor_xyz: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False)
    area_target: np.ndarray = field(init=False)  # midpoint of the land need (or its one bound), NaN if none
    _pos: dict[str, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.anchor_xyz = unit_vectors(self.anchor_lat, self.anchor_lon)
        n = self.num
        lo, hi = n["land_min_mu"], n["land_max_mu"]
        self.area_target = np.where(np.isnan(lo), hi, np.where(np.isnan(hi), lo, (lo + hi) / 2))
        self.land_lo = np.where(np.isnan(n["land_min_mu"]), -np.inf, n["land_min_mu"])
        self.land_hi = np.where(np.isnan(n["land_max_mu"]), np.inf, n["land_max_mu"])
        self.invest_r = np.where(np.isnan(n["total_investment_wan"]), -np.inf, n["total_investment_wan"])
        self.tax_r = np.where(np.isnan(n["expected_tax_wan"]), -np.inf, n["expected_tax_wan"])
        self.output_r = np.where(np.isnan(n["expected_output_wan"]), -np.inf, n["expected_output_wan"])
        self.energy_r = np.where(np.isnan(n["energy_tce_per_wan"]), np.inf, n["energy_tce_per_wan"])
        self.max_price_r = np.where(np.isnan(n["max_price_wan_per_mu"]), np.inf, n["max_price_wan_per_mu"])
        self.power_need_r = np.where(np.isnan(n["power_need_kva"]), -np.inf, n["power_need_kva"])
        self.needed_by_r = np.where(np.isnan(self.needed_by), np.inf, self.needed_by)

    def __len__(self) -> int:
        return len(self.keys)

    def pos(self, key: str) -> int:
        if self._pos is None:
            self._pos = {k: i for i, k in enumerate(self.keys.tolist())}
        return self._pos.get(key, -1)

    @classmethod
    def from_snapshot(cls, snap: Snapshot, ctx: LandContext) -> "ProjectTable":
        return cls._from_raw(raw_from_snapshot(snap, "Project", _PROJECT_NUM, _PROJECT_TEXT, ()), ctx)

    @classmethod
    def from_records(cls, projects: Sequence[Project | dict[str, Any]], ctx: LandContext) -> "ProjectTable":
        return cls._from_raw(raw_from_records(records_of(projects), _PROJECT_NUM, _PROJECT_TEXT, ()), ctx)

    @classmethod
    def _from_raw(cls, raw: Raw, ctx: LandContext) -> "ProjectTable":
        t = raw.text
        park = ctx.parks.codes(t["park"])
        region = ctx.regions.codes(t["region"])
        pref_region = np.where(region >= 0, region, ctx.park_region[park])
        investor = ctx.firms.codes(t["investor"])
        lu = Vocab(LAND_USE_CODES).codes(t["land_use"])
        pol_map = {c: i for i, c in enumerate(POLLUTION_CLASSES)}
        pollution = np.asarray([pol_map.get(v, -1) for v in t["pollution_class"].tolist()], dtype=np.int64)
        # anchor: 意向园区 → 拟落地行政区 → 投资方
        alat = np.full(raw.n, np.nan)
        alon = np.full(raw.n, np.nan)
        atext = np.full(raw.n, "", dtype=object)
        for lat_src, lon_src, code, what, names in (
            (ctx.park_lat, ctx.park_lon, park, "意向园区", ctx.park_names),
            (ctx.region_lat, ctx.region_lon, region, "意向行政区", ctx.region_names),
            (ctx.firm_lat, ctx.firm_lon, investor, "投资方", ctx.firm_names),
        ):
            miss = np.isnan(alat) & (code >= 0)
            la, lo = lat_src[code], lon_src[code]
            use = miss & ~np.isnan(la) & ~np.isnan(lo)
            alat[use], alon[use] = la[use], lo[use]
            for i in np.nonzero(use)[0]:
                atext[i] = f"{what}「{names[code[i]]}」"
        return cls(
            keys=raw.keys, names=raw.names, num=raw.num, stage=t["stage"], chain=ctx.chains.codes(t["chain"]),
            segment=ctx.segments.codes(t["segment"]), park=park, region=region, pref_region=pref_region,
            investor=investor, investor_key=t["investor"], land_use=lu, pollution=pollution,
            needed_by=epoch_days(t["land_needed_by"]), anchor_lat=alat, anchor_lon=alon,
            anchor_text=np.asarray(atext.tolist(), dtype=str) if raw.n else np.asarray([], dtype=str),
        )
