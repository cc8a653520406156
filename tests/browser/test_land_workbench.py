"""土地超市 工作台 in headless Chromium, by clicking, on the seeded demo data (衢州, real facts + synthetic firms):
an officer signs in by typing their API key, opens a parcel from the listing, clicks 预留 → the parcel shows 已预留
(for whom, until when in 北京时间); clicks 预留 again → 冲突 and nothing changes; clicks 释放 → 可供. The 项目找地 form
answers the quick question (约 80 亩, 投资强度 300 万元/亩, nothing else known) with parcels to verify instead of
none. No request leaves the machine, no console error. Screenshots of the three pages go to test-artifacts/screenshots/ (reviewed copies in docs/screenshots/)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ROOT, browser, load_page, serve, stop  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"  # docs/screenshots/ keeps the reviewed copies; tests never rewrite them
WIDTH = 1280


@pytest.fixture(scope="module")
def land_site(tmp_path_factory):
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from factories import seeded
    from graph.snapshot import Snapshot
    from graph.sqlite_store import SQLiteStore
    from land.data import land_data
    from land.ranking import rank_projects

    d = tmp_path_factory.mktemp("land-workbench")
    store = SQLiteStore(d / "land.db")
    seeded(scale=200, seed=42).fill(store)
    data = land_data(Snapshot.build(store))
    Q = data.parcels
    # a parcel that is available and fits at least one project: the one the officer reserves
    pick = next(j for j in range(len(Q)) if Q.status[j] == 0 and rank_projects(data, j, limit=1).feasible)
    project = rank_projects(data, pick, limit=1).feasible[0]
    key = create_key(store, name="张专员", role="officer")[1]
    app = create_app(Settings(sqlite_path=str(d / "land.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    yield base, store, key, str(Q.keys[pick]), str(Q.names[pick]), project
    stop(server, thread)
    store.close()


def _shot(driver, name: str) -> None:
    """The page at 1280 px wide, as tall as its content (capped at 1150 px, which keeps the PNG under ~300 KB)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, max(700, min(int(height) + 20, 1150)))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / name))
    driver.set_window_size(1500, 1100)


def _sign_in(driver, base: str, key: str) -> None:
    from selenium.webdriver.common.by import By

    load_page(driver, f"{base}/pages/login?next=/pages/land", allowed=(base + "/", "data:"))
    driver.find_element(By.CSS_SELECTOR, "#cm-login-form input[name=key]").send_keys(key)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#cm-login-form button[type=submit]"))
    load_page(driver, driver.current_url, allowed=(base + "/", "data:"))
    assert driver.find_element(By.ID, "cm-user").text.startswith("张专员（招商专员）")


def _click(driver, base: str, selector: str):
    """Submit a form by clicking its button, then check the page it lands on; returns (flash text, its classes)."""
    from selenium.webdriver.common.by import By

    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, selector))
    load_page(driver, driver.current_url, allowed=(base + "/", "data:"))
    flash = driver.find_element(By.ID, "cm-flash")
    return flash.text, flash.get_attribute("class")


def _status(driver, parcel: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"land-status-{parcel}").text


def test_officer_reserves_a_parcel_then_conflict_then_release(browser, land_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, store, key, parcel, name, project = land_site
    _sign_in(browser, base, key)
    assert "/pages/land" in browser.current_url
    browser.find_element(By.ID, "land-match-form")  # 项目找地 is on the listing
    _shot(browser, "land.png")
    load_page(browser, f"{base}/pages/land?status=all", allowed=(base + "/", "data:"))
    click_and_load(browser, browser.find_element(By.LINK_TEXT, name))  # open the parcel from the listing
    load_page(browser, browser.current_url, allowed=(base + "/", "data:"))
    assert _status(browser, parcel) == "可供"
    Select(browser.find_element(By.ID, "land-reserve-project")).select_by_value(project["project"])
    hours = browser.find_element(By.ID, "land-reserve-hours")
    hours.clear()
    hours.send_keys("48")
    text, cls = _click(browser, base, "#land-reserve button")
    assert "ok" in cls and text.startswith(f"已预留：地块「{name}」预留给项目「{project['name']}」") and "北京时间" in text
    assert _status(browser, parcel) == "已预留"
    holder = browser.find_element(By.ID, "land-holder").text
    assert f"预留给项目「{project['name']}」" in holder and holder.endswith("北京时间")
    stored = store.get("LandParcel", parcel)
    assert stored["status"] == "reserved" and stored["reserved_by"] == project["project"]
    _shot(browser, "land-parcel.png")
    # a second 预留 of the same parcel: 冲突, and nothing changes
    text, cls = _click(browser, base, "#land-reserve button")
    assert "err" in cls and text.startswith("冲突：") and "已被本项目预留" in text
    assert _status(browser, parcel) == "已预留" and store.get("LandParcel", parcel) == stored
    text, cls = _click(browser, base, "#land-release button")
    assert "ok" in cls and text == f"已释放：地块「{name}」恢复可供"
    assert _status(browser, parcel) == "可供" and store.get("LandParcel", parcel)["status"] == "available"


def test_quick_question_finds_parcels_to_verify(browser, land_site):
    from selenium.webdriver.common.by import By

    base, *_ = land_site
    load_page(browser, f"{base}/pages/land", allowed=(base + "/", "data:"))
    form = browser.find_element(By.ID, "land-match-form")
    form.find_element(By.NAME, "area").send_keys("80")
    form.find_element(By.NAME, "intensity").send_keys("300")
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    load_page(browser, browser.current_url, allowed=(base + "/", "data:"))
    counts = browser.find_element(By.ID, "land-match-counts").text
    tier = browser.find_element(By.ID, "land-to-verify").text
    n_verify = int(tier.split("（")[1].rstrip("）"))
    assert n_verify > 0, counts  # before the 待核实 tier: 0 parcels fitted this question
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "待核实：" in body and "亩均税收（项目未填）" in body
    _shot(browser, "land-match.png")
