"""招商项目库 queries over the analytic snapshot: the chain and park names users type resolved to keys, which
projects a board or list shows (park, 责任人), the landed projects (the target recommender's positives), and projects and parcels as flat records for 落地评价.

Reads the snapshot only. The snapshot keeps every project field except the free-text logs (stage_history,
tracking_log), so filters run on its columns and only the projects they select are fetched with their logs.
"""
from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from graph.schema import MODELS, Label
from graph.snapshot import Snapshot
from kernel.resolve import resolver
from pipeline.rules import SIGNED, STAGE_INDEX


def _text_column(snap: Snapshot, label: str, name: str) -> np.ndarray:
    """A categorical column as text per row ("" where unset)."""
    n = snap.n(label)
    la = snap.labels[label]
    if name not in la.cat:
        return np.full(n, "", dtype=str)
    codes, vocab = la.cat[name]
    padded = np.concatenate([vocab.astype(str), np.asarray([""])])
    return padded[codes]  # code -1 reads the pad


def project_keys(snap: Snapshot, *, park: str | None = None, owner: str | None = None) -> list[str]:
    """The keys of the projects of one park and/or one 责任人 (every project when neither is given), in key
    order. `park` is a park key (names are resolved before)."""
    if not snap.n("Project"):
        return []
    keep = np.ones(snap.n("Project"), dtype=bool)
    for fld, want in (("park", park), ("owner", owner)):
        if want:
            keep &= _text_column(snap, "Project", fld) == want
    return snap.keys("Project")[keep].tolist()


def park_key(snap: Snapshot, park: str | None) -> str | None:
    """A park as typed (key, name or 简称: 智造新城 = quzhou_zhizao) → its key; None when not given. Unknown →
    kernel UnknownName (404 with suggestions), several → AmbiguousName (422)."""
    if not (park or "").strip():
        return None
    r = resolver(snap)
    return r.key("Park", r.park(park))


def named_refs(snap: Snapshot, data: dict[str, Any]) -> dict[str, Any]:
    """A project's chain and park given by key, name or 简称 (集成电路 = ic) → their keys, as the map takes them."""
    r = resolver(snap)
    out = dict(data)
    if out.get("chain"):
        out["chain"] = r.key("IndustryChain", r.chain(out["chain"]))
    if out.get("park"):
        out["park"] = r.key("Park", r.park(out["park"]))
    return out


def _is_int(label: str, name: str) -> bool:
    ann = MODELS[Label(label)].model_fields[name].annotation
    return int in typing.get_args(ann) or ann is int


def snapshot_record(snap: Snapshot, label: str, i: int, fields: Sequence[str]) -> dict[str, Any]:
    """Row i of `label` as a record of `fields` (key and name included; absent values left out), with numbers
    typed as the schema declares them (jobs 60, not 60.0)."""
    la = snap.labels[label]
    out: dict[str, Any] = {"key": str(la.keys[i]), "name": str(la.names[i]) or None}
    for f in fields:
        if f in la.num:
            v = float(la.num[f][i])
            if v == v:
                out[f] = int(v) if _is_int(label, f) else v
        elif f in la.cat:
            codes, vocab = la.cat[f]
            if codes[i] >= 0:
                out[f] = str(vocab[codes[i]])
    return out


# ============================================================================================== landed projects
@dataclass(frozen=True)
class LandedProjects:
    """Projects at 签约 or later in the analytic snapshot — the recommender's positives.

    `index` are row indices into snapshot label "Project"; `stage` the stage text; `signed_on` / `stage_on` ISO
    dates ("" when unknown). `investor`, `chain`, `segment`, `park` are keys ("" when unknown)."""

    index: np.ndarray
    keys: np.ndarray
    stage: np.ndarray
    signed_on: np.ndarray
    stage_on: np.ndarray
    investor: np.ndarray
    chain: np.ndarray
    segment: np.ndarray
    park: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def signed_before(self, date: str | dt.date) -> np.ndarray:
        """Boolean mask: signed strictly before the date (a time-based hold-out)."""
        d = date.isoformat() if isinstance(date, dt.date) else str(date)
        return (self.signed_on != "") & (self.signed_on < d)


def landed_projects(snap: Snapshot) -> LandedProjects:
    """Projects whose stage is 签约 or later, read from the snapshot (stage is a categorical column; dates are
    ISO text, so they compare as time)."""
    if snap.n("Project") == 0:
        empty = np.asarray([], dtype=str)
        return LandedProjects(np.zeros(0, np.int64), *(empty,) * 8)

    def col(name: str) -> np.ndarray:
        return _text_column(snap, "Project", name)

    stage = col("stage")
    rank = np.asarray([STAGE_INDEX.get(s, -1) for s in stage.tolist()], dtype=np.int64)
    idx = np.flatnonzero(rank >= SIGNED)
    return LandedProjects(idx, snap.keys("Project")[idx], stage[idx], col("signed_on")[idx], col("stage_on")[idx],
                          col("investor")[idx], col("chain")[idx], col("segment")[idx], col("park")[idx])
