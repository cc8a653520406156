"""Deterministic generator of synthetic demo data: enterprises, funds, land parcels, projects, products.

Everything made here is invented and marked so: every node has `synthetic=True` and
`source="synthetic:chainmatch-generator v1 seed=N"` (relations carry the same source), every enterprise, fund,
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
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from graph.schema import MODELS, PROJECT_STAGES, REFERENCE_FIELDS, Label
from graph.store import NodeRec, RelRec
from graph.uscc import USCC_CHARS

GENERATOR_VERSION = "v1"
SEED_CITIES = ("330800", "330700", "430400")  # 衢州, 金华, 衡阳
SEED_CITY_SHARE = 0.085  # of all firms, each
REFERENCE_DATE = dt.date(2025, 6, 30)  # "today" for the data: fixed, so output does not depend on the clock
SUPPLY_EDGES_PER_FIRM = 2.8  # target before de-duplication
LEADER_SHARE = 0.015
SECOND_SEGMENT_SHARE = 0.20
LOCAL_SUPPLIER_SHARE = 0.35

MACRO_WEIGHT = {"长三角": 3.0, "粤港澳": 3.0, "京津冀": 2.0, "成渝": 1.5, "山东半岛": 1.4, "长江中游": 1.3,
                "海峡西岸": 1.3, "中原": 1.1}
CITY_BOOST = {"310100": 3.0, "440300": 3.0, "110100": 2.5, "320500": 2.5, "440100": 2.0, "330100": 2.0,
              "441900": 1.6, "440600": 1.5, "330200": 1.5, "320100": 1.5, "320200": 1.5, "510100": 1.5,
              "420100": 1.5, "340100": 1.3, "500100": 1.3, "120100": 1.2, "430100": 1.2, "610100": 1.1,
              "370200": 1.1}
CHAIN_BASE = {"nm": 1.3, "ic": 1.0, "pte": 0.8, "ne": 1.0, "nev": 1.0, "ie": 1.4, "lh": 1.1, "sp": 0.5}
CHAIN_SUFFIX = {
    "nm": ("新材料", "化工", "材料科技"), "ic": ("半导体", "微电子", "电子科技"), "pte": ("电气", "电力设备", "输变电"),
    "ne": ("新能源", "能源科技", "储能科技"), "nev": ("汽车部件", "新能源汽车", "动力科技"),
    "ie": ("智能装备", "机械", "自动化"), "lh": ("生物医药", "医疗器械", "健康科技"), "sp": ("纸业", "特种纸", "纸品"),
}
DEFAULT_SUFFIX = ("科技", "实业", "制造")
# The guide's story ("our 集成电路 chain has no 封测 firms") and each seed city's signature industries, fixed
# whatever the seed; the other gaps and strong segments are drawn at random.
DEMO_GAPS = {"330800": ("ic.packaging",)}
DEMO_STRONG = {"330800": ("nm.fluorochem", "nm.silicone", "sp.tobacco_paper"),
               "330700": ("nev.vehicle", "ie.construction"),
               "430400": ("pte.transformer", "pte.cable")}
# Signature chains of the seed cities (see the sources in chains.json / parks.json: 衡阳 输变电装备 and 电子信息,
# 金华 新能源汽车, 衢州 氟硅新材料 and 特种纸) weigh more than the count of parks leading them alone would give.
CITY_CHAIN_BOOST = {"430400": {"pte": 4.0, "ic": 1.5}, "330700": {"nev": 1.5}, "330800": {"nm": 1.3, "sp": 1.5}}
STRONG_FACTOR = 6.0  # a strong segment of a seed city draws 6× its usual share of the chain's local firms
STREAM_WEIGHT = {"上游": 0.9, "中游": 1.2, "下游": 0.9}
BRAND_1 = "恒华瑞泰鑫宏兴源达创博聚晟卓远航昊丰禾嘉润德信诚安康盛锦天中金正新汇通明力凯科云峰"
BRAND_2 = "华瑞泰鑫宏兴源达创博聚晟卓远航昊丰禾嘉润德信诚安康盛锦天中金正新汇通明力凯科云峰"
SIZES = ("微型", "小型", "中型", "大型")
SIZE_P = (0.30, 0.45, 0.20, 0.05)
EMPLOYEES = ((3, 19), (20, 299), (300, 999), (1000, 20000))
REVENUE_WAN = ((50, 300), (300, 2000), (2000, 40000), (40000, 2_000_000))
ROUNDS = ("天使轮", "A轮", "B轮", "C轮", "D轮及以后", "Pre-IPO", "战略投资")
FUND_KINDS = ("产业基金", "创投基金", "母基金", "并购基金")
FUND_KIND_P = (0.5, 0.25, 0.10, 0.15)
STAGE_P = (0.25, 0.20, 0.18, 0.12, 0.08, 0.07, 0.06, 0.04)
READINESS = (("七通一平", "标准地"), ("七通一平",), ("五通一平", "标准地"), ("五通一平",), ("标准地",))
READINESS_P = (0.35, 0.2, 0.2, 0.15, 0.1)
GAP_INVESTMENTS = 3  # per seed-city fund: outside firms in the city's gap segments (以投促引, see _gap_investments)
# how strongly ties to the project's city pull a project towards 签约 and later stages (see _landing_tilt)
TILT = {"leader": 2.0, "local": 0.8, "fund": 1.2, "financing": 0.5}
PROJECT_KINDS = ("生产基地", "产业化", "扩产", "研发中心", "总部及制造基地")
OWNERS = tuple(f"示例专员{c}（合成）" for c in "甲乙丙丁戊己庚辛")
# 招商项目库 texts (generic work steps, not facts about anyone)
STAGE_NOTES = ("建档", "首次对接企业", "进入实质性洽谈", "签订投资协议", "完成工商注册", "取得施工许可开工", "竣工投产", "达到设计产能")
NEXT_ACTIONS = ("联系企业确认投资意向", "安排赴企业总部拜访", "提交项目评审会", "办理工商注册",
                "办理规划许可与施工许可", "督促设备安装调试", "跟进产能爬坡与达产", None)
TRACKING_NOTES = ("电话回访，企业意向不变", "走访企业，了解用地与配套需求", "协调要素保障问题", "企业提交补充材料",
                  "召开项目推进会", "企业高层来访考察", "跟进环评与能评手续", "了解生产经营情况")


def source_for(seed: int) -> str:
    return f"synthetic:chainmatch-generator {GENERATOR_VERSION} seed={seed}"


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


# ----------------------------------------------------------------------------------------------- helpers
def _short(name: str) -> str:
    """'衢州市' → '衢州', '柯城区' → '柯城'; keeps two-character names whole ('义乌市' → '义乌')."""
    for suffix in ("自治州", "地区", "市", "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _is_cjk_word(w: str) -> bool:
    return 2 <= len(w) <= 5 and all("\u4e00" <= ch <= "\u9fff" for ch in w)


def _loguniform(rng: np.random.Generator, lo: np.ndarray | float, hi: np.ndarray | float, n: int) -> np.ndarray:
    lo = np.log(np.asarray(lo, dtype=np.float64))
    hi = np.log(np.asarray(hi, dtype=np.float64))
    return np.exp(lo + (hi - lo) * rng.random(n))


def _group_sampler(groups: np.ndarray, weights: np.ndarray, n_groups: int):
    """Weighted sampling of members within groups, vectorised.

    Returns draw(group_ids, u) → member index per draw (-1 where the group is empty or weightless);
    u is uniform in [0, 1). One cumulative sum over members sorted by group; a draw is one binary search.
    """
    order = np.argsort(groups, kind="stable")
    cum0 = np.concatenate([[0.0], np.cumsum(weights[order].astype(np.float64))])
    g_sorted = groups[order]
    starts = np.searchsorted(g_sorted, np.arange(n_groups), side="left")
    ends = np.searchsorted(g_sorted, np.arange(n_groups), side="right")
    base = cum0[starts]
    total = cum0[ends] - base

    def draw(group_ids: np.ndarray, u: np.ndarray) -> np.ndarray:
        if len(order) == 0:
            return np.full(len(group_ids), -1, dtype=np.int64)
        tot = total[group_ids]
        pos = np.searchsorted(cum0[1:], base[group_ids] + u * tot, side="right")
        pos = np.clip(pos, starts[group_ids], np.maximum(ends[group_ids] - 1, starts[group_ids]))
        return np.where(tot > 0, order[np.minimum(pos, len(order) - 1)], -1)

    return draw


def _iso(days: np.ndarray) -> list[str]:
    """Days since 1970-01-01 → ISO dates."""
    return np.asarray(days, dtype="datetime64[D]").astype(str).tolist()


def _days_before(as_of: dt.date, delta_days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of the dates `delta_days` before `as_of` (negative: after it)."""
    ref = (np.datetime64(as_of.isoformat(), "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    return ref - np.asarray(delta_days, dtype=np.int64)


_CHARS = np.frombuffer(USCC_CHARS.encode(), dtype=np.uint8)
_USCC_VALUE = np.zeros(256, dtype=np.int64)
_USCC_VALUE[_CHARS] = np.arange(len(USCC_CHARS))
_ORG_VALUE = np.zeros(256, dtype=np.int64)
_ORG_VALUE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_ORG_VALUE[np.arange(ord("A"), ord("Z") + 1)] = np.arange(10, 36)
_USCC_W = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), dtype=np.int64)
_ORG_W = np.array((3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)


def make_usccs(divisions: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Vectorised graph.uscc.make_uscc('9', '1', division, 'Y' + base-31(serial, 7)) → array of str.

    divisions: 6-character ASCII bytes (dtype S6); serials: distinct int64 in [0, 31**7).
    """
    n = len(serials)
    a = np.empty((n, 18), dtype=np.uint8)
    a[:, 0] = ord("9")
    a[:, 1] = ord("1")
    a[:, 2:8] = np.frombuffer(np.ascontiguousarray(divisions, dtype="S6").tobytes(), np.uint8).reshape(n, 6)
    a[:, 8] = ord("Y")
    v = np.asarray(serials, dtype=np.int64).copy()
    for pos in range(15, 8, -1):
        a[:, pos] = _CHARS[v % 31]
        v //= 31
    r = 11 - (_ORG_VALUE[a[:, 8:16]] * _ORG_W).sum(axis=1) % 11
    a[:, 16] = np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), ord("0") + r % 10))
    total = (_USCC_VALUE[a[:, :17]] * _USCC_W).sum(axis=1)
    a[:, 17] = _CHARS[(31 - total % 31) % 31]
    return a.view("S18").ravel().astype("U18")


# ----------------------------------------------------------------------------------------------- fast path
_DEFAULTS: dict[Label, dict[str, Any]] = {}
for _lab, _model in MODELS.items():
    _d = {}
    for _name, _f in _model.model_fields.items():
        if _name in ("key",) or _f.is_required():
            continue
        _v = _f.get_default(call_default_factory=True)
        if _v is not None:
            _d[_name] = _v
    _DEFAULTS[_lab] = _d
_LABEL = {lab: lab.value for lab in Label}  # Enum.value is a slow descriptor; this is a dict lookup
# label → [(field, relation type, target label, direction)], as in REFERENCE_FIELDS
_REFS = {lab: [(f, t, target.value, d) for f, (t, target, d) in fields.items()] for lab, fields in REFERENCE_FIELDS.items()}


def node_rec(label: Label, data: dict[str, Any]) -> NodeRec:
    """The NodeRec the validated path (MODELS[label](**data) → writer.node_record) would produce.

    Valid only for the generator's own dicts: values already in their JSON form (dates as ISO text, floats as
    float); None values are dropped and the defaults the model would add are added, as model_dump does."""
    props = {k: v for k, v in data.items() if v is not None}
    del props["key"]
    for k, v in _DEFAULTS[label].items():
        if k not in props:
            props[k] = list(v) if isinstance(v, list) else v
    return NodeRec(_LABEL[label], data["key"], props)


def reference_rels(label: Label, data: dict[str, Any], rel_props: dict[str, Any]) -> list[RelRec]:
    """Mirror of writer.reference_relations on a dict, with `rel_props` (the source stamp Plan would add)."""
    out: list[RelRec] = []
    lab = _LABEL[label]
    key = data["key"]
    for fname, rtype, target, direction in _REFS.get(label, ()):
        value = data.get(fname)
        if value is None:
            continue
        for ref in value if isinstance(value, list) else (value,):
            if direction == "out":
                out.append(RelRec(rtype, lab, key, target, ref, dict(rel_props)))
            else:
                out.append(RelRec(rtype, target, ref, lab, key, dict(rel_props)))
    return out


# ----------------------------------------------------------------------------------------------- the world
@dataclass
class SyntheticWorld:
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

    def _class_segment_weights(self, rng: np.random.Generator) -> np.ndarray:
        """(1 + number of seed cities) × segments: the segment distribution of firms in each class."""
        nseg = len(self.seg_keys)
        out = np.zeros((1 + len(self.seed_cities), nseg))
        chain_w = np.array([CHAIN_BASE.get(k, 1.0) for k in self.chain_keys])
        out[0] = chain_w[self.seg_chain] * self._normalised_within_chain(self.seg_base)
        self.gap_segments: dict[str, list[str]] = {}
        self.strong_segments: dict[str, list[str]] = {}
        for ci, city in enumerate(self.seed_cities, start=1):
            led = self.city_park_chains.get(city, [])
            boost = CITY_CHAIN_BOOST.get(city, {})
            cw = np.array([CHAIN_BASE.get(k, 1.0) * ((1 + 2.5 * led.count(k)) if k in led else 0.3) * boost.get(k, 1.0)
                           for k in self.chain_keys])
            w = self.seg_base.copy()
            gaps, strong = [], []
            for chain in range(len(self.chain_keys)):
                segs = np.flatnonzero(self.seg_chain == chain)
                perm = segs[rng.permutation(len(segs))].tolist()
                fg = [self.seg_ix[s] for s in DEMO_GAPS.get(city, ()) if self.seg_ix.get(s, -1) in segs]
                fs = [self.seg_ix[s] for s in DEMO_STRONG.get(city, ()) if self.seg_ix.get(s, -1) in segs]
                rest = [s for s in perm if s not in fg and s not in fs]
                n_gap = max(2, round(0.25 * len(segs))) if len(segs) >= 6 else 0
                n_strong = max(2, round(0.15 * len(segs))) if len(segs) >= 6 else 0
                g_ix = fg + rest[: max(n_gap - len(fg), 0)]
                rest = rest[max(n_gap - len(fg), 0):]
                s_ix = fs + rest[: max(n_strong - len(fs), 0)]
                w[g_ix] = 0.0
                w[s_ix] *= STRONG_FACTOR
                gaps += [self.seg_keys[s] for s in sorted(g_ix)]
                strong += [self.seg_keys[s] for s in sorted(s_ix)]
            self.gap_segments[city] = gaps
            self.strong_segments[city] = strong
            out[ci] = cw[self.seg_chain] * self._normalised_within_chain(w)
        return out / out.sum(axis=1, keepdims=True)

    def _normalised_within_chain(self, w: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.seg_chain, weights=w, minlength=len(self.chain_keys))
        return np.where(sums[self.seg_chain] > 0, w / np.where(sums[self.seg_chain] > 0, sums[self.seg_chain], 1), 0)

    def _firms(self, rng: np.random.Generator, n: int) -> None:
        nplace = len(self.place_keys)
        # --- where
        city_w = np.zeros(nplace)
        for i, k in enumerate(self.place_keys):
            if self.place_is_county[i] or k in self.seed_cities:
                continue
            r = self.regions[k]
            city_w[i] = MACRO_WEIGHT.get(r.get("macro_region") or "", 0.7) * CITY_BOOST.get(k, 1.0)
        seed_share = SEED_CITY_SHARE * len(self.seed_cities)
        if city_w.sum() > 0:
            place_p = city_w / city_w.sum() * (1 - seed_share)
        else:
            place_p = city_w
            seed_share = 1.0
        park_regions = {p["region"] for p in self.facts.parks}
        for city in self.seed_cities:
            # 40 % registered at city level, 60 % in its counties (counties with a park count 2.5×)
            city_i = self.place_keys.index(city)
            counties = [i for i, k in enumerate(self.place_keys)
                        if self.place_is_county[i] and self.regions[k].get("parent") == city]
            share = seed_share / len(self.seed_cities)
            if counties:
                w = np.array([2.5 if self.place_keys[i] in park_regions else 1.0 for i in counties])
                place_p[counties] = w / w.sum() * share * 0.6
                place_p[city_i] = share * 0.4
            else:
                place_p[city_i] = share
        place_p = place_p / place_p.sum()
        self.f_place = rng.choice(nplace, size=n, p=place_p)
        self.f_city = self.place_city_arr[self.f_place]
        f_class = self.city_class[self.f_city]
        # --- what
        class_w = self._class_segment_weights(rng)
        u = rng.random(n)
        cum = np.cumsum(class_w, axis=1)
        self.f_seg = np.empty(n, dtype=np.int64)
        for c in range(class_w.shape[0]):
            m = f_class == c
            # u·total < total, so a zero-weight segment (a gap) is never drawn, not even by rounding
            self.f_seg[m] = np.searchsorted(cum[c], u[m] * cum[c][-1], side="right")
        self.f_chain = self.seg_chain[self.f_seg]
        # second segment: an UPSTREAM_OF neighbour that is not a gap where the firm is
        deg = np.diff(self.nbr_ptr)[self.f_seg]
        pick = self.nbr_ptr[self.f_seg] + np.floor(rng.random(n) * np.maximum(deg, 1)).astype(np.int64)
        cand = np.where(deg > 0, self.nbr_ix[np.minimum(pick, max(len(self.nbr_ix) - 1, 0))] if len(self.nbr_ix) else -1, -1)
        want = (rng.random(n) < SECOND_SEGMENT_SHARE) & (cand >= 0)
        ok = want & (class_w[f_class, np.maximum(cand, 0)] > 0)
        self.f_seg2 = np.where(ok, cand, -1)
        # --- size and economics
        size = rng.choice(4, size=n, p=SIZE_P)
        # 链主: large firms, about LEADER_SHARE of all (Gumbel top-k on size-weighted scores)
        k = int(round(LEADER_SHARE * n))
        score = np.log(np.array((0.02, 0.1, 1.0, 8.0))[size]) + rng.gumbel(size=n)
        leader = np.zeros(n, dtype=bool)
        if k > 0:
            leader[np.argpartition(-score, k - 1)[:k]] = True
        for ci, city in enumerate(self.seed_cities, start=1):  # every seed city shows at least one 链主
            m = np.flatnonzero(f_class == ci)
            if len(m) and not leader[m].any():
                leader[m[np.argmax(score[m])]] = True
        size[leader] = 3
        self.f_leader = leader
        self.f_size = size
        emp_lo = np.array([e[0] for e in EMPLOYEES])[size]
        emp_hi = np.array([e[1] for e in EMPLOYEES])[size]
        emp_lo = np.where(leader, 2000, emp_lo)
        self.f_employees = np.round(_loguniform(rng, emp_lo, emp_hi + 1, n)).astype(np.int64)
        rev_lo = np.array([r[0] for r in REVENUE_WAN])[size]
        rev_hi = np.array([r[1] for r in REVENUE_WAN])[size]
        rev_lo = np.where(leader, 300_000, rev_lo)
        rev_hi = np.where(leader, 5_000_000, rev_hi)
        self.f_revenue = np.round(_loguniform(rng, rev_lo, rev_hi, n), 1)
        self.f_capital = np.round(np.maximum(10.0, self.f_revenue * _loguniform(rng, 0.03, 0.5, n)), 1)
        age_days = np.clip(rng.exponential(11 * 365.25, n), 200, 40 * 365.25)
        age_days = np.where(leader, np.maximum(age_days, 8 * 365.25), age_days)
        self.f_founded = self._ref_days(age_days)
        growth = rng.normal(0.08, 0.15, n) + np.where(leader, 0.05, 0.0)
        self.f_growth = np.round(np.clip(growth, -0.5, 2.0), 3)
        # tags (bitmask over TAGS)
        p_high = np.array((0.03, 0.10, 0.25, 0.35))[size]
        high = rng.random(n) < p_high
        zjtx = (rng.random(n) < np.array((0.01, 0.05, 0.08, 0.02))[size]) & (size > 0)
        giant = zjtx & (rng.random(n) < 0.15)
        listed = rng.random(n) < np.where(leader, 0.6, np.array((0.0, 0.0, 0.02, 0.25))[size])
        gazelle = (rng.random(n) < 0.015) & (self.f_growth > 0.2)
        foreign = rng.random(n) < 0.03
        self.f_tags = (high * 1 | zjtx * 2 | giant * 4 | listed * 8 | leader * 16 | gazelle * 32 | foreign * 64)
        self.f_patents = rng.negative_binomial(1, 1 / (1 + np.array((1.0, 4.0, 20.0, 120.0))[size] * (1 + 2 * high)), n)
        self.f_branches = rng.poisson(np.array((0.05, 0.2, 0.6, 2.5))[size] * (1 + np.maximum(self.f_growth, 0) * 3), n)
        fin = rng.random(n) < 0.08
        self.f_financing = np.where(fin, np.round(self.f_revenue * _loguniform(rng, 0.02, 0.6, n), 1), 0.0)
        # place on the map
        spread = np.where(self.place_is_county[self.f_place], 0.05, 0.12)
        self.f_lat = np.round(np.clip(self.place_lat[self.f_place] + rng.normal(0, 1, n) * spread, -89.9, 89.9), 4)
        self.f_lon = np.round(np.clip(self.place_lon[self.f_place] + rng.normal(0, 1, n) * spread, -179.9, 179.9), 4)
        # names and text picks
        self.f_bits = rng.integers(0, 2**31 - 1, size=n, dtype=np.int64)
        # MAKES: 1–2 products of the primary segment
        self.f_nprod = 1 + (rng.random(n) < 0.5)
        # identity: USCC with a unique organisation code, then firms ordered by key
        a = int(rng.integers(1, 31**7))
        if a % 31 == 0:
            a += 1
        b = int(rng.integers(0, 31**7))
        serial = (np.arange(n, dtype=np.int64) * a + b) % (31**7)
        usccs = make_usccs(self.place_division[self.f_place], serial)
        order = np.argsort(usccs, kind="stable")
        self.f_key = usccs[order]
        for name in ("f_place", "f_city", "f_seg", "f_chain", "f_seg2", "f_leader", "f_size", "f_employees",
                     "f_revenue", "f_capital", "f_founded", "f_growth", "f_tags", "f_patents", "f_branches",
                     "f_financing", "f_lat", "f_lon", "f_bits", "f_nprod"):
            setattr(self, name, getattr(self, name)[order])
        self.f_class = self.city_class[self.f_city]
        self._class_w = class_w

    def _supplies(self, rng: np.random.Generator) -> None:
        n = self.scale
        npred = np.diff(self.pred_ptr)[self.f_seg] if n else np.zeros(0, np.int64)
        has_up = npred > 0
        m_size = np.array((0.8, 1.6, 3.0, 5.0))[self.f_size]
        lam = m_size * rng.gamma(0.8, 1 / 0.8, n)
        lam = np.where(has_up & ~self.f_leader, lam, 0.0)
        leader_lam = np.where(has_up & self.f_leader, 30 + rng.gamma(1.2, 40.0, n), 0.0)
        target_rest = max(SUPPLY_EDGES_PER_FIRM * n - leader_lam.sum(), 0.5 * SUPPLY_EDGES_PER_FIRM * n)
        if lam.sum() > 0:
            lam *= target_rest / lam.sum()
        demand = np.minimum(rng.poisson(lam + leader_lam), 400)
        weight = np.power(self.f_revenue, 0.5)
        nseg, ncity = len(self.seg_keys), len(self.city_keys)
        by_seg = _group_sampler(self.f_seg, weight, nseg)
        by_seg_city = _group_sampler(self.f_seg * ncity + self.f_city, weight, nseg * ncity)
        big = max(n, 1)
        pairs = np.zeros(0, dtype=np.int64)
        shares = np.zeros(0, dtype=np.float64)
        missing = demand
        for _ in range(3):  # popular suppliers are drawn twice; top the shortfall up (three rounds at most)
            cust = np.repeat(np.arange(n, dtype=np.int64), missing)
            m = len(cust)
            if m == 0:
                break
            seg_c = self.f_seg[cust]
            up = self.pred_ix[self.pred_ptr[seg_c] + np.floor(rng.random(m) * np.diff(self.pred_ptr)[seg_c]).astype(np.int64)]
            u = rng.random(m)
            local = rng.random(m) < LOCAL_SUPPLIER_SHARE
            share = np.round(rng.uniform(0.02, 0.5, m), 2)
            sup = by_seg(up, u)
            loc = by_seg_city(up * ncity + self.f_city[cust], u)
            sup = np.where(local & (loc >= 0), loc, sup)
            keep = sup >= 0
            new = sup[keep] * big + cust[keep]
            allp = np.concatenate([pairs, new])
            alls = np.concatenate([shares, share[keep]])
            pairs, first = np.unique(allp, return_index=True)  # sorted by supplier, then customer
            shares = alls[first]
            got = np.bincount(pairs % big, minlength=n)
            missing = np.maximum(demand - got, 0)
        self.s_src = pairs // big
        self.s_dst = pairs % big
        self.s_share = shares

    def _funds(self, rng: np.random.Generator) -> None:
        nf, n = self.n_funds, self.scale
        big = [i for i, k in enumerate(self.city_keys) if k not in self.seed_cities]
        bw = np.array([MACRO_WEIGHT.get(self.regions[self.city_keys[i]].get("macro_region") or "", 0.7)
                       * CITY_BOOST.get(self.city_keys[i], 1.0) for i in big])
        in_seed = rng.random(nf) < 0.4
        seed_pick = rng.integers(0, max(len(self.seed_cities), 1), nf)
        other = np.array(big)[rng.choice(len(big), size=nf, p=bw / bw.sum())]
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        seed_city_ix = np.array([city_ix[c] for c in self.seed_cities] or [0])
        self.fu_city = np.where(in_seed & (len(self.seed_cities) > 0), seed_city_ix[seed_pick], other)
        self.fu_kind = rng.choice(len(FUND_KINDS), size=nf, p=FUND_KIND_P)
        self.fu_size = np.round(np.clip(rng.lognormal(np.log(100_000), 1.0, nf), 5_000, 5_000_000), 0)
        nfocus = rng.integers(1, 4, nf)
        nchain = len(self.chain_keys)
        self.fu_focus: list[list[int]] = []
        focus_u = rng.random((nf, nchain))
        for i in range(nf):
            city = self.city_keys[self.fu_city[i]]
            w = np.ones(nchain)
            for c in self.city_park_chains.get(city, []):
                if c in self.chain_keys:
                    w[self.chain_keys.index(c)] += 3.0
            # weighted sample without replacement by exponential keys
            keys = -np.log(focus_u[i]) / w
            self.fu_focus.append(sorted(np.argsort(keys)[: nfocus[i]].tolist()))
        self.fu_bits = rng.integers(0, 2**31 - 1, size=nf, dtype=np.int64)
        # portfolios
        k = rng.integers(5, 41, nf)
        fund = np.repeat(np.arange(nf, dtype=np.int64), k)
        m = len(fund)
        focus_len = np.array([len(x) for x in self.fu_focus])
        focus_flat = np.concatenate([np.array(x, dtype=np.int64) for x in self.fu_focus]) if nf else np.zeros(0, np.int64)
        focus_ptr = np.concatenate([[0], np.cumsum(focus_len)])
        in_focus = rng.random(m) < 0.8
        fchain = focus_flat[focus_ptr[fund] + np.floor(rng.random(m) * focus_len[fund]).astype(np.int64)]
        # how likely a fund is to back a firm: listed, 专精特新, growing, not micro (also used by _gap_investments)
        self.f_attract = attract = (1.0 + 2.0 * ((self.f_tags & 2) > 0) + 1.0 * ((self.f_tags & 1) > 0)
                                    + 3.0 * np.maximum(self.f_growth, 0)) * np.where(self.f_size == 0, 0.3, 1.0)
        u = rng.random(m)
        if n:
            by_chain = _group_sampler(self.f_chain, attract, nchain)
            anyone = _group_sampler(np.zeros(n, np.int64), attract, 1)
            firm = np.where(in_focus, by_chain(fchain, u), anyone(np.zeros(m, np.int64), u))
        else:
            firm = np.full(m, -1)
        amount = np.round(np.clip(rng.lognormal(np.log(3000), 1.0, m), 200, 50_000), 0)
        amount = np.minimum(amount, np.maximum(self.fu_size[fund] * 0.1, 200))
        days_ago = rng.integers(0, 6 * 365, m)
        rnd = rng.integers(0, len(ROUNDS), m)
        keep = firm >= 0
        pairs = fund[keep] * max(n, 1) + firm[keep]
        pairs, first = np.unique(pairs, return_index=True)
        self.i_fund = pairs // max(n, 1)
        self.i_firm = pairs % max(n, 1)
        self.i_amount = amount[keep][first]
        self.i_date = self._ref_days(days_ago[keep][first])
        self.i_round = rnd[keep][first]
        # a recent investment is a financing signal on the firm
        recent = days_ago[keep][first] < 2 * 365
        np.add.at(self.f_financing, self.i_firm[recent], self.i_amount[recent])
        self.f_financing = np.round(self.f_financing, 1)

    def _gap_investments(self) -> None:
        """以投促引 in the demo data: each fund of a seed city also holds up to GAP_INVESTMENTS firms from *outside*
        the city in the city's gap segments of its focus chains (a local fund investing where the city has no firms
        yet), keeping portfolios ≤ 40. Drawn from a separate generator (seeded with (seed, 7)) so that every draw of
        the main stream — parcels, projects — stays what it was."""
        n, nf = self.scale, self.n_funds
        if not n or not nf or not self.seed_cities:
            return
        aux = np.random.Generator(np.random.PCG64([self.seed, 7]))
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        have = np.bincount(self.i_fund, minlength=nf)
        starts = np.searchsorted(self.i_fund, np.arange(nf + 1))  # i_fund is sorted: fund i's portfolio is a slice
        pools: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}  # (city, gaps) → (firms, weight)
        add_f, add_e = [], []
        for i in range(nf):
            city = self.city_keys[self.fu_city[i]]
            if city not in self.gap_segments:
                continue
            gaps = [self.seg_ix[g] for g in self.gap_segments[city]]
            gaps = [g for g in gaps if self.seg_chain[g] in self.fu_focus[i]]
            room = min(GAP_INVESTMENTS, 40 - int(have[i]))
            if not gaps or room <= 0:
                continue
            key = (city_ix[city], tuple(gaps))
            if key not in pools:  # many funds share a city and its gaps: find the firms once
                firms = np.flatnonzero(np.isin(self.f_seg, gaps) & (self.f_city != city_ix[city]))
                demo = np.isin(self.f_seg[firms], [self.seg_ix[g] for g in DEMO_GAPS.get(city, ()) if g in self.seg_ix])
                pools[key] = firms, self.f_attract[firms] * np.where(demo, 10.0, 1.0)  # the story gap (衢州 封测) first
            firms, weight = pools[key]
            fresh = ~np.isin(firms, self.i_firm[starts[i]:starts[i + 1]])
            pool = firms[fresh]
            if not len(pool):
                continue
            m = min(room, len(pool))
            w = weight[fresh] / weight[fresh].sum()
            add_e.append(np.sort(aux.choice(pool, size=m, replace=False, p=w)))
            add_f.append(np.full(m, i, dtype=np.int64))
        if not add_f:
            return
        fund, firm = np.concatenate(add_f), np.concatenate(add_e)
        m = len(fund)
        amount = np.minimum(np.round(np.clip(aux.lognormal(np.log(3000), 1.0, m), 200, 50_000), 0),
                            np.maximum(self.fu_size[fund] * 0.1, 200))
        days_ago = aux.integers(0, 6 * 365, m)
        rnd = aux.integers(0, len(ROUNDS), m)
        big = max(n, 1)
        pairs = np.concatenate([self.i_fund * big + self.i_firm, fund * big + firm])
        order = np.argsort(pairs, kind="stable")
        self.i_fund, self.i_firm = pairs[order] // big, pairs[order] % big
        self.i_amount = np.concatenate([self.i_amount, amount])[order]
        self.i_date = np.concatenate([self.i_date, self._ref_days(days_ago)])[order]
        self.i_round = np.concatenate([self.i_round, rnd])[order]
        recent = days_ago < 2 * 365
        np.add.at(self.f_financing, firm[recent], amount[recent])
        self.f_financing = np.round(self.f_financing, 1)

    def _parcels(self, rng: np.random.Generator) -> None:
        npc = self.n_parcels if self.park_keys else 0
        parks = self.facts.parks
        self.pc_park = rng.integers(0, max(len(parks), 1), npc)
        chem = np.array(["化工" in (p.get("kind") or "") for p in parks] or [False])[self.pc_park]
        national = np.array([(p.get("level") or "") == "国家级" for p in parks] or [False])[self.pc_park]
        area = np.clip(rng.lognormal(np.log(60), 0.7, npc), 20, 300)
        big = rng.random(npc) < 0.05
        area = np.where(big, rng.uniform(300, 800, npc), area)
        self.pc_area = np.round(area, 2)
        self.pc_use = rng.choice(3, size=npc, p=(0.92, 0.05, 0.03))  # 0601 / 0604 / 0809
        far_min = np.where(chem, rng.choice((0.6, 0.8, 1.0), npc), rng.choice((1.0, 1.2, 1.5), npc))
        self.pc_far_min = far_min
        self.pc_far_max = np.round(np.minimum(far_min + rng.choice((0.8, 1.0, 1.3, 1.5), npc), 3.0), 1)
        self.pc_density_min = rng.choice((30.0, 35.0, 40.0), npc)
        self.pc_density_max = rng.choice((55.0, 60.0, 65.0), npc)
        self.pc_green = rng.choice((10.0, 15.0, 20.0), npc)
        self.pc_price = np.round(rng.uniform(10, 45, npc) + national * rng.uniform(0, 15, npc), 1)
        self.pc_ready = rng.choice(len(READINESS), size=npc, p=READINESS_P)
        self.pc_status = rng.choice(3, size=npc, p=(0.80, 0.12, 0.08))
        self.pc_invest = rng.choice((250.0, 300.0, 350.0, 400.0, 450.0, 500.0), npc) + national * 50.0
        self.pc_invest = np.minimum(self.pc_invest, 500.0)
        self.pc_tax = rng.choice((8.0, 10.0, 15.0, 20.0, 25.0, 30.0), npc)
        self.pc_output = rng.choice((200.0, 300.0, 400.0, 500.0, 600.0, 800.0), npc)
        self.pc_energy = np.where(rng.random(npc) < 0.8, rng.choice((0.1, 0.2, 0.3, 0.5), npc), np.nan)
        self.pc_pollution = np.where(rng.random(npc) < 0.1, 0, np.where(chem & (rng.random(npc) < 0.5), 3,
                                                                        rng.choice((1, 2), npc, p=(0.3, 0.7))))
        self.pc_chains_mode = rng.choice(3, size=npc, p=(0.55, 0.20, 0.25))  # park's / one of them / unrestricted
        self.pc_chain_pick = rng.integers(0, 1 << 30, npc)
        self.pc_dlat = np.round(rng.normal(0, 0.015, npc), 4)
        self.pc_dlon = np.round(rng.normal(0, 0.015, npc), 4)
        self.pc_year = rng.integers(2021, 2026, npc)
        # optional 配套/时序 fields (written only if the model has them, see _optional)
        self.pc_power = np.where(rng.random(npc) < 0.85, rng.choice((1000.0, 2000.0, 5000.0, 10000.0, 20000.0), npc), np.nan)
        self.pc_rail = rng.choice(3, size=npc, p=(0.08, 0.60, 0.32))  # True / False / not stated
        self.pc_deliver = np.where(rng.random(npc) < 0.6, self._ref_days(-rng.integers(0, 540, npc)), -1)
        self.pc_holder_u = rng.random(npc)

    def _projects(self, rng: np.random.Generator) -> None:
        npr = self.n_projects if self.scale else 0
        n = self.scale
        parks = self.facts.parks
        # investors: mostly firms outside the seed cities, larger ones more often
        w = np.array((0.2, 1.0, 3.0, 6.0))[self.f_size] * np.where(self.f_class == 0, 1.0, 0.25)
        self.p_investor = rng.choice(n, size=npr, p=w / w.sum()) if npr else np.zeros(0, np.int64)
        self.p_seg = self.f_seg[self.p_investor]
        chains = self.seg_chain[self.p_seg]
        # park: one whose leading chains include the project's chain (70 %), else any seed-city park
        in_park = rng.random(npr) < 0.85
        fits = rng.random(npr) < 0.7
        pu = rng.random(npr)
        self.p_park = np.full(npr, -1, dtype=np.int64)
        for i in range(npr):
            if not parks or not in_park[i]:
                continue
            ck = self.chain_keys[chains[i]]
            fit = [j for j, p in enumerate(parks) if ck in (p.get("leading_chains") or [])]
            pool = fit if fit and fits[i] else list(range(len(parks)))
            self.p_park[i] = pool[min(int(pu[i] * len(pool)), len(pool) - 1)]
        counties = [k for k in self.place_keys if self.regions[k].get("parent") in self.seed_cities
                    and self.regions[k]["level"] == "county"] or self.seed_cities or self.city_keys
        self.p_region_pick = rng.integers(0, len(counties), npr)
        self._project_counties = counties
        # stage: the same uniform draws rng.choice(p=STAGE_P) would use (so every later draw is unchanged), tilted
        # towards later stages for investors with ties to the project's city (see _landing_tilt)
        u = rng.random(npr)
        cdf = np.cumsum(STAGE_P)
        cdf /= cdf[-1]
        self.p_stage = cdf.searchsorted(u ** (1.0 / (1.0 + self._landing_tilt(counties))), side="right")
        invest = np.clip(rng.lognormal(np.log(30_000), 1.0, npr), 2_000, 800_000)
        self.p_invest = np.round(invest, 0)
        intensity = rng.uniform(250, 700, npr)
        area = np.clip(invest / intensity, 10, 600)
        self.p_land_min = np.round(area * 0.85, 1)
        self.p_land_max = np.round(area * 1.15, 1)
        output = invest * rng.uniform(0.8, 2.5, npr)
        self.p_output = np.round(output, 0)
        self.p_tax = np.round(output * rng.uniform(0.03, 0.08, npr), 0)
        is_nm = np.array([self.chain_keys[c] == "nm" for c in chains], dtype=bool)
        self.p_energy = np.round(np.where(is_nm, rng.uniform(0.3, 1.2, npr), rng.uniform(0.05, 0.6, npr)), 2)
        pol_nm = rng.choice(3, size=npr, p=(0.3, 0.5, 0.2))
        pol_other = rng.choice(3, size=npr, p=(0.7, 0.3, 0.0))
        self.p_pollution = np.where(is_nm, pol_nm, pol_other)
        self.p_price = np.round(rng.uniform(15, 70, npr), 0)
        self.p_jobs = np.round(invest / rng.uniform(80, 300, npr)).astype(np.int64)
        self.p_owner = rng.integers(0, len(OWNERS), npr)
        self.p_signed = self._ref_days(rng.integers(0, 900, npr))
        self.p_bits = rng.integers(0, 2**31 - 1, size=npr, dtype=np.int64)
        self.p_use_storage = rng.random(npr) < 0.05
        self.p_power = np.where(rng.random(npr) < 0.7, np.round(area * rng.uniform(30, 120, npr), -2), np.nan)
        self.p_rail = rng.random(npr) < 0.05
        self.p_needed_by = np.where(rng.random(npr) < 0.5, self._ref_days(-rng.integers(90, 720, npr)), -1)
        # a reserved parcel is held by a project at 洽谈 or later in its park, a transferred one by a signed project
        # (if the park has none, the parcel is left available)
        self.pc_holder = np.full(len(self.pc_park), -1, dtype=np.int64)
        for want, min_stage in ((1, PROJECT_STAGES.index("洽谈")), (2, PROJECT_STAGES.index("签约"))):
            pools: dict[int, np.ndarray] = {}
            for j, park in enumerate(np.where(self.p_stage >= min_stage, self.p_park, -1).tolist()):
                if park >= 0:
                    pools.setdefault(park, []).append(j)  # type: ignore[arg-type]
            for i in np.flatnonzero(self.pc_status == want).tolist():
                pool = pools.get(int(self.pc_park[i]), [])
                if len(pool):
                    self.pc_holder[i] = pool[int(self.pc_holder_u[i] * len(pool)) % len(pool)]
                else:
                    self.pc_status[i] = 0
        # 招商项目库: dated stage history, weekly tracking, next action, foreign investment, results after landing.
        # Drawn last, so every earlier draw (and every record made from it) stays what it was.
        self.p_gaps = rng.integers(7, 120, size=(npr, len(PROJECT_STAGES)))  # days spent in each stage
        self.p_anchor = rng.integers(0, 150, npr)  # days before as_of an unsigned project entered its stage
        self.p_track_n = rng.integers(0, 4, npr)  # tracking entries kept
        self.p_track_age = rng.integers(0, 75, npr)  # days since the last one (> 30: stalled)
        self.p_next = rng.integers(-40, 45, npr)  # next action due, days after as_of (< 0: overdue)
        self.p_note = rng.integers(0, 2**30, npr)
        self.p_fdi = rng.random(npr) < 0.15
        self.p_fdi_total = np.round(_loguniform(rng, 200, 30_000, npr), 0)  # 万美元
        self.p_fdi_shares = rng.uniform(0.15, 0.6, size=(npr, 2))  # first year, this year (of the total)
        self.p_fdi_form = rng.choice(3, size=npr, p=(0.7, 0.2, 0.1))
        self.p_ind_class = rng.choice(3, size=npr, p=(0.8, 0.12, 0.08))
        self.p_actual = rng.uniform(0.6, 1.25, size=(npr, 4))  # actual ÷ planned: investment, tax, output, jobs

    def _landing_tilt(self, counties: list[str]) -> np.ndarray:
        """Per project, how much its investor is tied to the project's city (以企引企 / 以投促引 in the demo data):
        TILT["leader"] if it supplies or buys from a 链主 there, TILT["local"] for a tie with any other firm there,
        TILT["fund"] if a fund of that city invested in it, TILT["financing"] if it raised money recently. A stage
        drawn from u becomes the stage of u ** (1 / (1 + tilt)): no tie, the plain STAGE_P draw; ties, later stages
        (签约 and beyond) more often — so project history carries the signal the target recommender learns."""
        npr = len(self.p_investor)
        if npr == 0 or self.scale == 0:
            return np.zeros(npr)
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        parks = self.facts.parks

        def city_of(region: str | None) -> int:
            if region is None:
                return -1
            if region in city_ix:
                return city_ix[region]
            return city_ix.get(self.regions.get(region, {}).get("parent") or "", -1)

        pcity = np.asarray([city_of(parks[pk]["region"]) if pk >= 0 else city_of(counties[int(rp)])
                            for pk, rp in zip(self.p_park.tolist(), self.p_region_pick.tolist())], dtype=np.int64)
        nc = len(self.city_keys)
        inv = self.p_investor
        want = inv * nc + np.maximum(pcity, 0)
        src, dst = self.s_src, self.s_dst
        ends = np.concatenate([src * nc + self.f_city[dst], dst * nc + self.f_city[src]])
        lead_end = np.concatenate([self.f_leader[dst], self.f_leader[src]])
        local = np.isin(want, ends)
        leader = np.isin(want, ends[lead_end])
        fund = np.isin(want, self.i_firm * nc + self.fu_city[self.i_fund])
        fin = self.f_financing[inv] > 0
        tilt = TILT["leader"] * leader + TILT["local"] * (local & ~leader) + TILT["fund"] * fund + TILT["financing"] * fin
        return np.where(pcity >= 0, tilt, 0.0)

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

    def _firm_dicts(self, chunk_size: int) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        src = self.source
        tag_names = ("高新技术", "专精特新", "小巨人", "上市", "链主", "瞪羚", "外资")
        tag_order = {t: i for i, t in enumerate(("专精特新", "小巨人", "高新技术", "上市", "链主", "单项冠军", "瞪羚",
                                                  "独角兽", "外资"))}
        tag_lists: dict[int, list[str]] = {}
        suffixes = [CHAIN_SUFFIX.get(k, DEFAULT_SUFFIX) for k in self.chain_keys]
        nb1, nb2 = len(BRAND_1), len(BRAND_2)
        for lo in range(0, self.scale, chunk_size):
            hi = min(lo + chunk_size, self.scale)
            sl = slice(lo, hi)
            cols = [
                self.f_key[sl].tolist(), self.f_place[sl].tolist(), self.f_seg[sl].tolist(),
                self.f_chain[sl].tolist(), self.f_size[sl].tolist(), self.f_employees[sl].tolist(),
                self.f_revenue[sl].tolist(), self.f_capital[sl].tolist(), _iso(self.f_founded[sl]),
                self.f_tags[sl].tolist(), self.f_financing[sl].tolist(), self.f_branches[sl].tolist(),
                self.f_growth[sl].tolist(), self.f_patents[sl].tolist(), self.f_lat[sl].tolist(),
                self.f_lon[sl].tolist(), self.f_bits[sl].tolist(),
            ]
            out = []
            for (key, place, seg, chain, size, emp, rev, cap, founded, tags, fin, br, gr, pat, lat, lon,
                 bits) in zip(*cols):
                tl = tag_lists.get(tags)
                if tl is None:
                    tl = sorted((t for i, t in enumerate(tag_names) if tags >> i & 1), key=tag_order.__getitem__)
                    tag_lists[tags] = tl
                kws = self.seg_keywords[seg]
                nk = len(kws)
                flav = self.seg_flavour[seg]
                suf = suffixes[chain]
                brand = BRAND_1[bits % nb1] + BRAND_2[(bits >> 6) % nb2]
                word = flav[(bits >> 12) % len(flav)] if (bits >> 20) & 1 else ""
                name = f"{self.place_names[place]}示例{brand}{word}{suf[(bits >> 16) % len(suf)]}有限公司（合成）"
                k0 = (bits >> 21) % nk
                picked = [kws[k0]] if nk < 3 else [kws[k0], kws[(k0 + 1) % nk], kws[(k0 + 2) % nk]]
                scope = f"{self.seg_names[seg]}：{'、'.join(picked)}的研发、生产与销售；相关技术服务。（合成示例数据）"
                out.append((Label.Enterprise, {
                    "key": key, "name": name, "source": src, "synthetic": True, "uscc": key,
                    "region": self.place_keys[place], "size": SIZES[size], "employees": emp, "revenue_wan": rev,
                    "registered_capital_wan": cap, "founded": founded, "tags": list(tl),
                    "recent_financing_wan": fin, "new_branches": br, "capacity_growth": gr, "patents": pat,
                    "lat": lat, "lon": lon, "business_scope": scope,
                }))
            yield out

    def fund_key(self, i: int) -> str:
        return f"syn.fund.{i:06d}"

    def _fund_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        out = []
        for i in range(self.n_funds):
            city = self.city_keys[self.fu_city[i]]
            cname = _short(self.regions[city]["name"])
            bits = int(self.fu_bits[i])
            brand = BRAND_1[bits % len(BRAND_1)] + BRAND_2[(bits >> 6) % len(BRAND_2)]
            focus = [self.chain_keys[c] for c in self.fu_focus[i]]
            kind = FUND_KINDS[self.fu_kind[i]]
            topic = self.chain_names[focus[0]] if len(focus) == 1 else "先进制造"
            out.append((Label.Fund, {
                "key": self.fund_key(i), "name": f"{cname}示例{brand}{topic}{kind}（合成）", **self._base(),
                "manager": f"{cname}示例{brand}私募基金管理有限公司（合成）", "size_wan": float(self.fu_size[i]),
                "region": city, "kind": kind, "focus": focus,
            }))
        yield out

    def parcel_key(self, i: int) -> str:
        return f"syn.parcel.{i:06d}"

    def _parcel_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        parks = self.facts.parks
        uses = ("0601", "0604", "0809")
        pollution = ([], ["轻污染"], ["轻污染", "一般"], ["轻污染", "一般", "重污染"])
        counters: dict[int, int] = {}
        out = []
        for i in range(len(self.pc_park)):
            pi = int(self.pc_park[i])
            p = parks[pi]
            counters[pi] = counters.get(pi, 0) + 1
            lead = list(p.get("leading_chains") or [])
            mode = int(self.pc_chains_mode[i])
            allowed = lead if mode == 0 else ([lead[int(self.pc_chain_pick[i]) % len(lead)]] if mode == 1 and lead else [])
            energy = float(self.pc_energy[i])
            use = uses[self.pc_use[i]]
            lat = p.get("lat") if p.get("lat") is not None else self.regions.get(p["region"], {}).get("lat")
            lon = p.get("lon") if p.get("lon") is not None else self.regions.get(p["region"], {}).get("lon")
            out.append((Label.LandParcel, {
                "key": self.parcel_key(i),
                "name": f"{p['name']}示例地块{int(self.pc_year[i])}-{counters[pi]:03d}号（合成）", **self._base(),
                "park": p["key"], "region": p["region"], "area_mu": float(self.pc_area[i]), "land_use": use,
                "far_min": float(self.pc_far_min[i]), "far_max": float(self.pc_far_max[i]),
                "density_min": float(self.pc_density_min[i]), "density_max": float(self.pc_density_max[i]),
                "green_ratio_max": float(self.pc_green[i]), "term_years": 50,
                "price_wan_per_mu": float(self.pc_price[i]), "readiness": list(READINESS[self.pc_ready[i]]),
                "status": ("available", "reserved", "transferred")[self.pc_status[i]],
                "min_invest_intensity_wan_per_mu": float(self.pc_invest[i]),
                "min_tax_wan_per_mu": float(self.pc_tax[i]), "min_output_wan_per_mu": float(self.pc_output[i]),
                "max_energy_tce_per_wan": None if np.isnan(energy) else energy,
                "allowed_pollution": list(pollution[self.pc_pollution[i]]), "allowed_chains": allowed,
                "lat": None if lat is None else round(lat + float(self.pc_dlat[i]), 4),
                "lon": None if lon is None else round(lon + float(self.pc_dlon[i]), 4),
                **self._parcel_optional(i),
            }))
        yield out

    def _parcel_optional(self, i: int) -> dict[str, Any]:
        """配套/时序 and holder fields, for the schema versions that have them (None = not stated)."""
        power = float(self.pc_power[i])
        holder = int(self.pc_holder[i])
        status = int(self.pc_status[i])
        signed = _iso(self.p_signed[holder:holder + 1])[0] + "T00:00:00Z" if holder >= 0 else None
        return _optional(Label.LandParcel, {
            "power_capacity_kva": None if np.isnan(power) else power,
            "rail_access": (True, False, None)[self.pc_rail[i]],
            "deliverable_on": _iso(self.pc_deliver[i:i + 1])[0] if self.pc_deliver[i] >= 0 and status == 0 else None,
            "reserved_by": self.project_key(holder) if status == 1 else None,
            "reserved_at": signed if status == 1 else None,
            "transferred_to": self.project_key(holder) if status == 2 else None,
            "transferred_at": signed if status == 2 else None,
        })

    def _project_optional(self, i: int) -> dict[str, Any]:
        power = float(self.p_power[i])
        return _optional(Label.Project, {
            "power_need_kva": None if np.isnan(power) else power,
            "needs_rail": True if self.p_rail[i] else None,
            "land_needed_by": _iso(self.p_needed_by[i:i + 1])[0] if self.p_needed_by[i] >= 0 else None,
        })

    def project_key(self, i: int) -> str:
        return f"syn.project.{i:06d}"

    def _project_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        parks = self.facts.parks
        out = []
        pollution = ("轻污染", "一般", "重污染")
        for i in range(len(self.p_investor)):
            inv = int(self.p_investor[i])
            seg = int(self.p_seg[i])
            pk = int(self.p_park[i])
            park = parks[pk] if pk >= 0 else None
            region = park["region"] if park else self._project_counties[int(self.p_region_pick[i])]
            bits = int(self.p_bits[i])
            brand = BRAND_1[bits % len(BRAND_1)] + BRAND_2[(bits >> 6) % len(BRAND_2)]
            flav = self.seg_flavour[seg]
            stage = int(self.p_stage[i])
            out.append((Label.Project, {
                "key": self.project_key(i),
                "name": f"示例{brand}{flav[(bits >> 12) % len(flav)]}{PROJECT_KINDS[(bits >> 16) % len(PROJECT_KINDS)]}项目（合成）",
                **self._base(),
                "investor": str(self.f_key[inv]), "chain": self.chain_keys[self.seg_chain[seg]],
                "segment": self.seg_keys[seg], "region": region, "park": park["key"] if park else None,
                "stage": PROJECT_STAGES[stage], "total_investment_wan": float(self.p_invest[i]),
                "land_min_mu": float(self.p_land_min[i]), "land_max_mu": float(self.p_land_max[i]),
                "land_use": "0604" if self.p_use_storage[i] else "0601",
                "expected_tax_wan": float(self.p_tax[i]), "expected_output_wan": float(self.p_output[i]),
                "energy_tce_per_wan": float(self.p_energy[i]), "pollution_class": pollution[self.p_pollution[i]],
                "max_price_wan_per_mu": float(self.p_price[i]), "jobs": int(self.p_jobs[i]),
                "owner": OWNERS[self.p_owner[i]],
                "signed_on": _iso(self.p_signed[i:i + 1])[0] if stage >= PROJECT_STAGES.index("签约") else None,
                **self._project_optional(i),
                **self._project_pipeline(i, stage),
            }))
        yield out

    def _stage_days(self, i: int, stage: int) -> list[int]:
        """Day numbers (since 1970-01-01) on which project i entered stages 0..stage: a signed project entered
        签约 on its signing day; an unsigned one entered its stage p_anchor days before as_of. Later
        stages are compressed to end by as_of."""
        signed = PROJECT_STAGES.index("签约")
        ref = int(self._ref_days(np.zeros(1, np.int64))[0])
        gaps = [int(g) for g in self.p_gaps[i]]
        days = [0] * (stage + 1)
        pivot = min(stage, signed)
        days[pivot] = int(self.p_signed[i]) if stage >= signed else ref - int(self.p_anchor[i])
        for j in range(pivot - 1, -1, -1):
            days[j] = days[j + 1] - gaps[j]
        if stage > signed:
            forward = gaps[signed:stage]
            room = ref - days[signed]
            total = sum(forward)
            if total > room:
                forward = [g * room // total for g in forward]
            for j in range(signed + 1, stage + 1):
                days[j] = days[j - 1] + forward[j - signed - 1]
        return days

    def _project_pipeline(self, i: int, stage: int) -> dict[str, Any]:
        """Stage history, tracking log, next action, FDI figures and actual results (synthetic, like the rest)."""
        import json

        owner = OWNERS[self.p_owner[i]]
        days = self._stage_days(i, stage)
        dates = _iso(np.asarray(days, dtype=np.int64))
        history = []
        for j, on in enumerate(dates):
            e = {"on": on, "from": PROJECT_STAGES[j - 1] if j else None, "to": PROJECT_STAGES[j], "by": owner,
                 "at": f"{on}T09:00:00Z", "note": "建档（合成）" if j == 0 else f"{STAGE_NOTES[j]}（合成）"}
            history.append(json.dumps({k: v for k, v in e.items() if v is not None}, ensure_ascii=False,
                                      separators=(",", ":")))
        done = stage == len(PROJECT_STAGES) - 1
        ref = int(self._ref_days(np.zeros(1, np.int64))[0])
        tracking = []
        n_track = 0 if done else int(self.p_track_n[i])
        last = ref - int(self.p_track_age[i])
        bits = int(self.p_note[i])
        for j in range(n_track - 1, -1, -1):
            on = _iso(np.asarray([last - 7 * j], dtype=np.int64))[0]
            note = TRACKING_NOTES[(bits >> (3 * j)) % len(TRACKING_NOTES)]
            tracking.append(json.dumps({"on": on, "by": owner, "at": f"{on}T17:00:00Z", "note": f"{note}（合成）"},
                                       ensure_ascii=False, separators=(",", ":")))
        out: dict[str, Any] = {
            "stage_on": dates[-1], "stage_history": history, "tracking_log": tracking,
            "next_action": None if done else NEXT_ACTIONS[stage],
            "next_action_on": None if done else _iso(np.asarray([ref + int(self.p_next[i])], dtype=np.int64))[0],
        }
        if self.p_fdi[i]:
            total = float(self.p_fdi_total[i])
            out.update({
                "industry_class": ("制造业", "高技术服务业", "其他服务业")[self.p_ind_class[i]],
                "fdi_form": ("新设", "增资", "利润再投资")[self.p_fdi_form[i]],
                "fdi_total_usd_wan": total,
                "fdi_first_year_usd_wan": float(round(total * float(self.p_fdi_shares[i, 0]))),
                "fdi_year_usd_wan": float(round(total * float(self.p_fdi_shares[i, 1]))),
            })
        a = self.p_actual[i]
        if stage >= PROJECT_STAGES.index("开工"):
            built = 1.0 if stage >= PROJECT_STAGES.index("投产") else 0.5
            out["actual_investment_wan"] = float(round(float(self.p_invest[i]) * float(a[0]) * built))
        if stage >= PROJECT_STAGES.index("投产"):
            ramp = 1.0 if done else 0.5
            out["actual_tax_wan"] = float(round(float(self.p_tax[i]) * float(a[1]) * ramp))
            out["actual_output_wan"] = float(round(float(self.p_output[i]) * float(a[2]) * ramp))
            out["actual_jobs"] = int(round(int(self.p_jobs[i]) * float(a[3])))
        return _optional(Label.Project, out)

    # --- relations
    def _rp(self, **props: Any) -> dict[str, Any]:
        props["source"] = self.source
        return props

    def _in_segment(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, self.scale, chunk_size):
            sl = slice(lo, min(lo + chunk_size, self.scale))
            out = []
            for key, seg, seg2 in zip(self.f_key[sl].tolist(), self.f_seg[sl].tolist(), self.f_seg2[sl].tolist()):
                if seg2 < 0:
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg],
                                      {"weight": 1.0, "source": src}))
                else:
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg],
                                      {"weight": 0.7, "source": src}))
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg2],
                                      {"weight": 0.3, "source": src}))
            yield out

    def _makes(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        pkeys = [p[0] for p in self.products]
        for lo in range(0, self.scale, chunk_size):
            sl = slice(lo, min(lo + chunk_size, self.scale))
            out = []
            for key, seg, nprod, bits in zip(self.f_key[sl].tolist(), self.f_seg[sl].tolist(),
                                             self.f_nprod[sl].tolist(), self.f_bits[sl].tolist()):
                prods = self.seg_products[seg]
                if not prods:
                    continue
                first = (bits >> 24) % len(prods)
                out.append(RelRec("MAKES", "Enterprise", key, "Product", pkeys[prods[first]],
                                  {"weight": 1.0 if nprod == 1 or len(prods) == 1 else 0.6, "source": src}))
                if nprod > 1 and len(prods) > 1:
                    out.append(RelRec("MAKES", "Enterprise", key, "Product", pkeys[prods[(first + 1) % len(prods)]],
                                      {"weight": 0.4, "source": src}))
            yield out

    def _leads(self) -> Iterator[list[RelRec]]:
        out = []
        for i in np.flatnonzero(self.f_leader).tolist():
            out.append(RelRec("LEADS", "Enterprise", str(self.f_key[i]), "IndustryChain",
                              self.chain_keys[self.f_chain[i]],
                              self._rp(region=self.city_keys[self.f_city[i]])))
        yield out

    def _supplies_recs(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, len(self.s_src), chunk_size):
            sl = slice(lo, lo + chunk_size)
            s_keys = self.f_key[self.s_src[sl]].tolist()
            d_keys = self.f_key[self.s_dst[sl]].tolist()
            yield [RelRec("SUPPLIES", "Enterprise", s, "Enterprise", d, {"share": sh, "source": src})
                   for s, d, sh in zip(s_keys, d_keys, self.s_share[sl].tolist())]

    def _invested(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, len(self.i_fund), chunk_size):
            sl = slice(lo, lo + chunk_size)
            firms = self.f_key[self.i_firm[sl]].tolist()
            yield [RelRec("INVESTED_IN", "Fund", self.fund_key(f), "Enterprise", e,
                          {"amount_wan": a, "date": d, "round": ROUNDS[r], "source": src})
                   for f, e, a, d, r in zip(self.i_fund[sl].tolist(), firms, self.i_amount[sl].tolist(),
                                            _iso(self.i_date[sl]), self.i_round[sl].tolist())]


def _optional(label: Label, fields: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the label's model knows (the schema grows; the generator keeps working on older ones)."""
    known = MODELS[label].model_fields
    return {k: v for k, v in fields.items() if k in known and v is not None}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    ix = np.array([v for x in lists for v in x], dtype=np.int64)
    return ptr, ix


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
