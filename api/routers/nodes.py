"""Read and write endpoints for every domain object, generated from one resource table (api/resources.py).

Each resource gets: list with filters / sorting / pagination, get by key, neighbours, PUT (create or replace) and
DELETE. Filters are typed from the model: `field=value` (for list fields: contains), `field_min` / `field_max` for
numbers, `q` for a name substring; `region`, `chain`, `segment`, `park` take names (kernel.resolve; `region` covers
the 行政区 below it). Each route only resolves its inputs and calls one function of api/node_service.py, where the
rules (filter meaning, park scope, fields owned by other services) live.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from api import node_service
from api.auth import Principal
from api.deps import SnapshotDep, StoreDep, require
from api.resources import RESOURCES, NeighbourOut, Page, Resource, filter_model, out_model, write_model
from graph.schema import RELATIONS

_LIST_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "筛选中的名称（行政区、产业链、环节、园区）不存在；detail 给出相近的名称"}}


def _add_reads(router: APIRouter, res: Resource) -> None:
    label = res.label
    Out = out_model(label)
    Filters = filter_model(label)
    KeyPath = Annotated[str, Path(min_length=1, max_length=128, description=f"{res.title} key")]
    rel_types = tuple(sorted(t for t, r in RELATIONS.items() if label in r.src or label in r.dst))

    @router.get(f"/{res.path}", response_model=Page[Out], tags=[res.title], summary=f"列出{res.title}",
                name=f"list_{res.path}", responses=_LIST_ERRORS)
    def list_items(store: StoreDep, snap: SnapshotDep, filters: Annotated[Filters, Query()]) -> Any:  # type: ignore[valid-type]
        return node_service.list_nodes(store, snap, res, filters.model_dump())

    @router.get(f"/{res.path}/{{key}}", response_model=Out, tags=[res.title], summary=f"查看{res.title}",
                name=f"get_{res.path}", responses={404: {"description": "不存在"}})
    def get_item(store: StoreDep, key: KeyPath) -> Any:
        return node_service.get_node(store, res, key)

    @router.get(f"/{res.path}/{{key}}/neighbours", response_model=list[NeighbourOut], tags=[res.title],
                summary=f"{res.title}的关联节点", name=f"neighbours_{res.path}")
    def neighbours(
        store: StoreDep,
        key: KeyPath,
        rel: Annotated[Literal[rel_types] | None, Query(description="关系类型")] = None,  # type: ignore[valid-type]
        direction: Annotated[Literal["out", "in", "both"], Query()] = "both",
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> Any:
        return node_service.node_neighbours(store, res, key, rel=rel, direction=direction, limit=limit)


def _add_writes(router: APIRouter, res: Resource) -> None:
    Out = out_model(res.label)
    Write = write_model(res)
    writer = require(*res.write_roles)
    KeyPath = Annotated[str, Path(min_length=1, max_length=128, description=f"{res.title} key")]

    @router.put(f"/{res.path}/{{key}}", response_model=Out, tags=[res.title], summary=f"新建或更新{res.title}",
                name=f"put_{res.path}", responses={201: {"description": "已新建"}, 401: {}, 403: {}, 422: {}})
    def put_item(
        store: StoreDep,
        key: KeyPath,
        body: Annotated[Write, Body()],  # type: ignore[valid-type]
        response: Response,
        p: Annotated[Principal, Depends(writer)],
    ) -> Any:
        record, created = node_service.put_node(store, res, key, body.model_dump(exclude_unset=True), p)
        response.status_code = 201 if created else 200
        return record

    @router.delete(f"/{res.path}/{{key}}", status_code=204, tags=[res.title], summary=f"删除{res.title}",
                   name=f"delete_{res.path}", responses={401: {}, 403: {}, 404: {}})
    def delete_item(store: StoreDep, key: KeyPath, p: Annotated[Principal, Depends(writer)]) -> Response:
        node_service.delete_node(store, res, key, p)
        return Response(status_code=204)


def build_router() -> APIRouter:
    router = APIRouter()
    for res in RESOURCES:
        _add_reads(router, res)
        _add_writes(router, res)
    return router
