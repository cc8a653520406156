"""Operations: one error shape on every error path, request ids, JSON logs, body limits (declared and chunked),
CORS from settings, /health and /ready, concurrent requests on the embedded store, graceful shutdown of
`chainmatch serve` (SIGTERM → running requests finish, shutdown runs, store closed cleanly)."""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.logs import JsonFormatter
from api.settings import Settings
from conftest import new_store
from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


def make(tmp, backend="sqlite", **settings):
    store = new_store(backend, tmp / "ops.db")
    write_objects(store, tiny_graph_objects(), tiny_graph_relations())
    app = create_app(Settings(sqlite_path=str(tmp / "ops.db"), snapshot_dir=str(tmp / "snaps"), **settings), store=store)
    return app, store


@pytest.fixture(scope="module")
def app_data():
    return graph_data(tiny_graph_objects(), tiny_graph_relations(), max_body_bytes=64 * 1024)


def is_problem(r, status):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["request_id"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]  # a Chinese message
    return body


def test_every_error_path_is_problem_json_in_chinese(api_env):
    client, admin = api_env.client, api_env.h("admin")
    is_problem(client.get("/api/v1/no-such-thing"), 404)
    assert is_problem(client.get("/api/v1/chains/nope"), 404)["detail"] == "产业链 'nope' 不存在"
    assert is_problem(client.patch("/api/v1/chains/ic", json={}), 405)["detail"] == "不支持该请求方法"
    body = is_problem(client.get("/api/v1/enterprises", params={"limit": "many"}), 422)
    assert body["errors"][0]["field"] == "limit" and body["errors"][0]["in"] == "query"
    body = is_problem(client.put("/api/v1/parcels/p1", content=b"{not json", headers=admin | {"content-type": "application/json"}), 422)
    assert "JSON" in body["detail"]
    is_problem(client.put("/api/v1/parcels/p1", content=b"\xff\xfe\x00", headers=admin | {"content-type": "application/json"}), 400)
    body = is_problem(client.put("/api/v1/parcels/p1", json={"name": "地", "region": "330800", "area_mu": -5}, headers=admin), 422)
    assert body["errors"][0]["field"] == "area_mu"
    body = is_problem(client.put("/api/v1/chains/ic", json={"name": "集成电路", "colour": "红"}, headers=admin), 422)
    assert body["errors"][0]["field"] == "colour" and body["errors"][0]["message"] == "未知字段"
    is_problem(client.put("/api/v1/chains/ic", json={"name": "x"}), 401)


def test_body_limit_declared_and_chunked(api_env):
    client, admin, store = api_env.client, api_env.h("admin"), api_env.store
    v0 = store.version()
    big = json.dumps({"name": "大", "description": "字" * 40_000}).encode()
    is_problem(client.put("/api/v1/chains/big", content=big, headers=admin | {"content-type": "application/json"}), 413)

    def chunks():  # no Content-Length: the limit is enforced while reading
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]

    r = client.put("/api/v1/chains/big", content=chunks(), headers=admin | {"content-type": "application/json"})
    body = is_problem(r, 413)
    assert "65536" in body["detail"]
    assert store.version() == v0 and store.get("IndustryChain", "big") is None
    small = json.dumps({"name": "小链"}).encode()
    r = client.put("/api/v1/chains/small", content=iter([small]), headers=admin | {"content-type": "application/json"})
    assert r.status_code == 201


def test_request_ids_are_returned_logged_and_in_errors(api_env):
    client = api_env.client
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("chainmatch.access")
    access.addHandler(handler)
    old = access.level
    access.setLevel(logging.INFO)
    try:
        r = client.get("/api/v1/chains/ic", headers={"X-Request-ID": "officer-42.retry"})
        assert r.headers["x-request-id"] == "officer-42.retry"
        r = client.get("/api/v1/chains/zz")
        rid = r.headers["x-request-id"]
        assert len(rid) == 16 and r.json()["request_id"] == rid
        r = client.get("/api/v1/chains/ic", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 80})
        assert r.headers["x-request-id"] != "bad id\twith spaces" and len(r.headers["x-request-id"]) == 16
    finally:
        access.removeHandler(handler)
        access.setLevel(old)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    first = next(x for x in lines if x.get("request_id") == "officer-42.retry")
    assert first["path"] == "/api/v1/chains/ic" and first["status"] == 200 and first["method"] == "GET"
    assert first["duration_ms"] >= 0 and first["level"] == "info" and first["ts"].endswith("+00:00")
    assert any(x.get("request_id") == rid and x["status"] == 404 for x in lines)


def test_cors_comes_from_settings(tmp_path):
    app, store = make(tmp_path, cors_origins=["https://zs.example.gov.cn"])
    with TestClient(app) as client:
        pre = {"Origin": "https://zs.example.gov.cn", "Access-Control-Request-Method": "PUT",
               "Access-Control-Request-Headers": "X-API-Key, Content-Type"}
        r = client.options("/api/v1/chains/ic", headers=pre)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://zs.example.gov.cn"
        assert "x-api-key" in r.headers["access-control-allow-headers"].lower()
        r = client.get("/api/v1/chains/ic", headers={"Origin": "https://zs.example.gov.cn"})
        assert r.headers["access-control-allow-origin"] == "https://zs.example.gov.cn"
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
        r = client.get("/api/v1/chains/ic", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers
    store.close()
    app, store = make(tmp_path / "closed")
    with TestClient(app) as client:  # no origins configured: no CORS at all
        r = client.get("/api/v1/chains/ic", headers={"Origin": "https://zs.example.gov.cn"})
        assert "access-control-allow-origin" not in r.headers
    store.close()


def test_health_and_ready_follow_the_store(tmp_path):
    app, store = make(tmp_path)
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}
        r = client.get("/ready")
        assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["counts"]["IndustryChain"] == 1
        raw = sqlite3.connect(tmp_path / "ops.db")
        raw.execute("DROP TABLE meta")  # the store becomes unreadable under the running service
        raw.commit()
        raw.close()
        r = client.get("/ready")
        assert r.status_code == 503 and r.json()["status"] == "unavailable" and "存储不可用" in r.json()["reason"]
        assert client.get("/health").status_code == 200
    store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_concurrent_reads_and_writes_on_the_embedded_store(tmp_path):
    """40 clients at once against a real server: writes of distinct firms, lists and neighbours. Every request
    succeeds, every write is there once, each with its audit entry."""
    app, store = make(tmp_path)
    officer = create_key(store, name="并发", role="officer")[1]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    def one(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=base, timeout=30) as c:
            if i % 2 == 0:
                key = f"syn.conc.{i:03d}"
                r = c.put(f"/api/v1/enterprises/{key}", headers={"X-API-Key": officer},
                          json={"name": f"并发测试企业{i}（合成）", "region": "330800", "synthetic": True})
                return i, r.status_code
            r = c.get("/api/v1/enterprises", params={"region": "330800", "limit": 100})
            r2 = c.get("/api/v1/segments/ic.fab/neighbours")
            return i, max(r.status_code, r2.status_code)

    try:
        with ThreadPoolExecutor(40) as pool:
            results = list(pool.map(one, range(80)))
    finally:
        server.should_exit = True
        t.join(timeout=10)
    assert all(s in (200, 201) for _, s in results), [r for r in results if r[1] not in (200, 201)]
    written = [f"syn.conc.{i:03d}" for i in range(0, 80, 2)]
    assert set(store.existing_keys("Enterprise", written)) == set(written)
    targets = {e["target"] for e in store.list_audit(limit=1000)}
    assert {f"Enterprise/{k}" for k in written} <= targets
    store.close()


def test_serve_shuts_down_gracefully_on_sigterm(tmp_path):
    """`chainmatch serve` on a fresh store: seeds, serves, logs JSON lines with request ids, and on SIGTERM
    finishes, runs the shutdown, closes the store (no WAL left behind) and ends."""
    port = _free_port()
    db = tmp_path / "serve.db"
    env = os.environ | {"CHAINMATCH_SQLITE_PATH": str(db), "CHAINMATCH_SNAPSHOT_DIR": str(tmp_path / "snaps"),
                        "CHAINMATCH_SEED_SCALE": "60", "CHAINMATCH_LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chainmatch serve did not become ready: " + proc.stderr.read()[-2000:] if proc.poll() else "timeout")
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/chains/ic", headers={"X-Request-ID": "shutdown-test-1"})
        assert r.status_code == 200 and r.json()["name"] == "集成电路"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, -signal.SIGTERM), err[-2000:]  # uvicorn re-raises the signal once shut down
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(x.get("request_id") == "shutdown-test-1" and x.get("status") == 200 for x in logs), err[-2000:]
    msgs = [x["msg"] for x in logs]
    assert msgs.index("ChainMatch stopped") > msgs.index("Shutting down")
    assert "Application shutdown complete." in msgs
    assert not Path(str(db) + "-wal").exists() or Path(str(db) + "-wal").stat().st_size == 0
    check = SQLiteStore(db)
    assert check.counts()["nodes"]["IndustryChain"] >= 8
    check.close()
