"""A ChainMatch SQLite store's file and connections: one connection per thread, WAL, the write lock, and the
layout created or migrated when the store is opened (graph.sqlite_store.tables)."""
from __future__ import annotations

import os
import sqlite3
import threading

from graph.sqlite_store.tables import configure, open_schema
from graph.store import StoreError


class SQLiteConnections:
    """The file and its per-thread connections (see graph.sqlite_store.SQLiteStore for the whole store)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = str(path)
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.Lock()
        # label -> key -> node id, exact at store state _ids_at = (store_id, version); see _id_map
        self._ids: dict[str, dict[str, int]] | None = None
        self._ids_at: tuple[str, int] | None = None
        with self._write_lock:
            open_schema(self._conn())

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            except sqlite3.Error as e:  # pragma: no cover - depends on filesystem
                raise StoreError(f"无法打开 SQLite 数据库 {self.path}: {e}") from e
            configure(conn)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()
        self._ids, self._ids_at = None, None
