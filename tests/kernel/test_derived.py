"""The derived-index registry: one build per snapshot and key, also under concurrent callers; entries die with the
snapshot; a failed build leaves nothing behind."""
from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest

from kernel.derived import LRU, built, derived


class Snap:  # anything weak-referenceable stands in for a snapshot
    pass


def test_built_once_under_concurrent_callers():
    snap, calls = Snap(), []
    start = threading.Barrier(8)

    def slow():
        calls.append(1)
        time.sleep(0.05)
        return object()

    got = []

    def call():
        start.wait()
        got.append(derived(snap, "x", slow))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(g) for g in got}) == 1


def test_keys_and_names_are_separate_and_a_slow_build_blocks_nobody_else():
    snap = Snap()
    release = threading.Event()

    def blocked():
        release.wait(5)
        return "slow"

    t = threading.Thread(target=lambda: derived(snap, "slow", blocked))
    t.start()
    time.sleep(0.02)
    assert derived(snap, "fast", lambda: "fast") == "fast"  # not waiting for the other entry
    assert derived(snap, "fast", lambda: "other", key=2) == "other"
    release.set()
    t.join()
    assert set(built(snap)) == {("slow", None), ("fast", None), ("fast", 2)}


def test_entries_go_with_the_snapshot():
    snap = Snap()
    value = Snap()
    ref = weakref.ref(value)
    derived(snap, "x", lambda: value)
    del value, snap
    gc.collect()
    assert ref() is None


def test_a_failed_build_is_tried_again():
    snap, n = Snap(), []

    def flaky():
        n.append(1)
        if len(n) == 1:
            raise RuntimeError("first time")
        return 42

    with pytest.raises(RuntimeError):
        derived(snap, "x", flaky)
    assert built(snap) == [] and derived(snap, "x", flaky) == 42


def test_lru_evicts_the_least_recently_used():
    lru = LRU(maxsize=2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
