"""`chainmatch alerts process`: the first run sets the baseline, a change is recorded once, a re-run adds nothing."""
from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from conftest import point_cli_at
from graph.snapshot import Snapshot
from graph.store import Batch, NodeRec
from alerts.commands import digest, subscribe


def test_process_on_demand(store, monkeypatch):
    point_cli_at(monkeypatch, store)
    try:
        subscribe(store, Snapshot.build(store), owner="k", role="officer", park=None, kind="parcel",
                  subject="syn.parcel.000003")
        run = CliRunner().invoke
        r = run(app, ["alerts", "process"])
        assert r.exit_code == 0 and "建立基线" in r.output, r.output
        props = {k: v for k, v in store.get("LandParcel", "syn.parcel.000003").items() if k != "key"}
        store.write(Batch(nodes=[NodeRec("LandParcel", "syn.parcel.000003", {**props, "status": "reserved"})]))
        r = run(app, ["alerts", "process"])
        assert r.exit_code == 0 and "新事件 1 个" in r.output, r.output
        assert "新事件 0 个" in run(app, ["alerts", "process"]).output
        assert [i.event.kind for i in digest(store, owner="k")] == ["parcel.reserved"]
    finally:
        get_settings.cache_clear()
