"""内容订阅 on the workbench, by clicking in headless Chromium on the seeded demo data (衢州): an officer signs in
with their key, opens 订阅 from the navigation bar, subscribes to a parcel by its name with the form, the parcel
is reserved (a write), the app's background processor records it and the digest shows the event unread, linked to
the parcel's page; 标为已读 marks it read. Screenshot (1280 px wide): test-artifacts/alerts.png.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ARTIFACTS, browser, load_page  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load, seeded_site  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from factories import seeded

    with seeded_site(tmp_path_factory.mktemp("alerts-workbench"), seeded(scale=200, seed=7),
                     alerts={"poll_seconds": 0.2}) as (base, store, key):
        yield base, store, key


def test_an_officer_subscribes_and_sees_the_change_in_the_digest(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from graph.store import Batch, NodeRec

    base, store, key = site
    parcel, props = next((k, p) for k, p in store.iter_nodes("LandParcel") if p.get("status") == "available")
    load_page(browser, f"{base}/pages/login?next=/pages", allowed=(base + "/",))
    browser.find_element(By.CSS_SELECTOR, "#cm-login-form input[name=key]").send_keys(key)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-login-form button"))
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "订阅"))
    assert "还没有提醒" in browser.page_source
    form = browser.find_element(By.ID, "alerts-subscribe")
    Select(form.find_element(By.NAME, "kind")).select_by_visible_text("地块")
    form.find_element(By.NAME, "subject").send_keys(props["name"])
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button"))
    assert "已订阅" in browser.find_element(By.ID, "cm-flash").text
    assert props["name"] in browser.find_element(By.ID, "alerts-subs").text
    time.sleep(1.0)  # the processor's baseline pass
    store.write(Batch(nodes=[NodeRec("LandParcel", parcel, {**{k: v for k, v in props.items()}, "status": "reserved"})]))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        load_page(browser, f"{base}/pages/alerts", allowed=(base + "/",))
        if browser.find_elements(By.CSS_SELECTOR, "#alerts-digest tr.unread"):
            break
        time.sleep(0.3)
    row = browser.find_element(By.CSS_SELECTOR, "#alerts-digest tr.unread")
    assert "已预留" in row.text and "北京时间" in row.text
    assert row.find_element(By.TAG_NAME, "a").get_attribute("href").endswith(f"/pages/land?parcel={parcel}")
    browser.set_window_size(1280, 900)
    browser.save_screenshot(str(ARTIFACTS / "alerts.png"))
    click_and_load(browser, row.find_element(By.CSS_SELECTOR, "form button"))
    assert "已标为已读 1 条" in browser.find_element(By.ID, "cm-flash").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#alerts-digest tr.unread")
