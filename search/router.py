"""GET /api/v1/search — ChainMatch's one search over firms, products, parks, parcels, funds, projects, chains,
segments, regions and policies (docs/search.md). Thin: the index is brought current by a dependency, the search
is one service call."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import SnapshotDep, StateDep, StoreDep
from search.commands import index_for
from search.index import SearchIndex
from search.models import SearchResult
from search.service import LABEL_WORDS, MAX_LIMIT, MAX_QUERY, Limits, search

router = APIRouter(tags=["信息检索"])

QText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY, pattern=r"\S",
                             description="检索词：名称、简称、字号、拼音（zhongxin）、拼音首字母（zxgj）、统一社会信用代码等，容错别字")]
LabelWord = Literal[tuple(LABEL_WORDS)]  # type: ignore[valid-type]  # Enterprise, enterprise, 企业 …
QLabel = Annotated[LabelWord | None, Query(description="只检索某类：Enterprise/企业、Park/园区、LandParcel/地块、"
                                                                "Project/项目、Fund/基金、IndustryChain/产业链、Segment/环节、"
                                                                "Region/行政区、Product/产品、Policy/政策")]
QLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="最多返回条数")]


def current_index(state: StateDep, store: StoreDep, snap: SnapshotDep) -> SearchIndex:
    """The search index, brought to the snapshot's version from the store's change log (built at start-up or on
    first use; while a build runs, waited for at most `search.wait_seconds` — see search.commands.index_for)."""
    s = state.settings.search
    return index_for(store, snap, state.settings.snapshot_dir, max_changes=s.max_changes, wait=s.wait_seconds)


IndexDep = Annotated[SearchIndex, Depends(current_index)]


def limits_of(state: StateDep) -> Limits:
    s = state.settings.search
    return Limits(candidates=s.candidates, fuzzy=s.fuzzy_candidates)


def home_region_of(state: StateDep) -> str:
    """The officer's own region (settings alerts.home_region): the region a chain or segment hit opens its map for."""
    return state.settings.alerts.home_region


HomeRegionDep = Annotated[str, Depends(home_region_of)]


@router.get("/search", response_model=SearchResult, summary="信息检索：一个检索框查企业、园区、地块、项目、基金、产业链、环节、行政区、产品、政策",
            responses={503: {"description": "检索索引正在首次建立（服务刚启动、数据量大时需几分钟），见 Retry-After"}})
def search_route(index: IndexDep, snap: SnapshotDep, limits: Annotated[Limits, Depends(limits_of)],
                 home: HomeRegionDep, q: QText, label: QLabel = None, limit: QLimit = 20) -> SearchResult:
    return search(index, snap, q=q, label=label, limit=limit, limits=limits, home_region=home)
