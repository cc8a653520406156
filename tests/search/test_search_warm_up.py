"""The search index at scale: the service builds it in the background when it starts (a first build over a million
firms takes minutes), and a search never waits on a running build longer than `search.wait_seconds` — it reads
the index as it was, or, when there is none yet, gets 503 "检索索引正在建立" with Retry-After (API and page alike).

The running build is the real one, held at its start by a gate so the test can search while it runs."""
from __future__ import annotations

import threading

import pytest

from conftest import open_api
from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise
from graph.writer import write_objects
from search.commands import index_path, warm_up
from search.index import SearchIndex

HX = "华芯国际微电子有限公司（测试）"


def data(**search):
    objects = tiny_graph_objects() + [Enterprise(key="E-HX", name=HX, region="330800")]
    return graph_data(objects, tiny_graph_relations(), search=search)


@pytest.fixture
def held(monkeypatch):
    """Gate one SearchIndex method: `held.gate("build")`; `held.entered` is set once a thread is inside it and
    waits for `held.release()`."""

    class Held:
        entered = threading.Event()
        _open = threading.Event()

        def gate(self, method: str) -> None:
            real = getattr(SearchIndex, method)

            def gated(index, *args, **kwargs):
                self.entered.set()
                assert self._open.wait(60), "the test never released the gate"
                return real(index, *args, **kwargs)

            monkeypatch.setattr(SearchIndex, method, gated)

        def release(self) -> None:
            self._open.set()

    h = Held()
    yield h
    h.release()


def test_the_service_builds_the_index_when_it_starts_before_any_search(any_store, tmp_path):
    app_data = data(warm_on_start=True)
    app_data.fill(any_store)
    with open_api(any_store, tmp_path, app_data) as env:
        warming = env.app.state.search_warm_up
        assert warming is not None
        warming.join(60)
        assert not warming.is_alive()
        state = SearchIndex(index_path(env.settings.snapshot_dir, any_store.store_id())).state()
        assert state == (any_store.store_id(), any_store.version())  # built, and no search has run
        r = env.client.get("/api/v1/search", params={"q": "华芯"})
        assert r.status_code == 200 and r.json()["hits"][0]["key"] == "E-HX"


def test_without_warm_up_nothing_is_built_until_the_first_search(any_store, tmp_path):
    app_data = data(warm_on_start=False)
    app_data.fill(any_store)
    with open_api(any_store, tmp_path, app_data) as env:
        assert env.app.state.search_warm_up is None
        assert SearchIndex(index_path(env.settings.snapshot_dir, any_store.store_id())).state() is None
        assert env.client.get("/api/v1/search", params={"q": "华芯"}).json()["hits"][0]["key"] == "E-HX"


def test_a_search_during_the_first_build_is_told_to_come_back_not_held(any_store, tmp_path, held):
    app_data = data(warm_on_start=False, wait_seconds=0.2)
    app_data.fill(any_store)
    held.gate("build")
    with open_api(any_store, tmp_path, app_data) as env:
        building = warm_up(any_store, env.app.state.chainmatch.snapshots.get, env.settings.snapshot_dir)
        assert held.entered.wait(30)
        r = env.client.get("/api/v1/search", params={"q": "华芯"})
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        assert "检索索引正在建立" in r.json()["detail"] and int(r.headers["Retry-After"]) > 0
        page = env.client.get("/pages/search", params={"q": "华芯"})
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "检索索引正在建立" in page.text and "cm-nav-search" in page.text  # in the shell, with its box
        held.release()
        building.join(60)
        r = env.client.get("/api/v1/search", params={"q": "华芯"})
        assert r.status_code == 200 and r.json()["hits"][0]["key"] == "E-HX"


def _until(get, ok, seconds=60):
    """Ask again until `ok(answer)` (the background build finishing), at most `seconds`."""
    import time

    end = time.monotonic() + seconds
    while True:
        r = get()
        if ok(r) or time.monotonic() > end:
            return r
        time.sleep(0.05)


def test_a_search_that_needs_the_first_build_starts_it_and_is_not_held(any_store, tmp_path, held):
    import time

    app_data = data(warm_on_start=False, wait_seconds=0.3)
    app_data.fill(any_store)
    held.gate("build")
    with open_api(any_store, tmp_path, app_data) as env:
        started = time.monotonic()
        r = env.client.get("/api/v1/search", params={"q": "华芯"})  # no index: this search starts the build
        assert r.status_code == 503 and "检索索引正在建立" in r.json()["detail"]
        assert time.monotonic() - started < 20 and held.entered.is_set()  # answered while the build is held
        held.release()
        r = _until(lambda: env.client.get("/api/v1/search", params={"q": "华芯"}), lambda r: r.status_code == 200)
        assert r.status_code == 200 and r.json()["hits"][0]["key"] == "E-HX"


@pytest.mark.parametrize("started_by", ["warm-up", "the search"])
def test_while_the_index_catches_up_with_a_write_searches_read_it_as_it_was(any_store, tmp_path, held, started_by):
    app_data = data(warm_on_start=False, wait_seconds=0.3)
    app_data.fill(any_store)
    with open_api(any_store, tmp_path, app_data) as env:
        c = env.client
        assert c.get("/api/v1/search", params={"q": "华芯"}).json()["total"] == 1  # the index, current
        held.gate("update")
        write_objects(any_store, [Enterprise(key="E-HY", name="华芯源科技有限公司（测试）", region="330800")], [])
        if started_by == "warm-up":
            warm_up(any_store, env.app.state.chainmatch.snapshots.get, env.settings.snapshot_dir)
            assert held.entered.wait(30)
        r = c.get("/api/v1/search", params={"q": "华芯"})  # otherwise this search starts the update, and goes on
        assert r.status_code == 200 and [h["key"] for h in r.json()["hits"]] == ["E-HX"]  # as it was
        assert held.entered.wait(30)
        held.release()
        r = _until(lambda: c.get("/api/v1/search", params={"q": "华芯"}), lambda r: r.json()["total"] == 2)
        assert {h["key"] for h in r.json()["hits"]} == {"E-HX", "E-HY"}


def test_the_search_page_without_a_query_does_not_wait_for_the_build(any_store, tmp_path, held):
    app_data = data(warm_on_start=False, wait_seconds=0.3)
    app_data.fill(any_store)
    held.gate("build")
    with open_api(any_store, tmp_path, app_data) as env:
        page = env.client.get("/pages/search")  # the tips: no index needed, so no build started and no 503
        assert page.status_code == 200 and "id='cm-tips'" in page.text and not held.entered.is_set()
