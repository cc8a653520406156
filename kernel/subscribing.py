"""Who may subscribe to what (内容订阅) — the one rule both the subscribe command (alerts.commands) applies and the
订阅提醒 button on firm, parcel, project and park pages (kernel.pages.subscribe_button) is shown by, so an officer
never sees a button that can only answer 未订阅.

Subscribing follows the write rules: an officer or admin may follow anything; a park administrator only their own
park and that park's parcels and projects (as they may write only those); a read-only user nothing (a subscription
is a stored record and a webhook sends data out). Pure: the caller says which park the subject is in."""
from __future__ import annotations

SUBJECT_CN = {"chain": "产业链", "segment": "环节", "region": "行政区", "park": "园区", "firm": "企业",
              "parcel": "地块", "project": "项目"}
SUBSCRIBERS = ("admin", "officer", "park_admin")
# subjects a park administrator may follow (within their own park), as they may write only those
PARK_SCOPED_KINDS = ("park", "parcel", "project")


def subscribe_refusal(role: str, own_park: str | None, kind: str, key: str, in_park: str | None) -> str | None:
    """Why a user with `role` (a park administrator: of `own_park`) may not subscribe to the `kind` subject `key`
    lying in park `in_park` (for a park: itself, whatever is passed) — None when they may."""
    if role not in SUBSCRIBERS:
        return "只读用户不能订阅（需要 officer / park_admin / admin）"
    if role != "park_admin":
        return None
    if kind not in PARK_SCOPED_KINDS:
        return f"园区管理员只能订阅本园区及其地块、项目，不能订阅{SUBJECT_CN.get(kind, kind)}"
    where = key if kind == "park" else in_park
    if not own_park or where != own_park:
        return f"园区管理员只能订阅本园区（{own_park}）的{SUBJECT_CN.get(kind, kind)}"
    return None
