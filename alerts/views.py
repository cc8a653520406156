"""内容订阅 as the API and the digest page show it: events with their kind in Chinese, 北京时间, a link to the
subject's page; subscriptions by name (never the key alone); webhook deliveries with their state."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from alerts.model import KIND_CN, PAGE_OF_LABEL, SUBJECT_CN, SUBJECT_LABEL
from kernel.clock import beijing_text

JOB_CN = {"pending": "待重试", "sending": "投递中", "delivered": "已送达", "failed": "已放弃"}


def subject_link(label: str, key: str) -> str | None:
    pat = PAGE_OF_LABEL.get(label)
    return pat.format(key=quote(key, safe="")) if pat else None


def subscription_link(s: Any) -> str | None:
    """The page of a subscription's subject; a chain's 产业链图谱 for the 行政区 its targets are ranked for."""
    link = subject_link(SUBJECT_LABEL.get(s.kind, ""), s.key)
    if link and s.kind == "chain" and s.region:
        link += "?" + urlencode({"region": s.region})
    return link


def inbox_row(item: Any) -> dict[str, Any]:
    ev = item.event
    return {"event_id": ev.event_id, "kind": ev.kind, "kind_cn": KIND_CN.get(ev.kind, ev.kind), "title": ev.title,
            "subject": {"label": ev.subject_label, "key": ev.subject_key,
                        "page": subject_link(ev.subject_label, ev.subject_key)},
            "version": ev.version, "at": ev.at, "at_beijing": beijing_text(ev.at, label=True), "detail": ev.detail,
            "subscription": item.sub_id, "read": item.read_at is not None, "read_at": item.read_at}


def subscription_row(s: Any, *, secret: str | None = None) -> dict[str, Any]:
    """A subscription as its owner sees it; the webhook secret only when just created."""
    row = {"id": s.sub_id, "kind": s.kind, "kind_cn": SUBJECT_CN.get(s.kind, s.kind), "key": s.key, "name": s.name,
           "page": subscription_link(s), "min_score": s.min_score, "region": s.region,
           "webhook_url": s.webhook_url, "created_at": s.created_at,
           "created_at_beijing": beijing_text(s.created_at, label=True)}
    if secret is not None:
        row["webhook_secret"] = secret
    return row


def job_row(j: Any) -> dict[str, Any]:
    return {"id": j.job_id, "subscription": j.sub_id, "event_id": j.event_id, "status": j.status,
            "status_cn": JOB_CN.get(j.status, j.status), "attempts": j.attempts, "next_at": j.next_at,
            "last_error": j.last_error, "updated_at_beijing": beijing_text(j.updated_at, label=True)}
