"""How the membership recommender weighs its signals: the linear blend (Blend: standardised signals × weights),
the row-wise calibrated classifier behind `row_clf` (fit_row_model), the size interactions, and the conditional
logit that learns the blend weights from the inner hold-out (each segment's candidates, hidden members on top)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize


@dataclass
class Blend:
    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    learned: bool

    def score(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        z = None
        for j, n in enumerate(self.names):
            if self.weights[j] == 0.0 or n not in feats:
                continue
            term = (self.weights[j] / self.std[j]) * (feats[n] - self.mean[j])
            z = term if z is None else z + term
        if z is None:
            z = np.zeros_like(next(iter(feats.values())))
        return z

    def contributions(self, feats: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {n: (self.weights[j] / self.std[j]) * (feats[n] - self.mean[j])
                for j, n in enumerate(self.names) if n in feats and self.weights[j] != 0.0}



def fit_row_model(reps: list, l2: float) -> np.ndarray | None:
    """Row-wise calibration learned on the inner hold-out: θ maximising Σ log softmax_s(F[e, s]·θ)[true s] over the
    inner-hidden (firm, segment) pairs, F = Signals.row_features. Its log-probabilities are the `row_clf` signal:
    segments scored on one scale, whatever their size."""
    Fl, invl, tl, off = [], [], [], 0
    for sig, hidden in reps:
        pairs = [(e, s) for s, es in hidden.items() for e in es]
        firms, inv = np.unique(np.array([e for e, _ in pairs], dtype=np.int64), return_inverse=True)
        Fl.append(sig.row_features(firms))  # firms × segments × k
        invl.append(inv + off)
        tl.append(np.array([s for _, s in pairs], dtype=np.int64))
        off += len(firms)
    if sum(len(t) for t in tl) < 10:
        return None
    F, inv, target = np.concatenate(Fl), np.concatenate(invl), np.concatenate(tl)
    k = F.shape[2]
    mu = F.reshape(-1, k).mean(axis=0)
    sd = F.reshape(-1, k).std(axis=0)
    sd[sd < 1e-9] = 1.0
    Fs = (F - mu) / sd
    Fp = Fs[inv, target]  # pairs × k
    cnt = np.bincount(inv, minlength=off).astype(float)  # inner-hidden segments per firm
    n = len(target)

    def f(th):
        z = Fs @ th  # firms × segments
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        den = e.sum(axis=1, keepdims=True)
        lse = (zmax + np.log(den)).ravel()
        P = e / den
        ll = (Fp @ th).sum() - cnt @ lse
        grad = Fp.sum(axis=0) - np.einsum("fsk,fs->k", Fs, P * cnt[:, None])
        return -ll / n + l2 * th @ th, -grad / n + 2 * l2 * th

    res = minimize(f, np.zeros(k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x / sd  # on the raw features (the centring is a per-row constant, gone in the softmax)


SIZE_INTERACTED = ("text_clf", "row_clf", "centroid", "segment_text", "firm_prior", "placement")


def size_interactions(feats: dict[str, np.ndarray], log_size: np.ndarray) -> dict[str, np.ndarray]:
    """signal × log(1 + segment size): lets the blend weigh a signal differently in small and large segments."""
    return {f"{n}*size": feats[n] * log_size[None, :] for n in SIZE_INTERACTED if n in feats}


def fit_conditional_logit(F: np.ndarray, W: np.ndarray, Y: np.ndarray, G: np.ndarray,
                           l2: float) -> np.ndarray:
    """Weights w maximising the mean over positives of log(e^{z_pos} / Σ_candidates ω e^{z}) − l2‖w‖², z = F·w.

    One group per inner segment; ω are the sampling weights of the candidates (1 for positives and hard
    negatives, pool/sample for the random ones), so the denominator estimates the sum over all candidates.
    """
    order = np.argsort(G, kind="stable")
    F, W, Y, G = F[order], W[order], Y[order], G[order]
    _, gidx = np.unique(G, return_inverse=True)
    n = len(G)
    starts = np.flatnonzero(np.r_[True, gidx[1:] != gidx[:-1]])
    groups = sp.csr_matrix((np.ones(n), (gidx, np.arange(n))))
    n_pos = np.asarray(groups @ Y).ravel()
    pos_sum = F.T @ Y
    logW = np.log(W)
    total = max(float(n_pos.sum()), 1.0)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        fw = F @ w
        z = fw + logW
        zmax = np.maximum.reduceat(z, starts)  # per group, for a stable log-sum-exp
        e = np.exp(z - zmax[gidx])
        den = np.asarray(groups @ e).ravel()
        ll = fw @ Y - n_pos @ (zmax + np.log(den))
        p = e * (n_pos / den)[gidx]  # each candidate's share, times its group's positives
        grad = pos_sum - F.T @ p
        return -ll / total + l2 * (w @ w), -grad / total + 2 * l2 * w

    res = minimize(f, np.zeros(F.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


