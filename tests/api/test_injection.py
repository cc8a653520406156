"""Injection strings (Cypher, SQL, HTML/JS, templates) have no effect anywhere — generically over every resource's
text fields, every list endpoint's text filters and every page, so new resources and pages are covered too.

  * Written into any text field of any resource, a payload is either stored verbatim (read back byte for byte) or
    refused with 422 naming that field (references, codes, dates); nothing else in the store changes.
  * As a key in the path, a payload is stored verbatim or refused with 422/404; never a 5xx.
  * As any text filter of any list endpoint, a payload is a plain value: no 5xx, and `q` (name contains) finds
    only names that really contain it.
  * Every page that shows the injected objects renders the payloads inert: no tag, attribute or script from the
    data reaches the HTML unescaped (tests/browser/test_every_page.py runs the same pages in Chromium).
"""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from api.resources import RESOURCES
from factories import seeded

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from pagewalk import html_pages, page_refs  # noqa: E402

MARK = "cmPwned"
PAYLOADS = [
    # Cypher (the Neo4j backend sends parameters only; these must stay text)
    "x'}) MATCH (n) DETACH DELETE n //",
    '" OR 1=1 WITH n MATCH (m) RETURN m //',
    "`) CALL db.labels() YIELD label RETURN label //",
    # SQL / SQLite JSON paths
    "'; DROP TABLE nodes; --",
    "1' OR '1'='1",
    "x') UNION SELECT key, props FROM nodes --",
    "$.name') OR json_extract(props, '$.key",
    # HTML / JS, including breaking out of an inline <script> that embeds JSON
    f"<script>window.{MARK}=1</script>",
    f"\"><img src=x onerror=\"window.{MARK}=1\">",
    f"</script><script>window.{MARK}=1</script>",
    f"'><svg onload=window.{MARK}=1>",
    "javascript:alert(1)",
    # templates
    "{{7*7}}${7*7}<%= 7*7 %>",
]
HTML_BAD = [f"<script>window.{MARK}", "<img src=x onerror", "<svg onload", f"</script><script>window.{MARK}"]


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=120, seed=3)


def _text_fields(client, res) -> dict[str, bool]:
    """The resource's writable text fields from its OpenAPI body schema: name → is a list of text."""
    spec = client.get("/openapi.json").json()
    body = spec["paths"][f"/api/v1/{res.path}/{{key}}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    out = {}
    for name, prop in schema["properties"].items():
        if name in ("key", "source") or name in res.protected:
            continue
        variants = prop.get("anyOf", [prop])
        if any(v.get("type") == "string" and "enum" not in v and "format" not in v for v in variants):
            out[name] = False
        elif any(v.get("type") == "array" and v.get("items", {}).get("type") == "string" for v in variants):
            out[name] = True
    return out


def _base(client, headers, res) -> dict:
    items = client.get(f"/api/v1/{res.path}", params={"limit": 1}).json()["items"]
    if items:
        return {k: v for k, v in items[0].items() if k != "key" and k not in res.protected}
    r = client.put(f"/api/v1/{res.path}/inj-base", json=res.example, headers=headers)
    assert r.status_code in (200, 201), (res.path, r.text)
    return dict(res.example)


def _counts(store):
    return store.counts()


def test_payloads_in_every_text_field_are_stored_verbatim_or_refused_by_field(api_env):
    app, client, headers, store = api_env.app, api_env.client, api_env.h("admin"), api_env.store
    stored = refused = 0
    for res in RESOURCES:
        base = _base(client, headers, res)
        fields = _text_fields(client, res)
        assert "name" in fields, res.path
        for field, is_list in fields.items():
            for i, payload in enumerate(PAYLOADS):
                key = f"inj-{field}-{i}"
                value = [payload, "正常值"] if is_list else payload
                before = _counts(store)
                r = client.put(f"/api/v1/{res.path}/{key}", json=base | {field: value}, headers=headers)
                assert r.status_code in (201, 422), (res.path, field, payload, r.status_code, r.text[:300])
                if r.status_code == 422:
                    assert r.json()["errors"][0]["field"] in (field, f"{field}.0"), (res.path, field, r.json())
                    assert _counts(store) == before
                    refused += 1
                    continue
                got = client.get(f"/api/v1/{res.path}/{quote(key, safe='')}").json()
                assert got[field] == value, (res.path, field, payload, got[field])
                after = _counts(store)
                assert after["nodes"][res.label.value] == before["nodes"][res.label.value] + 1
                assert {k: v for k, v in after["nodes"].items() if k != res.label.value} == \
                       {k: v for k, v in before["nodes"].items() if k != res.label.value}
                stored += 1
    assert stored >= len(PAYLOADS) * len(RESOURCES)  # at least the name of every resource takes every payload
    assert client.get("/ready").json()["status"] == "ready"


def test_payloads_as_keys_are_text_or_refused(api_env):
    client, headers, store = api_env.client, api_env.h("admin"), api_env.store
    n0 = store.counts()["nodes"]["IndustryChain"]
    created = 0
    for payload in PAYLOADS:
        if "/" in payload:  # cannot be one path segment; a URL with it is another route
            continue
        r = client.put(f"/api/v1/chains/{quote(payload, safe='')}", json={"name": "注入测试链"}, headers=headers)
        assert r.status_code in (201, 422), (payload, r.status_code, r.text[:300])
        if r.status_code == 201:
            assert r.json()["key"] == payload
            assert client.get(f"/api/v1/chains/{quote(payload, safe='')}").json()["key"] == payload
            created += 1
        r = client.get(f"/api/v1/enterprises/{quote(payload, safe='')}")
        assert r.status_code in (404, 422)
    assert store.counts()["nodes"]["IndustryChain"] == n0 + created


def test_payloads_in_every_text_filter_of_every_list_endpoint(api_env):
    app, client = api_env.app, api_env.client
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or not path.startswith("/api/v1/") or "{" in path:
            continue
        for p in op.get("parameters", []):
            variants = p["schema"].get("anyOf", [p["schema"]])
            if p["in"] != "query" or not any(v.get("type") == "string" and "enum" not in v for v in variants):
                continue
            limit = min((v.get("maxLength", 10_000) for v in variants if v.get("type") == "string"), default=10_000)
            for payload in PAYLOADS:
                resp = client.get(path, params={p["name"]: payload[:limit]})
                assert resp.status_code < 500, (path, p["name"], payload, resp.status_code, resp.text[:300])
                checked += 1
    assert checked >= 10 * len(PAYLOADS)
    # `q` is "name contains": an always-true SQL/Cypher fragment matches nothing, a real fragment still works
    for payload in ("zz' OR 'a'='a", "0 OR 1=1) --", '" OR ""="', "%合成%", "合_"):
        body = client.get("/api/v1/enterprises", params={"q": payload}).json()
        assert body["total"] == 0 and body["items"] == [], payload
    assert client.get("/api/v1/enterprises", params={"q": "合成"}).json()["total"] > 0
    # and a stored name with a payload is found by that payload, exactly
    hits = client.get("/api/v1/chains", params={"q": "DROP TABLE"}).json()["items"]
    assert hits and all("DROP TABLE" in c["name"] for c in hits)


def test_pages_render_the_payloads_inert(api_env):
    app, client, headers, store = api_env.app, api_env.client, api_env.h("admin"), api_env.store
    # objects whose every shown text is a payload, linked so that the pages draw them
    bad = PAYLOADS[8]  # breaks out of an inline <script> if JSON is embedded unescaped
    firm = client.get("/api/v1/enterprises", params={"limit": 1}).json()["items"][0]
    park = client.get("/api/v1/parks", params={"limit": 1}).json()["items"][0]
    parcel = client.get("/api/v1/parcels", params={"park": park["key"], "limit": 1}).json()["items"]
    writes = [
        ("chains", "ic", client.get("/api/v1/chains/ic").json() | {"name": f"集成电路{bad}", "description": PAYLOADS[7]}),
        ("enterprises", firm["key"], firm | {"name": f"企业{bad}", "business_scope": PAYLOADS[9], "tags": [PAYLOADS[10]]}),
        ("parks", park["key"], park | {"name": f"园区{PAYLOADS[9]}", "kind": bad}),
    ]
    if parcel:
        writes.append(("parcels", parcel[0]["key"], parcel[0] | {"name": f"地块{bad}", "readiness": [PAYLOADS[9]]}))
    for path, key, obj in writes:
        obj = {k: v for k, v in obj.items() if k not in ("key", "status", "rev", "reserved_by", "reserved_at",
                                                        "expires_at", "transferred_to", "transferred_at")}
        r = client.put(f"/api/v1/{path}/{quote(key, safe='')}", json=obj, headers=headers)
        assert r.status_code == 200, (path, r.text[:300])
    prefer = {"IndustryChain": "ic", "Enterprise": firm["key"], "Park": park["key"], "Region": park["region"]}
    if parcel:
        prefer["LandParcel"] = parcel[0]["key"]
    pages = html_pages(client, page_refs(app, store, prefer))
    assert len(pages) >= 6, [p.url for p, _ in pages]
    shown = 0
    for ref, html in pages:
        for needle in HTML_BAD:
            assert needle not in html, f"{ref.url}: unescaped {needle!r} in the page"
        shown += any(s in html for s in ("&lt;script&gt;", "\\u003cscript", "\\u003c/script", "&lt;/script&gt;",
                                         "&lt;img", "\\u003cimg"))
    assert shown >= 4, "the payloads should be visible (escaped) on the pages that show these objects"
    # the land storefront with a payload in every filter
    for payload in PAYLOADS:
        r = client.get("/pages/land", params={"chain": payload[:100], "park": payload[:100], "area_min": payload[:32]})
        assert r.status_code in (200, 422)
        for needle in HTML_BAD:
            assert needle not in r.text
