"""The Neo4j backend's reads: nodes by key, find() with filters, neighbours, counts, full scans, and the
analytic snapshot's bulk reads (node columns and edge arrays, a page of source nodes per statement)."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Sequence

from graph.neo4j_store.records import SCALARS, as_row, bare_props, check_field, chunks
from graph.neo4j_store.session import Neo4jSessions
from graph.neo4j_store.statements import LABELS, REL_COMBOS, SEEK_FIELDS, run
from graph.schema import RELATIONS
from graph.store import Direction, EdgeArrays, Neighbour, RelRec, StoreError, positions, split_filter

KEY_CHUNK = 10_000  # keys per get_many / existing_keys statement


class Neo4jReads(Neo4jSessions):
    """get, get_many, existing_keys, find, neighbours, counts, scans, bulk reads, version."""

    def get(self, label: str, key: str) -> dict[str, Any] | None:
        if label not in LABELS:
            return None

        def work(tx: Any) -> dict[str, Any] | None:
            rec = run(tx, f"node.get.{label}", key=key).single()
            return None if rec is None else as_row(key, rec["props"])

        return self._read(work)

    def get_many(self, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        keys = list(dict.fromkeys(keys))
        if label not in LABELS or not keys:
            return {}

        def work(tx: Any) -> dict[str, dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            for chunk in chunks(keys, KEY_CHUNK):
                for rec in run(tx, f"node.get_many.{label}", keys=list(chunk)):
                    out[rec["key"]] = as_row(rec["key"], rec["props"])
            return out

        return self._read(work)

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        if label not in LABELS or not keys:
            return set()

        def work(tx: Any) -> set[str]:
            found: set[str] = set()
            for chunk in chunks(keys, KEY_CHUNK):
                found.update(rec["key"] for rec in run(tx, f"node.existing.{label}", keys=list(chunk)))
            return found

        return self._read(work)

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
        flist: list[dict[str, Any]] = []
        for name, value in (filters or {}).items():
            if value is None:
                continue
            field, op = split_filter(name)
            check_field(field)
            if op == "in":
                value = list(value)
            elif op == "like":
                value = str(value).lower()
            flist.append({"field": field, "op": op, "value": value})
        check_field(order_by)
        if label not in LABELS:
            return [], 0
        # An equality on an indexed scalar field picks the statement variant that seeks that index.
        seek = next(
            (
                f
                for f in flist
                if f["op"] == "eq" and f["field"] in SEEK_FIELDS[label] and isinstance(f["value"], SCALARS)
            ),
            None,
        )
        suffix = f".by.{seek['field']}" if seek else ""
        extra = {"seek": seek["value"]} if seek else {}
        lim = int(limit)
        lim = lim if lim >= 0 else 2**62  # SQLite: a negative LIMIT means no limit
        off = max(0, int(offset))
        direction = "desc" if descending else "asc"

        def work(tx: Any) -> tuple[list[dict[str, Any]], int]:
            total = run(tx, f"find.count.{label}{suffix}", filters=flist, **extra).single()["total"]
            rows = [
                as_row(rec["props"]["key"], rec["props"])
                for rec in run(
                    tx,
                    f"find.page.{label}.{direction}{suffix}",
                    filters=flist,
                    order_by=order_by,
                    offset=off,
                    limit=lim,
                    **extra,
                )
            ]
            return rows, int(total)

        return self._read(work)

    def neighbours(
        self, label: str, key: str, *, rel_type: str | None = None, direction: Direction = "both", limit: int = 1000
    ) -> list[Neighbour]:
        if label not in LABELS:
            return []
        rt = rel_type or None
        lim = int(limit)
        lim = lim if lim >= 0 else 2**62

        def work(tx: Any) -> list[Neighbour]:
            out: list[Neighbour] = []
            for d in ("out", "in"):
                if direction not in (d, "both"):
                    continue
                for rec in run(tx, f"node.neighbours.{label}.{d}", key=key, rel_type=rt, limit=lim):
                    out.append(
                        Neighbour(
                            rec["type"],
                            d,  # type: ignore[arg-type]
                            bare_props(rec["rel_props"], None),
                            rec["label"],
                            rec["key"],
                            as_row(rec["key"], rec["props"]),
                        )
                    )
            return out[:lim]

        return self._read(work)

    def counts(self) -> dict[str, dict[str, int]]:
        def work(tx: Any) -> dict[str, dict[str, int]]:
            rec = run(tx, "counts").single()
            nodes = {lab: int(rec[f"n_{lab}"]) for lab in LABELS}
            rels = {t: int(rec[f"r_{t}"]) for t in RELATIONS if rec[f"r_{t}"]}  # SQLite lists only types present
            return {"nodes": nodes, "relations": rels}

        return self._read(work)

    def iter_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if label not in LABELS:
            return
        for rec in self._stream(f"node.iter.{label}"):
            yield rec["key"], bare_props(rec["props"])

    def iter_relations(self, rel_type: str | None = None) -> Iterator[RelRec]:
        if rel_type:
            if rel_type not in RELATIONS:
                return
            types: Iterable[str] = (rel_type,)
        else:
            types = RELATIONS
        for t in types:
            for rec in self._stream(f"rel.iter.{t}"):
                yield RelRec(t, rec["src_label"], rec["src_key"], rec["dst_label"], rec["dst_key"], bare_props(rec["props"], None))

    def node_columns(self, label: str, fields: Sequence[str], *, chunk_size: int = 50_000
                     ) -> Iterator[tuple[list[str], list[str | None], list[list[Any]]]]:
        """Pages of `chunk_size` nodes in Neo4j's key order (the snapshot re-sorts if numpy's order differs)."""
        for f in fields:
            check_field(f)
        if label not in LABELS:
            return
        after = ""  # keys are never empty here (write() refuses them)
        while True:
            rows = self._read(lambda tx: run(tx, f"node.columns.{label}", after=after, page=chunk_size,
                                              fields=list(fields)).single()["rows"])
            if not rows:
                return
            yield [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
            if len(rows) < chunk_size:
                return
            after = rows[-1][0]

    def edge_arrays(self, keys: Mapping[str, Any], *, page: int = 50_000) -> dict[tuple[str, str, str], EdgeArrays]:
        """Per (type, src label, dst label) the schema allows between labels in `keys`: pages of `page` source
        nodes, each page's relations as one record of three lists; keys become positions with one vectorised
        search per page."""
        import numpy as np

        out: dict[tuple[str, str, str], EdgeArrays] = {}
        present: dict[tuple[str, str], bool] = {}
        for t, sl, dl in REL_COMBOS:
            if sl not in keys or dl not in keys:
                continue
            if (t, sl) not in present:  # skip, from the count store, what has no relations at all
                present[(t, sl)] = bool(self._read(lambda tx: run(tx, f"rel.count_from.{t}.{sl}").single()["n"]))
            if not present[(t, sl)]:
                continue
            parts: list[tuple[Any, Any, Any]] = []
            after = ""
            while True:
                rec = self._read(lambda tx: run(tx, f"rel.ends.{t}.{sl}.{dl}", after=after, page=page).single())
                if not len(rec["s"]) == len(rec["d"]) == len(rec["w"]):  # collect() drops nulls: would misalign
                    raise StoreError(f"{t} {sl}→{dl}: 关系端点读取不完整（有节点缺少 key）")
                if rec["s"]:
                    si = positions(keys[sl], np.asarray(rec["s"], dtype=str))
                    di = positions(keys[dl], np.asarray(rec["d"], dtype=str))
                    ok = (si >= 0) & (di >= 0)
                    parts.append((si[ok], di[ok], np.asarray(rec["w"], dtype=np.float64)[ok]))
                if rec["n"] < page:
                    break
                after = rec["last"]
            if parts:
                out[(t, sl, dl)] = tuple(np.concatenate(c) for c in zip(*parts))  # type: ignore[assignment]
        return out

    def version(self) -> int:
        rec = self._read(lambda tx: run(tx, "meta.version").single())
        if rec is None:
            raise StoreError("Neo4j 中缺少 ChainMatchMeta 节点")
        return int(rec["version"])

    def store_id(self) -> str:
        return self._store_id

    def ping(self) -> bool:
        try:
            return self._read(lambda tx: run(tx, "ping").single()["ok"]) == 1
        except Exception:
            return False
