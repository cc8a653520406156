"""One error model for the whole API: RFC 9457 problem+json with a Chinese message and the field at fault."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.store import StoreError
from graph.writer import ValidationFailed

PROBLEM = "application/problem+json"

_TITLES = {400: "请求无效", 401: "未认证", 403: "无权限", 404: "未找到", 405: "方法不允许", 409: "冲突",
           413: "请求过大", 422: "数据校验未通过", 500: "服务器内部错误", 503: "服务不可用"}


def problem(status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
            request: Request | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "错误"), "status": status, "detail": detail}
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
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "错误")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "资源不存在"
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = "不支持该请求方法"
        return problem(exc.status_code, detail, request=request, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            where = loc[0] if loc else None
            fld = ".".join(loc[1:]) or where
            errors.append({"field": fld, "in": where, "message": _cn(e)})
        first = errors[0] if errors else {"field": None, "message": "无效"}
        return problem(422, f"字段 {first['field']}: {first['message']}", errors=errors, request=request)

    @app.exception_handler(ValidationFailed)
    async def _domain(request: Request, exc: ValidationFailed) -> JSONResponse:
        errs = [p.as_dict() for p in exc.problems]
        first = exc.problems[0] if exc.problems else None
        return problem(422, str(first) if first else "数据校验未通过", errors=errs, request=request)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return problem(503, f"存储不可用: {exc}", request=request)


def _cn(e: dict[str, Any]) -> str:
    t = e.get("type", "")
    if t == "missing":
        return "缺少必填值"
    if t == "extra_forbidden":
        return "未知字段"
    if "parsing" in t or t.endswith("_type"):
        return f"格式不正确: {e.get('input')!r}"
    if t in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"超出范围: {e.get('msg')}"
    if t == "literal_error":
        return f"取值不在允许范围内: {e.get('msg')}"
    msg = str(e.get("msg", "无效"))
    return msg.removeprefix("Value error, ")
