"""The API's 内容订阅 worker: two background threads beside the request handlers, so no write ever waits for them.

* the processor thread checks the store version every `poll_seconds` (one cheap read) and runs a pass when it
  moved — or every `tick_seconds` anyway, for time-based events (项目逾期); `wake()` makes it look at once;
* the delivery thread sends due webhook jobs (alerts/commands/webhooks.py); a receiver that hangs holds only this
  thread, for at most the webhook timeout per job.

Errors are logged and retried on the next round; stop() ends both threads (the app's lifespan calls it)."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from alerts.commands.processor import AlertRules, process
from alerts.commands.webhooks import WebhookRules, deliver_due
from graph.store import AlertCursorMoved, GraphStore

log = logging.getLogger("chainmatch.alerts")


class AlertWorker:
    def __init__(self, store: GraphStore, snapshot: Callable[[], Any], *, rules: AlertRules,
                 webhooks: WebhookRules, poll_seconds: float = 2.0, tick_seconds: float = 600.0):
        self.store, self.snapshot, self.rules, self.webhooks = store, snapshot, rules, webhooks
        self.poll_seconds, self.tick_seconds = poll_seconds, tick_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.passes = 0  # completed processor passes (tests wait on it)

    def start(self) -> "AlertWorker":
        for name, fn in (("alerts-processor", self._process_loop), ("alerts-webhooks", self._deliver_loop)):
            t = threading.Thread(target=fn, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def _process_loop(self) -> None:
        seen: int | None = None
        last = 0.0
        while not self._stop.is_set():
            try:
                v = self.store.version()
                if v != seen or time.monotonic() - last >= self.tick_seconds:
                    process(self.store, self.snapshot, rules=self.rules)
                    seen, last = v, time.monotonic()
                    self.passes += 1
            except AlertCursorMoved:
                log.info("内容订阅：另一处理器刚记录了这些版本，稍后重试")
            except Exception:  # keep the thread alive; the next round retries the same versions
                log.exception("内容订阅：处理失败，稍后重试")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _deliver_loop(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_due(self.store, rules=self.webhooks)
            except Exception:
                log.exception("内容订阅：webhook 投递失败，稍后重试")
            self._stop.wait(min(self.poll_seconds, 1.0))
