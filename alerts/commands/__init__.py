"""内容订阅's write side — the only alerts modules that use the store: subscriptions (subscriptions.py), the event
processor (processor.py), digests and read marks (inbox.py), webhook delivery (webhooks.py) and the background
worker the API runs (worker.py)."""
from alerts.commands.inbox import digest, mark_read, unread_count, webhook_jobs
from alerts.commands.processor import AlertRules, ProcessResult, process
from alerts.commands.subscriptions import list_subscriptions, subscribe, unsubscribe
from alerts.commands.webhooks import deliver_due
from alerts.commands.worker import AlertWorker
from graph.store import AlertCursorMoved

__all__ = ["AlertCursorMoved", "AlertRules", "AlertWorker", "ProcessResult", "deliver_due", "digest", "list_subscriptions", "mark_read",
           "process", "subscribe", "unread_count", "unsubscribe", "webhook_jobs"]
