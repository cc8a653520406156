"""The request middleware of the ChainMatch API (pure ASGI, so it adds almost nothing to a request's cost).

For every HTTP request it
  * takes the caller's `X-Request-ID` (if it is a short token) or makes one, exposes it as `request.state.request_id`
    and in the logging context, and returns it in the `X-Request-ID` response header;
  * enforces the request body limit: a declared `Content-Length` above the limit is refused with 413 before the
    body is read, and a chunked body is counted while it is read and refused the moment it passes the limit;
  * answers an error no handler took with a problem+json 500 (logged with its traceback) and keeps the connection;
  * writes one structured access-log line (method, path, status, duration, client, request id).
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable

from starlette.exceptions import HTTPException

from api import errors
from api.logs import request_id_var

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

access_log = logging.getLogger("chainmatch.access")
log = logging.getLogger("chainmatch.api")
_RID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"请求体超过上限 {limit} 字节")


class RequestContextMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _RID.fullmatch(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        t0 = time.perf_counter()
        status = 500
        started = False
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await self._refuse(scope, send_with_id, 413 if length.isdigit() else 400,
                                   f"请求体超过上限 {self.max_body} 字节" if length.isdigit() else "Content-Length 无效")
                return
            try:
                await self.app(scope, self._counting(receive) if length is None else receive, send_with_id)
            except Exception as exc:
                # An error no handler took: answer the 500 here and end the request normally. Re-raised (as
                # Starlette's outermost middleware does), the server would drop the keep-alive connection instead.
                if started:
                    raise
                log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"),
                          exc_info=exc)
                await self._refuse(scope, send_with_id, 500, "服务器内部错误，已记录；请将请求 ID 告知管理员",
                                   close=False)
        finally:
            access_log.info(
                "%s %s %s %.1fms", scope.get("method"), scope.get("path"), status, (time.perf_counter() - t0) * 1000,
                extra={"method": scope.get("method"), "path": scope.get("path"), "status": status,
                       "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
                       "client": (scope.get("client") or ("", 0))[0]},
            )
            request_id_var.reset(token)

    def _counting(self, receive: Receive) -> Receive:
        """A receive() that fails with 413 once a body without Content-Length grows past the limit."""
        seen = 0
        limit = self.max_body

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return counted

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str, *, close: bool = True) -> None:
        from starlette.requests import Request

        response = errors.problem(status, detail, request=Request(scope), headers={"Connection": "close"} if close else None)
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
