"""Deterministic generator of synthetic demo data: enterprises, funds, land parcels, projects, products.

Everything made here is invented and marked so: every node has `synthetic=True` and
`source="synthetic:chainmatch-generator v2 seed=N"` (relations carry the same source), every enterprise, fund,
parcel and project name contains 示例 and ends in （合成）, keys of non-enterprise nodes start with `syn.`, and no
generated node or relation names a real company. Product names are the generic product words of the segment
keywords (萤石, IGBT …) without a suffix: 合成 in a material's name would read "chemically synthesised". Enterprise keys
are valid 统一社会信用代码 (GB 32100-2015 check digit, GB 11714 organisation code inside) whose organisation code
starts with "Y" and is a bijection of the firm's index, so codes are unique and unlikely to be a real firm's.
What is real is only what the data hangs on: the chain/segment taxonomy, regions and parks of `seed_data/facts`.

Same facts + same scale + same seed → byte-identical records, whatever the chunk size: all randomness is drawn
up front from one `numpy.random.Generator` (PCG64) into O(N) arrays of numbers; turning them into records
(`node_chunks`, `relation_chunks`) only formats and never draws. Memory is those arrays (≈ 150 bytes per firm
plus ≈ 20 bytes per relation) plus one chunk of records at a time, so 1,000,000 firms fit in well under 1 GB.

Two ways to turn the records into store rows:
  * validated (the seed's default): `MODELS[label](**data)` and `writer.Plan`, exactly like any import, so a
    generator bug fails loudly (`seed_data/seed.py`);
  * fast (`record_chunks`, used by the import benchmark and large seeds): `NodeRec`/`RelRec` built straight from
    the same dicts with the same reference-field rules as `writer.reference_relations`. pydantic costs ≈ 40 µs a
    firm, more than the whole fast path; tests check that a sample of fast records equals what the validated
    path produces, field for field.

What it makes for scale N (default 3000 enterprises):
  * N enterprises in the cities of regions.json, favouring 长三角/粤港澳 and the three seed cities 衢州/金华/衡阳
    (≈ 8.5 % of firms each, in the city or its counties). In a seed city the chains its parks lead get most firms;
    inside each chain some segments are strong and some are empty on purpose (gaps for the gap analysis).
  * IN_SEGMENT: one segment each, 20 % a second one adjacent to it (an UPSTREAM_OF neighbour).
  * 链主 (≈ 1.5 %, large, tag 链主, LEADS their chain with `region` = their city).
  * SUPPLIES along the segment DAG: the supplier's primary segment is a direct UPSTREAM_OF predecessor of the
    customer's primary segment (a fact link). Demand is heavy-tailed (gamma-Poisson; 链主 buy from dozens of
    suppliers) and suppliers are drawn by revenue^0.5, 35 % of the time from the customer's own city.
  * max(20, N/100) funds with portfolios (INVESTED_IN, 5–40 firms, 80 % in the fund's focus chains); a seed
    city's funds also hold up to 3 firms from elsewhere in the city's gap segments of their focus chains (以投促引).
  * max(200, N/15) land parcels in the real parks of parks.json with 标准地 indicators.
  * max(100, N/30) projects at every stage, mostly in the seed cities' parks; investors tied to the project's city
    (supplies to/from its firms and 链主, its funds, recent financing) reach 签约 and later more often; a reserved
    or transferred parcel names its holder project in the same park (when the schema has the reservation fields). Each project has a
    dated stage history consistent with its stage and signing date, up to three weekly tracking entries (some
    stale on purpose), a next action (some overdue), 15 % foreign-investment figures (万美元), and actual
    investment/tax/output/jobs once built (for the 落地 evaluation).
  * Products from segment keywords (up to 4 per segment) and MAKES from firms.
  * 企业尽调 records (synthetic/histories.py): 60 % of the seed-city firms where a park is are in it (LOCATED_IN
    Park); every firm a 简称 (示例…), listed firms a board; seed-city firms, 链主 and financed firms dated
    financing rounds, a capital increase, branches, headcount and three years of indicators — a quarter of the
    shrinking seed-city firms also move branches out of the city (外迁预警 demo).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from graph.schema import REFERENCE_FIELDS, Label
from graph.store import NodeRec, RelRec
from seed_data.synthetic.common import (  # the tunables, as seed_data.generator has always exported them
    BRAND_1, BRAND_2, CHAIN_BASE, CHAIN_SUFFIX, CITY_BOOST, CITY_CHAIN_BOOST, DEFAULT_SUFFIX, DEMO_GAPS,
    DEMO_STRONG, EMPLOYEES, FUND_KINDS, FUND_KIND_P, GAP_INVESTMENTS, GENERATOR_VERSION, LEADER_SHARE,
    LOCAL_SUPPLIER_SHARE, MACRO_WEIGHT, NEXT_ACTIONS, OWNERS, PROJECT_KINDS, READINESS, READINESS_P, REFERENCE_DATE,
    REVENUE_WAN, ROUNDS, SECOND_SEGMENT_SHARE, SEED_CITIES, SEED_CITY_SHARE, SIZES, SIZE_P, STAGE_NOTES, STAGE_P,
    STREAM_WEIGHT, STRONG_FACTOR, SUPPLY_EDGES_PER_FIRM, TILT, TRACKING_NOTES, _csr, _days_before, _is_cjk_word,
    _short, make_usccs, source_for,
)
from seed_data.synthetic.fast import node_rec, reference_rels
from seed_data.synthetic.firms import FirmsPlan
from seed_data.synthetic.funds import FundsPlan
from seed_data.synthetic.histories import HistoriesPlan
from seed_data.synthetic.land import ParcelsPlan
from seed_data.synthetic.projects import ProjectsPlan

__all__ = [
    "Facts", "SyntheticWorld", "generate", "node_rec", "record_chunks", "reference_rels", "BRAND_1", "BRAND_2",
    "CHAIN_BASE", "CHAIN_SUFFIX", "CITY_BOOST", "CITY_CHAIN_BOOST", "DEFAULT_SUFFIX", "DEMO_GAPS", "DEMO_STRONG",
    "EMPLOYEES", "FUND_KINDS", "FUND_KIND_P", "GAP_INVESTMENTS", "GENERATOR_VERSION", "LEADER_SHARE",
    "LOCAL_SUPPLIER_SHARE", "MACRO_WEIGHT", "NEXT_ACTIONS", "OWNERS", "PROJECT_KINDS", "READINESS", "READINESS_P",
    "REFERENCE_DATE", "REVENUE_WAN", "ROUNDS", "SECOND_SEGMENT_SHARE", "SEED_CITIES", "SEED_CITY_SHARE", "SIZES",
    "SIZE_P", "STAGE_NOTES", "STAGE_P", "STREAM_WEIGHT", "STRONG_FACTOR", "SUPPLY_EDGES_PER_FIRM", "TILT",
    "TRACKING_NOTES", "make_usccs", "source_for",
]


# ----------------------------------------------------------------------------------------------- facts
@dataclass
class Facts:
    """The real facts the synthetic data hangs on (from seed_data.facts), as plain dicts."""

    chains: list[dict[str, Any]]
    segments: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    parks: list[dict[str, Any]]
    links: list[tuple[str, str]]

    @classmethod
    def load(cls) -> "Facts":
        from seed_data.facts import fact_links, fact_nodes

        by: dict[Label, list[dict[str, Any]]] = {lab: [] for lab in Label}
        for lab, data in fact_nodes():
            by[Label(lab)].append(data)
        return cls(by[Label.IndustryChain], by[Label.Segment], by[Label.Region], by[Label.Park],
                   [(a, b) for a, b in fact_links()])

@dataclass
class SyntheticWorld(FirmsPlan, FundsPlan, ParcelsPlan, ProjectsPlan, HistoriesPlan):
    """All synthetic data for (facts, scale, seed), planned as arrays; records are formatted on demand."""

    facts: Facts
    scale: int = 3000
    seed: int = 42
    # "today" of the data: every date (founding, investments, signing, stages, next actions, deliveries) is planned
    # relative to it. Fixed by default so output does not depend on the clock; `make run` seeds as of the day it runs
    # so the project board shows a live pipeline rather than one that stopped in the past.
    as_of: dt.date = REFERENCE_DATE
    source: str = field(init=False)

    def __post_init__(self) -> None:
        if self.scale < 0:
            raise ValueError("scale 不能为负数")
        self.source = source_for(self.seed)
        self._plan()

    def _ref_days(self, delta_days: np.ndarray) -> np.ndarray:
        return _days_before(self.as_of, delta_days)

    # ------------------------------------------------------------------ sizes
    @property
    def n_firms(self) -> int:
        return self.scale

    @property
    def n_funds(self) -> int:
        return max(20, self.scale // 100)

    @property
    def n_parcels(self) -> int:
        return max(200, self.scale // 15)

    @property
    def n_projects(self) -> int:
        return max(100, self.scale // 30)

    # ------------------------------------------------------------------ planning (all randomness is here)
    def _plan(self) -> None:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        self._taxonomy(rng)
        self._geography()
        n = self.scale
        self._firms(rng, n)
        self._supplies(rng)
        self._funds(rng)
        self._gap_investments()
        self._parcels(rng)
        self._projects(rng)
        self._firm_histories(rng)  # last: the dossier's records left every earlier draw as it was

    def _taxonomy(self, rng: np.random.Generator) -> None:
        f = self.facts
        self.chain_keys = [c["key"] for c in f.chains]
        self.chain_names = {c["key"]: c["name"] for c in f.chains}
        chain_ix = {k: i for i, k in enumerate(self.chain_keys)}
        self.seg_keys = [s["key"] for s in f.segments]
        self.seg_ix = {k: i for i, k in enumerate(self.seg_keys)}
        self.seg_chain = np.array([chain_ix[s["chain"]] for s in f.segments], dtype=np.int64)
        self.seg_names = [s["name"] for s in f.segments]
        self.seg_keywords = [list(s.get("keywords") or [s["name"]]) for s in f.segments]
        self.seg_flavour = []
        for s, kws in zip(f.segments, self.seg_keywords):
            words = [w for w in kws if _is_cjk_word(w)]
            self.seg_flavour.append(words or [s["name"][:4]])
        # products: up to 4 keywords per segment
        self.products: list[tuple[str, str, int]] = []  # key, name, segment index
        self.seg_products: list[list[int]] = []
        for j, kws in enumerate(self.seg_keywords):
            ids = []
            for t, w in enumerate(kws[:4]):
                ids.append(len(self.products))
                self.products.append((f"syn.product.{self.seg_keys[j]}.{t}", w, j))
            self.seg_products.append(ids)
        # DAG: predecessors and neighbours per segment (primary links only between known segments)
        nseg = len(self.seg_keys)
        links = [(self.seg_ix[a], self.seg_ix[b]) for a, b in f.links if a in self.seg_ix and b in self.seg_ix]
        self.link_set = {(self.seg_keys[a], self.seg_keys[b]) for a, b in links}
        preds: list[list[int]] = [[] for _ in range(nseg)]
        nbrs: list[list[int]] = [[] for _ in range(nseg)]
        for a, b in links:
            preds[b].append(a)
            nbrs[a].append(b)
            nbrs[b].append(a)
        self.pred_ptr, self.pred_ix = _csr(preds)
        self.nbr_ptr, self.nbr_ix = _csr(nbrs)
        # base segment weights: stream × a random per-segment factor
        stream_w = np.array([STREAM_WEIGHT.get(s.get("stream") or "", 1.0) for s in f.segments])
        self.seg_base = stream_w * rng.lognormal(0.0, 0.35, nseg)

    def _geography(self) -> None:
        f = self.facts
        regions = {r["key"]: r for r in f.regions}
        self.regions = regions
        cities = [r for r in f.regions if r["level"] == "city"]
        if not cities:
            raise ValueError("regions.json 中没有地级市，无法生成企业")
        # "place" = where a firm may be registered: every city, and each county of a seed city
        self.city_keys = [c["key"] for c in cities]
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        self.seed_cities = [c for c in SEED_CITIES if c in city_ix]
        self.place_keys: list[str] = []
        self.place_city: list[int] = []
        for c in self.city_keys:
            self.place_keys.append(c)
            self.place_city.append(city_ix[c])
        counties = [r for r in f.regions if r["level"] == "county" and r.get("parent") in self.seed_cities]
        for r in counties:
            self.place_keys.append(r["key"])
            self.place_city.append(city_ix[r["parent"]])
        self.place_city_arr = np.array(self.place_city, dtype=np.int64)
        self.place_names = [_short(regions[k]["name"]) for k in self.place_keys]
        lat, lon = [], []
        for k in self.place_keys:
            r = regions[k]
            p = regions.get(r.get("parent") or "", {})
            lat.append(r.get("lat") if r.get("lat") is not None else p.get("lat", np.nan))
            lon.append(r.get("lon") if r.get("lon") is not None else p.get("lon", np.nan))
        self.place_lat = np.array(lat, dtype=np.float64)
        self.place_lon = np.array(lon, dtype=np.float64)
        self.place_is_county = np.array([regions[k]["level"] == "county" for k in self.place_keys])
        divisions = []
        for k in self.place_keys:
            code = k if (len(k) == 6 and k.isdigit()) else (regions[k].get("parent") or "000000")
            divisions.append(code if len(code) == 6 and code.isdigit() else "000000")
        self.place_division = np.array(divisions, dtype="S6")
        # class of a city: 0 = elsewhere, 1.. = seed cities
        self.city_class = np.zeros(len(self.city_keys), dtype=np.int64)
        for i, c in enumerate(self.seed_cities):
            self.city_class[city_ix[c]] = i + 1
        # parks
        self.park_keys = [p["key"] for p in f.parks]
        self.park_city = []
        for p in f.parks:
            r = regions.get(p["region"], {})
            self.park_city.append(p["region"] if r.get("level") == "city" else r.get("parent"))
        self.city_park_chains: dict[str, list[str]] = {c: [] for c in self.seed_cities}
        for p, c in zip(f.parks, self.park_city):
            if c in self.city_park_chains:
                self.city_park_chains[c].extend(p.get("leading_chains") or [])

    # ------------------------------------------------------------------ formatting (no randomness below)
    def counts(self) -> dict[str, int]:
        """How many records of each kind this world formats (explicit + reference relations)."""
        n = self.scale
        ins = n + int((self.f_seg2 >= 0).sum())
        return {
            "Product": len(self.products), "Enterprise": n, "Fund": self.n_funds, "LandParcel": self.n_parcels,
            "Project": self.n_projects if n else 0,
            "IN_SEGMENT": ins, "MAKES": int(self.f_nprod.sum()) if n else 0, "LEADS": int(self.f_leader.sum()),
            "SUPPLIES": len(self.s_src), "INVESTED_IN": len(self.i_fund),
        }

    def node_chunks(self, chunk_size: int = 50_000) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        """(label, data) records ready for MODELS[label](**data): products, firms, funds, parcels, projects."""
        chunk: list[tuple[Label, dict[str, Any]]] = []
        for part in (self._product_dicts(), self._firm_dicts(chunk_size), self._fund_dicts(),
                     self._parcel_dicts(), self._project_dicts()):
            for recs in part:
                chunk.extend(recs)
                while len(chunk) >= chunk_size:
                    yield chunk[:chunk_size]
                    chunk = chunk[chunk_size:]
        if chunk:
            yield chunk

    def relation_chunks(self, chunk_size: int = 50_000) -> Iterator[list[RelRec]]:
        """Relations that are not reference fields: IN_SEGMENT, MAKES, LEADS, SUPPLIES, INVESTED_IN."""
        chunk: list[RelRec] = []
        for part in (self._in_segment(chunk_size), self._makes(chunk_size), self._leads(),
                     self._supplies_recs(chunk_size), self._invested(chunk_size)):
            for recs in part:
                chunk.extend(recs)
                while len(chunk) >= chunk_size:
                    yield chunk[:chunk_size]
                    chunk = chunk[chunk_size:]
        if chunk:
            yield chunk

    # --- nodes
    def _base(self) -> dict[str, Any]:
        return {"source": self.source, "synthetic": True}

    def _product_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        yield [(Label.Product, {"key": k, "name": name, **self._base()}) for k, name, _ in self.products]

    # --- relations
    def _rp(self, **props: Any) -> dict[str, Any]:
        props["source"] = self.source
        return props


# ----------------------------------------------------------------------------------------------- entry points
def generate(scale: int = 3000, seed: int = 42, facts: Facts | None = None,
             as_of: dt.date = REFERENCE_DATE) -> SyntheticWorld:
    """Plan the synthetic world for (scale, seed, as_of) on the given (or the shipped) facts."""
    return SyntheticWorld(facts or Facts.load(), scale=scale, seed=seed, as_of=as_of)


def record_chunks(world: SyntheticWorld, chunk_size: int = 50_000) -> Iterator[tuple[list[NodeRec], list[RelRec]]]:
    """Fast path: store rows without pydantic. Nodes (with their reference relations) first, then the other
    relations, about `chunk_size` records per chunk; each chunk only references nodes of itself or earlier
    chunks (or facts)."""
    ref_props = {"source": world.source}
    for nodes in world.node_chunks(chunk_size):
        recs = [node_rec(lab, d) for lab, d in nodes]
        rels: list[RelRec] = []
        for lab, d in nodes:
            if lab in REFERENCE_FIELDS:
                rels.extend(reference_rels(lab, d, ref_props))
        yield recs, rels
    for rels in world.relation_chunks(chunk_size):
        yield [], rels
