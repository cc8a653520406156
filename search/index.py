"""The on-disk index behind ChainMatch's 信息检索: one SQLite file next to the snapshot cache, derived from the snapshot.

Tables: `doc` (one row per indexed node: label, key, name and the forms of search.documents.Doc); `term` (every
name, 简称, code, 字号 core, pinyin and initials of a doc, normalised — a B-tree for exact and prefix lookups);
`tri` (SQLite FTS5 with the trigram tokenizer over names, codes, pinyin and initials, reading its text from `doc`:
substring lookups of three characters or more, and the trigram overlap that finds typos); `bi` (FTS5 over the
two-character pieces of each 字号 core and 简称: two-character substrings, which trigrams cannot match).

The index is derived data: `build` writes a whole new file from a snapshot and swaps it in (readers keep the old
file until they finish); `update` re-indexes the nodes a write touched, read from the newer snapshot, in one
transaction. `meta` records the store and version the index reflects. Readers use one connection per thread.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from typing import Iterable, Mapping, Sequence

from graph.snapshot import Snapshot
from search.documents import LABELS, Doc, DocMaker
from search.text import SEP

FORMAT = "5"  # 5: py / ini by position (name, 字号, then 简称s); text without tone marks and invisible characters
_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE doc(id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
                 names TEXT NOT NULL, codes TEXT NOT NULL, core TEXT NOT NULL, py TEXT NOT NULL, ini TEXT NOT NULL,
                 boost REAL NOT NULL);
CREATE TABLE term(t TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (t, doc)) WITHOUT ROWID;
CREATE VIRTUAL TABLE tri USING fts5(names, codes, py, ini, content='doc', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE bi USING fts5(grams, content='', tokenize='unicode61', detail='none');
"""
_DOC_COLS = "id, label, key, name, names, codes, core, py, ini, boost"
_BATCH = 20_000


def doc_terms(d: Doc | sqlite3.Row | tuple) -> set[str]:
    """The exact/prefix lookup terms of a doc: each of its names, codes, pinyin forms and initials, and its core."""
    names, codes, core, py, ini = ((d.names, d.codes, d.core, d.py, d.ini) if isinstance(d, Doc)
                                   else (d["names"], d["codes"], d["core"], d["py"], d["ini"]))
    return {t for field in (names, codes, py, ini) for t in field.split(SEP) if t} | ({core} if core else set())


def quote(text: str) -> str:
    """A text as one FTS5 string (a phrase): double quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _connect(path: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, check_same_thread=False, timeout=30)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=DELETE")  # a file swapped by build() must leave no WAL behind
    return con


class SearchIndex:
    """The search index file at `path` (created on first build)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._write = threading.Lock()
        self._local = threading.local()
        self._generation = 0  # moves on each build(): threads then reopen the new file

    # ----------------------------------------------------------------------------------------- connection
    def con(self) -> sqlite3.Connection:
        """This thread's connection to the current file."""
        held = getattr(self._local, "held", None)
        if held is None or held[0] != self._generation:
            if held is not None:
                held[1].close()
            held = self._local.held = (self._generation, _connect(self.path))
        return held[1]

    def state(self) -> tuple[str, int] | None:
        """(store id, version) the index reflects, or None when there is no usable index file."""
        if not os.path.exists(self.path):
            return None
        try:
            meta = dict(self.con().execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.DatabaseError:
            return None
        if meta.get("format") != FORMAT:
            return None
        return meta.get("store_id", ""), int(meta.get("version", -1))

    # ----------------------------------------------------------------------------------------- writing
    def build(self, snap: Snapshot) -> None:
        """Index every node of the snapshot into a new file and swap it in."""
        tmp = f"{self.path}.{os.getpid()}.{threading.get_ident()}.building"
        if os.path.exists(tmp):
            os.remove(tmp)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        con = sqlite3.connect(tmp)
        try:
            con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
            # boosted and short names first: the rowid order is the order substring hits come back in
            docs = sorted(DocMaker(snap).all(), key=lambda d: (-d.boost, len(d.name)))
            for start in range(0, len(docs), _BATCH):
                part = docs[start:start + _BATCH]
                con.executemany("INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?,?)",
                                [(start + i + 1, d.label, d.key, d.name, d.names, d.codes, d.core, d.py, d.ini,
                                  d.boost) for i, d in enumerate(part)])
                con.executemany("INSERT INTO bi(rowid, grams) VALUES (?,?)",
                                [(start + i + 1, d.grams) for i, d in enumerate(part)])
                con.executemany("INSERT OR IGNORE INTO term VALUES (?,?)",
                                [(t, start + i + 1) for i, d in enumerate(part) for t in doc_terms(d)])
            con.execute("INSERT INTO tri(tri) VALUES ('rebuild')")
            con.execute("CREATE UNIQUE INDEX doc_key ON doc(label, key)")
            con.executemany("INSERT INTO meta VALUES (?,?)", [("format", FORMAT), ("store_id", snap.store_id),
                                                              ("version", str(snap.version))])
            con.commit()
            con.execute("PRAGMA optimize")
        finally:
            con.close()
        with self._write:
            os.replace(tmp, self.path)
            self._generation += 1

    def update(self, snap: Snapshot, touched: Mapping[str, Iterable[str]]) -> int:
        """Re-index the touched (label → keys) nodes as the snapshot has them (gone from it = dropped from the
        index), and record the snapshot's version. Returns how many docs were rewritten."""
        maker = DocMaker(snap)
        n = 0
        with self._write:
            con = self.con()
            with con:
                for label, keys in touched.items():
                    if label not in LABELS:
                        continue
                    keys = sorted(set(keys))
                    for key in keys:
                        self._drop(con, label, key)
                    if snap.n(label):
                        pos = snap.index_of(label, keys)
                        rows = [int(p) for p in pos if p >= 0]
                        for d in maker.rows(label, rows):
                            self._add(con, d)
                    n += len(keys)
                con.execute("UPDATE meta SET v = ? WHERE k = 'version'", (str(snap.version),))
        return n

    @staticmethod
    def _drop(con: sqlite3.Connection, label: str, key: str) -> None:
        old = con.execute(f"SELECT {_DOC_COLS} FROM doc WHERE label = ? AND key = ?", (label, key)).fetchone()
        if old is None:
            return
        i = old["id"]
        con.execute("INSERT INTO tri(tri, rowid, names, codes, py, ini) VALUES ('delete', ?, ?, ?, ?, ?)",
                    (i, old["names"], old["codes"], old["py"], old["ini"]))
        grams = Doc(*[old[c] for c in ("label", "key", "name", "names", "codes", "core", "py", "ini", "boost")]).grams
        con.execute("INSERT INTO bi(bi, rowid, grams) VALUES ('delete', ?, ?)", (i, grams))
        con.executemany("DELETE FROM term WHERE t = ? AND doc = ?", [(t, i) for t in doc_terms(old)])
        con.execute("DELETE FROM doc WHERE id = ?", (i,))

    @staticmethod
    def _add(con: sqlite3.Connection, d: Doc) -> None:
        cur = con.execute("INSERT INTO doc(label, key, name, names, codes, core, py, ini, boost) "
                          "VALUES (?,?,?,?,?,?,?,?,?)", (d.label, d.key, d.name, d.names, d.codes, d.core, d.py,
                                                         d.ini, d.boost))
        i = cur.lastrowid
        con.execute("INSERT INTO tri(rowid, names, codes, py, ini) VALUES (?,?,?,?,?)", (i, d.names, d.codes, d.py, d.ini))
        con.execute("INSERT INTO bi(rowid, grams) VALUES (?,?)", (i, d.grams))
        con.executemany("INSERT OR IGNORE INTO term VALUES (?,?)", [(t, i) for t in doc_terms(d)])

    # ----------------------------------------------------------------------------------------- reading
    def term_ids(self, text: str, *, prefix: bool, labels: Sequence[str], limit: int) -> list[int]:
        """Docs with a term equal to `text` (or starting with it), in term order (shorter first)."""
        if prefix:
            sql, args = "t >= ? AND t < ?", [text, text + "\U0010ffff"]
        else:
            sql, args = "t = ?", [text]
        return self._ids(f"SELECT DISTINCT term.doc FROM term JOIN doc ON doc.id = term.doc WHERE {sql}",
                         args, labels, limit)

    def match_ids(self, table: str, expr: str, *, labels: Sequence[str], limit: int, ranked: bool = False) -> list[int]:
        """Docs an FTS5 expression matches in `tri` or `bi`, in rowid order (boosted and short names first) or by
        bm25 rank (`ranked`: the most trigrams in common first)."""
        order = f" ORDER BY {table}.rank" if ranked else ""
        return self._ids(f"SELECT {table}.rowid FROM {table} JOIN doc ON doc.id = {table}.rowid "
                         f"WHERE {table} MATCH ?", [expr], labels, limit, order)

    def _ids(self, sql: str, args: list, labels: Sequence[str], limit: int, order: str = "") -> list[int]:
        if labels and len(labels) < len(LABELS):
            sql += f" AND doc.label IN ({','.join('?' * len(labels))})"
            args = args + list(labels)
        return [r[0] for r in self.con().execute(f"{sql}{order} LIMIT ?", (*args, limit)).fetchall()]

    def docs(self, ids: Sequence[int]) -> list[sqlite3.Row]:
        if not ids:
            return []
        rows: list[sqlite3.Row] = []
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            rows += self.con().execute(f"SELECT {_DOC_COLS} FROM doc WHERE id IN ({','.join('?' * len(part))})",
                                       part).fetchall()
        return rows

    def size_bytes(self) -> int:
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def close(self) -> None:
        held = getattr(self._local, "held", None)
        if held is not None:
            held[1].close()
            self._local.held = None
