"""Shared fixtures: stores for every backend, a tiny hand-built graph.

Backends. `make test` starts a local Neo4j (tools/neo4j/local.py) and sets NEO4J_URI; every test that takes
`any_store` (function scope) or `backend` (module scope, for API modules that build one app per module) then runs
on SQLite AND Neo4j. Without NEO4J_URI the Neo4j runs are skipped with a message — unless
CHAINMATCH_REQUIRE_NEO4J=1 (CI), where a skipped Neo4j test is a failure.

The API. One fixture, `api_env` (module scope): a TestClient over an app whose store holds the module's
`app_data` (default: factories.seeded(); a module overrides the `app_data` fixture with factories.seeded(...) or
factories.graph_data(...)), with one key per role (admin, officer, park_admin of app_data.park, viewer) plus
app_data.extra_keys, on each backend. `open_api(store, directory, app_data)` is the same app over a store the test
filled itself (function scope, or data the app must find at start-up); `store` is a fresh store of each
backend holding the module's `app_data`, for tests below the API (commands, rankers) — a module uses it or
`api_env`, not both on Neo4j (one Neo4j test store at a time).

Neo4j Community has one user database, so at most one Neo4j test store is open at a time; opening a second while
the first is still open is refused (two fixtures would wipe each other's data).
"""
from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from factories import USCC_A, USCC_B, USCC_C, AppData, seeded, tiny_graph_objects, tiny_graph_relations  # noqa: F401
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects

ROLES = ("admin", "officer", "park_admin", "viewer")


# The app builds its search index in a background thread at start-up (search.warm_on_start). The suite starts ~100
# apps, most of which never search; tests/search/test_search_warm_up.py turns it on and checks it. (Inherited by the
# CLI and browser tests' servers too.)
os.environ.setdefault("CHAINMATCH_SEARCH__WARM_ON_START", "false")

BACKENDS = ("sqlite", "neo4j")
_open_neo4j: "weakref.WeakSet" = weakref.WeakSet()


def require_neo4j() -> None:
    """Skip (or, under CHAINMATCH_REQUIRE_NEO4J=1, fail) when no Neo4j is configured."""
    if os.environ.get("NEO4J_URI"):
        return
    why = ("未设置 NEO4J_URI：Neo4j 测试未运行（`make test` 会启动本地 Neo4j；或设置 NEO4J_URI/NEO4J_USER/"
           "NEO4J_PASSWORD 指向 Neo4j 5.26）")
    if os.environ.get("CHAINMATCH_REQUIRE_NEO4J") == "1":
        pytest.fail(why + "（CHAINMATCH_REQUIRE_NEO4J=1）")
    pytest.skip(why)


def neo4j_test_store():
    """The configured Neo4j, wiped: an empty store with a new id and version 0."""
    require_neo4j()
    from graph.neo4j_store import Neo4jStore

    still_open = [s for s in _open_neo4j if not s.closed]
    if still_open:
        raise RuntimeError("another Neo4j test store is still open: Neo4j Community has one database, two "
                           "fixtures would wipe each other's data (close the first, or give the test its own scope)")
    s = Neo4jStore(os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                   password=os.environ.get("NEO4J_PASSWORD", ""), database=os.environ.get("NEO4J_DATABASE"))
    s.wipe_for_tests()
    _open_neo4j.add(s)
    return s


def second_handle(store):
    """Another handle on the same data (its own connections/driver), as a second process would open it; nothing
    is wiped. The caller closes it."""
    if store.backend == "sqlite":
        return SQLiteStore(store.path)
    from graph.neo4j_store import Neo4jStore

    return Neo4jStore(os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                      password=os.environ.get("NEO4J_PASSWORD", ""), database=os.environ.get("NEO4J_DATABASE"))


def raw_bytes(store) -> bytes:
    """Everything the store holds, as bytes: the SQLite file (and its WAL), or every Neo4j node's and relationship's
    properties — for tests that a secret never reaches the storage."""
    if store.backend == "sqlite":
        out = open(store.path, "rb").read()
        if os.path.exists(store.path + "-wal"):
            out += open(store.path + "-wal", "rb").read()
        return out
    import orjson

    with store._driver.session(database=store.database) as s:
        rows = [r.data() for r in s.run("MATCH (n) RETURN properties(n) AS p")]
        rows += [r.data() for r in s.run("MATCH ()-[r]->() RETURN properties(r) AS p")]
    return orjson.dumps(rows)


def point_cli_at(monkeypatch, store) -> None:
    """Make `chainmatch …` commands (which open the configured store) use this store. The caller clears
    get_settings' cache again when done."""
    from api.settings import get_settings

    monkeypatch.setenv("CHAINMATCH_STORE_BACKEND", store.backend)
    if store.backend == "sqlite":
        monkeypatch.setenv("CHAINMATCH_SQLITE_PATH", str(store.path))
    get_settings.cache_clear()


def new_store(backend: str, path):
    """A fresh, empty store of `backend`: a SQLite file at `path`, or the wiped test Neo4j."""
    return SQLiteStore(path) if backend == "sqlite" else neo4j_test_store()


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path):
    """A fresh, empty store of each backend."""
    s = new_store(request.param, tmp_path / "contract.db")
    yield s
    s.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    """The backend a module-scoped app fixture runs on: every test of the module runs once per backend."""
    if request.param == "neo4j":
        require_neo4j()
    return request.param


@pytest.fixture
def sqlite_store(tmp_path):
    s = SQLiteStore(tmp_path / "t.db")
    yield s
    s.close()


@pytest.fixture
def tiny(any_store):
    write_objects(any_store, tiny_graph_objects(), tiny_graph_relations())
    return any_store


@dataclass
class ApiEnv:
    """One test module's app: the ASGI app, a started TestClient, the store and a key per role (plus extra keys)."""

    app: Any
    client: Any
    store: Any
    keys: dict[str, str]
    settings: Any

    def h(self, role: str) -> dict[str, str]:
        """The header that authenticates as `role`."""
        return {"X-API-Key": self.keys[role]}

    def signed_in(self, role: str) -> tuple[Any, str]:
        """A browser-like client of the pages signed in as `role` through /pages/login (its own cookie jar, so the
        module's client stays anonymous), and the CSRF token its forms carry."""
        from fastapi.testclient import TestClient

        from api.deps import page_csrf

        c = TestClient(self.app, follow_redirects=False)
        r = c.post("/pages/login", data={"key": self.keys[role], "next": "/pages"})
        assert r.status_code == 303, r.text[:300]
        return c, page_csrf(self.keys[role])


@pytest.fixture(scope="module")
def app_data() -> AppData:
    """What the module's app serves; override in a test module."""
    return seeded()


@contextmanager
def open_api(store, directory: Path, app_data: AppData) -> Iterator[ApiEnv]:
    """A started TestClient over an app on `store` (already holding app_data), its settings from app_data and its
    snapshots under `directory`, with a key per role (`<role>-user`; park_admin of app_data.park) and one per
    app_data.extra_keys (named by its key). The caller closes the store."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings

    keys = {role: create_key(store, name=f"{role}-user", role=role,
                             park=app_data.park if role == "park_admin" else None)[1] for role in ROLES}
    keys |= {name: create_key(store, name=name, role=role, park=park)[1]
             for name, (role, park) in app_data.extra_keys.items()}
    settings = Settings(sqlite_path=str(directory / "api.db"), snapshot_dir=str(directory / "snaps"),
                        **app_data.settings)
    app = create_app(settings, store=store)
    with TestClient(app) as client:
        yield ApiEnv(app, client, store, keys, settings)


@pytest.fixture(scope="module")
def api_env(backend, tmp_path_factory, app_data):
    """The module's app on each backend (see the module docstring)."""
    d = tmp_path_factory.mktemp(f"api-{backend}")
    store = new_store(backend, d / "api.db")
    try:
        app_data.fill(store)
        with open_api(store, d, app_data) as env:
            yield env
    finally:
        store.close()


@pytest.fixture
def store(any_store, app_data):
    """A fresh store of each backend holding the module's `app_data`, for tests below the API (a module may still
    define its own `store`)."""
    app_data.fill(any_store)
    return any_store
