"""Find every page the app serves, from its routes, with real keys filled in — so page tests (injection in
tests/api/test_injection.py, headless Chromium in tests/browser/test_every_page.py) cover pages added later.

A page is a GET route outside /api/ whose answer is HTML. Path parameters are filled from the store: `{key}` by
the resource named in the path segment before it (`/pages/parks/{key}` → a Park), `{chain}`/`{segment}` by name;
required query parameters from QUERY_VALUES. A page with a parameter this module cannot fill makes the walk fail
with a message saying what to add, rather than silently skipping the page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from api.deps import api_routes

SKIP = {"/health", "/ready", "/openapi.json"}
# the resource path segments of the API and pages → graph labels
SEGMENT_LABELS = {
    "chains": "IndustryChain", "segments": "Segment", "enterprises": "Enterprise", "funds": "Fund", "parks": "Park",
    "parcels": "LandParcel", "projects": "Project", "regions": "Region", "products": "Product", "policies": "Policy",
    "pipeline": "Project",  # /pages/pipeline/{key}: one project of the 招商项目库
    "leaders": "Enterprise",  # /pages/leaders/{id}/targets: a 链主 (another firm answers 404, which the walk skips)
}
PARAM_LABELS = {"chain": "IndustryChain", "segment": "Segment", "enterprise": "Enterprise", "park": "Park",
                "parcel": "LandParcel", "project": "Project", "region": "Region", "fund": "Fund", "policy": "Policy"}


@dataclass
class PageRef:
    route: str
    url: str


def _label_for(path: str, name: str) -> str | None:
    if name in PARAM_LABELS:
        return PARAM_LABELS[name]
    parts = path.strip("/").split("/")
    i = parts.index("{" + name + "}")
    return SEGMENT_LABELS.get(parts[i - 1]) if i > 0 else None


def query_fields(route: Any) -> list[tuple[str, bool, Any]]:
    """(name, required, annotation) of every query parameter of a route, its dependencies' included."""
    from pydantic import BaseModel

    out, stack = [], [route.dependant]
    while stack:
        d = stack.pop()
        stack.extend(d.dependencies)
        for f in d.query_params:
            ann = f.field_info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):  # a filter model given as Query()
                out += [(n, fi.is_required(), fi.annotation) for n, fi in ann.model_fields.items()]
            else:
                out.append((f.alias or f.name, f.field_info.is_required(), ann))
    return out


def _required_query(route: Any) -> list[str]:
    return [name for name, required, _ in query_fields(route) if required]


def page_refs(app: Any, store: Any, prefer: dict[str, str] | None = None) -> list[PageRef]:
    """Every candidate page URL (GET, outside /api/). `prefer` picks keys per label (e.g. the injected objects)."""
    prefer = prefer or {}

    def key_of(label: str) -> str:
        if label in prefer:
            return prefer[label]
        items, _ = store.find(label, limit=1)
        assert items, f"页面遍历：库中没有 {label}，无法填写页面参数"
        return items[0]["key"]

    out = []
    for r in api_routes(app):
        if "GET" not in r.methods or r.path.startswith("/api/") or r.path in SKIP or r.path.startswith("/static"):
            continue
        path = r.path
        for name in [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]:
            label = _label_for(r.path, name)
            assert label, f"页面 {r.path}: 不知道如何填写路径参数 {{{name}}}（在 tests/browser/pagewalk.py 中补充）"
            path = path.replace("{" + name + "}", quote(key_of(label), safe=""))
        query = {}
        for name in _required_query(r):
            label = PARAM_LABELS.get(name)
            assert label, f"页面 {r.path}: 不知道如何填写必填查询参数 {name}（在 tests/browser/pagewalk.py 中补充）"
            query[name] = key_of(label)
        out.append(PageRef(r.path, path + ("?" + urlencode(query) if query else "")))
    return out


def html_pages(client: Any, refs: list[PageRef]) -> list[tuple[PageRef, str]]:
    """The refs whose answer is an HTML page (200), with the HTML; anything else that is 5xx fails."""
    pages = []
    for ref in refs:
        r = client.get(ref.url, follow_redirects=True)
        assert r.status_code < 500, (ref.url, r.status_code, r.text[:300])
        if r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html"):
            pages.append((ref, r.text))
    return pages
