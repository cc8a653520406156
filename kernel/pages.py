"""The one shell of ChainMatch's server-rendered pages (工作台): the navigation bar on every page (with the one
信息检索 search box), who is signed in,
the message left by the last form, one look, one strict Content-Security-Policy (no script, no outside request),
and HTML escaping for everything a page inserts.

Pages do their work with plain HTML forms (no script): a form that changes data posts to a /pages/… route with the
signed-in officer's session cookie and a CSRF token (`form_guard`), and the route answers 303 back to the page with
a message (`redirect_with`), which the shell shows above the page's content.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi.responses import HTMLResponse, RedirectResponse

from kernel.subscribing import subscribe_refusal

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'"

# (title, path) of the navigation bar, in the order an officer's day goes; `active` names one by its path
NAV: tuple[tuple[str, str], ...] = (
    ("工作台", "/pages"),
    ("招商目标", "/pages/targets"),
    ("土地超市", "/pages/land"),
    ("项目库", "/pages/pipeline"),
    ("政策计算器", "/pages/incentives"),
    ("订阅", "/pages/alerts"),
)
ROLE_CN = {"admin": "管理员", "officer": "招商专员", "park_admin": "园区管理员", "viewer": "只读用户"}
MSG, OK = "cm_msg", "cm_ok"  # query parameters carrying the last form's message back to the page

BASE_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;background:#f6f7f9;color:#222}
nav.cm{background:#163a5c;display:flex;flex-wrap:wrap;align-items:center;gap:2px 4px;padding:0 16px;font-size:14px}
nav.cm a{color:#dbe6f3;text-decoration:none;padding:9px 12px;display:inline-block}nav.cm a:hover{color:#fff}
nav.cm a.on{color:#fff;background:#1f4e79;font-weight:bold}nav.cm .brand{color:#fff;font-weight:bold;margin-right:10px}
nav.cm .who{color:#dbe6f3;font-size:13px;display:flex;align-items:center;gap:8px}
nav.cm form.cm-nav-search{margin:0 6px 0 auto;display:flex;gap:4px;align-items:center}
nav.cm form.cm-nav-search input{width:15em;padding:4px 8px;font-size:13px;border:1px solid #8fb1d6;border-radius:3px}
nav.cm form.cm-nav-search button{background:#2d6aa3;border:0;color:#fff;padding:4px 10px;font-size:13px;cursor:pointer}
nav.cm .who form{margin:0}nav.cm .who button{background:none;border:1px solid #8fb1d6;color:#dbe6f3;cursor:pointer;
padding:2px 8px;font-size:12px}
header{background:#1f4e79;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}header a{color:#fff}main{padding:16px 24px}
form.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:flex-end;background:#fff;padding:12px;border:1px solid #dde}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555;gap:3px}
form.filters input,form.filters select{padding:4px 6px;font-size:14px;min-width:90px}
form.filters button,button.act{padding:6px 18px;background:#1f4e79;color:#fff;border:0;cursor:pointer}
button.act.warn{background:#a55b00}form.act{display:inline-flex;gap:6px;align-items:center;margin:4px 8px 4px 0}
form.act input,form.act select{padding:4px 6px;font-size:13px}
th,td{border:1px solid #e3e5ea;padding:5px 7px;text-align:left;vertical-align:top}th{background:#eef1f6}
.muted{color:#777;font-size:12px}
.flash{padding:8px 12px;margin:0 0 12px;border-radius:3px}.flash.ok{background:#e6f4ea;color:#1e5e2f}
.flash.err{background:#fde8e8;color:#8a1f1f}
"""


@dataclass(frozen=True)
class PageUser:
    """Who is signed in to the pages (from the session cookie), and the token their forms carry."""

    name: str
    role: str
    park: str | None  # a park administrator's park (key)
    csrf: str
    park_name: str | None = None  # …and its name, for the navigation bar
    key_id: str = ""  # the signed-in key's id (what per-officer records — e.g. a 内容订阅 digest — are keyed by)


@dataclass(frozen=True)
class PageContext:
    """What the shell needs of a request: the page's own path (for 登录 and the active tab), who is signed in, and
    the message the last form left."""

    path: str = "/pages"
    user: PageUser | None = None
    message: str | None = None
    ok: bool = True


def e(v: Any) -> str:
    """Text (or None) made safe inside HTML, attribute values included."""
    return html.escape("" if v is None else str(v), quote=True)


def csrf_field(ctx: PageContext | None) -> str:
    """The hidden input every data-changing form carries (empty when nobody is signed in: the post then asks to
    sign in)."""
    token = ctx.user.csrf if ctx and ctx.user else ""
    return f"<input type='hidden' name='csrf' value='{e(token)}'>"


def action_form(ctx: PageContext | None, action: str, button: str, fields: str = "", *, warn: bool = False,
                form_id: str = "") -> str:
    """A one-button form that changes data (予留, 释放, 阶段流转 …): posts `fields` plus the CSRF token to `action`."""
    fid = f" id='{e(form_id)}'" if form_id else ""
    cls = "act warn" if warn else "act"
    return (f"<form class='act' method='post' action='{e(action)}'{fid}>{csrf_field(ctx)}{fields}"
            f"<button class='{cls}' type='submit'>{e(button)}</button></form>")


SUBSCRIBE_PATH = "/pages/alerts/subscribe"


def subscribe_button(ctx: PageContext | None, kind: str, subject: str, back: str, *, park: str | None = None) -> str:
    """The 订阅提醒 button of a firm, parcel, project or park page: subscribes the signed-in officer to this thing
    (内容订阅) and comes back to `back` with the answer. Shown only where the subscribe command would accept it
    (kernel.subscribing — `park`: the park a parcel or project is in): nothing for visitors and read-only users,
    nor for a park administrator outside their own park."""
    if ctx is None or ctx.user is None:
        return ""
    if subscribe_refusal(ctx.user.role, ctx.user.park, kind, subject, park):
        return ""
    fields = (f"<input type='hidden' name='kind' value='{e(kind)}'><input type='hidden' name='subject' "
              f"value='{e(subject)}'><input type='hidden' name='back' value='{e(back)}'>")
    return action_form(ctx, SUBSCRIBE_PATH, "订阅提醒", fields, form_id="cm-subscribe")


SEARCH_PATH = "/pages/search"


def _search_box(ctx: PageContext | None) -> str:
    """The one search box (信息检索) of every page: a plain GET form to /pages/search, no script; on the search page
    it keeps the query."""
    q = ""
    if ctx is not None and ctx.path.split("?", 1)[0] == SEARCH_PATH and "?" in ctx.path:
        q = dict(parse_qsl(ctx.path.split("?", 1)[1])).get("q", "")
    return (f"<form class='cm-nav-search' method='get' action='{SEARCH_PATH}' role='search' id='cm-nav-search'>"
            f"<input type='search' name='q' value='{e(q)}' maxlength='100' aria-label='信息检索' "
            "placeholder='搜企业、园区、地块、项目…'><button type='submit'>搜索</button></form>")


def _nav(ctx: PageContext | None, active: str | None) -> str:
    path = (active or (ctx.path if ctx else "")).split("?", 1)[0]
    best = "" if path == SEARCH_PATH else max((p for _, p in NAV if path == p or path.startswith(p + "/")),
                                              key=len, default="")  # the search page is no tab's
    links = "".join(f"<a href='{p}'{' class=on' if p == best else ''}>{e(t)}</a>" for t, p in NAV)
    if ctx is None:
        who = ""
    elif ctx.user is None:
        who = f"<span class='who'><a id='cm-login' href='/pages/login?{urlencode({'next': ctx.path})}'>登录</a></span>"
    else:
        u = ctx.user
        park = f" · {e(u.park_name or u.park)}" if u.park else ""
        who = (f"<span class='who'><span id='cm-user'>{e(u.name)}（{e(ROLE_CN.get(u.role, u.role))}{park}）</span>"
               f"<form method='post' action='/pages/logout'>{csrf_field(ctx)}<button type='submit'>退出</button></form>"
               "</span>")
    return f"<nav class='cm'><a class='brand' href='/'>ChainMatch 产业链招商</a>{links}{_search_box(ctx)}{who}</nav>"


def page(title: str, header_html: str, body: str, css: str = "", *, ctx: PageContext | None = None,
         active: str | None = None) -> HTMLResponse:
    """A whole page: the navigation bar (with the signed-in user when `ctx` is given), `header_html` inside the
    header bar (already escaped), the last form's message, then `body` inside <main>."""
    flash = ""
    if ctx is not None and ctx.message:
        flash = f"<div id='cm-flash' class='flash {'ok' if ctx.ok else 'err'}'>{e(ctx.message)}</div>"
    doc = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
           "<meta name='viewport' content='width=device-width,initial-scale=1'>"
           f"<title>{e(title)}</title><style>{BASE_CSS}{css}</style></head><body>"
           f"{_nav(ctx, active)}<header>{header_html}</header><main>{flash}{body}</main></body></html>")
    return HTMLResponse(doc, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def local_path(url: str | None, default: str = "/pages") -> str:
    """A path on this site to go back to (a form's `next`, a Referer): anything pointing elsewhere becomes
    `default`, so a crafted link cannot send an officer off-site after signing in."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, ""))


def redirect_with(url: str, message: str, *, ok: bool = True) -> RedirectResponse:
    """303 back to a page (after a form), carrying the message the shell shows there."""
    parts = urlsplit(local_path(url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in (MSG, OK)]
    query += [(MSG, message), (OK, "1" if ok else "0")]
    return RedirectResponse(urlunsplit(("", "", parts.path, urlencode(query), "")), status_code=303)


def error_page(status: int, message: str, candidates: Sequence[str] = (), *,
               ctx: PageContext | None = None) -> HTMLResponse:
    """The page a /pages request gets for a refused lookup or request (the API answers problem+json instead)."""
    more = ("<p>可选：</p><ul>" + "".join(f"<li>{e(c)}</li>" for c in list(candidates)[:50]) + "</ul>") if candidates else ""
    body = f"<p id='cm-error'>{e(message)}</p>{more}<p><a href='/pages'>返回工作台</a></p>"
    resp = page(f"出错了（{status}）", f"<h1>出错了（{status}）</h1>", body, ctx=ctx)
    resp.status_code = status
    return resp
