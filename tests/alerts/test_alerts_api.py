"""内容订阅 over the API and the page, on both backends: subscribe, a write through the land API, the app's worker
records the event, the digest (API and /pages/alerts) shows it, mark read; roles and park scope."""
from __future__ import annotations

import time

import pytest

from factories import seeded

@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7, alerts={"poll_seconds": 0.1, "webhook_allow_hosts": ["127.0.0.1"]})


def _wait_passes(env, goal=1, timeout=20.0):
    """Until the app's worker has completed `goal` processor passes (the first is its baseline)."""
    worker = env.app.state.alerts_worker
    deadline = time.monotonic() + timeout
    while worker.passes < goal:
        assert time.monotonic() < deadline, f"the worker made no pass in {timeout}s"
        time.sleep(0.02)


def _wait(env, role, n, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = env.client.get("/api/v1/events", headers=env.h(role)).json()["items"]
        if len(items) >= n:
            return items
        time.sleep(0.1)
    raise AssertionError(f"no event after {timeout}s")


def _parcel(env, park, *, other=False):
    for k, p in env.store.iter_nodes("LandParcel"):
        if (p.get("park") != park) == other and p.get("status") == "available":
            return k
    raise AssertionError("no parcel")


def test_subscribe_write_digest_and_read(api_env):
    c, h = api_env.client, api_env.h("officer")
    parcel = _parcel(api_env, "quzhou_zhizao")
    r = c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": parcel}, headers=h)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["name"] and "webhook_secret" not in sub
    assert c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": parcel}, headers=h).status_code == 409
    _wait_passes(api_env)  # the worker's baseline pass: the parcel's status is watched before the write
    props = {k: v for k, v in api_env.store.get("LandParcel", parcel).items() if k != "key"}
    from graph.store import Batch, NodeRec
    api_env.store.write(Batch(nodes=[NodeRec("LandParcel", parcel, {**props, "status": "reserved"})]))
    [ev] = _wait(api_env, "officer", 1)
    assert ev["kind"] == "parcel.reserved" and ev["subject"]["page"] == f"/pages/land?parcel={parcel}"
    assert ev["at_beijing"].endswith("北京时间") and not ev["read"]
    assert c.get("/api/v1/events", headers=api_env.h("admin")).json()["items"] == []  # the admin subscribed nothing
    # the page: unread first, mark read through the form (CSRF)
    page_client, csrf = api_env.signed_in("officer")
    html = page_client.get("/pages/alerts").text
    assert "已预留" in html and "未读 1" in html and "/pages/alerts" in html
    r = page_client.post("/pages/alerts/read", data={"event_id": ev["event_id"], "csrf": csrf})
    assert r.status_code == 303
    assert c.get("/api/v1/events?unread=true", headers=h).json()["items"] == []
    anon = c.post("/pages/alerts/read", data={"event_id": ev["event_id"]}, follow_redirects=False)
    assert anon.status_code == 303 and "/pages/login" in anon.headers["location"]
    assert c.delete(f"/api/v1/subscriptions/{sub['id']}", headers=h).status_code == 204
    assert c.get("/api/v1/subscriptions", headers=h).json()["items"] == []


def test_roles_and_park_scope(api_env):
    c = api_env.client
    other = _parcel(api_env, "quzhou_zhizao", other=True)
    r = c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": other}, headers=api_env.h("park_admin"))
    assert r.status_code == 403 and "本园区" in r.json()["detail"]
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电路"}, headers=api_env.h("viewer"))
    assert r.status_code == 403
    assert c.get("/api/v1/events").status_code == 401
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电路", "min_score": 90,
                                              "webhook_url": "http://127.0.0.1:9/hook"}, headers=api_env.h("officer"))
    assert r.status_code == 201 and len(r.json()["webhook_secret"]) > 20 and r.json()["region"] == "330800"
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "不存在的链"}, headers=api_env.h("officer"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "subject"
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电漏"}, headers=api_env.h("officer"))
    assert r.status_code == 422 and "您是不是要找" in r.json()["detail"] and "集成电路" in r.json()["detail"]
    page_client, csrf = api_env.signed_in("officer")
    r = page_client.post("/pages/alerts/subscribe", data={"kind": "region", "subject": "衢州", "csrf": csrf})
    assert r.status_code == 303 and "cm_ok=1" in r.headers["location"]
    assert "衢州" in page_client.get("/pages/alerts").text


def test_the_webhook_secret_is_shown_once_and_never_in_a_url(api_env):
    """Subscribing with a webhook on the page answers with the page itself (200), the secret shown there once; no
    redirect (Location), and the next visit does not show it again."""
    page_client, csrf = api_env.signed_in("officer")
    r = page_client.post("/pages/alerts/subscribe", data={"kind": "region", "subject": "柯城区", "csrf": csrf,
                                                          "webhook_url": "http://127.0.0.1:9/secret-hook"})
    assert r.status_code == 200 and "location" not in r.headers and r.headers["cache-control"] == "no-store"
    [sub] = [s for s in api_env.store.list_subscriptions() if s.webhook_url == "http://127.0.0.1:9/secret-hook"]
    assert sub.secret and sub.secret in r.text and "只显示这一次" in r.text
    assert sub.secret not in page_client.get("/pages/alerts").text
    assert sub.secret not in str(r.url)
    # without a webhook the form still answers 303 back to the page, with no secret anywhere
    r = page_client.post("/pages/alerts/subscribe", data={"kind": "region", "subject": "衢江区", "csrf": csrf})
    assert r.status_code == 303 and "cm_ok=1" in r.headers["location"] and sub.secret not in r.headers["location"]


@pytest.mark.parametrize("url", ["http://localhost:9/h", "http://169.254.169.254/latest/meta-data",
                                 "http://10.0.0.8/h", "http://192.168.1.20/h", "http://[::1]:9/h",
                                 "ftp://hooks.example.com/h", "file:///etc/passwd"])
def test_webhooks_to_internal_addresses_are_refused(api_env, url):
    """Only 127.0.0.1 is allow-listed in this app: every other loopback / private / link-local target, and any
    scheme but http(s), is refused when subscribing — on the API and on the page."""
    r = api_env.client.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电路", "webhook_url": url},
                            headers=api_env.h("officer"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "webhook_url"
    page_client, csrf = api_env.signed_in("officer")
    r = page_client.post("/pages/alerts/subscribe", data={"kind": "chain", "subject": "集成电路", "csrf": csrf,
                                                          "webhook_url": url})
    assert r.status_code == 303 and "cm_ok=0" in r.headers["location"]


def test_the_unread_count_is_every_unread_event_not_the_page(api_env):
    """`unread` on GET /events and the page's 未读 heading count all unread events, not the page shown (?limit=2;
    the page lists 200)."""
    from graph.store import AlertBatch, AlertEventRec

    c, h = api_env.client, api_env.h("officer")
    me = c.get("/api/v1/whoami", headers=h).json()["key_id"]
    c.post("/api/v1/events/read", json={}, headers=h)
    evs = [AlertEventRec(f"unread-test-{i:03d}", 1, "parcel.listed", "LandParcel", "syn.parcel.000000",
                         f"未读测试 {i}", "2026-12-06T02:00:00+00:00", ("LandParcel:syn.parcel.000000",), {})
           for i in range(205)]
    api_env.store.record_alerts(AlertBatch(events=evs, inbox=[(me, ev.event_id, "unread-test") for ev in evs]))
    r = c.get("/api/v1/events?limit=2", headers=h).json()
    assert len(r["items"]) == 2 and r["unread"] == 205
    page_client, _ = api_env.signed_in("officer")
    html = page_client.get("/pages/alerts").text
    assert "未读 205" in html and html.count("未读测试") == 200 and "只列出最新的 200 条" in html
    c.post("/api/v1/events/read", json={}, headers=h)
    assert c.get("/api/v1/events?limit=2", headers=h).json()["unread"] == 0
