"""Target-enterprise recommendation endpoints (招商目标推荐). Thin: call targets on the snapshot, map
its TargetError (the parameter at fault, 404 unknown / 422 ambiguous or inconsistent) becomes problem+json in
api/errors.py.

  GET /recommendations/targets?region=&chain=&segment=&k=        region × chain[/segment] → firms outside it
  GET /recommendations/targets.xlsx?…                             the same list as an Excel workbook
  GET /enterprises/{id}/similar?k=&region=                        firm → similar firms
  GET /leaders/{id}/targets?region=&k=                            链主 → its suppliers/customers not yet here
  GET /funds/{id}/targets?region=&k=                              fund → portfolio firms fitting local gaps/parks
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from kernel.cache import ResponseCache
from api.deps import SnapshotDep, StateDep
from targets.xlsx import target_xlsx_bytes
from kernel.downloads import XLSX, attachment
from targets import (
    MAX_K, SimilarList, TargetConfig, TargetList, rank_fund_targets, rank_leader_targets, rank_targets, similar_enterprises,
)

router = APIRouter(tags=["招商目标推荐"])
# Answers depend on the snapshot and the parameters only: a repeated query between writes is served from here.
CACHE = ResponseCache("targets.responses", maxsize=512)

RegionQ = Annotated[str, Query(min_length=1, max_length=128,
                               description="行政区：GB/T 2260 代码或名称（如 330800 / 衢州），含下级；园区按其所在行政区")]
OptRegionQ = Annotated[str | None, Query(min_length=1, max_length=128, description="行政区（代码或名称）")]
ChainQ = Annotated[str | None, Query(min_length=1, max_length=128, description="产业链 key、名称或别名（如 ic / 集成电路）")]
SegmentQ = Annotated[str | None, Query(min_length=1, max_length=128,
                                       description="环节 key 或名称；不填时按本地产业链诊断取补链/强链/延链环节")]
KQ = Annotated[int, Query(ge=1, le=MAX_K, description=f"返回条数（1–{MAX_K}；设置 targets.max_k 可调低上限）")]
IdPath = Annotated[str, Path(min_length=1, max_length=128)]


def target_config(state: StateDep) -> TargetConfig:
    """The recommender's parameters from Settings.targets."""
    return TargetConfig(**state.settings.targets.model_dump())


ConfigDep = Annotated[TargetConfig, Depends(target_config)]
ERRORS = {404: {"description": "参数所指的地区/产业链/环节/企业/基金不存在（errors[].field 指明参数）"},
          422: {"description": "参数无效、不唯一或不一致（如环节不属于该产业链）"}}


@router.get("/recommendations/targets", response_model=TargetList, response_model_by_alias=True,
            summary="招商目标推荐：地区 × 产业链（× 环节）→ 外地企业，含得分与理由", responses=ERRORS)
def targets(snap: SnapshotDep, config: ConfigDep, region: RegionQ, chain: ChainQ = None, segment: SegmentQ = None,
            k: KQ = 20) -> Any:
    return CACHE.json(snap, ("targets", region, chain, segment, k, config),
                      lambda: rank_targets(snap, region=region, chain=chain, segment=segment, k=k, config=config))


@router.get("/recommendations/targets.xlsx", summary="招商目标清单（Excel）",
            responses={200: {"content": {XLSX: {}}, "description": "XLSX 文件"}, **ERRORS})
def targets_xlsx(snap: SnapshotDep, config: ConfigDep, region: RegionQ, chain: ChainQ = None, segment: SegmentQ = None,
                 k: KQ = 50) -> Any:
    out = rank_targets(snap, region=region, chain=chain, segment=segment, k=k, config=config)
    what = out.segments[0].key if segment is not None and out.segments else (out.chain.key if out.chain else "targets")
    name = f"招商目标-{out.region.name}-{what}.xlsx"
    return Response(target_xlsx_bytes(out), media_type=XLSX,
                    headers=attachment(name))


@router.get("/enterprises/{id}/similar", response_model=SimilarList, summary="相似企业（环节、产品、供需伙伴、规模、资质）",
            responses=ERRORS)
def similar(snap: SnapshotDep, config: ConfigDep, id: IdPath, k: KQ = 20,
            region: Annotated[str | None, Query(min_length=1, max_length=128,
                                                description="给定时排除已在该地区（含下级）的企业")] = None) -> Any:
    return CACHE.json(snap, ("similar", id, k, region, config),
                      lambda: similar_enterprises(snap, enterprise=id, k=k, region=region, config=config))


@router.get("/leaders/{id}/targets", response_model=TargetList, response_model_by_alias=True,
            summary="以商引商：链主的供应商、客户（含二级供应商）中尚未在本地的企业", responses=ERRORS)
def leader_targets(snap: SnapshotDep, config: ConfigDep, id: IdPath, region: OptRegionQ = None, k: KQ = 20) -> Any:
    return CACHE.json(snap, ("leader", id, region, k, config),
                      lambda: rank_leader_targets(snap, leader=id, region=region, k=k, config=config))


@router.get("/funds/{id}/targets", response_model=TargetList, response_model_by_alias=True,
            summary="以投促引：基金组合中契合本地缺口与园区主导产业的外地企业", responses=ERRORS)
def fund_targets(snap: SnapshotDep, config: ConfigDep, id: IdPath, region: RegionQ, k: KQ = 20) -> Any:
    return CACHE.json(snap, ("fund", id, region, k, config),
                      lambda: rank_fund_targets(snap, fund=id, region=region, k=k, config=config))
