"""土地超市 data: the matcher's arrays — vocabularies, graph context, parcel and project tables.

`LandContext` holds the graph facts the soft score needs, indexed by vocabulary codes (park leading chains,
distinct up/downstream firms per city for every segment, the investor's suppliers/customers per city, the
region hierarchy, coordinates). `ParcelTable` / `ProjectTable` hold one numpy column per fact, plus
"rule-ready" columns in which an unknown value is replaced so that one comparison encodes the rule (see
land/matching.py). Both are built from the analytic snapshot or from validated records (CSV rows, an inline
API project) through the same `_from_raw` path, so the two sources cannot drift apart.

Every per-code array has one pad element at the end, so that code -1 (unknown) reads a neutral value.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import LAND_USES, POLLUTION_CLASSES, LandParcel, Project
from graph.snapshot import Snapshot
from kernel.geo import unit_vectors

INFRA_LEVELS = {"九通一平": 1.0, "七通一平": 1.0, "六通一平": 0.85, "五通一平": 0.7, "三通一平": 0.4}
STANDARD_LAND = "标准地"
LAND_USE_CODES = tuple(sorted(LAND_USES))


class Vocab:
    """A sorted set of keys; `codes` maps keys to positions (-1 = unknown) by binary search."""

    def __init__(self, *groups: Iterable[str]):
        arrays = []
        for g in groups:
            a = g if isinstance(g, np.ndarray) else np.asarray([str(v) for v in g if v is not None], dtype=str)
            if a.size:
                arrays.append(a.astype(str, copy=False))
        if len(arrays) == 1 and _is_strictly_sorted(arrays[0]):
            keys = arrays[0]  # already a sorted key array (a snapshot's): no copy, and codes() of it is arange
        else:
            keys = np.unique(np.concatenate(arrays)) if arrays else np.asarray([], dtype=str)
        self.keys = keys[keys != ""] if keys.size and keys[0] == "" else keys

    def __len__(self) -> int:
        return len(self.keys)

    def codes(self, values: Any) -> np.ndarray:
        if values is self.keys:
            return np.arange(len(self.keys), dtype=np.int64)
        q = np.asarray(values, dtype=str).ravel()
        if len(self.keys) == 0 or q.size == 0:
            return np.full(q.size, -1, dtype=np.int64)
        pos = np.searchsorted(self.keys, q)
        pos_c = np.minimum(pos, len(self.keys) - 1)
        return np.where(self.keys[pos_c] == q, pos_c, -1).astype(np.int64)

    def code(self, value: str | None) -> int:
        return -1 if not value else int(self.codes([value])[0])


def _is_strictly_sorted(a: np.ndarray) -> bool:
    return a.ndim == 1 and (a.size < 2 or bool(np.all(a[1:] > a[:-1])))


def _pad(arr: np.ndarray, value: Any) -> np.ndarray:
    """Append one pad element so that code -1 indexes it (numpy's arr[-1])."""
    return np.concatenate([arr, np.asarray([value], dtype=arr.dtype)])


def _epoch_seconds(text: np.ndarray) -> np.ndarray:
    """Canonical UTC text (YYYY-MM-DDTHH:MM:SSZ) → seconds since 1970 (NaN when empty or unreadable)."""
    out = np.full(len(text), np.nan)
    if len(text) == 0:
        return out
    uniq, inv = np.unique(text, return_inverse=True)
    vals = np.full(len(uniq), np.nan)
    for i, t in enumerate(uniq):
        if t:
            try:
                vals[i] = dt.datetime.fromisoformat(str(t).replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
    return vals[inv]


def _epoch_days(text: np.ndarray) -> np.ndarray:
    out = np.full(len(text), np.nan)
    if len(text) == 0:
        return out
    uniq, inv = np.unique(text, return_inverse=True)
    vals = np.full(len(uniq), np.nan)
    for i, t in enumerate(uniq):
        if t:
            try:
                vals[i] = float(dt.date.fromisoformat(str(t)[:10]).toordinal())
            except ValueError:
                pass
    return vals[inv]


# Raw columns: numbers (float, NaN = unknown), text (str, "" = unknown), lists (multi-hot CSR + vocabulary).
@dataclass
class _Raw:
    n: int
    keys: np.ndarray
    names: np.ndarray
    num: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, np.ndarray] = field(default_factory=dict)
    lists: dict[str, tuple[sp.csr_matrix, np.ndarray]] = field(default_factory=dict)


def _raw_from_snapshot(snap: Snapshot, label: str, num: Sequence[str], text: Sequence[str],
                       lists: Sequence[str]) -> _Raw:
    la = snap.labels.get(label)
    if la is None:
        empty = np.asarray([], dtype=str)
        raw = _Raw(0, empty, empty)
        n = 0
    else:
        n = len(la)
        raw = _Raw(n, la.keys, la.names)
    for f in num:
        col = la.num.get(f) if la is not None else None
        raw.num[f] = col.astype(np.float64, copy=False) if col is not None else np.full(n, np.nan)
    for f in text:
        cat = la.cat.get(f) if la is not None else None
        if cat is None or len(cat[1]) == 0:
            raw.text[f] = np.full(n, "", dtype=str)
        else:
            codes, vocab = cat
            raw.text[f] = np.where(codes >= 0, vocab[np.maximum(codes, 0)], "")
    for f in lists:
        lst = la.lists.get(f) if la is not None else None
        if lst is None:
            raw.lists[f] = (sp.csr_matrix((n, 0), dtype=np.float32), np.asarray([], dtype=str))
        else:
            raw.lists[f] = lst
    return raw


def _raw_from_records(records: Sequence[dict[str, Any]], num: Sequence[str], text: Sequence[str],
                      lists: Sequence[str]) -> _Raw:
    n = len(records)
    raw = _Raw(n, np.asarray([r.get("key", "") for r in records], dtype=str),
               np.asarray([r.get("name", "") or "" for r in records], dtype=str))
    for f in num:
        vals = []
        for r in records:
            v = r.get(f)
            vals.append(float(v) if isinstance(v, (int, float)) else np.nan)
        raw.num[f] = np.asarray(vals, dtype=np.float64)
    for f in text:
        raw.text[f] = np.asarray([str(r.get(f) or "") for r in records], dtype=str) if n else np.asarray([], str)
    for f in lists:
        vocab = sorted({str(v) for r in records for v in (r.get(f) or [])})
        pos = {v: i for i, v in enumerate(vocab)}
        indptr = [0]
        indices: list[int] = []
        for r in records:
            indices.extend(sorted({pos[str(v)] for v in (r.get(f) or [])}))
            indptr.append(len(indices))
        m = sp.csr_matrix((np.ones(len(indices), np.float32), np.asarray(indices, np.int64), np.asarray(indptr)),
                          shape=(n, len(vocab)))
        raw.lists[f] = (m, np.asarray(vocab, dtype=str))
    return raw


def _records(objs: Sequence[LandParcel | Project | dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for o in objs:
        if isinstance(o, dict):
            out.append(o)
        else:
            d = o.model_dump(mode="json")
            out.append(d)
    return out


def _list_to_dense(lst: tuple[sp.csr_matrix, np.ndarray], target: Vocab | Sequence[str]) -> np.ndarray:
    """Multi-hot rows over `lst`'s vocabulary → dense bool (n × len(target)+1); the last column (pad) is False.
    Values not in the target vocabulary are dropped (the row still counts as restricted: see `_any`)."""
    m, vocab = lst
    tv = target if isinstance(target, Vocab) else None
    width = len(tv) if tv is not None else len(target)
    codes = tv.codes(vocab) if tv is not None else np.asarray([list(target).index(v) if v in target else -1
                                                                for v in vocab.tolist()], dtype=np.int64)
    keep = codes >= 0
    sel = sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (np.nonzero(keep)[0], codes[keep])),
                        shape=(len(vocab), width + 1))
    return np.asarray((m.astype(np.float32) @ sel).toarray() > 0)


def _row_nonempty(lst: tuple[sp.csr_matrix, np.ndarray]) -> np.ndarray:
    m = lst[0]
    return np.diff(m.indptr) > 0


# ------------------------------------------------------------------------------------------------ context
@dataclass
class LandContext:
    """Graph facts for the soft score, indexed by vocabulary codes; every per-code array has one pad element at
    the end so that code -1 (unknown) reads a neutral value."""

    graph: bool  # False when built without a snapshot: chain_park and cluster are then neutral
    chains: Vocab
    chain_names: np.ndarray
    parks: Vocab
    park_names: np.ndarray
    park_region: np.ndarray
    park_lat: np.ndarray
    park_lon: np.ndarray
    park_leads: np.ndarray  # (P+1) × (C+1) bool
    park_has_leads: np.ndarray  # P+1 bool
    regions: Vocab
    region_names: np.ndarray
    region_lat: np.ndarray  # own coordinates, else the nearest ancestor's
    region_lon: np.ndarray
    region_city: np.ndarray  # R+1: the city-level ancestor (the root when there is none), -1 for pad
    region_anc: np.ndarray  # (R+1) × D ancestors including itself, -1 padded
    region_depth: np.ndarray  # R+1: number of ancestors above the region (-1 for pad)
    segments: Vocab
    segment_names: np.ndarray
    seg_up_city: sp.csr_matrix  # (S+1) × (R+1): distinct firms per city in segments directly upstream of s
    seg_down_city: sp.csr_matrix  # … directly downstream of s
    firms: Vocab
    firm_names: np.ndarray
    firm_lat: np.ndarray
    firm_lon: np.ndarray
    partner_city: sp.csr_matrix  # (F+1) × (R+1): the firm's suppliers and customers per city

    @classmethod
    def build(cls, snap: Snapshot | None = None, *, chains: Iterable[str] = (), parks: Iterable[str] = (),
              regions: Iterable[str] = (), segments: Iterable[str] = ()) -> "LandContext":
        """Vocabularies = the snapshot's keys ∪ the extra values given (e.g. from CSV files)."""
        def keys(label: str) -> np.ndarray:
            if snap is None or label not in snap.labels:
                return np.asarray([], dtype=str)
            return snap.keys(label)

        def names_of(label: str, vocab: Vocab) -> np.ndarray:
            if snap is not None and label in snap.labels and vocab.keys is snap.keys(label):
                return _pad(snap.labels[label].names, "")
            out = vocab.keys.astype(object).copy()
            if snap is not None and label in snap.labels and len(vocab):
                idx = vocab.codes(snap.keys(label))
                out[idx] = snap.labels[label].names
            return _pad(np.asarray(out, dtype=str) if len(out) else np.asarray([], dtype=str), "")

        def num_of(label: str, name: str, vocab: Vocab) -> np.ndarray:
            out = np.full(len(vocab) + 1, np.nan)
            if snap is not None and label in snap.labels and name in snap.labels[label].num:
                out[vocab.codes(snap.keys(label))] = snap.column(label, name)
            return out

        def text_of(label: str, name: str, vocab: Vocab) -> np.ndarray:
            out = np.full(len(vocab) + 1, "", dtype=object)
            if snap is not None and label in snap.labels:
                raw = _raw_from_snapshot(snap, label, (), (name,), ())
                out[vocab.codes(snap.keys(label))] = raw.text[name]
            return out.astype(str)

        def ref_codes(label: str, name: str, vocab: Vocab, target: Vocab) -> np.ndarray:
            """A categorical reference column (e.g. Enterprise.region) as codes of `target`, per `vocab` code
            (+ pad): mapped through the column's small vocabulary, never string by string."""
            out = np.full(len(vocab) + 1, -1, dtype=np.int64)
            if snap is not None and label in snap.labels and name in snap.labels[label].cat:
                codes, cvocab = snap.categorical(label, name)
                mapped = np.append(target.codes(cvocab), -1)  # code -1 → the appended -1
                out[vocab.codes(snap.keys(label))] = mapped[codes]
            return out

        cv = Vocab(keys("IndustryChain"), chains)
        pv = Vocab(keys("Park"), parks)
        rv = Vocab(keys("Region"), regions)
        sv = Vocab(keys("Segment"), segments)
        fv = Vocab(keys("Enterprise"))
        # regions: parents, ancestors, city, coordinates
        parent = ref_codes("Region", "parent", rv, rv)
        level = text_of("Region", "level", rv)
        depth = 6
        anc = np.full((len(rv) + 1, depth), -1, dtype=np.int64)
        anc[:, 0] = np.arange(len(rv) + 1)
        anc[-1, 0] = -1
        for d in range(1, depth):
            prev = anc[:, d - 1]
            anc[:, d] = np.where(prev >= 0, parent[prev], -1)
        city = anc[:, 0].copy()
        found = np.zeros(len(rv) + 1, dtype=bool)
        for d in range(depth):
            a = anc[:, d]
            is_city = (a >= 0) & (level[a] == "city") & ~found
            city[is_city] = a[is_city]
            found |= is_city
        # no city-level ancestor: the root (a province-level municipality groups its districts)
        root = anc[:, 0].copy()
        for d in range(1, depth):
            a = anc[:, d]
            root = np.where(a >= 0, a, root)
        city = np.where(found, city, root)
        city[-1] = -1
        rlat, rlon = num_of("Region", "lat", rv), num_of("Region", "lon", rv)
        elat, elon = rlat.copy(), rlon.copy()
        for d in range(1, depth):
            a = anc[:, d]
            miss = np.isnan(elat) & (a >= 0)
            elat[miss] = rlat[a[miss]]
            elon[miss] = rlon[a[miss]]
        # parks
        park_region = ref_codes("Park", "region", pv, rv)
        plat, plon = num_of("Park", "lat", pv), num_of("Park", "lon", pv)
        miss = np.isnan(plat)
        plat[miss], plon[miss] = elat[park_region[miss]], elon[park_region[miss]]
        leads = np.zeros((len(pv) + 1, len(cv) + 1), dtype=bool)
        if snap is not None and "Park" in snap.labels and "leading_chains" in snap.labels["Park"].lists:
            dense = _list_to_dense(snap.multi_hot("Park", "leading_chains"), cv)
            leads[pv.codes(snap.keys("Park"))] = dense
        has_leads = leads.any(axis=1)
        # firms: coordinates (own, else their region's), city
        flat, flon = num_of("Enterprise", "lat", fv), num_of("Enterprise", "lon", fv)
        fregion = ref_codes("Enterprise", "region", fv, rv)
        miss = np.isnan(flat)
        flat[miss], flon[miss] = elat[fregion[miss]], elon[fregion[miss]]
        fcity = city[fregion]
        n_f, n_r, n_s = len(fv) + 1, len(rv) + 1, len(sv) + 1
        ok = fcity >= 0
        firm_city = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (np.nonzero(ok)[0], fcity[ok])),
                                  shape=(n_f, n_r))
        seg_up = sp.csr_matrix((n_s, n_r), dtype=np.float32)
        seg_down = sp.csr_matrix((n_s, n_r), dtype=np.float32)
        partner = sp.csr_matrix((n_f, n_r), dtype=np.float32)
        if snap is not None and len(fv):
            s_map = sv.codes(snap.keys("Segment")) if "Segment" in snap.labels else np.zeros(0, np.int64)
            f_map = fv.codes(snap.keys("Enterprise"))
            member = _remap(snap.relation("IN_SEGMENT", "Enterprise", "Segment"), f_map, s_map, n_f, n_s)
            up = _remap(snap.relation("UPSTREAM_OF", "Segment", "Segment"), s_map, s_map, n_s, n_s)
            member.data[:] = 1
            up.data[:] = 1
            up_member = member @ up  # firm in a segment upstream of s
            up_member.data[:] = 1
            down_member = member @ up.T.tocsr()  # firm in a segment downstream of s
            down_member.data[:] = 1
            seg_up = (up_member.T.tocsr() @ firm_city).tocsr()
            seg_down = (down_member.T.tocsr() @ firm_city).tocsr()
            supplies = _remap(snap.relation("SUPPLIES", "Enterprise", "Enterprise"), f_map, f_map, n_f, n_f)
            supplies.data[:] = 1
            both = (supplies + supplies.T).tocsr()
            both.data[:] = 1
            partner = (both @ firm_city).tocsr()
        return cls(
            graph=snap is not None,
            chains=cv, chain_names=names_of("IndustryChain", cv),
            parks=pv, park_names=names_of("Park", pv), park_region=park_region, park_lat=plat, park_lon=plon,
            park_leads=leads, park_has_leads=has_leads,
            regions=rv, region_names=names_of("Region", rv), region_lat=elat, region_lon=elon,
            region_city=city, region_anc=anc, region_depth=(anc >= 0).sum(axis=1) - 1,
            segments=sv, segment_names=names_of("Segment", sv), seg_up_city=seg_up, seg_down_city=seg_down,
            firms=fv, firm_names=names_of("Enterprise", fv), firm_lat=flat, firm_lon=flon, partner_city=partner,
        )

    # names for messages
    def chain_name(self, code: int) -> str:
        return str(self.chain_names[code]) if code >= 0 else ""

    def park_name(self, code: int) -> str:
        return str(self.park_names[code]) if code >= 0 else ""

    def region_name(self, code: int) -> str:
        return str(self.region_names[code]) if code >= 0 else ""

    def within(self, region: np.ndarray, ancestor: np.ndarray) -> np.ndarray:
        """region[k] is ancestor[k] or lies inside it (both codes; -1 never matches). One lookup per pair: the
        ancestor of `region` at `ancestor`'s depth."""
        region = np.asarray(region)
        ancestor = np.asarray(ancestor)
        depth = self.region_depth
        off = depth[region] - depth[ancestor]
        ok = (region >= 0) & (ancestor >= 0) & (off >= 0) & (off < self.region_anc.shape[1])
        flat = self.region_anc.ravel()
        at = flat[np.where(ok, region * self.region_anc.shape[1] + off, 0)]
        return ok & (at == ancestor)


def _remap(m: sp.csr_matrix, rmap: np.ndarray, cmap: np.ndarray, nr: int, nc: int) -> sp.csr_matrix:
    """A snapshot adjacency (snapshot indices) → the same relation over vocabulary codes (shape nr × nc)."""
    coo = m.tocoo()
    if coo.nnz == 0:
        return sp.csr_matrix((nr, nc), dtype=np.float32)
    r = rmap[coo.row]
    c = cmap[coo.col]
    ok = (r >= 0) & (c >= 0)
    out = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(nr, nc))
    out.sum_duplicates()
    return out


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
        return cls._from_raw(_raw_from_snapshot(snap, "LandParcel", _PARCEL_NUM, _PARCEL_TEXT, _PARCEL_LISTS), ctx)

    @classmethod
    def from_records(cls, parcels: Sequence[LandParcel | dict[str, Any]], ctx: LandContext) -> "ParcelTable":
        return cls._from_raw(_raw_from_records(_records(parcels), _PARCEL_NUM, _PARCEL_TEXT, _PARCEL_LISTS), ctx)

    @classmethod
    def _from_raw(cls, raw: _Raw, ctx: LandContext) -> "ParcelTable":
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
            land_use=land_use, status=status, reserved_by=t["reserved_by"], expires=_epoch_seconds(t["expires_at"]),
            deliverable=_epoch_days(t["deliverable_on"]), readiness=readiness, ready_std=ready_std,
            ready_level=ready_level, poll_any=~_row_nonempty(pol), poll_allowed=_list_to_dense(pol, POLLUTION_CLASSES),
            chain_any=~_row_nonempty(chains), chain_allowed=_list_to_dense(chains, ctx.chains), lat=lat, lon=lon,
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
        return cls._from_raw(_raw_from_snapshot(snap, "Project", _PROJECT_NUM, _PROJECT_TEXT, ()), ctx)

    @classmethod
    def from_records(cls, projects: Sequence[Project | dict[str, Any]], ctx: LandContext) -> "ProjectTable":
        return cls._from_raw(_raw_from_records(_records(projects), _PROJECT_NUM, _PROJECT_TEXT, ()), ctx)

    @classmethod
    def _from_raw(cls, raw: _Raw, ctx: LandContext) -> "ProjectTable":
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
            needed_by=_epoch_days(t["land_needed_by"]), anchor_lat=alat, anchor_lon=alon,
            anchor_text=np.asarray(atext.tolist(), dtype=str) if raw.n else np.asarray([], dtype=str),
        )
