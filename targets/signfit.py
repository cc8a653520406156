"""Logistic regression whose weights keep the signs ChainMatch documents (招商目标 weights learned from projects).

The attractability model's features are chosen so that more of each makes a firm a better target: a tie to a
local 链主, a local fund's investment, proximity … (targets/model.py, FEATURE_SPECS). A plain logistic regression
on a city's few dozen past projects happily turns some of them around — on the seed data it learned distance
against the firm and a local fund's own investment as a minus — which an officer cannot defend in a meeting
("farther is better", "our fund invested, so less likely"). Here the same model is fitted with each weight kept on
its documented side: scipy's L-BFGS-B minimises the L2-penalised, class-balanced logistic loss (the objective of
scikit-learn's LogisticRegression, which itself cannot take bounds) with a bound per weight — [0, ∞) for a feature
whose documented weight is positive, (−∞, 0] for a negative one, free for a zero one; the intercept is free.

`fit_logistic` returns the weights and intercept; model.learn fits once without and once with the bounds, so the
answer can say which features the data would have inverted.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights n / (2 · n_class): both classes count the same (class_weight="balanced")."""
    n = len(y)
    pos = max(int((y == 1).sum()), 1)
    neg = max(int((y == 0).sum()), 1)
    return np.where(y == 1, n / (2.0 * pos), n / (2.0 * neg))


def sign_bounds(signs: np.ndarray) -> list[tuple[float | None, float | None]]:
    """L-BFGS-B bounds from documented signs (+1 → w ≥ 0, −1 → w ≤ 0, 0 → free)."""
    return [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs.tolist()]


def fit_logistic(Z: np.ndarray, y: np.ndarray, *, C: float, signs: np.ndarray | None = None,
                 max_iter: int = 2000) -> tuple[np.ndarray, float]:
    """(weights, intercept) minimising ½‖w‖² + C · Σ_i s_i · logloss_i (s: balanced class weights); with `signs`
    each weight stays on its documented side. Raises ValueError when the optimiser does not give finite values."""
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = Z.shape
    sw = balanced_weights(y)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = Z @ w + b
        # log(1 + e^z) − y·z, computed without overflow
        ll = np.logaddexp(0.0, z) - y * z
        r = sw * (expit(z) - y)
        f = 0.5 * float(w @ w) + C * float(sw @ ll)
        g = np.empty(d + 1)
        g[:d] = w + C * (Z.T @ r)
        g[d] = C * float(r.sum())
        return f, g

    bounds = (sign_bounds(signs) if signs is not None else [(None, None)] * d) + [(None, None)]
    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": max_iter})
    theta = res.x
    if not np.isfinite(theta).all():
        raise ValueError("拟合得到非有限权重")
    return theta[:d].copy(), float(theta[d])
