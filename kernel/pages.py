"""The shell of ChainMatch's server-rendered list pages (土地超市, 招商项目库, 政策兑现): one look, one strict
Content-Security-Policy (no script, no outside request), and HTML escaping for everything a page inserts."""
from __future__ import annotations

import html
from typing import Any, Sequence

from fastapi.responses import HTMLResponse

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'"

BASE_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;background:#f6f7f9;color:#222}
header{background:#1f4e79;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}header a{color:#fff}main{padding:16px 24px}
form.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:flex-end;background:#fff;padding:12px;border:1px solid #dde}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555;gap:3px}
form.filters input,form.filters select{padding:4px 6px;font-size:14px;min-width:90px}
form.filters button{padding:6px 18px;background:#1f4e79;color:#fff;border:0;cursor:pointer}
th,td{border:1px solid #e3e5ea;padding:5px 7px;text-align:left;vertical-align:top}th{background:#eef1f6}
.muted{color:#777;font-size:12px}
"""


def e(v: Any) -> str:
    """Text (or None) made safe inside HTML, attribute values included."""
    return html.escape("" if v is None else str(v), quote=True)


def page(title: str, header_html: str, body: str, css: str = "") -> HTMLResponse:
    """A whole page: `header_html` goes inside the header bar (already escaped), `body` inside <main>."""
    doc = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
           "<meta name='viewport' content='width=device-width,initial-scale=1'>"
           f"<title>{e(title)}</title><style>{BASE_CSS}{css}</style></head><body>"
           f"<header>{header_html}</header><main>{body}</main></body></html>")
    return HTMLResponse(doc, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def error_page(status: int, message: str, candidates: Sequence[str] = ()) -> HTMLResponse:
    """The page a /pages request gets for a refused lookup or request (the API answers problem+json instead)."""
    more = ("<p>可选：</p><ul>" + "".join(f"<li>{e(c)}</li>" for c in list(candidates)[:50]) + "</ul>") if candidates else ""
    body = f"<p id='cm-error'>{e(message)}</p>{more}<p><a href='/pages'>返回页面索引</a></p>"
    resp = page(f"出错了（{status}）", f"<h1>出错了（{status}）</h1>", body)
    resp.status_code = status
    return resp
