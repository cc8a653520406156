"""The 企业尽调 page of the workbench: GET /pages/enterprises/{key} — the firm's dossier in the one shell (its graph on
screen, print CSS for paper), reached from the 工作台's firm search and every firm link. Thin: dossier/service.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import PageCtxDep, SnapshotDep, StateDep, StoreDep
from dossier import commands, service
from dossier.html import served
from kernel.pages import subscribe_button
from kernel.regions import region_or_home

router = APIRouter(prefix="/pages", tags=["页面"])
KeyPath = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("/enterprises/{key}", response_class=HTMLResponse,
            summary="企业尽调：登记信息、扩张指数与外迁预警、环节、上下游与链主、基金、项目、可享政策（可打印）")
def enterprise_page(snap: SnapshotDep, store: StoreDep, state: StateDep, ctx: PageCtxDep, key: KeyPath,
                    region: Annotated[str | None, Query(max_length=128,
                                                        description="招商地区（默认：本地，alerts.home_region）")] = None,
                    as_of: Annotated[dt.date | None, Query(description="数据截至日期（默认今天）")] = None,
                    max_nodes: Annotated[int, Query(ge=10, le=2000)] = 2000) -> HTMLResponse:
    region = region_or_home(snap, region, state.settings.alerts.home_region)  # as the chain pages (kernel.regions)
    firm = service.firm_key(snap, key)
    parts = service.page_parts(snap, firm, partial(commands.registration_record, store),
                               region=region, as_of=as_of, max_nodes=max_nodes,
                               target_settings=state.settings.targets.model_dump(),
                               stages_of=partial(commands.stage_histories, store))
    query = urlencode({k: v for k, v in (("region", region), ("as_of", as_of and as_of.isoformat())) if v})
    back = f"/pages/enterprises/{quote(firm)}" + (f"?{query}" if query else "")
    button = subscribe_button(ctx, "firm", firm, back)
    return served(replace(parts, header=parts.header + button) if button else parts, ctx)
