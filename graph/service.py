"""Node writes used by the API and the CLI: validate, keep references sound, audit, write atomically."""
from __future__ import annotations

from typing import Any

from graph.schema import Label, Node
from graph.store import AuditEntry, Batch, Expect, GraphStore, WriteResult
from graph.writer import Plan
from graph.validation import ValidationFailed, validate


def upsert_node(store: GraphStore, *, label: Label, data: dict[str, Any], actor: str,
                expect: dict[str, Any] | None = None) -> tuple[Node, bool, WriteResult]:
    """Create or replace one node. Returns (object, created, result). Raises ValidationFailed.

    `expect` (for an existing node): properties that must still hold these values when the write lands — checked
    inside the write transaction, else ConflictError and nothing is written (e.g. a parcel's reservation state)."""
    obj, problems = validate(label, data)
    if problems or obj is None:
        raise ValidationFailed(problems)
    before = store.get(label.value, obj.key)
    plan = Plan()
    plan.add_node(obj)
    result = plan.commit(
        store,
        audit=AuditEntry(actor=actor, action="upsert", target=f"{label.value}/{obj.key}", before=before,
                         after=obj.props() | {"key": obj.key}),
        expect=[Expect(label.value, obj.key, expect)] if expect is not None and before is not None else (),
    )
    return obj, before is None, result


def delete_node(store: GraphStore, *, label: Label, key: str, actor: str) -> bool:
    """Delete a node and its relations. False if it did not exist."""
    before = store.get(label.value, key)
    if before is None:
        return False
    store.write(
        Batch(delete_nodes=[(label.value, key)]),
        audit=AuditEntry(actor=actor, action="delete", target=f"{label.value}/{key}", before=before),
    )
    return True
