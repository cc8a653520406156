"""SnapshotCache: the current ChainMatch analytic snapshot of a store, kept fresh and kept on disk.

When the store's version moves on, the cache asks the store what changed (`changes_since`) and patches the snapshot
(Snapshot.apply); it rebuilds in full only when the store cannot itemise the changes. The newest snapshot is saved
as .npz (in the background after a patch) so the next start loads it instead of rebuilding.
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import time
import weakref
import zipfile

from graph.snapshot.snapshot import Snapshot
from graph.store import GraphStore

log = logging.getLogger("graph.snapshot")

_CACHE_FILE = re.compile(r"^snapshot-(?P<store>[0-9A-Za-z_-]+)-v(?P<version>\d+)\.npz$")


_SAVING: "weakref.WeakSet[SnapshotCache]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """A process that ends right after a patch still leaves the patched snapshot on disk."""
    for cache in list(_SAVING):
        cache.flush(timeout=60)


class SnapshotCache:
    """Keeps the current snapshot of a store: patched (or, when the store cannot say what changed, rebuilt) when
    the store's version moves on; the newest one is kept on disk for the next start.

    `max_patch`: above this many changed keys a full rebuild is cheaper than patching. `background_save`: write a
    patched snapshot's .npz in a background thread so a request after a write waits only for the patch
    (`flush()` waits for it; so does interpreter exit). A full build is saved before get() returns.
    """

    def __init__(self, store: GraphStore, cache_dir: str | None, *, max_patch: int = 50_000,
                 background_save: bool = True):
        self.store = store
        self.cache_dir = cache_dir
        self.max_patch = max_patch
        self.background_save = background_save
        self.last_refresh: str | None = None  # "loaded", "patched", "built": how the current snapshot was made
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._save_cv = threading.Condition()
        self._pending: Snapshot | None = None
        self._saver: threading.Thread | None = None

    def _path(self, store_id: str, version: int) -> str | None:
        if not self.cache_dir:
            return None
        return os.path.join(self.cache_dir, f"snapshot-{store_id}-v{version}.npz")

    @property
    def current(self) -> Snapshot | None:
        """The snapshot last handed out (no refresh, no build), or None before the first get()."""
        return self._snap

    def get(self) -> Snapshot:
        version = self.store.version()
        snap = self._snap
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            snap = self._snap
            if snap is not None and snap.version == version:
                return snap
            store_id = self.store.store_id()
            how = "patched"
            if snap is None or snap.store_id != store_id:
                snap, how = self._load_newest(store_id, version), "loaded"
            if snap is not None and snap.version != version:
                changes = self.store.changes_since(snap.version, max_items=self.max_patch)
                snap, how = (None, how) if changes is None else (snap.apply(changes), "patched")
            if snap is None:
                snap, how = Snapshot.build(self.store), "built"
            self._snap = snap
            self.last_refresh = how
            path = self._path(store_id, snap.version)
            if path and (how == "built" or not os.path.exists(path)):
                # after a full build the file is written before returning (a one-shot CLI run leaves it for the
                # next; it replaces a file that could not be used: torn, or saved under another schema); a patch,
                # which follows a write in a running service, is saved in the background
                self._save(snap, background=self.background_save and how == "patched")
            return snap

    def _load_newest(self, store_id: str, version: int) -> Snapshot | None:
        """The newest cached snapshot of this store not newer than `version` (a newer one belongs to another
        history of the store file); unreadable files are skipped."""
        if not self.cache_dir or not os.path.isdir(self.cache_dir):
            return None
        found = []
        for f in os.listdir(self.cache_dir):
            m = _CACHE_FILE.match(f)
            if m and m["store"] == store_id and int(m["version"]) <= version:
                found.append((int(m["version"]), os.path.join(self.cache_dir, f)))
        for _, path in sorted(found, reverse=True):
            try:
                snap = Snapshot.load(path)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:  # torn or old format
                log.warning("snapshot cache %s unreadable (%s); ignoring it", path, e)
                continue
            if snap.store_id == store_id and snap.version <= version:
                return snap
        return None

    # ----------------------------------------------------------------- saving
    def _save(self, snap: Snapshot, *, background: bool) -> None:
        if not background:
            self.flush()
            self._write(snap)
            return
        with self._save_cv:
            self._pending = snap  # only the newest one matters
            if self._saver is None or not self._saver.is_alive():  # (not alive: this is a forked child)
                self._saver = threading.Thread(target=self._save_loop, name="snapshot-save", daemon=True)
                self._saver.start()
                _SAVING.add(self)

    def _save_loop(self) -> None:
        while True:
            with self._save_cv:
                snap = self._pending
                self._pending = None
                if snap is None:
                    self._saver = None
                    self._save_cv.notify_all()
                    return
            try:
                self._write(snap)
            except Exception:  # the saver must outlive a bad save (flush() waits for it)
                log.exception("snapshot v%s not saved", snap.version)

    def _write(self, snap: Snapshot) -> None:
        path = self._path(snap.store_id, snap.version)
        if not path:
            return
        try:
            os.makedirs(self.cache_dir, exist_ok=True)  # type: ignore[arg-type]
            snap.save(path)
            self._prune(keep=path)
        except OSError as e:  # a full disk costs the next start a rebuild, not this request
            log.warning("snapshot cache %s not written: %s", path, e)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the newest snapshot is on disk; False if it is not after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._save_cv:
            while self._saver is not None and self._saver.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._save_cv.wait(left)
        return True

    def _prune(self, keep: str) -> None:
        assert self.cache_dir
        for f in os.listdir(self.cache_dir):
            p = os.path.join(self.cache_dir, f)
            if f.startswith("snapshot-") and f.endswith(".npz") and p != keep:
                try:
                    os.remove(p)
                except OSError:
                    pass
