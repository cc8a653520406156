"""The 订阅提醒 button on the firm (企业尽调), parcel, project and park pages, on both backends: a signed-in officer
subscribes from the page and comes back to it with the answer; the subscription is theirs; visitors and read-only
users see no button; the button's `back` cannot send the officer off-site."""
from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from factories import seeded


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=120, seed=5, alerts={"worker": False})


def _one(env, label, **where):
    for k, p in env.store.iter_nodes(label):
        if all(p.get(f) == v for f, v in where.items()):
            return k
    raise AssertionError(f"no {label}")


def _pages(env):
    firm = _one(env, "Enterprise")
    parcel = _one(env, "LandParcel")
    project = _one(env, "Project")
    park = _one(env, "Park")
    return [("firm", firm, f"/pages/enterprises/{quote(firm)}"),
            ("parcel", parcel, "/pages/land?" + urlencode({"parcel": parcel})),
            ("project", project, f"/pages/pipeline/{quote(project)}"),
            ("park", park, f"/pages/parks/{quote(park)}")]


def test_an_officer_subscribes_from_each_page_and_comes_back_to_it(api_env):
    client, csrf = api_env.signed_in("officer")
    for kind, key, url in _pages(api_env):
        page = client.get(url)
        assert page.status_code == 200 and "id='cm-subscribe'" in page.text, (kind, url)
        assert f"name='subject' value='{key}'" in page.text
        r = client.post("/pages/alerts/subscribe", data={"kind": kind, "subject": key, "back": url, "csrf": csrf},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(url.split("?")[0]), r.headers["location"]
        assert "cm_ok=1" in r.headers["location"], (kind, r.headers["location"])
    subs = client.get("/api/v1/subscriptions", headers=api_env.h("officer")).json()
    items = subs["items"] if isinstance(subs, dict) else subs
    assert {s["kind"] for s in items} >= {"firm", "parcel", "project", "park"}


def test_no_button_for_visitors_and_read_only_users(api_env):
    viewer, _ = api_env.signed_in("viewer")
    for _, _, url in _pages(api_env):
        assert "cm-subscribe" not in api_env.client.get(url).text
        assert "cm-subscribe" not in viewer.get(url).text


def test_back_never_leaves_the_site(api_env):
    client, csrf = api_env.signed_in("officer")
    kind, key, _ = _pages(api_env)[0]
    r = client.post("/pages/alerts/subscribe", data={"kind": kind, "subject": key, "back": "https://evil.example/x",
                                                     "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/pages/alerts")


def test_a_park_administrator_sees_the_button_only_where_they_may_subscribe(api_env):
    """The button follows the subscribe command's rule: a park administrator sees it on their own park and its
    parcels and projects — and each of those works — but not on a firm page nor on another park's pages."""
    park = "quzhou_zhizao"  # app_data.park: the park administrator's
    client, csrf = api_env.signed_in("park_admin")
    by_name = client.get(f"/pages/parks/{quote(api_env.store.get('Park', park)['name'])}")  # opened by its name
    assert "id='cm-subscribe'" in by_name.text and f"name='subject' value='{park}'" in by_name.text
    mine = [("park", park, f"/pages/parks/{park}"),
            ("parcel", _one(api_env, "LandParcel", park=park), None),
            ("project", _one(api_env, "Project", park=park), None)]
    theirs = [("firm", _one(api_env, "Enterprise"), None),
              ("park", _other(api_env, "Park", park), None),
              ("parcel", _other(api_env, "LandParcel", park), None),
              ("project", _other(api_env, "Project", park), None)]
    for kind, key, url in mine:
        url = url or _url(kind, key)
        assert "id='cm-subscribe'" in client.get(url).text, (kind, url)
        r = client.post("/pages/alerts/subscribe", data={"kind": kind, "subject": key, "back": url, "csrf": csrf},
                        follow_redirects=False)
        assert "cm_ok=1" in r.headers["location"], (kind, r.headers["location"])
    for kind, key, _ in theirs:
        url = _url(kind, key)
        page = client.get(url)
        assert page.status_code == 200 and "cm-subscribe" not in page.text, (kind, url)


def _other(env, label, park):
    for k, p in env.store.iter_nodes(label):
        if (k if label == "Park" else p.get("park")) not in (park, None):
            return k
    raise AssertionError(f"no {label} outside {park}")


def _url(kind, key):
    return {"firm": f"/pages/enterprises/{quote(key)}", "park": f"/pages/parks/{quote(key)}",
            "parcel": "/pages/land?" + urlencode({"parcel": key}), "project": f"/pages/pipeline/{quote(key)}"}[kind]
