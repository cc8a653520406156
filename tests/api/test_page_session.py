"""Signing in to the pages and the forms that change data: the session cookie, CSRF, roles, and the shell's
navigation and messages (api/routers/session.py, api/deps.py page_form, kernel/pages.py)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.deps import PAGE_ROLES_ATTR, SESSION_COOKIE
from kernel.pages import NAV


@pytest.fixture(scope="module")
def anon(api_env):
    return TestClient(api_env.app, follow_redirects=False)


def test_a_valid_key_signs_in_and_comes_back_with_a_message(api_env, anon):
    r = anon.post("/pages/login", data={"key": api_env.keys["officer"], "next": "/pages/land?chain=ic"})
    assert r.status_code == 303
    loc = urlsplit(r.headers["location"])
    assert loc.path == "/pages/land" and parse_qs(loc.query)["chain"] == ["ic"]
    assert parse_qs(loc.query)["cm_msg"] == ["已登录：officer-user"]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/;" in cookie or cookie.endswith("Path=/")
    page = anon.get("/")
    assert "officer-user（招商专员）" in page.text and "cm-login'" not in page.text
    anon.cookies.clear()


@pytest.mark.parametrize("key", ["", "cm_000000000000_" + "x" * 43, "not-a-key"])
def test_a_bad_key_is_refused_on_the_sign_in_page_and_sets_no_cookie(anon, key):
    r = anon.post("/pages/login", data={"key": key, "next": "/pages"})
    assert r.status_code in (401, 422)
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(api_env, target):
    c = TestClient(api_env.app, follow_redirects=False)
    r = c.post("/pages/login", data={"key": api_env.keys["viewer"], "next": target})
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/pages"
    assert not urlsplit(r.headers["location"]).netloc


def test_sign_out_needs_the_forms_token_then_drops_the_cookie(api_env):
    c, csrf = api_env.signed_in("viewer")
    assert c.post("/pages/logout", data={"csrf": "wrong"}).status_code == 403
    r = c.post("/pages/logout", data={"csrf": csrf})
    assert r.status_code == 303 and f'{SESSION_COOKIE}=""' in r.headers["set-cookie"]
    assert "cm-login" in c.get("/").text


def test_a_form_posted_without_signing_in_goes_to_the_sign_in_page_and_back(anon):
    r = anon.post("/pages/logout", data={}, headers={"referer": "http://testserver/pages/land?chain=ic"})
    assert r.status_code == 303
    loc = urlsplit(r.headers["location"])
    assert loc.path == "/pages/login" and parse_qs(loc.query)["next"] == ["/pages/land?chain=ic"]


def test_every_page_form_that_changes_data_checks_the_session(api_env):
    """A POST under /pages (except signing in) must use api.deps.page_form: signed in, role, CSRF."""
    from fastapi import routing

    unguarded = []
    for rc in routing.iter_route_contexts(api_env.app.routes):
        if not isinstance(rc.original_route, routing.APIRoute) or not rc.path.startswith("/pages"):
            continue
        if "POST" not in rc.methods or rc.path == "/pages/login":
            continue
        stack, ok = list(rc.dependant.dependencies), False
        while stack and not ok:
            d = stack.pop()
            ok = getattr(d.call, PAGE_ROLES_ATTR, None) is not None
            stack.extend(d.dependencies)
        if not ok:
            unguarded.append(rc.path)
    assert not unguarded, f"页面表单缺少登录/CSRF 检查（api.deps.page_form）: {unguarded}"


@pytest.mark.parametrize("path", ["/", "/pages/land", "/pages/pipeline", "/pages/incentives", "/pages/login", "/pages",
                                  "/pages/chains/集成电路/map?region=衢州", "/pages/enterprises/{firm}",
                                  "/pages/parks/quzhou_zhizao", "/pages/targets?region=衢州&chain=集成电路",
                                  "/pages/land/match", "/pages/pipeline/{project}"])
def test_every_page_has_the_one_navigation_bar(api_env, anon, path):
    if "{project}" in path:
        path = path.format(project=next(api_env.store.iter_nodes("Project"))[0])
    if "{firm}" in path:  # the seed's firms are synthetic: take the first one the store holds
        path = path.format(firm=next(api_env.store.iter_nodes("Enterprise"))[0])
    r = anon.get(path)
    assert r.status_code == 200, (path, r.status_code)
    for title, href in NAV:
        assert f"href='{href}'" in r.text and title in r.text, (path, title)


def test_the_home_page_speaks_chinese(anon):
    text = anon.get("/").text
    assert "企业" in text and "产业链" in text and "IndustryChain" not in text and "Enterprise " not in text


def test_a_park_administrator_sees_their_park_by_name_not_its_key(api_env):
    c, _ = api_env.signed_in("park_admin")
    text = c.get("/").text
    park = api_env.store.get("Park", "quzhou_zhizao")["name"]
    assert f"park_admin-user（园区管理员 · {park}）" in text and "quzhou_zhizao" not in text.split("</nav>")[0]
