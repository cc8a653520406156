"""Hostile and odd data never takes the service down (API and CLI), on both backends.

Each case was found by a probe as an attacker or a careless user: an unbounded name, NaN in the attractability
model's training rows, control characters in names and the 推介会 XLSX, an import that unpacks to gigabytes, a
header-only interchange file hiding every other problem, and the smaller ones (a 500 that dropped the keep-alive
connection, 422 where the caller had no key, 422 for another park's rows, OPTIONS listing one method, numbers read
as dates or booleans)."""
from __future__ import annotations

import io
import socket
import threading
import time
import zipfile

import httpx
import pytest
import uvicorn
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings, get_settings
from conftest import point_cli_at
from factories import seeded
from graph.schema import NAME_MAX, Enterprise, Project
from graph.store import Batch, NodeRec, RelRec
from graph.writer import write_objects


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=300, seed=9, imports={"max_rows": 50, "max_unpacked_bytes": 200_000})


def h(keys, role):
    return {"X-API-Key": keys[role]}


def problem(r, status):
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


# ------------------------------------------------------------------------------------------- 1. bounded text
def test_an_unbounded_name_is_refused_and_nothing_is_written(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    v = store.version()
    body = problem(client.put("/api/v1/enterprises/HUGE1", json={"name": "名" * 1_048_576}, headers=h(keys, "officer")),
                   422)
    assert body["errors"][0]["field"] == "name" and f"至多 {NAME_MAX} 个" in body["errors"][0]["message"]
    for field, value in (("tags", ["t" * 201]), ("tags", ["t"] * 1001), ("business_scope", "经" * 8001)):
        body = problem(client.put("/api/v1/enterprises/HUGE1", json={"name": "甲", field: value},
                                  headers=h(keys, "officer")), 422)
        assert body["errors"][0]["field"].startswith(field)
    assert store.version() == v and store.get("Enterprise", "HUGE1") is None


def test_the_largest_allowed_name_is_accepted_and_served(api_env):
    client, keys = api_env.client, api_env.keys
    r = client.put("/api/v1/enterprises/LONGNAME1", json={"name": "名" * NAME_MAX, "region": "330800",
                                                         "synthetic": True}, headers=h(keys, "officer"))
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/chains/ic/map", params={"region": "衢州"}).status_code == 200
    assert client.get("/pages/enterprises/LONGNAME1").status_code == 200


# ------------------------------------------------------------------------------------------- 3. control characters
@pytest.mark.parametrize("bad", ["甲\x00乙", "甲\x07乙", "甲\u202e乙"])
def test_control_and_bidi_characters_are_refused_at_the_write_boundary(api_env, bad):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    body = problem(client.put("/api/v1/enterprises/CTRL1", json={"name": bad}, headers=h(keys, "officer")), 422)
    assert body["errors"][0]["field"] == "name" and "U+" in body["errors"][0]["message"]
    assert store.get("Enterprise", "CTRL1") is None


def test_reports_and_exports_are_safe_for_any_text_already_in_the_store(api_env, tmp_path, monkeypatch):
    """Text written before the bounds (or around them) must not break a 推介会 XLSX, the API or the CLI."""
    from api.cli import app as cli

    client, keys, store = api_env.client, api_env.keys, api_env.store
    # a local 链主 (named in the report's segment table) and an outside target (in the target list)
    leader = store.find("Enterprise", filters={"region": "330802"}, limit=1)[0][0]["key"]
    seg = store.find("Segment", filters={"chain": "ic"}, limit=1)[0][0]["key"]
    store.write(Batch(rels=[RelRec("LEADS", "Enterprise", leader, "IndustryChain", "ic", {}),
                            RelRec("IN_SEGMENT", "Enterprise", leader, "Segment", seg, {"weight": 1.0})]))
    target = client.get("/api/v1/recommendations/targets", params={"region": "衢州", "chain": "ic"}).json()
    firms = [store.get("Enterprise", leader), store.get("Enterprise", target["items"][0]["enterprise"])]
    for firm in firms:
        odd = {k: v for k, v in firm.items() if k != "key"} | {"name": "=HYPERLINK(\"x\")\x00\x07\u202e旧数据（合成）"}
        store.write(Batch(nodes=[NodeRec("Enterprise", firm["key"], odd)]))
    for url, params in (("/pages/chains/ic/report.xlsx", {"region": "衢州"}),
                        ("/api/v1/recommendations/targets.xlsx", {"region": "衢州", "chain": "ic"})):
        r = client.get(url, params=params)
        assert r.status_code == 200, (url, r.text[:300])
        wb = load_workbook(io.BytesIO(r.content))
        odd_cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str) and "旧数据" in c.value]
        assert odd_cells and all(c.data_type == "s" and "\x00" not in c.value for c in odd_cells), url  # text
    point_cli_at(monkeypatch, store)
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(cli, ["report", "集成电路", "--region", "衢州", "--output", str(tmp_path / "rep")])
        assert res.exit_code == 0, res.output
        assert any(p.suffix == ".xlsx" for p in (tmp_path / "rep").iterdir())
        res = CliRunner().invoke(cli, ["export", "-o", str(tmp_path / "exp"), "--format", "xlsx"])
        assert res.exit_code == 0, res.output
    finally:
        get_settings.cache_clear()
        store.write(Batch(nodes=[NodeRec("Enterprise", f["key"], {k: v for k, v in f.items() if k != "key"})
                                 for f in firms]))


# ------------------------------------------------------------------------------------------- 2. NaN poisoning
def test_a_firm_without_location_investing_in_projects_breaks_no_endpoint(api_env):
    """The probe's case, with enough landed projects that weights are learned from the projects."""
    client, keys, store = api_env.client, api_env.keys, api_env.store
    objs = [Enterprise(key=f"NOLOC{i}", name=f"无坐标投资方{i}（合成）", synthetic=True) for i in range(4)]
    objs += [Project(key=f"NOLOCP{i}", name=f"无坐标投资方项目{i}（合成）", investor=f"NOLOC{i % 4}", region="330800",
                     chain="ic", stage="签约" if i % 3 else "洽谈", synthetic=True) for i in range(45)]
    write_objects(store, objs)
    firm = store.find("Enterprise", limit=1)[0][0]["key"]
    fund = store.find("Fund", limit=1)[0][0]["key"]
    for url in ("/api/v1/recommendations/targets?region=衢州&chain=ic", f"/api/v1/enterprises/{firm}/similar",
                f"/api/v1/funds/{fund}/targets?region=衢州", "/pages/chains/ic/map?region=衢州",
                "/pages/chains/ic/report?region=衢州", "/api/v1/recommendations/targets.xlsx?region=衢州&chain=ic"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    w = client.get("/api/v1/recommendations/targets", params={"region": "衢州", "chain": "ic"}).json()["weights"]
    assert w["source"] in ("learned", "default") and all(v == v for v in w["values"].values())


# ------------------------------------------------------------------------------------------- 4. bounded imports
def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_import_over_the_row_limit_is_413_and_writes_nothing(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    v = store.version()
    data = _xlsx([["项目编号", "项目名称"]] + [[f"BIG{i}", f"项目{i}（合成）"] for i in range(80)])
    body = problem(client.post("/api/v1/pipeline/import", content=data, headers=h(keys, "officer")), 413)
    assert "50 行" in body["detail"] and store.version() == v


def test_an_import_that_unpacks_past_the_limit_is_413_before_it_is_parsed(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:  # 3 MB of zeros in a few kB
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * 3_000_000)
    assert len(buf.getvalue()) < 50_000
    body = problem(client.post("/api/v1/pipeline/import", content=buf.getvalue(), headers=h(keys, "officer")), 413)
    assert "解压后" in body["detail"] and "MB" in body["detail"]


def test_another_parks_rows_are_403_naming_the_rows(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    data = _xlsx([["项目编号", "项目名称", "意向园区"], ["OTHERPARK1", "他园项目（合成）", "longyou_ez"]])
    body = problem(client.post("/api/v1/pipeline/import", content=data, headers=h(keys, "park_admin")), 403)
    assert body["errors"][0]["row"] == 2 and store.get("Project", "OTHERPARK1") is None


# ------------------------------------------------------------------------------------------- 6. smaller ones
def test_an_unhandled_error_answers_500_and_keeps_the_connection(api_env, tmp_path):
    store = api_env.store

    def boom():  # an endpoint that fails with an error no handler expects
        raise RuntimeError("探测用的意外错误")

    app = create_app(Settings(snapshot_dir=str(tmp_path / "snaps")), store=store)
    app.add_api_route("/boom", boom)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            r = c.get("/boom")
            assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["request_id"]
        # two requests on ONE connection: the second is answered on it (the server did not drop it after the 500)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            first = _exchange(sock, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
            second = _exchange(sock, b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 500") and b"connection: close" not in first.lower()
        assert second.startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        t.join(10)


def _exchange(sock, request: bytes) -> bytes:
    """Send one request, read one whole response (headers and a Content-Length body)."""
    sock.sendall(request)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize("role, status", [(None, 401), ("bad", 401), ("viewer", 403), ("officer", 422)])
def test_a_malformed_body_answers_who_may_call_first(api_env, role, status):
    client, keys = api_env.client, api_env.keys
    headers = {"Content-Type": "application/json"}
    if role == "bad":
        headers["X-API-Key"] = "cm_nope_nope"
    elif role:
        headers["X-API-Key"] = keys[role]
    r = client.put("/api/v1/enterprises/X1", content=b"{not json", headers=headers)
    problem(r, status)


def test_options_lists_every_method_of_the_path(api_env):
    client = api_env.client
    r = client.options("/api/v1/enterprises/ANY")
    assert r.status_code == 204 and set(r.headers["allow"].split(", ")) >= {"GET", "PUT", "DELETE", "OPTIONS"}
    r = client.post("/api/v1/enterprises/ANY")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "PUT", "DELETE"}


def test_numbers_are_neither_dates_nor_booleans(api_env):
    client, keys = api_env.client, api_env.keys
    body = problem(client.post("/api/v1/incentives/calculate", json={"on": 0}), 422)
    assert body["errors"][0]["field"] == "on"
    problem(client.post("/api/v1/land/assign", json={"include_pairs": 0}), 422)
    problem(client.put("/api/v1/enterprises/B0", json={"name": "甲", "synthetic": 1}, headers=h(keys, "officer")), 422)
    # an integer beyond 64 bits once reached the JSON encoder (500; found by schemathesis)
    body = problem(client.put("/api/v1/enterprises/B0", json={"name": "甲", "new_branches": 559756268872552763359232},
                              headers=h(keys, "officer")), 422)
    assert "new_branches" in body["detail"]
    # Python's JSON parser reads NaN; a number field must not
    problem(client.put("/api/v1/enterprises/B0", content=b'{"name": "B0", "revenue_wan": NaN}',
                       headers=h(keys, "officer") | {"Content-Type": "application/json"}), 422)
