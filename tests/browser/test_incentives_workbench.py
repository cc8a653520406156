"""The 政策计算器 in headless Chromium, by clicking as an officer would: sign in, open the calculator from the
navigation bar, choose a firm by part of its name (or type the facts by their Chinese labels), click 计算 → the
amount with its 文号 and clause; a wrong number comes back beside its field by its Chinese name; the 免申即享 list
opens from the answer and names firms and projects. Screenshots at 1280 px: docs/screenshots/incentives.png (the
form) and incentives-result.png (an answer)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ROOT, browser, serve, stop  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"  # docs/screenshots/ keeps the reviewed copies; tests never rewrite them


@pytest.fixture(scope="module")
def calc_server(tmp_path_factory):
    """The app on the small 衢州 graph of tests/incentives/calc_graph.py, and an officer's key."""
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from graph.sqlite_store import SQLiteStore
    from graph.writer import write_objects
    from tests.incentives.calc_graph import objects, relations

    d = tmp_path_factory.mktemp("calc-live")
    store = SQLiteStore(d / "calc.db")
    write_objects(store, objects(), relations())
    _, key = create_key(store, name="王专员", role="officer")
    app = create_app(Settings(sqlite_path=str(d / "calc.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    yield base, key
    stop(server, thread)
    store.close()


def _wait(driver, css: str, timeout: float = 15):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _field(driver, field_id: str):
    """The form field, its folded section opened first (as an officer clicks the section's title)."""
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.ID, field_id)
    if not el.is_displayed():
        el.find_element(By.XPATH, "ancestor::details[1]/summary").click()
    return el


def _type(driver, field_id: str, text: str) -> None:
    box = _field(driver, field_id)
    box.clear()
    box.send_keys(text)


def _choose(driver, field_id: str, option: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(_field(driver, field_id)).select_by_visible_text(option)


@pytest.fixture(scope="module")
def officer(browser, calc_server):
    """The browser signed in as an officer by typing the key into the sign-in form, on the calculator."""
    from selenium.webdriver.common.by import By

    base, key = calc_server
    browser.set_window_size(1280, 1000)
    browser.get(f"{base}/pages/login?next=/pages/incentives")
    browser.find_element(By.CSS_SELECTOR, "#cm-login-form input[name=key]").send_keys(key)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#cm-login-form button"))
    _wait(browser, "#cm-user")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.cm").find_element(By.LINK_TEXT, "政策计算器"))
    _wait(browser, "#calc-form")
    return browser, base


def test_choose_a_firm_by_name_and_click_calculate(officer):
    from selenium.webdriver.common.by import By

    driver, base = officer
    assert driver.find_element(By.TAG_NAME, "h1").text == "政策计算器"
    assert "王专员" in driver.find_element(By.ID, "cm-user").text
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "incentives.png"))
    _type(driver, "f-enterprise", "示例外资电子")
    _choose(driver, "f-industry_class", "制造业")
    _type(driver, "f-fdi_year_usd_wan", "800")
    _type(driver, "f-on", "2025-12-31")
    click_and_load(driver, driver.find_element(By.ID, "calc"))
    total = _wait(driver, "#calc-total").text
    assert "16 万美元" in total
    row = driver.find_element(By.CSS_SELECTOR, "tr.item-applies[data-item='qz-fdi.17.tiers']").text
    assert "16 万美元" in row and "衢政办发〔2025〕30号" in row and "第17小点" in row and "800 万美元" in row
    subject = driver.find_element(By.ID, "calc-subject").text
    assert "衢州示例外资电子有限公司（合成）" in subject and "衢州智造新城" in subject and "quzhou_zhizao" not in subject
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(SHOTS / "incentives-result.png"))


def test_type_the_facts_by_their_chinese_labels_and_click_calculate(officer):
    from selenium.webdriver.common.by import By

    driver, base = officer
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "清空"))
    _wait(driver, "#calc-form")
    _type(driver, "f-registered_park", "智造新城")
    _choose(driver, "f-foreign_invested", "是")
    _choose(driver, "f-industry_class", "制造业")
    _type(driver, "f-fdi_total_usd_wan", "1亿美元")
    _type(driver, "f-fdi_first_year_usd_wan", "3000")
    _type(driver, "f-fdi_year_usd_wan", "3,000万美元")
    _type(driver, "f-on", "2025-12-31")
    click_and_load(driver, driver.find_element(By.ID, "calc"))
    assert "135 万美元" in _wait(driver, "#calc-total").text
    row = driver.find_element(By.CSS_SELECTOR, "tr.item-applies[data-item='qz-fdi.17.major']").text
    assert "3,000 万美元 × 4.5% = 135 万美元" in row and "衢政办发〔2025〕30号" in row
    assert "就高不重复" in driver.find_element(By.ID, "calc-result").text


def test_a_wrong_number_comes_back_beside_its_field(officer):
    from selenium.webdriver.common.by import By

    driver, base = officer
    _type(driver, "f-fdi_year_usd_wan", "三千")
    click_and_load(driver, driver.find_element(By.ID, "calc"))
    problems = _wait(driver, "#calc-problems").text
    assert "当年度实际利用外资（万美元）" in problems and "应为数字" in problems
    assert "应为数字" in driver.find_element(By.CSS_SELECTOR, ".fld.bad .why").text


def test_the_push_list_opens_from_the_answer_with_names(officer):
    from selenium.webdriver.common.by import By

    driver, base = officer
    driver.get(f"{base}/pages/incentives?project=智造新城外资电子&on=2025-12-31")
    _wait(driver, "#calc-total")
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "tr.item-applies[data-item='qz-fdi.17.tiers']").find_element(
        By.LINK_TEXT, "免申即享名单"))
    table = _wait(driver, "#push-qualified").text
    assert "智造新城外资电子项目（合成）" in table and "16 万美元" in table and "衢州智造新城" in table
    assert "quzhou_zhizao" not in table and "QZP" not in table
    assert "衢州示例外资电子有限公司（合成）" in driver.find_element(By.ID, "push-confirm").text
