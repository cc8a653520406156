"""Classification of segments (优势 / 薄弱 / 空白) from their strength and local 链主, and the one-line reason
each class is given with (the thresholds quoted, so a reader can check them)."""
from __future__ import annotations

import math

import numpy as np

from chains.models import GAP, STRONG, WEAK, AnalysisConfig
from chains.strength import Measures


def classify(m: Measures, local_leaders: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    """The class of every segment: 空白 when it has at most gap_max_count local firms; 优势 when LQ and count
    reach the thresholds, or (leader_strong) a local 链主 of its chain is in it and LQ ≥ 1; else 薄弱."""
    lq = np.nan_to_num(m.lq, nan=0.0)
    gap = m.local_count <= config.gap_max_count
    strong = (lq >= config.strong_lq) & (m.local_count >= config.strong_min_count)
    if config.leader_strong:
        strong |= (local_leaders > 0) & (lq >= 1.0)
    return np.where(gap, GAP, np.where(strong, STRONG, WEAK)).astype(object)


def reason(cls: str, count: int, lq: float, leaders: int, config: AnalysisConfig) -> str:
    lq_t = "—" if math.isnan(lq) else f"{lq:.2f}"
    if cls == GAP:
        return f"本地企业 {count} 家（≤ {config.gap_max_count}）"
    if cls == STRONG:
        if lq >= config.strong_lq and count >= config.strong_min_count:
            return f"区位熵 {lq_t} ≥ {config.strong_lq:g} 且本地企业 {count} 家 ≥ {config.strong_min_count}"
        return f"本地有链主 {leaders} 家且区位熵 {lq_t} ≥ 1"
    why = []
    if math.isnan(lq) or lq < config.strong_lq:
        why.append(f"区位熵 {lq_t} < {config.strong_lq:g}")
    if count < config.strong_min_count:
        why.append(f"本地企业 {count} 家 < {config.strong_min_count}")
    return "；".join(why) or "未达优势标准"

