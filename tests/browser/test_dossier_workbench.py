"""企业尽调 in the officer's workbench, in headless Chromium on the seed data (seeded as of today, as `make run`
does): sign in by typing the key, find a 衢州 firm with the 工作台's firm search, land on its dossier and read the
signals section — 扩张指数 and 外迁预警 with their numbers and evidence, as the API computes them — and the export
links. Screenshot at 1280 px: test-artifacts/screenshots/dossier.png (docs/screenshots/dossier.png is the reviewed
copy)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ROOT, browser, serve, stop  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from dossier import signals_for
    from factories import seeded
    from graph.snapshot import Snapshot
    from graph.sqlite_store import SQLiteStore
    from kernel.clock import beijing_today

    d = tmp_path_factory.mktemp("dossier-workbench")
    store = SQLiteStore(d / "t.db")
    seeded(scale=600, as_of=beijing_today()).fill(store)
    snap = Snapshot.build(store)
    # the 衢州 firm the data most suggests is moving away: the page must show its score and the evidence
    best = max((signals_for(snap, k, region="330800")[1].score or -1, k) for k in snap.keys("Enterprise").tolist())
    assert best[0] > 0, "the seed has a 衢州 firm with a relocation signal"
    firm = best[1]
    name = str(snap.labels["Enterprise"].names[snap.index_of("Enterprise", firm)])
    key = create_key(store, name="招商专员小李", role="officer")[1]
    app = create_app(Settings(sqlite_path=str(d / "t.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    yield base, key, firm, name, signals_for(snap, firm, region="330800")
    stop(server, thread)
    store.close()


def test_open_a_firm_dossier_from_the_workbench_and_read_its_signals(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, key, firm, name, (expansion, relocation) = site
    browser.set_window_size(1280, 1000)
    browser.get(f"{base}/pages/login?next=/pages")
    browser.find_element(By.NAME, "key").send_keys(key)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-login-form button[type=submit]"))
    form = browser.find_element(By.ID, "cm-firm-form")
    form.find_element(By.NAME, "q").send_keys(name)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.current_url.endswith(f"/pages/enterprises/{firm}")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"企业尽调 · {name}"
    signals = browser.find_element(By.ID, "ds-signals")
    rel = signals.find_element(By.ID, "ds-relocation")
    assert rel.get_attribute("data-score") == str(relocation.score)
    assert "外迁预警" in rel.text and relocation.level in rel.text
    shown = [li.text for li in rel.find_elements(By.CSS_SELECTOR, "ol.ds-evidence li")]
    assert len(shown) == len(relocation.evidence) and relocation.evidence[0].text in shown[0]
    exp = signals.find_element(By.ID, "ds-expansion")
    assert exp.get_attribute("data-score") == ("" if expansion.score is None else str(expansion.score))
    assert "扩张指数" in exp.text
    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "header .cm-links a")}
    assert links["尽调报告（Excel）"].startswith(f"{base}/api/v1/enterprises/{firm}/dossier.xlsx")
    for sid in ("cm-facts", "cm-policies"):
        assert browser.find_element(By.ID, sid).is_displayed()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height) + 40, 700), 1400))
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "dossier.png"))
