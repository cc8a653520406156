"""Nodes and relations as rows of the ChainMatch SQLite tables: canonical JSON props, the indexed columns, the
relation weight column; and the relation rows with their ends already resolved to node ids (the id map)."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import orjson

from graph.sqlite_store.tables import IX_FIELDS, N_IX
from graph.store import NodeRec, RelRec, rel_weight

dumps = orjson.dumps
NO_IX = (None,) * N_IX


def dump_props(props: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys) so that an unchanged node compares equal and is not rewritten."""
    return dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def ix_value(v: Any) -> Any:
    """What json_extract(props, '$.field') would give: scalars as they are, lists/objects as JSON text."""
    if v is None or isinstance(v, (str, int, float)):
        return v
    return dumps(v).decode()


def node_row(n: NodeRec) -> tuple:
    """The nodes-table row of a node: label, key, name, props JSON, then its indexed fields (ix1..ixN)."""
    props = n.props
    fields = IX_FIELDS.get(n.label)
    if fields is None:
        ix = NO_IX
    else:
        ix = tuple(ix_value(props.get(f)) for f in fields) + NO_IX[len(fields):]
    return (n.label, n.key, props.get("name"), dump_props(props), *ix)


def rel_row(r: RelRec) -> tuple:
    """The rels-table row of a relation: its key, props JSON, and its numeric `weight` (w) for the snapshot."""
    return (r.src_label, r.src_key, r.type, r.dst_label, r.dst_key, dump_props(r.props), rel_weight(r.props))


def rel_rows_by_id(ids: dict[str, dict[str, int]], rels: Iterable[RelRec]) -> Iterator[tuple]:
    """rel_row() with the ends as ids from the id map; an end the map lacks gives NULL, which the NOT NULL
    columns refuse (the batch fails, as when SQLite looks the end up)."""
    no_ids: dict[str, int] = {}
    get = ids.get
    for r in rels:
        yield (get(r.src_label, no_ids).get(r.src_key), r.type, get(r.dst_label, no_ids).get(r.dst_key),
               dump_props(r.props), rel_weight(r.props))



def loads(text: str | bytes) -> dict[str, Any]:
    return orjson.loads(text)
