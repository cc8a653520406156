"""信息检索 on the workbench, in headless Chromium on the seeded demo data: an officer signs in, types a firm's 字号 in
pinyin into the search box of the navigation bar (on the 工作台), submits it, sees the ranked hits labelled by kind
and why they matched, and clicks through to the firm's page. Screenshot (1280 px wide): test-artifacts/search.png."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ARTIFACTS, browser, load_page  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load, seeded_site  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from factories import seeded

    with seeded_site(tmp_path_factory.mktemp("search-workbench"), seeded(scale=200, seed=7)) as (base, store, key):
        yield base, store, key


def test_an_officer_finds_a_firm_from_the_navigation_box_and_opens_it(browser, site):
    from selenium.webdriver.common.by import By

    from search.text import core, normalize, pinyin_forms

    base, store, key = site
    firms = sorted((k, p["name"]) for k, p in store.iter_nodes("Enterprise") if p.get("region", "").startswith("3308"))
    fkey, fname = firms[0]
    word = core(normalize(fname), "Enterprise", frozenset({"衢州", "常山", "江山", "龙游", "开化", "柯城", "衢江"}))
    typed = pinyin_forms(word)[0]  # the firm's 字号 + industry in pinyin, as typed without a Chinese keyboard
    load_page(browser, f"{base}/pages/login?next=/pages", allowed=(base + "/",))
    browser.find_element(By.CSS_SELECTOR, "#cm-login-form input[name=key]").send_keys(key)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-login-form button"))
    assert "王招商（招商专员）" in browser.find_element(By.ID, "cm-user").text

    box = browser.find_element(By.CSS_SELECTOR, "#cm-nav-search input[name=q]")
    box.send_keys(typed)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-nav-search button"))
    assert browser.current_url.startswith(f"{base}/pages/search?q=")
    rows = browser.find_elements(By.CSS_SELECTOR, "#cm-hits tr")[1:]
    assert rows, browser.find_element(By.TAG_NAME, "main").text
    top = rows[0].text
    assert fname in top and "企业" in top and "拼音" in top and fkey not in top  # names, not codes
    browser.set_window_size(1280, 760)
    browser.save_screenshot(str(ARTIFACTS / "search.png"))
    click_and_load(browser, rows[0].find_element(By.CSS_SELECTOR, "a"))
    assert browser.current_url == f"{base}/pages/enterprises/{fkey}"
    assert fname in browser.find_element(By.TAG_NAME, "header").text
