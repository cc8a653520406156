"""土地超市 answers the API gives: one function per endpoint, taking the snapshot and plain values.

Each resolves what the request names (projects and parcels by key; chains, parks and regions through the one
resolver, so 集成电路 = ic and a typo is refused with a suggestion), picks the candidates and calls the matcher. The
router only passes the request and the configured defaults (weights, score constants) in.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graph.schema import Label, Project
from graph.snapshot import Snapshot
from graph.validation import Loc, Problem, ValidationFailed, validate
from kernel.errors import Invalid, NotFound
from land.assignment import assign
from land.data import LandData, land_data
from land.names import resolve_key, resolve_project_names
from land.ranking import Ranking, rank_parcels, rank_projects
from land.rules import LANDED_STAGES
from land.scoring import DEFAULT_SCALES, LandWeights, ScoreScales
from land.storefront import parcel_target_chains


def parcel_index(data: LandData, key: str) -> int:
    j = data.parcels.pos(key)
    if j < 0:
        raise NotFound(f"地块 {key!r} 不存在")
    return j


def inline_project(snap: Snapshot, raw: dict[str, Any]) -> Project:
    """A project given in the request body (key/name optional), its names resolved to keys, validated."""
    body = {"key": "inline", "name": "临时项目", **resolve_project_names(snap, raw, prefix="project_data")}
    obj, problems = validate(Label.Project, body, Loc("project_data"))
    if problems or obj is None:
        raise ValidationFailed(problems)
    return obj  # type: ignore[return-value]


def _ranking_body(r: Any, subject: str, weights: LandWeights) -> dict[str, Any]:
    return {subject: r.subject, "feasible": r.feasible, "infeasible": r.infeasible, "to_verify": r.to_verify,
            "counts": r.counts, "weights": weights}


def match_project(snap: Snapshot, *, project: str | None, project_data: dict[str, Any] | None, park: str | None,
                  region: str | None, limit: int, infeasible_limit: int, include_transferred: bool,
                  weights: LandWeights, scales: ScoreScales = DEFAULT_SCALES) -> dict[str, Any]:
    """POST /land/match: a stored or inline project → parcels (only the park's / the region's when given)."""
    r = match_ranking(snap, project=project, project_data=project_data, park=park, region=region, limit=limit,
                      infeasible_limit=infeasible_limit, include_transferred=include_transferred, weights=weights,
                      scales=scales)
    return _ranking_body(r, "project", weights)


def match_ranking(snap: Snapshot, *, project: str | None, project_data: dict[str, Any] | None, park: str | None,
                  region: str | None, limit: int, infeasible_limit: int, include_transferred: bool,
                  weights: LandWeights, scales: ScoreScales = DEFAULT_SCALES) -> Ranking:
    """项目找地 as a Ranking (the API's answer and the 项目找地 page both come from it)."""
    data = land_data(snap)
    if project is not None:
        i = data.projects.pos(project)
        if i < 0:
            raise NotFound(f"项目 {project!r} 不存在")
        view = data
    else:
        view, i = data.with_project(inline_project(snap, project_data or {}))
    Q, ctx = data.parcels, data.ctx
    candidates = None
    if park or region:
        mask = np.ones(len(Q), dtype=bool)
        if park:
            mask &= Q.park == ctx.parks.code(resolve_key(snap, "park", park, field="park"))
        if region:
            code = ctx.regions.code(resolve_key(snap, "region", region, field="region"))
            mask &= ctx.within(Q.region, np.full(len(Q), code))
        candidates = np.nonzero(mask)[0]
    return rank_parcels(view, i, weights=weights, parcels=candidates, limit=limit, infeasible_limit=infeasible_limit,
                        include_transferred=include_transferred, scales=scales)


def parcel_projects(snap: Snapshot, key: str, *, limit: int, infeasible_limit: int, include_landed: bool,
                    weights: LandWeights, scales: ScoreScales = DEFAULT_SCALES) -> dict[str, Any]:
    """GET /parcels/{key}/projects: 地等项目."""
    data = land_data(snap)
    r = rank_projects(data, parcel_index(data, key), weights=weights, limit=limit, infeasible_limit=infeasible_limit,
                      include_landed=include_landed, scales=scales)
    return _ranking_body(r, "parcel", weights)


def parcel_enterprises(snap: Snapshot, key: str, recommender: Any, *, limit: int) -> dict[str, Any]:
    """GET /parcels/{key}/enterprises: the recommender asked for the parcel's chains and region."""
    data = land_data(snap)
    j = parcel_index(data, key)
    chains = parcel_target_chains(data, j)
    region_code = int(data.parcels.region[j])
    region = str(data.ctx.regions.keys[region_code]) if region_code >= 0 else None
    items = recommender.recommend_for_parcel(snap, parcel=key, chains=chains, region=region, limit=limit)
    return {"parcel": key, "chains": chains, "region": region, "items": items}


def assign_batch(snap: Snapshot, *, projects: list[str] | None, parcels: list[str] | None, park: str | None,
                 weights: LandWeights, explain: bool, include_pairs: bool,
                 scales: ScoreScales = DEFAULT_SCALES) -> dict[str, Any]:
    """POST /land/assign: the given projects (default: every one not yet landed) × the given parcels (default:
    all, or the park's) → the optimal one-to-one assignment. Every unknown key or name is reported at once."""
    data = land_data(snap)
    P, Q = data.projects, data.parcels
    problems: list[Problem] = []
    if projects is not None:
        pi = np.asarray([P.pos(k) for k in projects], dtype=np.int64)
        problems += [Problem(None, None, "projects", f"未知项目 {k!r}") for k, i in zip(projects, pi) if i < 0]
    else:
        pi = np.nonzero(~np.isin(P.stage, LANDED_STAGES))[0]
    if parcels is not None:
        qi = np.asarray([Q.pos(k) for k in parcels], dtype=np.int64)
        problems += [Problem(None, None, "parcels", f"未知地块 {k!r}") for k, j in zip(parcels, qi) if j < 0]
    else:
        qi = np.arange(len(Q))
    if park:
        try:
            code = data.ctx.parks.code(resolve_key(snap, "park", park, field="park"))
        except Invalid as e:  # an unknown park is one more problem of the request, reported with the others
            problems.append(Problem(None, None, "park", e.message))
            code = -1
        qi = qi[Q.park[qi] == code]
    if problems:
        raise ValidationFailed(problems)
    result = assign(data, projects=pi, parcels=qi, weights=weights, scales=scales)
    return {**result.as_dict(explain=explain, include_pairs=include_pairs), "weights": weights}
