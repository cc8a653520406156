"""The tunables and small helpers of ChainMatch's synthetic demo data (seed_data/generator.py): how many firms go
where, sizes and their economics, fund kinds, parcel and project draws, the demo story's fixed gaps and strong
segments, name parts, and vectorised helpers (weighted sampling within groups, dates, USCCs by the million)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from graph.schema import MODELS, Label
from graph.uscc import USCC_CHARS

GENERATOR_VERSION = "v2"  # v2: the firms' 企业尽调 records (parks, 简称, listing, dated histories)
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


def _optional(label: Label, fields: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the label's model knows (the schema grows; the generator keeps working on older ones)."""
    known = MODELS[label].model_fields
    return {k: v for k, v in fields.items() if k in known and v is not None}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    ix = np.array([v for x in lists for v in x], dtype=np.int64)
    return ptr, ix
