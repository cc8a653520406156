"""土地超市 storefront: the parcel listing behind /pages/land, and the "parcel → candidate enterprises" extension
point the target recommender implements."""
from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import numpy as np

from graph.snapshot import Snapshot
from land.data import LandData
from kernel.errors import Invalid
from land.names import resolve_key
from land.rules import now_seconds, per_mu_short


def list_parcels(data: LandData, *, chain: str | None = None, area_min: float | None = None,
                 area_max: float | None = None, invest_wan: float | None = None, park: str | None = None,
                 standard_only: bool = False, status: str = "available", now: dt.datetime | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[np.ndarray, int]:
    """The 土地超市 listing: parcel indices passing the filters (sorted by park, then key) and their count.

    chain: parcels whose 产业准入 admits it; invest_wan (投资规模): parcels whose 投资强度 requirement an
    investment of that size meets (投资 ≥ 要求 × 面积, exactly as the invest rule); status: available (incl.
    expired reservations) / reserved / transferred / all."""
    Q, ctx = data.parcels, data.ctx
    now_s = now_seconds(now)
    m = np.ones(len(Q), dtype=bool)
    if status == "available":
        m &= Q.available(now_s)
    elif status == "reserved":
        m &= (Q.status == 1) & ~Q.available(now_s)
    elif status == "transferred":
        m &= Q.status == 2
    if chain:
        c = ctx.chains.code(chain)
        m &= Q.chain_any | (Q.chain_allowed[:, c] if c >= 0 else False)
    if area_min is not None:
        m &= Q.area >= area_min
    if area_max is not None:
        m &= Q.area <= area_max
    if invest_wan is not None:
        m &= ~per_mu_short(invest_wan, Q.req_invest, Q.area)
    if park:
        m &= Q.park == ctx.parks.code(park)
    if standard_only:
        m &= Q.ready_std
    idx = np.nonzero(m)[0]
    names = ctx.park_names[Q.park[idx]]
    idx = idx[np.lexsort((Q.keys[idx], names))]
    return idx[offset:offset + limit], int(len(idx))


# ------------------------------------------------------------------------------------------------ extension point
class EnterpriseRecommender(Protocol):
    """Extension point for "parcel → candidate enterprises" (招商目标企业). GET /parcels/{key}/enterprises asks
    the target recommender (targets.TargetRecommender, which implements this); setting
    `app.state.land_enterprise_recommender` to another implementation replaces it.

    `chains` are the chain keys the parcel admits (产业准入) or, when unrestricted, its park's leading chains;
    `region` is the parcel's region key. The recommender returns ranked firms as dicts with at least
    {"enterprise", "name", "score", "reasons"}; the land matcher does not re-rank them."""

    def recommend_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                             limit: int) -> list[dict[str, Any]]: ...


def parcel_target_chains(data: LandData, parcel: int) -> list[str]:
    """The chains a recommender should look in for a parcel: its 产业准入, else its park's leading chains."""
    Q, ctx = data.parcels, data.ctx
    if not Q.chain_any[parcel]:
        codes = np.nonzero(Q.chain_allowed[parcel, :-1])[0]
    else:
        codes = np.nonzero(ctx.park_leads[Q.park[parcel], :-1])[0]
    return [str(ctx.chains.keys[c]) for c in codes]


def filter_keys(snap: Snapshot, chain: str | None, park: str | None, errors: list[str]) -> tuple[str | None, str | None]:
    """The storefront's chain and park filters as keys (names and aliases resolved); an unknown one is added to
    `errors` with the resolver's suggestion and kept as typed (it then matches nothing it should not)."""
    out = []
    for kind, text in (("chain", chain), ("park", park)):
        if not text:
            out.append(None)
            continue
        try:
            out.append(resolve_key(snap, kind, text, field=kind))
        except Invalid as e:
            errors.append(e.message)
            out.append(text)
    return out[0], out[1]
