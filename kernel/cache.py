"""A small response cache for read endpoints whose answer depends only on the snapshot and the parameters.

The key carries the snapshot's store id and version, so any write (which moves the store's version on) makes
every older entry unreachable — nothing is ever served from before a write the caller could have seen. Entries
are the finished JSON bytes: a hit skips the ranking and FastAPI's validate-and-serialise of the response model.
Bounded (least recently used goes first) and safe under concurrent requests.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

from fastapi.responses import Response
from pydantic import BaseModel

from graph.snapshot import Snapshot


class ResponseCache:
    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._data.get(key)
            if body is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            self._data[key] = body
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def json(self, snap: Snapshot, key: Hashable, compute: Callable[[], BaseModel]) -> Response:
        """The cached JSON response for `key` on this snapshot, or `compute()`'s model serialised by alias and
        kept (an exception from `compute` is raised and nothing is kept)."""
        full = (snap.store_id, snap.version, key)
        body = self.get(full)
        if body is None:
            body = compute().model_dump_json(by_alias=True).encode("utf-8")
            self.put(full, body)
        return Response(body, media_type="application/json")
