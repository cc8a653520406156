"""内容订阅's vocabulary: what an officer can subscribe to, the kinds of events, and an event before it is recorded.

An event's id is derived from (version, kind, subject): the store version whose change it reports (for the
time-based 项目逾期, the date the overdue stage began), the event kind and the subject — so recording the same
change again yields the same id, and the store keeps one record (exactly once per change)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kernel.subscribing import PARK_SCOPED_KINDS, SUBJECT_CN

__all__ = ["ANY_CHAIN", "KIND_CN", "PAGE_OF_LABEL", "PARK_SCOPED_KINDS", "SUBJECT_CN", "SUBJECT_LABEL", "EventDraft",
           "event_id", "target_scope", "topic"]

# what an officer may subscribe to → the graph label of its subject
SUBJECT_LABEL: dict[str, str] = {
    "chain": "IndustryChain", "segment": "Segment", "region": "Region", "park": "Park",
    "firm": "Enterprise", "parcel": "LandParcel", "project": "Project",
}
# SUBJECT_CN (what each is called) and PARK_SCOPED_KINDS (what a park administrator may follow, in their own park)
# live beside the one subscribe rule, kernel.subscribing (the pages' 订阅提醒 button applies it too)

KIND_CN: dict[str, str] = {
    "parcel.listed": "地块挂牌（可供）",
    "parcel.reserved": "地块预留",
    "parcel.transferred": "地块出让",
    "project.stage": "项目阶段变化",
    "project.overdue": "项目逾期",
    "target.new": "新招商目标",
    "policy.eligible": "新符合政策企业",
    "signal.crossed": "企业信号越过阈值",
}
# the page of each subject (links in the digest); keys are URL-quoted by the caller
PAGE_OF_LABEL = {"LandParcel": "/pages/land?parcel={key}", "Project": "/pages/pipeline/{key}",
                 "Enterprise": "/pages/enterprises/{key}", "IndustryChain": "/pages/chains/{key}/map",
                 "Park": "/pages/parks/{key}"}


def event_id(version: int | str, kind: str, subject: str) -> str:
    """The deterministic id of the event `kind` about `subject` recorded at `version`."""
    return hashlib.sha256(f"{version}|{kind}|{subject}".encode()).hexdigest()[:32]


def topic(label: str, key: str) -> str:
    """What a subscription to (label, key) matches in an event's topics."""
    return f"{label}:{key}"


# the topic of a parcel whose 产业准入 is 不限 (allowed_chains empty: it admits every chain) — matched by every
# chain subscription, instead of the parcel's event carrying one topic per chain in the graph
ANY_CHAIN = "IndustryChain:*"


def target_scope(region: str, kind: str, key: str) -> str:
    """The topic of the targets a chain/segment subscription follows for a region: `targets:330800|chain:ic`."""
    return f"targets:{region}|{kind}:{key}"


@dataclass
class EventDraft:
    """An event as a source finds it; the processor turns it into a stored record (id, time) and fans it out."""

    version: int | str
    kind: str
    subject_label: str
    subject_key: str
    title: str
    topics: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return event_id(self.version, self.kind, topic(self.subject_label, self.subject_key) + self._scope())

    def _scope(self) -> str:
        """A target event is per scope (the same firm can become a target of two chains)."""
        scope = self.detail.get("scope")
        return f"@{scope}" if scope else ""

    @property
    def score(self) -> float | None:
        s = self.detail.get("score")
        return float(s) if isinstance(s, (int, float)) else None
