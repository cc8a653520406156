"""Chain analysis endpoints (产业链诊断): per-region summary of every chain, a chain's map, its gaps and moves,
and the local firms of one segment. Thin: resolve names, call the chains package; its errors become 404/422 in the one handler.

The list/get of chains themselves are in routers/nodes.py (/chains, /chains/{key}); these add sub-resources.
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import SnapshotDep, StateDep
from chains import (
    AnalysisConfig, ChainIndex, ChainMap, ChainSummary, FirmBrief, Move, ScopeOut, SegmentStat,
    analyse_chain, resolve_chain, resolve_scope, segment_firms, summarise_chains,
)

router = APIRouter(tags=["产业链诊断"])

RegionQuery = Annotated[str, Query(min_length=1, max_length=128,
                                   description="行政区（GB/T 2260 代码或名称，如 330800 / 衢州，含下级）或园区（key 或名称）")]
ChainPath = Annotated[str, Path(min_length=1, max_length=128, description="产业链 key、名称或别名（如 ic / 集成电路）")]


def analysis_config(
    state: StateDep,
    strong_lq: Annotated[float | None, Query(gt=0, description="优势：区位熵下限（默认 1.25）")] = None,
    strong_min_count: Annotated[int | None, Query(ge=1, le=1_000_000, description="优势：本地企业数下限（默认 3）")] = None,
    gap_max_count: Annotated[int | None, Query(ge=0, le=1_000_000, description="空白：本地企业数不超过（默认 0）")] = None,
    leader_strong: Annotated[bool | None, Query(description="本地链主且区位熵 ≥ 1 的环节算优势（默认是）")] = None,
    main_path_min_share: Annotated[float | None, Query(ge=0, le=1, description="主干环节路径占比下限（默认 0.2）")] = None,
    lq_basis: Annotated[Literal["strength", "count"] | None, Query(description="区位熵口径：规模加权强度或企业数")] = None,
) -> AnalysisConfig:
    """Thresholds from the query string; unset = Settings.analysis (whose defaults are the documented ones)."""
    given = {k: v for k, v in locals().items() if v is not None and k != "state"}
    return AnalysisConfig(**{**state.settings.analysis.model_dump(), **given})


ConfigDep = Annotated[AnalysisConfig, Depends(analysis_config)]


class ChainMapsOut(BaseModel):
    scope: ScopeOut
    config: AnalysisConfig
    chains: list[ChainSummary]


class GapsOut(BaseModel):
    chain: dict[str, str]
    scope: ScopeOut
    config: AnalysisConfig
    gaps: list[SegmentStat] = Field(description="本链空白环节")
    weak: list[SegmentStat] = Field(description="本链薄弱环节")
    fill: list[Move] = Field(description="补链：主干路径上的空白环节")
    strengthen: list[Move] = Field(description="强链：与优势环节相邻的薄弱环节")
    extend: list[Move] = Field(description="延链：本地优势环节的上下游（含跨产业链）")
    notes: list[str]


class FirmPage(BaseModel):
    segment: str
    scope: ScopeOut
    items: list[FirmBrief]
    total: int
    limit: int
    offset: int


@router.get("/chain-maps", response_model=ChainMapsOut, summary="地区各产业链概况（优势/薄弱/空白环节数）",
            responses={404: {"description": "地区或园区不存在"}, 422: {}})
def chain_maps(snap: SnapshotDep, region: RegionQuery, config: ConfigDep) -> ChainMapsOut:
    scope, rows = summarise_chains(snap, region=region, config=config)
    return ChainMapsOut(scope=scope, config=config, chains=rows)


@router.get("/chains/{chain}/map", response_model=ChainMap, response_model_by_alias=True,
            summary="产业链图谱：各环节本地强度、区位熵、分类与招商方向", responses={404: {}, 422: {}})
def chain_map(snap: SnapshotDep, chain: ChainPath, region: RegionQuery, config: ConfigDep) -> ChainMap:
    return analyse_chain(snap, chain=chain, region=region, config=config)


@router.get("/chains/{chain}/gaps", response_model=GapsOut, response_model_by_alias=True,
            summary="产业链缺口诊断：空白/薄弱环节与补链、强链、延链建议", responses={404: {}, 422: {}})
def chain_gaps(snap: SnapshotDep, chain: ChainPath, region: RegionQuery, config: ConfigDep) -> GapsOut:
    cm = analyse_chain(snap, chain=chain, region=region, config=config)
    return GapsOut(chain={"key": cm.chain.key, "name": cm.chain.name}, scope=cm.scope, config=cm.config,
                   gaps=[s for s in cm.segments if s.klass == "空白"], weak=[s for s in cm.segments if s.klass == "薄弱"],
                   fill=cm.moves_of("补链"), strengthen=cm.moves_of("强链"), extend=cm.moves_of("延链"), notes=cm.notes)


@router.get("/chains/{chain}/segments/{segment}/firms", response_model=FirmPage,
            summary="环节的本地企业（链主优先，按规模加权强度排序）", responses={404: {}, 422: {}})
def chain_segment_firms(
    snap: SnapshotDep,
    chain: ChainPath,
    segment: Annotated[str, Path(min_length=1, max_length=128, description="环节 key")],
    region: RegionQuery,
    config: ConfigDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FirmPage:
    resolve_chain(snap, chain)
    scope = resolve_scope(snap, region)
    items, total = segment_firms(snap, scope=scope, segment=segment, chain=chain, config=config, limit=limit,
                                 offset=offset)
    return FirmPage(segment=segment, scope=scope.out(ChainIndex.of(snap)), items=items, total=total, limit=limit,
                    offset=offset)
