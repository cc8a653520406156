"""内容订阅 (alerts): officers subscribe to a chain, segment, 行政区, park, firm, parcel or project; the system records
events from the store's change log (parcel listed / reserved / transferred, project stage changed or overdue, new
target above a score, new firm eligible for a policy, and any source another package registers — e.g. a firm
signal crossing a threshold) exactly once per change, and delivers a digest page per officer plus optional signed
webhooks with retries, never blocking a write. See docs/alerts.md.

Rooms: model.py (subjects, event kinds, ids) · sources.py (the source registry; land and project sources) ·
targets_source.py (targets and policy sources) · topics.py (what an event belongs to) · subjects.py (names →
keys) · signing.py (webhook HMAC) · views.py (digest rows for the API and the page) · commands/ (the store:
subscriptions, processor, digest, webhooks, worker) · router.py, pages.py, cli.py.

Plugging in another source (e.g. the dossier's 扩张指数 / 外迁预警):

    from alerts import EventDraft, Source, register_source
    register_source(Source("dossier_signals", needs=..., run=...))
"""
from alerts.model import KIND_CN, SUBJECT_CN, SUBJECT_LABEL, EventDraft, event_id, target_scope, topic
from alerts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature, verify
from alerts.sources import SOURCES, Source, SourceContext, TargetScope, register_source

__all__ = ["KIND_CN", "SIGNATURE_HEADER", "SOURCES", "SUBJECT_CN", "SUBJECT_LABEL", "Source", "SourceContext",
           "TIMESTAMP_HEADER", "EventDraft", "TargetScope", "event_id", "register_source", "sign", "signature",
           "target_scope", "topic", "verify"]
