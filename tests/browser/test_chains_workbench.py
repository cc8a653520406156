"""The chain pages of the workbench in headless Chromium, by clicking as an officer would on the demo data (衢州):
工作台 → 产业链图谱 (form) → a recommended target firm (link in the segment panel) → back to 工作台 → a park → its
investor handout (投资推介). Each page loads with no request off this machine and no console error, inside the one
navigation bar; screenshots at 1280 px wide go to test-artifacts/workbench-*.png (copied to docs/screenshots/
index.png, chains-map.png, firm.png, park.png, report-investor.png when the pages change).

The demo seed has no firm→park links; the fixture registers twelve 衢州 firms in 衢州智造新城 so the park page has
its own firms to list.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ARTIFACTS, _check_console_and_requests, browser, load_page, serve, stop  # noqa: E402,F401
from browserkit import click_and_load  # noqa: E402

PARK = "quzhou_zhizao"
WIDTH = 1280


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from api.app import create_app
    from api.settings import Settings
    from factories import seeded
    from graph.sqlite_store import SQLiteStore
    from graph.store import RelRec
    from graph.writer import write_objects

    d = tmp_path_factory.mktemp("chains-workbench")
    store = SQLiteStore(d / "wb.db")
    seeded(scale=300, seed=42).fill(store)
    firms = [rec["key"] for rec in store.find("Enterprise", filters={"region": "330800"}, limit=12)[0]]
    write_objects(store, [], [RelRec("LOCATED_IN", "Enterprise", k, "Park", PARK) for k in firms])
    app = create_app(Settings(sqlite_path=str(d / "wb.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    yield base, store, firms
    stop(server, thread)
    store.close()


def shoot(driver, name: str, max_height: int = 1300) -> Path:
    """A screenshot of the page's top at WIDTH px (up to max_height px: the PNG stays under ~300 KB)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, min(max(int(height) + 140, 800), max_height))
    time.sleep(0.4)
    path = ARTIFACTS / f"workbench-{name}.png"
    driver.save_screenshot(str(path))
    return path


def arrived(driver, base: str):
    """The page the last click opened: loaded (and drawn, for a graph), clean, in the shell."""
    from selenium.webdriver.common.by import By

    page = load_page(driver, driver.current_url, allowed=(base + "/", "data:"))
    _check_console_and_requests(driver, driver.current_url, (base + "/", "data:"), None)
    assert driver.find_elements(By.CSS_SELECTOR, "nav.cm a[href='/pages/land']"), driver.current_url
    return page


def test_click_through_the_chain_pages(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, _, own_firms = site
    browser.set_window_size(WIDTH, 1000)
    try:
        load_page(browser, f"{base}/pages", allowed=(base + "/", "data:"))
        assert "IndustryChain" not in browser.find_element(By.TAG_NAME, "body").text
        shoot(browser, "index")

        # 工作台 → 产业链图谱: the form, 集成电路 in 衢州
        region = browser.find_element(By.CSS_SELECTOR, "#cm-form input[name=region]")
        region.clear()
        region.send_keys("衢州")
        browser.find_element(By.CSS_SELECTOR, "#cm-form select[name=chain] option[value='ic']").click()
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-form button[type=submit]"))
        WebDriverWait(browser, 30).until(lambda d: "/pages/chains/ic/map?" in d.current_url)
        page = arrived(browser, base)
        assert page.graph and "集成电路产业链图谱 · 衢州市" in browser.title
        shoot(browser, "chains-map")

        # the opening panel (the first 补链 segment) lists recommended target firms, each linked to its page
        links = browser.find_elements(By.CSS_SELECTOR, "#cm-panel ul[data-section=targets] a")
        assert links, browser.find_element(By.ID, "cm-panel").text
        firm = links[0].text
        click_and_load(browser, links[0])
        WebDriverWait(browser, 30).until(lambda d: "/pages/enterprises/" in d.current_url)
        arrived(browser, base)
        body = browser.find_element(By.TAG_NAME, "body").text
        for text in (firm, "登记信息", "统一社会信用代码", "主营产品", "产业链环节", "供应商", "客户", "投资基金", "相似企业"):
            assert text in body, text
        verdict = browser.find_element(By.ID, "cm-verdict").text
        assert "衢州市" in verdict and "排第" in verdict, verdict  # it came from the target list: it ranks
        assert browser.find_elements(By.CSS_SELECTOR, "#cm-reasons li")
        shoot(browser, "firm")

        # back to 工作台 through the navigation bar, then a park
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.cm a[href='/pages']"))
        WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("/pages"))
        arrived(browser, base)
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, f"#cm-parks a[href='/pages/parks/{PARK}']"))
        WebDriverWait(browser, 30).until(lambda d: f"/pages/parks/{PARK}" in d.current_url)
        page = arrived(browser, base)
        assert page.graph
        rows = browser.find_elements(By.CSS_SELECTOR, "#cm-park-firms tr")
        assert len(rows) == len(own_firms) + 1  # its own firms (and the header row), not every 衢州 firm
        assert browser.find_elements(By.CSS_SELECTOR, "#cm-parcels tr")
        shoot(browser, "park")

        # the park's leading chain → the investor handout
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-park-chains a[href*='/investor?']"))
        WebDriverWait(browser, 30).until(lambda d: "/investor?" in d.current_url)
        arrived(browser, base)
        body = browser.find_element(By.TAG_NAME, "body").text
        for text in ("产业投资推介", "产业基础", "链主企业", "投资机会", "承载园区", "可供地块", "扶持政策"):
            assert text in body, text
        assert "空白" not in body and "薄弱" not in body
        shoot(browser, "report-investor")
    finally:
        browser.set_window_size(1500, 1100)
