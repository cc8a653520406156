"""招商项目库 on the workbench, by clicking in headless Chromium on the seeded demo data (衢州): an officer signs in
through the login form with their key, opens a project from the board, moves it to the next stage with the
阶段流转 form (choosing 注册（落地）) — the page then shows the new stage and the history row — and adds a tracking
note with its next action — shown in the tracking log. The board and the project page show names, not codes.
Screenshots (1280 px wide): test-artifacts/pipeline-board.png, pipeline-project.png (copied to docs/screenshots/).
"""
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

    with seeded_site(tmp_path_factory.mktemp("pipeline-workbench"), seeded(scale=200, seed=7)) as (base, store, key):
        yield base, store, key


def sign_in(driver, base: str, key: str, next_path: str) -> None:
    """Type the key into the sign-in form, as an officer does; the form brings them back to `next_path`."""
    from selenium.webdriver.common.by import By

    load_page(driver, f"{base}/pages/login?next={next_path}", allowed=(base + "/",))
    driver.find_element(By.CSS_SELECTOR, "#cm-login-form input[name=key]").send_keys(key)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#cm-login-form button"))
    assert "王招商（招商专员）" in driver.find_element(By.ID, "cm-user").text


def shot(driver, name: str, height: int) -> None:
    """A screenshot 1280 px wide, as tall as the page (up to `height`)."""
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(full, 700), height) + 120)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_an_officer_moves_a_project_and_records_tracking_by_clicking(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, store, key = site
    signed = [(k, p) for k, p in store.iter_nodes("Project") if p.get("stage") == "签约" and p.get("park")
              and p.get("investor") and p.get("chain")]
    pkey, project = sorted(signed)[0]
    park_name = store.get("Park", project["park"])["name"]
    firm_name = store.get("Enterprise", project["investor"])["name"]
    sign_in(browser, base, key, "/pages/pipeline")
    try:
        # the board, filtered by the park's name as typed: names, not codes; the project is one click away
        browser.find_element(By.CSS_SELECTOR, "form.filters input[name=park]").send_keys(park_name)
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
        board = browser.find_element(By.TAG_NAME, "main").text
        assert firm_name in board and project["park"] not in board and project["investor"] not in board
        assert browser.find_element(By.CSS_SELECTOR, "nav.cm a.on").text == "项目库"
        browser.find_element(By.CSS_SELECTOR, ".card details summary").click()  # 办理: the card's two forms
        assert browser.find_element(By.CSS_SELECTOR, ".card details[open] select[name=to]").is_displayed()
        shot(browser, "pipeline-board.png", 1100)
        browser.set_window_size(1500, 1100)
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/pages/pipeline/{pkey}']"))
        facts = browser.find_element(By.CSS_SELECTOR, "table.facts").text
        assert firm_name in facts and park_name in facts and project["chain"] not in facts

        # 阶段流转: only the legal next stage is offered, as officers call it
        choice = Select(browser.find_element(By.CSS_SELECTOR, "#stage-form select[name=to]"))
        assert [o.text for o in choice.options] == ["注册（落地）"]
        choice.select_by_visible_text("注册（落地）")
        browser.find_element(By.CSS_SELECTOR, "#stage-form input[name=note]").send_keys("项目公司完成工商注册")
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#stage-form button"))
        assert "已进入“注册（落地）”" in browser.find_element(By.ID, "cm-flash").text
        assert "注册（落地）（" in browser.find_element(By.CSS_SELECTOR, "table.facts").text
        last = browser.find_elements(By.CSS_SELECTOR, "#stage-history tr")[-1].text
        assert "签约 → 注册（落地）" in last and "王招商" in last and "项目公司完成工商注册" in last
        assert store.get("Project", pkey)["stage"] == "注册"

        # 跟踪记录 with the next action
        browser.find_element(By.CSS_SELECTOR, "#tracking-form input[name=note]").send_keys("企业确认下月开工")
        browser.find_element(By.CSS_SELECTOR, "#tracking-form input[name=next_action]").send_keys("协调施工许可")
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#tracking-form button"))
        assert "已记录" in browser.find_element(By.ID, "cm-flash").text
        latest = browser.find_elements(By.CSS_SELECTOR, "#tracking-log tr")[1].text
        assert "企业确认下月开工" in latest and "王招商" in latest
        assert "协调施工许可" in browser.find_element(By.CSS_SELECTOR, "table.facts").text
        shot(browser, "pipeline-project.png", 1600)

        # an illegal step cannot be chosen; the next one is 开工 now
        choice = Select(browser.find_element(By.CSS_SELECTOR, "#stage-form select[name=to]"))
        assert [o.text for o in choice.options] == ["开工"]
    finally:
        browser.set_window_size(1500, 1100)
        browser.delete_all_cookies()
