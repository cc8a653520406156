"""The SQLite backend's reads: nodes by key, find() with filters (indexed columns or JSON paths), neighbours,
counts, full scans, version and store id."""
from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Iterator, Sequence

from graph.schema import Label
from graph.sqlite_store.connection import SQLiteConnections
from graph.sqlite_store.rows import ix_value, loads
from graph.sqlite_store.tables import IX_COLS, IX_FIELDS, NODE_ID, REL_SELECT
from graph.store import Direction, Neighbour, RelRec, split_filter


def field_sql(field: str, label: str | None = None) -> str:
    """The SQL of a field in find() and the bulk reads: key, name, an indexed column or a JSON path (plain names
    only)."""
    if field == "key":
        return "key"
    if field == "name":
        return "name"
    if not field.replace("_", "").isalnum():
        raise ValueError(f"非法字段名 {field!r}")
    fields = IX_FIELDS.get(label or "", ())
    if field in fields:
        return IX_COLS[fields.index(field)]
    return f"json_extract(props, '$.{field}')"



class SQLiteReads(SQLiteConnections):
    """get, get_many, node_ids, existing_keys, find, neighbours, counts, scans, version, store id."""

    @staticmethod
    def _row(key: str, props: str) -> dict[str, Any]:
        d = loads(props)
        d["key"] = key
        return d

    def get(self, label: str, key: str) -> dict[str, Any] | None:
        r = self._conn().execute("SELECT key, props FROM nodes WHERE label=? AND key=?", (label, key)).fetchone()
        return self._row(*r) if r else None

    def get_many(self, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key, props FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            for k, p in conn.execute(q, (label, *chunk)):
                out[k] = self._row(k, p)
        return out

    def node_ids(self, label: str, keys: Iterable[str]) -> dict[str, int]:
        """The row ids of these nodes (absent keys left out) — for tools that write rows by id themselves, such as
        the import benchmark's raw bound."""
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        out: dict[str, int] = {}
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key, id FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            out.update(conn.execute(q, (label, *chunk)))
        return out

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            found.update(k for (k,) in conn.execute(q, (label, *chunk)))
        return found


    def find(
        self,
        label: str,
        *,
        filters: dict[str, Any] | None = None,
        order_by: str = "key",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        where = ["label = ?"]
        args: list[Any] = [label]
        for name, value in (filters or {}).items():
            if value is None:
                continue
            field, op = split_filter(name)
            expr = field_sql(field, label)
            if op == "eq":
                if field in ("key", "name") or not expr.startswith("json_extract"):
                    where.append(f"{expr} = ?")
                    args.append(ix_value(value) if expr in IX_COLS else value)
                else:
                    # equal for scalars, contains for list properties
                    where.append(
                        f"(CASE json_type(props, '$.{field}') WHEN 'array' THEN "
                        f"EXISTS (SELECT 1 FROM json_each(props, '$.{field}') WHERE value = ?) "
                        f"ELSE {expr} = ? END)"
                    )
                    args.extend([value, value])
            elif op == "in":
                vals = list(value)
                if not vals:
                    where.append("0")
                    continue
                where.append(f"{expr} IN ({','.join('?' * len(vals))})")
                args.extend(vals)
            elif op == "min":
                where.append(f"{expr} >= ?")
                args.append(value)
            elif op == "max":
                where.append(f"{expr} <= ?")
                args.append(value)
            elif op == "like":
                where.append(f"instr(lower({expr}), lower(?)) > 0")
                args.append(str(value))
        w = " AND ".join(where)
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM nodes WHERE {w}", args).fetchone()[0]
        order = field_sql(order_by, label)
        direction = "DESC" if descending else "ASC"
        rows = conn.execute(
            f"SELECT key, props FROM nodes WHERE {w} ORDER BY {order} {direction}, key {direction} LIMIT ? OFFSET ?",
            (*args, int(limit), int(offset)),
        ).fetchall()
        return [self._row(k, p) for k, p in rows], total

    def neighbours(
        self, label: str, key: str, *, rel_type: str | None = None, direction: Direction = "both", limit: int = 1000
    ) -> list[Neighbour]:
        conn = self._conn()
        out: list[Neighbour] = []
        type_sql = " AND r.type = ?" if rel_type else ""
        targs = (rel_type,) if rel_type else ()
        if direction in ("out", "both"):
            q = (
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n ON n.id = r.dst "
                f"WHERE r.src = {NODE_ID}{type_sql} ORDER BY r.type, n.key LIMIT ?"
            )
            for t, rp, nl, nk, np_ in conn.execute(q, (label, key, *targs, limit)):
                out.append(Neighbour(t, "out", loads(rp), nl, nk, self._row(nk, np_)))
        if direction in ("in", "both"):
            q = (
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n ON n.id = r.src "
                f"WHERE r.dst = {NODE_ID}{type_sql} ORDER BY r.type, n.key LIMIT ?"
            )
            for t, rp, nl, nk, np_ in conn.execute(q, (label, key, *targs, limit)):
                out.append(Neighbour(t, "in", loads(rp), nl, nk, self._row(nk, np_)))
        return out[:limit]

    def counts(self) -> dict[str, dict[str, int]]:
        conn = self._conn()
        nodes = {l: 0 for l in (x.value for x in Label)}
        nodes.update(dict(conn.execute("SELECT label, count(*) FROM nodes GROUP BY label").fetchall()))
        rels = dict(conn.execute("SELECT type, count(*) FROM rels GROUP BY type").fetchall())
        return {"nodes": nodes, "relations": rels}

    def iter_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        cur = self._conn().execute("SELECT key, props FROM nodes WHERE label = ? ORDER BY key", (label,))
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for k, p in rows:
                yield k, loads(p)

    def iter_relations(self, rel_type: str | None = None) -> Iterator[RelRec]:
        conn = self._conn()
        if rel_type:
            cur = conn.execute(f"{REL_SELECT} WHERE r.type = ?", (rel_type,))
        else:
            cur = conn.execute(REL_SELECT)
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for t, sl, sk, dl, dk, p in rows:
                yield RelRec(t, sl, sk, dl, dk, loads(p))

    def version(self) -> int:
        return int(self._conn().execute("SELECT v FROM meta WHERE k='version'").fetchone()[0])

    def store_id(self) -> str:
        return self._conn().execute("SELECT v FROM meta WHERE k='store_id'").fetchone()[0]

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False
