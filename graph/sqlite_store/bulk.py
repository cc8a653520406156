"""The SQLite backend's bulk reads for the analytic snapshot: node columns a chunk at a time (SQLite joins the
text, numpy parses it) and every relation as integer arrays mapped to the snapshot's key positions."""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import orjson

from graph.schema import RELATIONS
from graph.sqlite_store.connection import SQLiteConnections
from graph.sqlite_store.reads import field_sql
from graph.store import EdgeArrays, positions

EDGE_ID_STEP = 50_000  # node ids per relation read of edge_arrays


class SQLiteBulkReads(SQLiteConnections):
    """node_columns and edge_arrays."""

    def node_columns(self, label: str, fields: Sequence[str], *, chunk_size: int = 50_000
                     ) -> Iterator[tuple[list[str], list[str | None], list[list[Any]]]]:
        """A chunk of nodes per query, each column as one text: keys and names joined by SQLite, the fields by one
        json_extract per node naming every path (SQLite parses the JSON once, in C) and one orjson parse per
        chunk. No Python object is made per node except the values themselves."""
        for f in fields:
            field_sql(f)  # plain names only
        if fields:
            paths = ", ".join(f"'$.{f}'" for f in fields)
            if len(fields) == 1:  # with one path json_extract gives the value itself, not an array
                paths += f", '$.{fields[0]}'"
            values_sql = f"json_extract(props, {paths})"
        else:
            values_sql = "'[]'"
        q = (f"SELECT count(*), max(key), group_concat(key, char(31)), group_concat(ifnull(name, ''), char(31)), "
             f"group_concat(name IS NULL), '[' || group_concat({values_sql}) || ']' "
             "FROM (SELECT key, name, props FROM nodes WHERE label = ? AND key > ? ORDER BY key LIMIT ?)")
        conn = self._conn()
        after = ""
        r = conn.execute(f"SELECT name, {values_sql} FROM nodes WHERE label = ? AND key = ''", (label,)).fetchone()
        if r is not None:  # an empty key (the store does not forbid one) sorts before the first chunk
            values = orjson.loads(r[1])
            yield [""], [r[0]], [values[:1] if len(fields) == 1 else values]
        while True:
            n, last, keys_txt, names_txt, no_name, values_txt = conn.execute(q, (label, after, chunk_size)).fetchone()
            if not n:
                return
            keys, names = keys_txt.split("\x1f"), names_txt.split("\x1f")
            if len(keys) != n or len(names) != n:  # a separator inside a key or name: read this chunk row by row
                rows = conn.execute(f"SELECT key, name, {values_sql} FROM nodes WHERE label = ? AND key > ? "
                                    "ORDER BY key LIMIT ?", (label, after, chunk_size)).fetchall()
                keys, names = [r[0] for r in rows], [r[1] for r in rows]
                values = orjson.loads("[" + ",".join(r[2] for r in rows) + "]")
            else:
                if "1" in no_name:
                    names = [None if flag == "1" else nm for nm, flag in zip(names, no_name.split(","))]
                values = orjson.loads(values_txt)
            if len(fields) == 1:
                values = [v[:1] for v in values]
            yield keys, names, values
            after = last

    def edge_arrays(self, keys: Mapping[str, np.ndarray]) -> dict[tuple[str, str, str], EdgeArrays]:
        """Node ids are mapped to positions in `keys` with numpy (ids in key order per label, then a dense
        id → position table); relations are read as integers, a chunk at a time."""
        conn = self._conn()
        conn.execute("BEGIN")  # ids and relations from one state of the database
        try:
            max_id = conn.execute("SELECT ifnull(max(id), 0) FROM nodes").fetchone()[0]
            pos = np.full(max_id + 1, -1, dtype=np.int64)
            label_of = np.full(max_id + 1, -1, dtype=np.int16)
            labels = list(keys)
            for li, label in enumerate(labels):
                rows = conn.execute("SELECT id, key FROM nodes WHERE label = ? ORDER BY key", (label,)).fetchall()
                if not rows:
                    continue
                ids = np.fromiter((i for i, _ in rows), dtype=np.int64, count=len(rows))
                want = keys[label]
                store_keys = np.asarray([k for _, k in rows], dtype=str)
                if store_keys.shape == want.shape and bool(np.all(store_keys == want)):
                    at = np.arange(len(rows), dtype=np.int64)
                else:  # the snapshot's keys were read at another moment: match them key by key
                    at = positions(want, store_keys)
                pos[ids] = at
                label_of[ids] = li
            # Relations a range of source ids at a time, each column as one comma-separated text that numpy
            # parses in C: no Python object per relation.
            types = list(RELATIONS)
            if conn.execute(f"SELECT 1 FROM rels WHERE type NOT IN ({','.join('?' * len(types))}) LIMIT 1",
                            types).fetchone():  # a type the schema no longer has: list them all (one scan)
                types = [t for (t,) in conn.execute("SELECT DISTINCT type FROM rels")]
            # a cheap number per type (first letter, length), or its offset in a joined list if two types share one
            cheap = {ord(t[0]) * 256 + len(t): t for t in types}
            if len(cheap) == len(types):
                code_sql, arg, type_at = "unicode(type) * 256 + length(type)", None, cheap
            else:
                joined = "|" + "|".join(types) + "|"
                code_sql, arg = "instr(?1, '|' || type || '|')", joined
                type_at = {joined.index(f"|{t}|") + 1: t for t in types}
            q = (f"SELECT group_concat({code_sql}), group_concat(src), group_concat(dst), group_concat(ifnull(w, 0)) "
                 "FROM rels WHERE src >= ?2 AND src < ?3 AND (?1 IS NULL OR ?1 IS NOT NULL)")
            parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
            for lo in range(0, max_id + 1, EDGE_ID_STEP):
                t_txt, s_txt, d_txt, w_txt = conn.execute(q, (arg, lo, lo + EDGE_ID_STEP)).fetchone()
                if t_txt is None:
                    continue
                t_a = np.fromstring(t_txt, dtype=np.int64, sep=",")
                src_a = np.fromstring(s_txt, dtype=np.int64, sep=",")
                dst_a = np.fromstring(d_txt, dtype=np.int64, sep=",")
                w_a = np.fromstring(w_txt, dtype=np.float64, sep=",")
                for code in np.unique(t_a):
                    m = t_a == code
                    parts.setdefault(type_at[int(code)], []).append((src_a[m], dst_a[m], w_a[m]))
        finally:
            conn.execute("COMMIT")
        out: dict[tuple[str, str, str], EdgeArrays] = {}
        for t, chunks in parts.items():
            src_a, dst_a, w_a = (np.concatenate(x) for x in zip(*chunks))
            sl, dl = label_of[src_a], label_of[dst_a]
            ok = (sl >= 0) & (dl >= 0)
            si, di = pos[src_a], pos[dst_a]
            ok &= (si >= 0) & (di >= 0)
            combo = sl.astype(np.int64) * len(labels) + dl
            for c in np.unique(combo[ok]):
                m = ok & (combo == c)
                out[(t, labels[int(c) // len(labels)], labels[int(c) % len(labels)])] = (si[m], di[m], w_a[m])
        return out
