"""One error model for the whole API: RFC 9457 problem+json with a Chinese message and the field at fault.

Every error path answers in this shape — 400/401/403/404/405/409/413/422 raised by routers or by FastAPI's own
validation, the domain's ValidationFailed, store conflicts (409) and outages (503), and any unexpected exception
(500, logged with its request id; the body never leaks a traceback). `problem_responses()` documents the same
shape in the OpenAPI schema, so clients (and schemathesis in CI) can check every answer against it.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.messages import validation_message
from graph.store import ConflictError, StoreError
from graph.validation import ValidationFailed
from kernel.errors import ChainMatchError

PROBLEM = "application/problem+json"
log = logging.getLogger("chainmatch.api")

TITLES = {400: "请求无效", 401: "未认证", 403: "无权限", 404: "未找到", 405: "方法不允许", 406: "无法提供所需格式",
          409: "冲突", 413: "请求过大", 415: "不支持的请求体格式", 422: "数据校验未通过", 429: "请求过多",
          500: "服务器内部错误", 501: "尚未实现", 503: "服务不可用"}


class ProblemField(BaseModel):
    """One problem, naming the field (and for imports the file and row)."""

    field: str | None = Field(default=None, description="出错的字段，如 area_mu、body.name、limit")
    message: str = Field(description="中文说明")
    location: str | None = Field(default=None, alias="in", description="位置：body / query / path / header")
    file: str | None = None
    row: int | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str = Field(description="错误类别（中文）")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="中文说明，含出错的字段或对象")
    instance: str | None = Field(default=None, description="请求路径")
    request_id: str | None = Field(default=None, description="请求 ID（同响应头 X-Request-ID，日志中可查）")
    errors: list[ProblemField] | None = Field(default=None, description="逐项问题（字段 + 说明）")

    model_config = {"json_schema_extra": {"examples": [{
        "type": "about:blank", "title": "数据校验未通过", "status": 422, "detail": "字段 area_mu: 数值过小: -5（应大于 0）",
        "instance": "/api/v1/parcels/qz-001", "request_id": "5f0c2a9e1b7d4c21",
        "errors": [{"field": "area_mu", "message": "数值过小: -5（应大于 0）", "in": "body"}]}]}}


def problem_content() -> dict[str, Any]:
    return {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem(status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
            request: Request | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "错误"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    if request is not None:
        body["instance"] = request.url.path
        rid = getattr(request.state, "request_id", None)
        if rid:
            body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # the router names one route's methods; a path has several routes
            methods = _methods_for(request)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": ", ".join(sorted({*methods, "OPTIONS"}))})
            headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "错误")
        detail = _ENGLISH.get(detail, detail)
        return problem(exc.status_code, detail, request=request, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        refused = _refused_caller(request)  # who may not call the route hears that first, not what was wrong
        if refused is not None:
            return refused
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            where = loc[0] if loc else None
            fld = ".".join(loc[1:]) or where
            errors.append({"field": fld, "in": where, "message": validation_message(e)})
        if request.url.path.startswith("/pages"):  # a page answers with a page, the field named in Chinese
            return _page_invalid(errors)
        first = errors[0] if errors else {"field": None, "message": "无效"}
        return problem(422, f"字段 {first['field']}: {first['message']}", errors=errors, request=request)

    @app.exception_handler(ValidationFailed)
    async def _domain(request: Request, exc: ValidationFailed) -> JSONResponse:
        errs = [{k: v for k, v in p.as_dict().items() if v is not None} for p in exc.problems]
        first = exc.problems[0] if exc.problems else None
        return problem(422, str(first) if first else "数据校验未通过", errors=errs, request=request)

    @app.exception_handler(ChainMatchError)
    async def _service(request: Request, exc: ChainMatchError) -> Response:
        if request.url.path.startswith("/pages"):  # a page answers with a page
            return _page_answer(request, exc)
        # a parameter named in errors[] is placed where the caller sent it (path or query) unless the service said
        errors = [e if "in" in e or not e.get("field") else
                  e | ({"in": "path"} if e["field"] in request.path_params else
                       {"in": "query"} if e["field"] in request.query_params else {})
                  for e in exc.errors]
        return problem(exc.status, exc.detail, errors=errors or None, request=request, headers=exc.headers)

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem(409, f"并发冲突，未写入：{exc}。请重新读取后再提交", request=request)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return problem(503, f"存储不可用: {exc}", request=request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's ServerErrorMiddleware calls this for an error outside RequestContextMiddleware (which answers
        # the others itself, keeping the connection), then re-raises so the server logs the traceback too.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
        return problem(500, "服务器内部错误，已记录；请将请求 ID 告知管理员", request=request)


def _page_answer(request: Request, exc: ChainMatchError) -> Response:
    """A refused page request: nobody signed in → the sign-in page, coming back to the page the form was on (or
    the page asked for); anything else → an error page in the shell."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    from fastapi.responses import RedirectResponse

    from kernel.errors import Unauthorized
    from kernel.pages import error_page, local_path

    if isinstance(exc, Unauthorized):
        back = urlsplit(request.headers.get("referer") or "") if request.method != "GET" else request.url
        same_site = not back.netloc or back.netloc == request.url.netloc
        target = local_path(urlunsplit(("", "", back.path, back.query, ""))) if same_site else "/pages"
        return RedirectResponse(f"/pages/login?{urlencode({'next': target})}", status_code=303)
    return error_page(exc.status, exc.message, exc.candidates)


# the parameters of the pages' links and forms, as the officer knows them
PAGE_FIELDS = {"q": "检索词", "limit": "显示条数", "offset": "起始位置", "label": "类别", "as_of": "基准日期",
               "today": "日期", "region": "地区", "chain": "产业链", "segment": "环节", "park": "园区", "parcel": "地块",
               "key": "编号", "status": "状态", "area": "面积", "area_min": "最小面积", "area_max": "最大面积",
               "invest": "投资额", "tax": "税收", "max_nodes": "图中节点数", "note": "备注", "reason": "原因",
               "next_action": "下一步", "next_action_on": "下一步日期", "min_score": "最低得分", "kind": "类型",
               "webhook_url": "推送地址", "ttl_hours": "有效小时数", "owner": "负责人", "download": "下载"}


def _page_invalid(errors: list[dict[str, Any]]) -> Response:
    """A page request whose parameters did not validate: the error page in the shell (422 kept), each parameter by
    its Chinese name (the parameter as sent in brackets)."""
    from kernel.pages import error_page

    said = [f"{PAGE_FIELDS[f]}（{f}）" if (f := str(e.get("field") or "")) in PAGE_FIELDS else f"参数 {f or '?'}"
            for e in errors]
    lines = [f"{who}：{e['message']}" for who, e in zip(said, errors)] or ["请求参数无效"]
    return error_page(422, "请求参数有误 — " + "；".join(lines))


def _methods_for(request: Request) -> set[str]:
    """Every method some route of the app serves at this path."""
    from fastapi import routing

    path = request.url.path
    methods: set[str] = set()
    for rc in routing.iter_route_contexts(request.app.routes):
        regex = getattr(rc, "path_regex", None)
        if regex is not None and regex.match(path) and getattr(rc, "methods", None):
            methods |= set(rc.methods)
    return methods


def _refused_caller(request: Request) -> JSONResponse | None:
    """401/403 for a request whose body or parameters did not validate, when the route needs a key the caller does
    not have (FastAPI parses the body before it runs the key check)."""
    from api.auth import authenticate
    from api.deps import allowed_roles

    roles = allowed_roles(request.scope.get("route"))
    if not roles:
        return None
    token = request.headers.get("x-api-key")
    p = authenticate(request.app.state.chainmatch.store, token) if token else None
    if p is None:
        return problem(401, "需要 API key（请求头 X-API-Key）" if not token else "API key 无效或已吊销",
                       request=request, headers={"WWW-Authenticate": "APIKey"})
    if p.role not in roles:
        return problem(403, f"角色 {p.role} 无权执行此操作（需要 {'/'.join(roles)}）", request=request)
    return None


_ENGLISH = {
    "Not Found": "资源不存在",
    "Method Not Allowed": "不支持该请求方法",
    "There was an error parsing the body": "请求体无法解析",
    "Not authenticated": "需要 API key（请求头 X-API-Key）",
    "Unsupported Media Type": "不支持的请求体格式",
}

