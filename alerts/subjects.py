"""The subject of a subscription, as an officer types it (a name, 简称 or key), resolved to a key and a name with
the one resolver every capability uses (kernel.resolve) — parcels too: key, exact name, or a unique name starting
with or containing the text (a parcel's name without its “（合成）”). A subject that names nothing (or several
things) is a 422 naming the field `subject`, with the resolver's suggestions (您是不是要找…) — as every name in a
request body is. Reads the snapshot only."""
from __future__ import annotations

from typing import Any

from alerts.model import SUBJECT_CN, SUBJECT_LABEL
from kernel.errors import Invalid, LookupFailed
from kernel.resolve import resolver


def resolve_subject(snap: Any, kind: str, text: str) -> tuple[str, str]:
    """(key, name) of the `kind` subject `text` names; Invalid (422, field `subject`) with the resolver's suggestions otherwise."""
    if kind not in SUBJECT_LABEL:
        raise Invalid(f"不能订阅 {kind!r}；可订阅：{'、'.join(f'{k}（{v}）' for k, v in SUBJECT_CN.items())}",
                      errors=[{"field": "kind", "message": "未知的订阅类型"}])
    label = SUBJECT_LABEL[kind]
    r = resolver(snap)
    find = {"chain": r.chain, "segment": r.segment, "region": r.region, "park": r.park,
            "firm": r.enterprise, "project": r.project, "parcel": r.parcel}[kind]
    try:
        i = find(text, param="subject")
    except LookupFailed as e:
        raise e.in_body() from e
    return str(snap.keys(label)[i]), str(snap.labels[label].names[i] or snap.keys(label)[i])

