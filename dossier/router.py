"""企业尽调 API (under /api/v1). Thin: resolve the firm, call one service function, return.

  GET /enterprises/{key}/dossier?region=&as_of=        the dossier as JSON (signals with evidence, every section)
  GET /enterprises/{key}/dossier.xlsx?region=&as_of=   the same as an Excel workbook
  GET /enterprises/{key}/dossier.pdf?region=&as_of=    the printable page as PDF (headless Chromium; 503 without it or when busy)
"""
from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import SnapshotDep, StateDep, StoreDep
from dossier import commands, service
from kernel.downloads import XLSX, attachment

router = APIRouter(tags=["企业尽调"])
KeyPath = Annotated[str, Path(min_length=1, max_length=128, description="企业 key、名称或统一社会信用代码")]
RegionQ = Annotated[str | None, Query(min_length=1, max_length=128,
                                      description="招商地区（行政区代码或名称）：决定“本地”链主/基金与外迁预警的适用范围；"
                                                  "不填 = 本地（alerts.home_region）")]
AsOfQ = Annotated[dt.date | None, Query(description="数据截至日期（YYYY-MM-DD，默认今天，北京时间）")]
ERRORS = {404: {"description": "企业或地区不存在"}, 422: {"description": "名称不唯一或参数无效"}}


@router.get("/enterprises/{key}/dossier", summary="企业尽调：登记信息、环节、上下游、基金、项目、政策与扩张/外迁信号",
            responses=ERRORS)
def dossier_json(snap: SnapshotDep, store: StoreDep, state: StateDep, key: KeyPath, region: RegionQ = None,
                 as_of: AsOfQ = None) -> dict[str, Any]:
    return service.dossier_json(snap, key, partial(commands.registration_record, store), region=region,
                                home=state.settings.alerts.home_region, as_of=as_of,
                                stages_of=partial(commands.stage_histories, store))


@router.get("/enterprises/{key}/dossier.xlsx", summary="企业尽调报告（Excel）",
            responses={200: {"content": {XLSX: {}}, "description": "XLSX 文件"}, **ERRORS})
def dossier_xlsx(snap: SnapshotDep, store: StoreDep, state: StateDep, key: KeyPath, region: RegionQ = None,
                 as_of: AsOfQ = None) -> Response:
    data, name = service.dossier_xlsx(snap, key, partial(commands.registration_record, store), region=region,
                                      home=state.settings.alerts.home_region, as_of=as_of,
                                      stages_of=partial(commands.stage_histories, store))
    return Response(data, media_type=XLSX, headers=attachment(name))


@router.get("/enterprises/{key}/dossier.pdf", summary="企业尽调报告（PDF，无浏览器时 503）",
            responses={200: {"content": {"application/pdf": {}}, "description": "PDF 文件"},
                       503: {"description": "服务器未安装 Chromium，无法生成 PDF；或同时渲染的浏览器已满（忙，请稍后再试，见 Retry-After）"},
                       **ERRORS})
def dossier_pdf(snap: SnapshotDep, store: StoreDep, state: StateDep, key: KeyPath, region: RegionQ = None,
                as_of: AsOfQ = None) -> Response:
    data, name = service.dossier_pdf(snap, key, partial(commands.registration_record, store), region=region,
                                     home=state.settings.alerts.home_region, as_of=as_of,
                                     target_settings=state.settings.targets.model_dump(),
                                     timeout=state.settings.render.png_timeout_s,
                                     concurrency=state.settings.render.chromium_concurrency,
                                     stages_of=partial(commands.stage_histories, store))
    return Response(data, media_type="application/pdf", headers=attachment(name))
