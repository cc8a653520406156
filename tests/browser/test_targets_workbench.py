"""招商目标 in the officer's workbench, clicked through in headless Chromium on the seed data (衢州, 集成电路):
sign in by typing the key, fill the form on /pages/targets with names (衢州, 集成电路), get the ranked list with
0–100 scores and reasons whose evidence is linked, follow a fund named in a reason to its 以投促引 page, and a local
链主 to its 以企引企 page (each partner with its supply tie). Screenshots at 1280 px: docs/screenshots/targets.png,
targets-fund.png, targets-leader.png."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ROOT, browser, load_page  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load, seeded_site  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"  # docs/screenshots/ keeps the reviewed copies; tests never rewrite them


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from factories import seeded

    with seeded_site(tmp_path_factory.mktemp("targets-workbench"), seeded(), officer="招商专员小王") as (base, _, key):
        yield base, key


def _shot(driver, name: str) -> None:
    """A 1280 px wide PNG of the whole page (height fitted to the content, at most 1400 px)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height) + 40, 700), 1400))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / name))
    driver.set_window_size(1280, 1000)


def _sign_in(driver, base: str, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/pages/login?next=/pages/targets")
    driver.find_element(By.NAME, "key").send_keys(key)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#cm-login-form button[type=submit]"))
    assert "招商专员小王" in driver.find_element(By.ID, "cm-user").text


def test_target_form_list_and_the_fund_and_leader_pages(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, key = site
    browser.set_window_size(1280, 1000)
    _sign_in(browser, base, key)
    assert urlparse(browser.current_url).path == "/pages/targets"
    assert browser.find_element(By.CSS_SELECTOR, "nav.cm a.on").text == "招商目标"
    # the form, by names
    browser.find_element(By.ID, "f-region").send_keys("衢州")
    browser.find_element(By.ID, "f-chain").send_keys("集成电路")
    k = browser.find_element(By.NAME, "k")
    k.clear()
    k.send_keys("6")  # (a screenshot that stays small)
    click_and_load(browser, browser.find_element(By.ID, "f-submit"))
    load_page(browser, browser.current_url, allowed=(base,))
    assert "衢州市 · 集成电路" in browser.find_element(By.ID, "cm-list-title").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#cm-targets tr.target")
    assert len(rows) == 6
    scores = [int(r.find_element(By.CSS_SELECTOR, ".s100").text) for r in rows]
    assert all(0 <= s <= 100 for s in scores) and scores == sorted(scores, reverse=True)
    for r in rows:
        first = r.find_element(By.CSS_SELECTOR, "ol.reasons li").text
        assert first and first != "中型企业" and not re.match(r"^距.*公里$", first), first
    assert "/api/v1/recommendations/targets.xlsx?" in browser.find_element(By.ID, "cm-xlsx").get_attribute("href")
    assert "方向检查" in browser.find_element(By.ID, "cm-weights").text
    _shot(browser, "targets.png")
    targets_url = browser.current_url
    # a fund named in a reason (本地基金「…」已投资) leads to its 以投促引 page
    fund_link = browser.find_element(By.CSS_SELECTOR, "#cm-targets a.ev-fund")
    fund_name = fund_link.text
    click_and_load(browser, fund_link)
    load_page(browser, browser.current_url, allowed=(base,))
    assert "/pages/funds/" in browser.current_url and "以投促引" in browser.title
    assert fund_name in browser.find_element(By.ID, "cm-list-title").text
    fund_rows = browser.find_elements(By.CSS_SELECTOR, "#cm-targets tr.target")
    assert fund_rows and all("投资组合企业" in r.text for r in fund_rows)
    browser.get(browser.current_url + "&k=5")
    _shot(browser, "targets-fund.png")
    # a local 链主 (listed under the form) leads to its 以企引企 page, each partner with its supply tie
    browser.get(targets_url)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-leaders a"))
    load_page(browser, browser.current_url, allowed=(base,))
    assert "/pages/leaders/" in browser.current_url and "以企引企" in browser.title
    leader_rows = browser.find_elements(By.CSS_SELECTOR, "#cm-targets tr.target")
    assert leader_rows and all(re.search("供应商|客户", r.text) for r in leader_rows)
    _shot(browser, "targets-leader.png")
    # a misspelt region keeps the form and says what was meant
    browser.get(f"{base}/pages/targets?region=衢州x&chain=集成电路")
    assert "衢州x" in browser.find_element(By.ID, "cm-error").text
    assert browser.find_element(By.ID, "f-region").get_attribute("value") == "衢州x"
