"""A process killed (SIGKILL) in the middle of a write leaves the store as it was before that batch."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.sqlite_store import SQLiteStore
from graph.store import Batch, NodeRec

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys
    from graph.sqlite_store import SQLiteStore
    from graph.store import Batch, NodeRec
    s = SQLiteStore(sys.argv[1])
    nodes = [NodeRec("Product", f"p{i:07d}", {"name": f"产品{i}", "source": "crash-test"}) for i in range(int(sys.argv[2]))]
    print("WRITING", flush=True)
    s.write(Batch(nodes=nodes))
    print("DONE", flush=True)
    """
)


def _kill_mid_write(db: Path, rows: int) -> bool:
    """Start a writer, SIGKILL it once it is inside the transaction; True if it was killed before finishing."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(rows)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "WRITING"
    time.sleep(0.4)
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    return "DONE" not in rest


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_batch_leaves_no_partial_batch(tmp_path):
    db = tmp_path / "crash.db"
    s = SQLiteStore(db)
    s.write(Batch(nodes=[NodeRec("Product", "before", {"name": "已有产品"})]))
    v = s.version()
    s.close()

    killed = False
    for rows in (600_000, 1_500_000):  # a bigger batch if the machine was fast enough to finish the first
        if _kill_mid_write(db, rows):
            killed = True
            break
    assert killed, "the writer finished before it could be killed; the test did not exercise a crash"

    s = SQLiteStore(db)  # reopen: SQLite rolls the torn transaction back
    try:
        assert s.counts()["nodes"]["Product"] == 1
        assert s.get("Product", "before") is not None
        assert s.version() == v
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        # and the store is writable again
        s.write(Batch(nodes=[NodeRec("Product", "after", {"name": "新产品"})]))
        assert s.counts()["nodes"]["Product"] == 2
    finally:
        s.close()
