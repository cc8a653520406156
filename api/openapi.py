"""The OpenAPI document of ChainMatch, completed after FastAPI builds it.

FastAPI documents its own 422 shape (HTTPValidationError) and only the successes a route declares. ChainMatch
answers every error as problem+json (api/errors.py), so the document is completed generically — for every route,
including those other routers add later:
  * every error response a route declares is given the Problem schema under application/problem+json;
  * 422 for any route with parameters or a body, 413 for any route with a body;
  * 401 and 403 for any route protected by an API key (it carries the APIKeyHeader security requirement);
  * 404 for any route with a path parameter (an unknown key); 400 for a body that cannot be decoded;
  * pages (routes under /pages, and files whose success is not JSON) may answer errors as an HTML page as well;
  * 409 for writes (concurrent change, state conflicts), 503 for everything that reads the store.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import Problem, ProblemField, problem_content

_DESCRIPTIONS = {
    400: "请求无效（problem+json）", 401: "缺少或无效的 API key", 403: "角色或园区范围不允许",
    404: "对象不存在", 409: "冲突：状态不允许或并发修改，未写入", 413: "请求体过大",
    422: "参数或数据校验未通过（errors 逐项列出字段）", 503: "存储不可用",
}
_METHODS = ("get", "put", "post", "delete", "patch")


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                           tags=app.openapi_tags, servers=app.servers)
        complete(spec)
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["ProblemField"] = ProblemField.model_json_schema(by_alias=True)
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is not None:
                _complete_operation(path, method, op)
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(spec, unused):
            schemas.pop(unused, None)
    return spec


def _complete_operation(path: str, method: str, op: dict[str, Any]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    params = op.get("parameters") or []
    wanted: set[int] = set()
    if params or op.get("requestBody"):
        wanted.add(422)
    if op.get("requestBody"):
        wanted |= {400, 413}  # 400: a body that is not text (bad UTF-8) cannot even be read as JSON
    if op.get("security"):
        wanted |= {401, 403}
    if any(p.get("in") == "path" for p in params):
        wanted.add(404)
    if method in ("put", "post", "delete", "patch") and op.get("security"):
        wanted.add(409)
    if path.startswith("/api/") or path == "/ready":
        wanted.add(503)
    for code in wanted:
        responses.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
    ok = responses.get("200", {}).get("content") or {"application/json": {}}
    # HTML/XLSX/SVG or anything under /pages (a form's redirect too): a person gets an HTML error page
    is_page = path.startswith("/pages") or any(not t.endswith("json") for t in ok)
    for code, resp in responses.items():
        if code.isdigit() and int(code) >= 400:
            if not resp.get("description"):
                resp["description"] = _DESCRIPTIONS.get(int(code), "错误")
            if int(code) == 503 and path == "/ready":
                continue  # /ready answers its own JSON body when the store is down
            resp["content"] = problem_content()
            if is_page:  # /pages answer every error with the HTML error page; other files' parameter errors are problem+json
                resp["content"]["text/html"] = {"schema": {"type": "string"}}


def _referenced(spec: dict[str, Any], name: str) -> bool:
    """Whether anything but the two FastAPI validation schemas themselves still refers to `name`."""
    rest = {k: v for k, v in spec["components"]["schemas"].items() if k not in ("HTTPValidationError", "ValidationError")}
    return f'"#/components/schemas/{name}"' in json.dumps([spec.get("paths"), rest])
