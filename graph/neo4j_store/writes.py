"""The Neo4j backend's write path: a batch validated and grouped before anything is sent, then written in one
transaction under the meta node's write lock, counting only what really changed (see the package docstring)."""
from __future__ import annotations

from typing import Any, Sequence

from graph.neo4j_store import changelog
from graph.neo4j_store.records import audit_params, bare_props, chunks, clean_props
from graph.neo4j_store.session import Neo4jSessions
from graph.neo4j_store.statements import LABELS, REL_COMBOS, run
from graph.store import AuditEntry, Batch, ConflictError, StoreError, WriteResult, check_expect

CHUNK = 5_000  # UNWIND rows per statement (all chunks of one write() share one transaction)


class Neo4jWrites(Neo4jSessions):
    """write(): one all-or-nothing transaction per batch."""

    @staticmethod
    def _plan(batch: Batch) -> dict[str, Any]:
        """Validate and group a batch before any statement is sent. A later duplicate (same label and key, or
        same relation) replaces an earlier one: the final state is SQLite's, the write counts it once."""
        nodes: dict[str, dict[str, dict[str, Any]]] = {}
        for n in batch.nodes:
            if n.label not in LABELS:
                raise StoreError(f"未知节点类别 {n.label!r}；可选: {', '.join(LABELS)}")
            if not isinstance(n.key, str) or not n.key:
                raise StoreError(f"{n.label} 的 key 必须是非空文本")
            props = clean_props(n.props, f"{n.label} {n.key}", drop="key")
            props["key"] = n.key
            nodes.setdefault(n.label, {})[n.key] = {"key": n.key, "props": props}
        rels: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        for r in batch.rels:
            combo = (r.type, r.src_label, r.dst_label)
            if combo not in REL_COMBOS:
                raise StoreError(f"关系 {r.type} 不能连接 {r.src_label} → {r.dst_label}（见 schema.RELATIONS）")
            props = clean_props(r.props, f"{r.type} {r.src_key}→{r.dst_key}")
            rels.setdefault(combo, {})[(r.src_key, r.dst_key)] = {"src": r.src_key, "dst": r.dst_key, "props": props}
        del_rels: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        for t, sl, sk, dl, dk in batch.delete_rels:
            if (t, sl, dl) in REL_COMBOS:  # other combinations cannot exist in this store
                del_rels.setdefault((t, sl, dl), {})[(sk, dk)] = {"src": sk, "dst": dk}
        for ex in batch.expect:
            if ex.label not in LABELS:  # a node of a label this store cannot hold does not exist
                raise ConflictError(ex, None)
        del_nodes: dict[str, dict[str, None]] = {}
        for label, key in batch.delete_nodes:
            if label in LABELS:  # unknown labels cannot exist in this store
                del_nodes.setdefault(label, {})[key] = None
        return {
            "log": changelog.log_items(batch),
            "nodes": {lab: list(rows.values()) for lab, rows in nodes.items()},
            "rels": {c: list(rows.values()) for c, rows in rels.items()},
            "delete_rels": {c: list(rows.values()) for c, rows in del_rels.items()},
            "delete_nodes": {lab: list(keys) for lab, keys in del_nodes.items()},
            "expect": list(batch.expect),
        }

    @staticmethod
    def _write_tx(tx: Any, plan: dict[str, Any], audit: AuditEntry | None) -> WriteResult:
        # Serialise writers on the meta node (the documented SET _LOCK_ idiom); released at commit/rollback.
        if run(tx, "meta.lock").single() is None:
            raise StoreError("Neo4j 中缺少 ChainMatchMeta 节点（数据库被清空？请重新打开存储）")
        for ex in plan["expect"]:  # optimistic concurrency: checked under the lock, before anything is written
            rec = run(tx, f"node.get.{ex.label}", key=ex.key).single()
            check_expect(ex, None if rec is None else bare_props(dict(rec["props"])))
        nodes_written = 0
        for lab, rows in plan["nodes"].items():
            for chunk in chunks(rows, CHUNK):
                nodes_written += run(tx, f"node.upsert.{lab}", rows=list(chunk)).single()["changed"]
        rels_written = 0
        for (t, sl, dl), rows in plan["rels"].items():
            for chunk in chunks(rows, CHUNK):
                rec = run(tx, f"rel.upsert.{t}.{sl}.{dl}", rows=list(chunk)).single()
                if rec["matched"] != len(chunk):
                    # Neo4j cannot hold a relationship without both ends; raising rolls back the whole batch.
                    raise Neo4jWrites._missing_end(tx, t, sl, dl, chunk)
                rels_written += rec["changed"]
        deleted = 0
        for (t, sl, dl), rows in plan["delete_rels"].items():
            for chunk in chunks(rows, CHUNK):
                deleted += run(tx, f"rel.delete.{t}.{sl}.{dl}", rows=list(chunk)).single()["deleted"]
        for lab, keys in plan["delete_nodes"].items():
            for chunk in chunks(keys, CHUNK):
                deleted += run(tx, f"node.delete.{lab}", keys=list(chunk)).single()["deleted"]
        if nodes_written + rels_written + deleted:
            if audit is None:
                rec = run(tx, "meta.bump", items=plan["log"], keep=changelog.CHANGELOG_KEEP).single()
            else:
                rec = run(tx, "meta.bump.audit", items=plan["log"], keep=changelog.CHANGELOG_KEEP, **audit_params(audit)).single()
            version = int(rec["version"])
        else:
            version = int(run(tx, "meta.unlock").single()["version"])
        return WriteResult(nodes_written, rels_written, deleted, version)

    @staticmethod
    def _missing_end(tx: Any, t: str, sl: str, dl: str, rows: Sequence[dict[str, Any]]) -> StoreError:
        """The error naming the first relation of `rows` whose source or target node does not exist."""
        have_src = {r["key"] for r in run(tx, f"node.existing.{sl}", keys=[r["src"] for r in rows])}
        have_dst = {r["key"] for r in run(tx, f"node.existing.{dl}", keys=[r["dst"] for r in rows])}
        for r in rows:
            for label, key, end, have in ((sl, r["src"], "起点", have_src), (dl, r["dst"], "终点", have_dst)):
                if key not in have:
                    return StoreError(f"关系 {t} {r['src']} → {r['dst']} 的{end} {label} {key!r} 不存在，整批未写入")
        return StoreError(f"{t} 关系（{sl} → {dl}）的端点不存在，整批未写入")

    def write(self, batch: Batch, *, audit: AuditEntry | None = None) -> WriteResult:
        plan = self._plan(batch)
        with self._write_lock:
            return self._write(self._write_tx, plan, audit)
