"""The Neo4j backend's connection: driver, sessions, retried reads, managed writes, schema set-up and wipe.

The store classes of graph/neo4j_store (reads, writes, change log, administration) all build on Neo4jSessions:
reads run as auto-commit statements retried on transient errors (`_read`), writes as one managed transaction
(`_write`), and every statement goes through graph.neo4j_store.statements.run.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable, Iterator

from graph.neo4j_store.statements import ALERT_LABELS, APIKEY, AUDIT, CHANGE, LABELS, META, SCHEMA_STATEMENTS, run
from graph.store import StoreError

try:  # the driver is a hard dependency of the project, but keep the statement catalogue importable without it
    import neo4j
    from neo4j import GraphDatabase
    from neo4j import exceptions as neo4j_exc
except ImportError:  # pragma: no cover - neo4j is in pyproject dependencies
    neo4j = None  # type: ignore[assignment]
    GraphDatabase = None  # type: ignore[assignment]
    neo4j_exc = None  # type: ignore[assignment]

SCHEMA_VERSION = 2  # 2: change log (ChainMatchChange)
READ_RETRIES = 4  # a read that meets a transient error (leader switch, database starting) is retried this often


class _Eager(list):
    """A statement's records, fetched at once (so the next statement can run on the same session)."""

    def single(self) -> Any:
        return self[0] if self else None

    def consume(self) -> None:
        return None


class _AutoCommit:
    """Stands in for a transaction in `Neo4jStore._read`: every statement runs in auto-commit mode."""

    def __init__(self, session: Any):
        self._session = session

    def run(self, query: Any, parameters: dict[str, Any] | None = None) -> _Eager:
        return _Eager(self._session.run(query, parameters))


_RETRYABLE: tuple[type[BaseException], ...] = (
    (neo4j_exc.TransientError, neo4j_exc.ServiceUnavailable, neo4j_exc.SessionExpired) if neo4j_exc else ()
)


class Neo4jSessions:
    """Connection and sessions of a Neo4j store (see graph.neo4j_store.Neo4jStore for the whole store)."""

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str | None = None,
        driver: Any = None,
        await_indexes_seconds: int = 300,
    ):
        self.uri = uri
        self.database = database or None
        self._closed = False
        self._write_lock = threading.Lock()
        self._await_seconds = int(await_indexes_seconds)
        if driver is None:
            if GraphDatabase is None:  # pragma: no cover
                raise StoreError("未安装 neo4j 驱动（pip install neo4j）")
            try:
                # notifications off: the server would warn, e.g., about a relation type no data has yet
                driver = GraphDatabase.driver(uri, auth=(user, password), connection_timeout=10,
                                              notifications_min_severity="OFF")
            except Exception as e:  # bad URI scheme, bad config …
                raise StoreError(f"无法创建 Neo4j 连接 {uri}: {e}") from e
            try:  # fail at once on a wrong address or password, instead of the write retry's 30 s
                driver.verify_connectivity()
            except Exception as e:
                driver.close()
                raise StoreError(f"无法连接 Neo4j {uri}: {e}") from e
        self._driver = driver
        try:
            self._store_id = self.ensure_schema()
        except StoreError:
            self._driver.close()
            raise
        except Exception as e:
            self._driver.close()
            raise StoreError(f"无法连接 Neo4j {uri}: {e}") from e

    # ------------------------------------------------------------------ sessions
    def _session(self, *, write: bool = False) -> Any:
        cfg: dict[str, Any] = {"database": self.database}
        bm = getattr(self._driver, "execute_query_bookmark_manager", None)
        if bm is not None:  # read-your-writes across sessions (causal chaining in a cluster)
            cfg["bookmark_manager"] = bm
        if neo4j is not None:
            cfg["default_access_mode"] = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(**cfg)

    def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(tx, *args)` for a read. Each statement it sends is its own auto-commit transaction — one round
        trip instead of BEGIN / RUN / COMMIT (Neo4j reads at read-committed isolation either way, so a managed
        transaction would not make several statements more consistent). Retried on transient errors."""
        for attempt in range(READ_RETRIES + 1):
            try:
                with self._session() as s:
                    return fn(_AutoCommit(s), *args)
            except Exception as e:
                if attempt == READ_RETRIES or neo4j_exc is None or not isinstance(e, _RETRYABLE):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._session(write=True) as s:
            return s.execute_write(fn, *args)

    def _stream(self, stmt: str, /, **params: Any) -> Iterator[Any]:
        """Stream a large read (auto-commit transaction, records fetched in batches)."""
        with self._session() as s:
            yield from run(s, stmt, **params)

    def ensure_schema(self) -> str:
        """Uniqueness constraints, indexes and the meta node; idempotent. Returns the store id."""
        for name in SCHEMA_STATEMENTS:
            self._write(lambda tx, n=name: run(tx, n).consume())
        self._write(lambda tx: run(tx, "schema.await", timeout=self._await_seconds).consume())

        def init(tx: Any) -> str:
            rec = run(tx, "meta.init", store_id=uuid.uuid4().hex, schema_version=SCHEMA_VERSION).single()
            return rec["store_id"]

        return self._write(init)

    def close(self) -> None:
        self._closed = True
        self._driver.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def wipe_for_tests(self) -> None:
        """Delete every ChainMatch node (domain, meta, audit, API keys) and start afresh: version 0, new id.

        For the contract tests against a scratch database; other labels in the database are left alone."""
        with self._write_lock:
            for lab in (*LABELS, META, AUDIT, APIKEY, CHANGE, *ALERT_LABELS):
                while self._write(lambda tx, l=lab: run(tx, f"admin.wipe.{l}", limit=10_000).single()["deleted"]):
                    pass
            self._store_id = self.ensure_schema()
