"""The attractability model: its features, default weights, configuration, and weight learning.

score(e | region r, target segments T) = Σ_j w_j · (x_j − μ_j) / σ_j   (the sum of the feature contributions)

Every feature x_j is on a stated natural scale (indicators, shares, log counts) so that the default weights read
as "per unit". Weights come from project history when there is enough of it (`learn_weights`), else from
DEFAULT_WEIGHTS with μ = 0, σ = 1 (a feature a firm does not have then contributes exactly 0). With learned
weights, μ and σ are the training rows' mean and standard deviation (the logistic regression was fitted on those
standardised values), so a feature the firm lacks contributes slightly below zero and one it has well above.

Learning (see docs/targets.md): one row per project whose investor is outside the project's city (the city-level
region containing the project's region): features of (investor | that city, the project's segment); label 1 when
the project reached 签约 or a later stage (PROJECT_STAGES), else 0; plus `negatives_per_project` firms drawn at
random (seeded) from the same segment's members outside that city, label 0 — "who lands versus who does not
even come". A logistic regression (L2, C, class-balanced, as scikit-learn's LogisticRegression) on standardised
features, fitted with every weight kept on the side of its documented default (signfit.py: a feature documented as
helping can get weight 0 from the data, never a minus — farther firms never score higher, a local fund's own
investment never lowers its portfolio firm's score). It is fitted once without the bounds too: the features the
data alone would have inverted are named in the answer (`sign_check` "constrained", `inverted`); when the bounded
fit keeps no learned feature at all, the documented defaults are used with a warning (`sign_check` "fallback").
Only with at least `min_positives` landed projects (and both classes present); otherwise the defaults are used.
The response always says which. POLICY_FEATURES (need, park_fit) are never learned: they keep their defaults.

Missing values: a feature the data does not give for a firm (no location → no distance; infinite or NaN inputs
count as missing) is imputed with the training column's mean, so standardised it is 0 and contributes nothing —
the rule scoring applies to unknowns too. A model that still cannot be fitted (the optimiser fails, or the weights
come out non-finite) falls back to DEFAULT_WEIGHTS, with a logged warning and a note in the response.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph.schema import PROJECT_STAGES
from targets.signfit import fit_logistic

log = logging.getLogger(__name__)
LANDED_FROM = PROJECT_STAGES.index("签约")
FEATURE_BOUND = 1e6  # |feature value| beyond this is a data error (see learn)  # 签约 and every later stage count as landed

# (name, Chinese label, default weight, how x is made)
FEATURE_SPECS: tuple[tuple[str, str, float, str], ...] = (
    ("segment_fit", "环节匹配", 2.0, "目标环节的成员权重（已知归属）或成员模型推断的匹配度 ×0.8，0–1"),
    ("need", "本地缺口", 0.5, "最匹配环节在本地的分类：空白 1、薄弱 0.5、优势 0"),
    ("park_fit", "园区主导产业", 0.5, "该环节所属产业链是本地某园区的主导产业链：1/0"),
    ("leader_tie", "链主供需", 2.0, "ln(1 + 与本地链主的直接供货/采购关系数)"),
    ("leader_tier2", "链主二级供应", 1.0, "ln(1 + 其客户中本地链主一级供应商的数目)，不含已是一级供应商者"),
    ("local_ties", "本地供需", 0.8, "ln(1 + 与本地其他企业的供需关系数)"),
    ("fund_local", "本地基金投资", 1.5, "ln(1 + 投资该企业的本地基金数)"),
    ("fund_partner", "合作基金投资", 1.0, "ln(1 + 投资该企业、且也投资了本地企业的外地基金数)"),
    ("financing", "近期融资", 0.5, "ln(1 + 近两年融资额 / 1000 万元)"),
    ("branches", "新设分支", 0.4, "ln(1 + 近两年新设分支机构数)"),
    ("growth", "产能增长", 1.0, "产能/营收增速，截断到 [−0.5, 1]"),
    ("patents", "专利", 0.3, "ln(1 + 专利数) / 3"),
    ("size", "规模", 0.4, "规模等级 / 3（微型 0 … 大型 1；未知按小型）"),
    ("quality", "资质", 0.4, "专精特新/小巨人/高新技术/上市/单项冠军/独角兽/瞪羚 标签数，至多 3"),
    ("proximity", "距离", 0.6, "1 / (1 + 距离公里 / 300)；坐标未知时取中性值（贡献 0）"),
    ("same_macro", "同一经济区", 0.3, "与本地同属一个经济区（长三角、粤港澳 …）：1/0"),
    ("source_hub", "产业转移来源地", 0.3, "位于长三角/粤港澳/京津冀，且本地不在该经济区：1/0"),
)
FEATURES: tuple[str, ...] = tuple(f[0] for f in FEATURE_SPECS)
FEATURE_LABELS: dict[str, str] = {f[0]: f[1] for f in FEATURE_SPECS}
DEFAULT_WEIGHTS: dict[str, float] = {f[0]: f[2] for f in FEATURE_SPECS}
FEATURE_DOCS: dict[str, str] = {f[0]: f[3] for f in FEATURE_SPECS}
F = {name: j for j, name in enumerate(FEATURES)}  # column of each feature
# Policy features: what the region wants (fill a gap, use a park's leading chain), not what predicts a landing.
# Project history cannot say whether a region should want its gaps filled, so they are never learned: they keep
# their default weight (on the raw value, μ = 0, σ = 1) also when the other weights are learned.
POLICY_FEATURES = ("need", "park_fit")
# 产业转移主要来源地 (source hubs): the three city clusters the industry moves out of. Public fact; the groups of
# provinces themselves are in seed_data/facts/regions.json (Region.macro_region).
SOURCE_HUBS = ("长三角", "粤港澳", "京津冀")
QUALITY_TAG_SET = ("专精特新", "小巨人", "高新技术", "上市", "单项冠军", "独角兽", "瞪羚")


class TargetConfig(BaseModel):
    """Parameters of the recommender (documented in docs/targets.md); part of the engine cache key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    learn_weights: bool = Field(default=True, description="有足够已落地项目时学习权重，否则用默认权重")
    min_positives: int = Field(default=30, ge=2, description="学习权重所需的最少已签约（含以后阶段）项目数")
    negatives_per_project: int = Field(default=5, ge=0, le=100, description="每个项目随机抽取的同环节外地企业负样本数")
    C: float = Field(default=1.0, gt=0, description="逻辑回归（L2）正则强度的倒数")
    membership_model: bool = Field(default=True, description="用环节成员模型推断潜在成员（企业数不超过上限时）")
    membership_max_firms: int = Field(default=50_000, ge=0, description="拟合环节成员模型的企业数上限")
    membership_min_firms: int = Field(default=1000, ge=1, description="拟合环节成员模型所需的最少有环节归属企业数")
    predicted_per_segment: int = Field(default=20, ge=0, le=1000, description="每个环节纳入的模型推断潜在成员数")
    region_cache: int = Field(default=16, ge=1, le=256, description="缓存的地区状态数")
    random_state: int = 0
    weights: tuple[tuple[str, float], ...] = Field(
        default=(), description="覆盖默认特征权重（特征名 → 权重，可给 dict）；空 = DEFAULT_WEIGHTS")
    max_k: int = Field(default=500, ge=1, description="一次推荐的最多条数（k 的上限）")

    @field_validator("weights", mode="before")
    @classmethod
    def _weight_pairs(cls, v: Any) -> Any:
        """A {feature: weight} mapping (as in Settings.targets) becomes sorted pairs (the config stays hashable)."""
        if isinstance(v, dict):
            v = tuple(sorted(v.items()))
        unknown = sorted({str(k) for k, _ in v} - set(FEATURES))
        if unknown:
            raise ValueError(f"未知的特征 {unknown}；可用：{', '.join(FEATURES)}")
        return v

    def default_weights(self) -> dict[str, float]:
        """The weights used when none are learned: DEFAULT_WEIGHTS with this config's overrides."""
        return {**DEFAULT_WEIGHTS, **dict(self.weights)}


@dataclass(frozen=True)
class Weights:
    """w, μ, σ per feature (FEATURES order) and where they came from."""

    w: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    source: Literal["learned", "default"]
    positives: int
    negatives: int
    projects: int
    note: str
    auc: float | None = None
    sign_check: Literal["not_learned", "consistent", "constrained", "fallback"] = "not_learned"
    inverted: tuple[str, ...] = ()  # features the unbounded fit turned against their documented sign
    unconstrained: dict[str, float] | None = None  # what the unbounded fit gave (for the answer's weights info)

    @classmethod
    def default(cls, *, positives: int, negatives: int, projects: int, note: str,
                weights: dict[str, float] | None = None, sign_check: str = "not_learned",
                inverted: tuple[str, ...] = (), unconstrained: dict[str, float] | None = None) -> "Weights":
        base = weights or DEFAULT_WEIGHTS
        return cls(np.asarray([base[f] for f in FEATURES]), np.zeros(len(FEATURES)),
                   np.ones(len(FEATURES)), "default", positives, negatives, projects, note,
                   sign_check=sign_check, inverted=inverted, unconstrained=unconstrained)  # type: ignore[arg-type]

    @property
    def scaled(self) -> np.ndarray:
        """w / σ: score = X @ scaled − offset."""
        return self.w / self.std

    @property
    def offset(self) -> float:
        return float(self.mean @ self.scaled)

    def as_dict(self) -> dict[str, float]:
        return {f: round(float(v), 4) for f, v in zip(FEATURES, self.w)}


def learn(X: np.ndarray, y: np.ndarray, *, projects: int, positives: int, config: TargetConfig) -> Weights:
    """Sign-constrained logistic regression on standardised features when there are enough positives; documented
    defaults else (see the module docstring)."""
    negatives = int((y == 0).sum())
    base = config.default_weights()
    if not config.learn_weights:
        return Weights.default(positives=positives, negatives=negatives, projects=projects, weights=base,
                               note="已关闭权重学习（learn_weights=false），使用默认权重")
    if positives < config.min_positives or negatives == 0:
        return Weights.default(
            positives=positives, negatives=negatives, projects=projects, weights=base,
            note=(f"已签约（含以后阶段）的外地投资项目 {positives} 个，少于学习所需的 {config.min_positives} 个，"
                  "使用默认权重" if positives < config.min_positives else "没有负样本，使用默认权重"))
    from sklearn.metrics import roc_auc_score

    policy = np.isin(np.asarray(FEATURES), POLICY_FEATURES)
    Z, mean, std, const = _standardise(X, policy)
    learned = ~policy
    signs = np.sign(np.asarray([DEFAULT_WEIGHTS[f] for f in FEATURES]))[learned]
    try:
        if not np.isfinite(Z).all():
            raise ValueError("特征中仍有非有限值")
        free, _ = fit_logistic(Z[:, learned], y, C=config.C)
        coef, _ = fit_logistic(Z[:, learned], y, C=config.C, signs=signs)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as e:
        log.warning("attractability weights could not be learned (%s); using the documented defaults", e)
        return Weights.default(positives=positives, negatives=negatives, projects=projects, weights=base,
                               note=f"无法从项目数据学习权重（{e}），使用默认权重")
    names = [f for f, m in zip(FEATURES, learned) if m]
    inverted = tuple(f for f, v, sg in zip(names, free, signs) if sg * v < -1e-3 and not const[F[f]])
    unconstrained = {f: round(float(v), 4) for f, v in zip(names, free)}
    labels = "、".join(f"{FEATURE_LABELS[f]} {unconstrained[f]:+.2f}" for f in inverted)
    if not (np.abs(coef) > 1e-6).any():
        log.warning("project history contradicts every documented sign (%s); using the documented defaults", labels)
        return Weights.default(positives=positives, negatives=negatives, projects=projects, weights=base,
                               sign_check="fallback", inverted=inverted, unconstrained=unconstrained,
                               note=f"项目数据与文档约定的权重方向相反（{labels}），按符号约束学习后无可用特征，改用默认权重")
    if inverted:
        log.warning("learned weights would invert the documented signs of %s; fitted with sign bounds", labels)
    w = np.asarray([base[f] for f in FEATURES], dtype=np.float64)
    w[learned] = coef
    w[const] = 0.0
    auc = float(roc_auc_score(y, Z[:, learned] @ w[learned]))
    signs_note = (f"；数据单独拟合会使 {labels} 与文档方向相反，已按文档符号约束（这些权重取 0）" if inverted
                  else "；各权重方向与文档一致")
    return Weights(w, mean, std, "learned", positives, negatives, projects,
                   f"权重由 {projects} 个外地投资项目（已签约及以后 {positives} 个为正样本）与抽样的同环节外地企业学习得到"
                   f"（逻辑回归 LogisticRegression，权重按文档符号约束，训练集 AUC {auc:.2f}）{signs_note}；"
                   "本地缺口、园区主导产业两项为政策偏好，保持默认权重", auc=auc,
                   sign_check="constrained" if inverted else "consistent", inverted=inverted,
                   unconstrained=unconstrained)


def _standardise(X: np.ndarray, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Z, μ, σ, constant columns) of the training rows: unknowns imputed with the column mean, policy features raw."""
    # infinite = unknown too; every feature is on a natural scale (indicators, shares, log counts), so anything
    # beyond ±1e6 is a data error, clipped so that no mean or variance overflows
    X = np.clip(np.where(np.isfinite(X), X, np.nan), -FEATURE_BOUND, FEATURE_BOUND)
    known = ~np.isnan(X)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Missing values (a firm with no location, a feature the data lacks) are imputed with the column's mean
        # over the known rows: standardised they are 0 and contribute nothing, exactly as unknowns do when scoring.
        n_known = known.sum(axis=0)
        mean = np.where(n_known > 0, np.nansum(X, axis=0) / np.maximum(n_known, 1), 0.0)
        X = np.where(known, X, mean)
        std = X.std(axis=0)
    const = ~(std >= 1e-9) & ~policy  # (also catches a NaN std)
    std = np.where(const, 1.0, std)
    mean[policy], std[policy] = 0.0, 1.0
    Z = (X - mean) / std
    Z[:, const] = 0.0
    return Z, mean, std, const
