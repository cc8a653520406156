"""Which kind of chain data the recommender is looking at, and which signals fit it (no flag to know about).

An investment officer imports whatever 产业链 data they have: a classification with one industry per firm (the
Shenwan-style ChainKG), or a city's 产业链图谱 where a firm sits in two or three 环节, with or without product texts.
The signals that work differ: on single-assignment data a firm already placed elsewhere is an unlikely missing
member (`placement`), and collaborative signals are silent for the firms still to be found (they have no
segment yet); on multi-membership data the segments a firm is already in are the best evidence (EASE, item-item
co-membership, the completion of the firm's exact segment set). `detect_regime` reads three numbers off the
visible data and decides:

- memberships per placed firm (mean) and the share of placed firms in ≥ 2 segments;
- text: share of firms with product names, share with any other text (names are always there);
- co-membership density: share of segment pairs sharing ≥ 1 firm.

Regime "multi" when ≥ `MULTI_SHARE` of the placed firms sit in ≥ 2 segments, else "single". The chosen signals
are the default set plus, in the multi regime, the collaborative ones; the inner hold-out then weighs them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from membership.dataset import Dataset

MULTI_SHARE = 0.15
COLLAB_SIGNALS = ("ease", "item_cos", "set_completion")


@dataclass(frozen=True)
class Regime:
    name: str  # "single" | "multi"
    memberships_per_firm: float
    multi_share: float
    product_share: float
    text_share: float
    comembership_density: float

    @property
    def text(self) -> str:
        """"products" (product names for many firms), "text" (other descriptive text) or "names" only."""
        if self.product_share >= 0.3:
            return "products"
        return "text" if self.text_share >= 0.3 else "names"

    def describe(self) -> str:
        kind = "多归属（一家企业属于多个环节）" if self.name == "multi" else "单归属（一家企业一个环节）"
        text = {"products": "有主营产品文本", "text": "有企业描述文本", "names": "仅企业名称"}[self.text]
        return (f"数据类型：{kind}，{text}；每家已归属企业平均 {self.memberships_per_firm:.2f} 个环节，"
                f"{self.multi_share:.0%} 属于 ≥2 个环节，环节共现密度 {self.comembership_density:.2f}")


def detect_regime(ds: Dataset) -> Regime:
    """Measure the dataset (visible memberships, text) and name its regime."""
    M = ds.memberships
    per_firm = np.asarray(M.sum(axis=1)).ravel()
    placed = per_firm > 0
    mean = float(per_firm[placed].mean()) if placed.any() else 0.0
    multi = float((per_firm[placed] >= 2).mean()) if placed.any() else 0.0
    n = max(ds.n_enterprises, 1)
    prod = len(np.unique(ds.product_enterprise)) / n if ds.has_products else 0.0
    text = float((np.asarray(ds.enterprise_text, dtype=object).astype(str) != "").mean()) if ds.n_enterprises else 0.0
    ns = ds.n_segments
    co = (M.T @ M).tocoo()
    off = int(((co.row < co.col) & (co.data > 0)).sum())
    density = off / max(ns * (ns - 1) / 2, 1)
    return Regime("multi" if multi >= MULTI_SHARE else "single", mean, multi, prod, text, density)


def regime_signals(regime: Regime, default: tuple[str, ...]) -> tuple[str, ...]:
    """The signals for a regime: the default set, plus the collaborative ones on multi-membership data."""
    if regime.name == "multi":
        return tuple(default) + tuple(s for s in COLLAB_SIGNALS if s not in default)
    return tuple(default)
