"""Finished JSON answers of read endpoints whose result depends only on the snapshot and the parameters.

Kept per snapshot in the derived registry (kernel/derived.py): a write makes a new snapshot, so no answer from
before a write the caller could have seen is ever served, and the old answers go with the old snapshot. A hit
skips the computation and FastAPI's validate-and-serialise of the response model. Bounded per snapshot (least
recently used goes first) and safe under concurrent requests.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

from fastapi.responses import Response
from pydantic import BaseModel

from kernel.derived import LRU, derived


class ResponseCache:
    def __init__(self, name: str, maxsize: int = 512) -> None:
        self.name = name
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._count = threading.Lock()

    def json(self, snap: Any, key: Hashable, compute: Callable[[], BaseModel]) -> Response:
        """The cached JSON response for `key` on this snapshot, or `compute()`'s model serialised by alias and
        kept (an exception from `compute` is raised and nothing is kept)."""
        lru = derived(snap, self.name, lambda: LRU(self.maxsize))
        body = lru.get(key)
        with self._count:
            if body is None:
                self.misses += 1
            else:
                self.hits += 1
        if body is None:
            body = compute().model_dump_json(by_alias=True).encode("utf-8")
            lru.put(key, body)
        return Response(body, media_type="application/json")
