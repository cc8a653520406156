"""What every `chainmatch` command needs: the configured store, its snapshot, and a clear failure."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import TYPE_CHECKING, Iterator, NoReturn, Sequence

import typer

if TYPE_CHECKING:
    from graph.snapshot import Snapshot
    from graph.store import GraphStore


def fail(msg: str, code: int = 2) -> NoReturn:
    typer.secho(msg, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def fail_lookup(message: str, candidates: Sequence[str] = ()) -> NoReturn:
    """A name the user gave that means nothing (or several things), with what it could have meant."""
    fail(message + (f"\n可选：{'、'.join(candidates[:30])}" if candidates else ""))


def parse_date(text: str | None, what: str) -> dt.date | None:
    """A YYYY-MM-DD option (None if not given); anything else ends the command with a message naming it."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what}应为日期 YYYY-MM-DD，实际 {text!r}")
    return None


def open_store(db: "str | os.PathLike[str] | None" = None) -> "GraphStore":
    """The configured store — or, for a command's `--db FILE`, the SQLite graph in that file."""
    from api.app import open_configured_store
    from api.settings import get_settings

    settings = get_settings()
    if db is not None:
        settings = settings.model_copy(update={"store_backend": "sqlite", "sqlite_path": str(db)})
    return open_configured_store(settings)


@contextlib.contextmanager
def store_snapshot(*, require_data: bool = True, db: "str | os.PathLike[str] | None" = None
                   ) -> Iterator[tuple["GraphStore", "Snapshot"]]:
    """The store (see open_store) and its current snapshot (cached on disk); the store is closed afterwards."""
    from api.settings import get_settings
    from graph.snapshot import SnapshotCache

    store = open_store(db)
    try:
        if require_data and sum(store.counts()["nodes"].values()) == 0:
            fail("空库：请先运行 chainmatch seed（或 chainmatch import）")
        yield store, SnapshotCache(store, get_settings().snapshot_dir).get()
    finally:
        store.close()
