"""The 企业尽调 PDF export is open to anonymous callers and starts a headless Chromium per request: with
`render.chromium_concurrency` at 1 and one slow render running, a second request is answered at once with 503
"忙，请稍后再试" (problem+json, Retry-After) instead of a second browser; once the render ends the slot is free
again. The chain maps' PNG renders share the same limit (chains/render/png.py `run_chromium`).

The browser here is a stand-in executable (CHAINMATCH_CHROMIUM) that writes a small PDF only when the test opens
its gate, so "slow" is decided by the test, not by timing."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from dossier_world import AS_OF, world
from factories import graph_data

SLOW_BROWSER = """#!{python}
import pathlib, sys, time
out = next(a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(("--print-to-pdf=", "--screenshot=")))
pathlib.Path({started!r}).touch()
deadline = time.time() + 30
while not pathlib.Path({gate!r}).exists() and time.time() < deadline:
    time.sleep(0.02)
pathlib.Path(out).write_bytes(b"%PDF-1.4 stand-in\\n%%EOF\\n")
"""


@pytest.fixture(scope="module")
def app_data():
    objs, rels = world()
    return graph_data(objs, rels, park="qz-zz", render={"chromium_concurrency": 1})


@pytest.fixture
def slow_browser(tmp_path, monkeypatch):
    started, gate = tmp_path / "started", tmp_path / "gate"
    exe = tmp_path / "chromium"
    exe.write_text(SLOW_BROWSER.format(python=sys.executable, started=str(started), gate=str(gate)))
    exe.chmod(0o755)
    monkeypatch.setenv("CHAINMATCH_CHROMIUM", str(exe))
    return started, gate


def _wait_for(path: Path, seconds: float = 20.0) -> None:
    deadline = time.time() + seconds
    while not path.exists():
        assert time.time() < deadline, "the stand-in browser never started"
        time.sleep(0.02)


def test_a_second_pdf_while_one_renders_is_told_to_retry(api_env, slow_browser):
    started, gate = slow_browser
    client = api_env.client
    url, params = "/api/v1/enterprises/MOVE/dossier.pdf", {"as_of": AS_OF}
    first: dict[str, object] = {}
    t = threading.Thread(target=lambda: first.update(r=client.get(url, params=params)))
    t.start()
    try:
        _wait_for(started)  # the one slot is taken by a render in progress
        busy = client.get(url, params=params)
        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"].startswith("application/problem+json")
        assert busy.headers["retry-after"] == "5"
        assert "忙，请稍后再试" in busy.json()["detail"]
    finally:
        gate.touch()
        t.join(30)
    r = first["r"]
    assert r.status_code == 200 and r.content.startswith(b"%PDF")  # type: ignore[attr-defined]
    again = client.get(url, params=params)  # the slot was given back
    assert again.status_code == 200 and again.content.startswith(b"%PDF")


def test_png_renders_count_against_the_same_limit(tmp_path, slow_browser):
    from chains.render.png import CHROMIUM_SLOTS, BrowserBusy, PngOptions, svg_to_png

    _, gate = slow_browser
    gate.touch()
    svg = tmp_path / "map.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    with CHROMIUM_SLOTS.slot(1):  # a PDF render holding the only slot
        with pytest.raises(BrowserBusy):
            svg_to_png(svg, tmp_path / "map.png", PngOptions(concurrency=1))
    assert svg_to_png(svg, tmp_path / "map.png", PngOptions(concurrency=1)).exists()
    assert CHROMIUM_SLOTS.running == 0
