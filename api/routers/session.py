"""Signing in to the pages (工作台): an officer pastes the API key an administrator gave them (`chainmatch keys
create`); the key is kept in an HttpOnly, SameSite=Strict cookie (the API never reads it: it takes keys from the X-API-Key header only), so the page forms can act
as that officer — with the same roles and park scope as the API — and every change lands in the audit log under
their name. Signing out drops the cookie."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal, authenticate
from api.deps import SESSION_COOKIE, SESSION_HOURS, PageCtxDep, StoreDep, page_form
from kernel.pages import e, local_path, page, redirect_with

router = APIRouter(include_in_schema=False)


def _login_page(ctx, next_path: str, error: str = "") -> HTMLResponse:
    err = f"<div id='cm-login-error' class='flash err'>{e(error)}</div>" if error else ""
    body = (f"{err}<form class='filters' method='post' action='/pages/login' id='cm-login-form'>"
            f"<input type='hidden' name='next' value='{e(next_path)}'>"
            "<label>API key<input type='password' name='key' autocomplete='current-password' size='60' required "
            "placeholder='cm_…'></label><button type='submit'>登录</button></form>"
            "<p class='muted'>API key 由管理员用 <code>chainmatch keys create</code> 发放；登录后页面上的预留、阶段流转、"
            "跟踪记录等操作以您的名义执行并记入审计日志。</p>")
    resp = page("登录 · ChainMatch", "<h1>登录工作台</h1><p>用您的 API key 登录后即可在页面上办理业务</p>", body, ctx=ctx)
    if error:
        resp.status_code = 401
    return resp


@router.get("/pages/login", response_class=HTMLResponse)
def login_form(ctx: PageCtxDep, next: Annotated[str, Query(max_length=2000)] = "/pages") -> HTMLResponse:
    return _login_page(ctx, local_path(next))


@router.post("/pages/login")
def login(request: Request, store: StoreDep, ctx: PageCtxDep, key: Annotated[str, Form(max_length=300)],
          next: Annotated[str, Form(max_length=2000)] = "/pages") -> Response:
    p = authenticate(store, key)
    target = local_path(next)
    if p is None:
        return _login_page(ctx, target, "API key 无效或已吊销")
    resp = redirect_with(target, f"已登录：{p.name}")
    resp.set_cookie(SESSION_COOKIE, key.strip(), max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                    samesite="strict", secure=request.url.scheme == "https")
    return resp


@router.post("/pages/logout")
def logout(p: Annotated[Principal, Depends(page_form())]) -> RedirectResponse:
    resp = redirect_with("/pages", f"{p.name} 已退出")
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp
