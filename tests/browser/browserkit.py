"""Headless Chromium for the page tests (selenium + Debian's chromium/chromium-driver), and a live API server.

(Fixtures live here, not in a conftest.py: a second conftest.py would shadow tests/conftest.py, which other test
modules import by name. Test modules import these fixtures.)

Skipped with a message when the browser is missing, unless CHAINMATCH_REQUIRE_BROWSER=1 (make test), where a
missing browser fails. The network is off for the browser: background networking disabled and every host name
but 127.0.0.1 resolves to nothing; tests also read the DevTools performance log and assert that every request
the page made went to the local server (or file:/data: for saved pages).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

REQUIRE = os.environ.get("CHAINMATCH_REQUIRE_BROWSER") == "1"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--mute-audio",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1500,1100", "--lang=zh-CN")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "未安装 selenium（pip install 'selenium==4.51.0'）"
    from chains.render.png import find_chromium

    if find_chromium() is None:
        return "未找到 chromium"
    if shutil.which("chromedriver") is None:
        return "未找到 chromedriver（Debian 包 chromium-driver）"
    return None


@pytest.fixture(scope="session")
def browser():
    why = _missing()
    if why:
        msg = f"浏览器测试：{why}。运行 tools/ensure-browser.sh 安装 chromium、chromium-driver、fonts-noto-cjk"
        if REQUIRE:
            pytest.fail(msg + "（CHAINMATCH_REQUIRE_BROWSER=1，不允许跳过）", pytrace=False)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from chains.render.png import find_chromium

    opts = webdriver.ChromeOptions()
    opts.binary_location = find_chromium()
    for f in BROWSER_FLAGS:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: Selenium Manager never tries to download a driver
    driver = webdriver.Chrome(options=opts, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


@dataclass
class Loaded:
    url: str
    nodes_drawn: int
    edges_drawn: int
    console_errors: list[dict]
    requests: list[str] = field(default_factory=list)


def load(driver, url: str, *, allowed: tuple[str, ...], screenshot: str | None = None, timeout: float = 30) -> Loaded:
    """Open `url`, wait for the graph's first drawing, and collect drawn nodes, console errors and requests."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drain what earlier pages left
    driver.get_log("performance")
    driver.get(url)
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'"))
    time.sleep(0.3)  # let the stabilised layout settle before the screenshot
    nodes = driver.execute_script("return window.ChainMatch.network.body.nodeIndices.length")
    edges = driver.execute_script("return window.ChainMatch.network.body.edgeIndices.length")
    errors, requests = _check_console_and_requests(driver, url, allowed, screenshot)
    return Loaded(url, nodes, edges, errors, requests)


def _check_console_and_requests(driver, url: str, allowed: tuple[str, ...], screenshot: str | None,
                                ignore_console: tuple[str, ...] = ()) -> tuple[list[dict], list[str]]:
    """The page's console errors and every request it made (since the logs were last drained); fail on a console
    error not in `ignore_console` or a request that leaves `allowed`. Saves the screenshot first."""
    errors = [e for e in driver.get_log("browser")
              if e.get("level") == "SEVERE" and not any(s in e.get("message", "") for s in ignore_console)]
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            requests.append(msg["params"]["url"])
    if screenshot:
        driver.save_screenshot(str(ARTIFACTS / screenshot))
    outside = [u for u in requests if not u.startswith(allowed)]
    assert not outside, f"{url}: requests outside {allowed}: {outside}"
    assert not errors, f"{url}: console errors: {errors}"
    return errors, requests


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The API (chain and page routers included) on the hand-built graph, served on 127.0.0.1."""
    from chain_testgraph import make_app, write
    from graph.sqlite_store import SQLiteStore

    d = tmp_path_factory.mktemp("live")
    store = write(SQLiteStore(d / "live.db"))
    base, server, thread = serve(make_app(store, d))
    yield base, store
    stop(server, thread)
    store.close()


@dataclass
class Page:
    url: str
    title: str
    console_errors: list[dict]
    requests: list[str]
    graph: bool  # a vis graph page (window.ChainMatch) that finished its first drawing


def load_page(driver, url: str, *, allowed: tuple[str, ...], screenshot: str | None = None, timeout: float = 30,
              ignore_console: tuple[str, ...] = (), wait_for: str | None = None) -> Page:
    """Open any page: wait until it is loaded (and, for graph pages, drawn); fail on a console error or a request
    that leaves `allowed`. `ignore_console` lists substrings of console messages a caller expects (e.g. the 404
    of an error page's own main request); `wait_for` a JS expression that is true once the page has rendered
    what it fetches (e.g. Swagger UI's operations)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(url)
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")
    graph = bool(driver.execute_script("return !!(window.ChainMatch && window.ChainMatch.network)"))
    if graph:
        WebDriverWait(driver, timeout).until(
            lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'"))
    if wait_for:
        WebDriverWait(driver, timeout).until(lambda d: d.execute_script(f"return !!({wait_for})"))
    time.sleep(0.3)  # late scripts (Swagger UI fetching the OpenAPI document) get their turn
    errors, requests = _check_console_and_requests(driver, url, allowed, screenshot, ignore_console)
    return Page(url, driver.title, errors, requests, graph)


def serve(app) -> tuple[str, object, threading.Thread]:
    """Run an app with uvicorn on a free 127.0.0.1 port in a thread; returns (base URL, server, thread)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    server._cm_socket = sock  # closed by stop()
    return f"http://127.0.0.1:{port}", server, thread


def stop(server, thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)
    server._cm_socket.close()


@contextmanager
def seeded_site(folder: Path, data: Any, *, officer: str = "王招商", **settings: Any):
    """The app on an embedded store in `folder` filled with `data` (tests/factories.py), served on a free port,
    with one officer's API key: yields (base URL, store, key); stops the server and closes the store after."""
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from graph.sqlite_store import SQLiteStore

    store = SQLiteStore(folder / "pages.db")
    data.fill(store)
    key = create_key(store, name=officer, role="officer")[1]
    app = create_app(Settings(sqlite_path=str(folder / "pages.db"), snapshot_dir=str(folder / "snaps"), **settings),
                     store=store)
    base, server, thread = serve(app)
    try:
        yield base, store, key
    finally:
        stop(server, thread)
        store.close()


def click_and_load(driver: Any, element: Any, timeout: float = 20) -> None:
    """Click a link or a form's button and wait until the next page has replaced this one (a form post answers
    303 and the browser loads the page it points at): reading the page right after click() may still read the
    old one.

    The old page is marked with a window property before the click; the wait ends when a document without the
    mark has finished loading. (Polling the old <html> element for staleness raced Chromium's navigation: while
    the document is swapped, the driver can answer "Node with given id does not belong to the document", a
    generic WebDriverException rather than a stale-element one, which failed a CI run.) Errors raised while the
    page is between documents are retried until the timeout."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__cmLeaving = true;")
    element.click()

    def arrived(d: Any) -> bool:
        try:
            return bool(d.execute_script(
                "return window.__cmLeaving !== true && document.readyState === 'complete';"))
        except WebDriverException:  # between two documents
            return False

    WebDriverWait(driver, timeout).until(arrived)
