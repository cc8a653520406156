"""土地超市 map in headless Chromium, on the seeded demo data (real parks and region outlines, synthetic parcels):
Leaflet loads from the app's /static (no console error, no request leaves the machine), the parcels are drawn
coloured by status inside the region outlines — at the city view a park whose dots would lie on top of each other
is one count bubble ("N 块"), and clicking it zooms in to its parcels — clicking a parcel fills the panel with its
标准地 indicators and its matching projects (fetched from the API), and a filter (状态 可供) reloads the map as a link
with only those parcels.
Screenshots go to test-artifacts/screenshots/ (the reviewed copy is docs/screenshots/land-map.png)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ROOT, browser, load_page, serve, stop  # noqa: E402,F401  (fixtures)
from browserkit import click_and_load  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"
READY = "document.getElementById('land-map') && document.getElementById('land-map').dataset.ready"
TOPMOST = """return arguments[0].find(function (key) {
  var el = document.querySelector("path.lm-parcel[data-key='" + key + "']");
  if (!el) { return false; }
  var r = el.getBoundingClientRect();
  return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === el;
}) || null;"""


@pytest.fixture(scope="module")
def map_site(tmp_path_factory):
    from api.app import create_app
    from api.settings import Settings
    from factories import seeded
    from graph.snapshot import Snapshot
    from graph.sqlite_store import SQLiteStore
    from land.data import land_data
    from land.map_data import MapFilter, map_layers

    d = tmp_path_factory.mktemp("land-map")
    store = SQLiteStore(d / "map.db")
    seeded(scale=200, seed=42).fill(store)
    layers = map_layers(land_data(Snapshot.build(store)), MapFilter(region="330800"))
    # the parcels some project fits: the officer clicks one of them
    pick = {f["id"]: f["properties"] for f in layers["parcels"]["features"] if f["properties"]["feasible_projects"] > 0}
    assert pick
    app = create_app(Settings(sqlite_path=str(d / "map.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    yield base, layers, pick
    stop(server, thread)
    store.close()


def _open(driver, url: str, base: str):
    page = load_page(driver, url, allowed=(base + "/", "data:"), wait_for=READY)
    assert any(u.startswith(base + "/static/leaflet/leaflet.js") for u in page.requests), page.requests
    assert driver.execute_script("return typeof window.L === 'object' && window.L.version") == "1.9.3"
    return page


def test_map_draws_parcels_and_a_click_shows_indicators_and_projects(browser, map_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, layers, candidates = map_site
    _open(browser, f"{base}/pages/land/map?region=330800", base)
    features = layers["parcels"]["features"]
    drawn = browser.find_elements(By.CSS_SELECTOR, "path.lm-parcel")
    bubbles = {b.get_attribute("data-park"): b for b in browser.find_elements(By.CSS_SELECTOR, "path.lm-group")}
    assert bubbles, "at the city view the parks' bunched parcels are grouped"
    assert sum(int(b.get_attribute("data-count")) for b in bubbles.values()) + len(drawn) == len(features) > 0
    for park, b in bubbles.items():  # a bubble counts its park's parcels, and says so
        assert int(b.get_attribute("data-count")) == sum(f["properties"]["park"] == park for f in features)
    assert any(t.text.endswith(" 块") for t in browser.find_elements(By.CSS_SELECTOR, ".lm-count"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".lm-region-label.city")) >= 1  # 衢州市 outline with its name
    assert "衢州智造新城（范围示意）" in browser.find_element(By.ID, "land-map").text
    browser.execute_script("document.getElementById('land-map').scrollIntoView({block: 'center'})")
    park = next(p for p in sorted(bubbles) if any(c["park"] == p for c in candidates.values()))
    mine = sorted(k for k, c in candidates.items() if c["park"] == park)
    bubbles[park].click()  # zoom in to the park: its parcels one by one
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"path.lm-parcel[data-key='{mine[0]}']")
                                     and not d.find_elements(By.CSS_SELECTOR, ".leaflet-zoom-anim"))
    assert not browser.find_elements(By.CSS_SELECTOR, f"path.lm-group[data-park='{park}']")
    key = browser.execute_script(TOPMOST, mine)  # one not covered by a neighbour's dot
    assert key, "every matching parcel is covered by another dot"
    pick = candidates[key]
    dot = browser.find_element(By.CSS_SELECTOR, f"path.lm-parcel[data-key='{key}']")
    assert dot.get_attribute("fill") == pick["colour"]
    dot.click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lm-projects li"))
    panel = browser.find_element(By.ID, "land-panel").text
    assert pick["name"] in panel and pick["status_label"] in panel
    for label in ("面积", "用地性质", "容积率", "投资强度", "亩均税收", "单位能耗", "产业准入", "起始价", "交地日期"):
        assert label in panel, label
    projects = browser.find_elements(By.CSS_SELECTOR, "#lm-projects li a")
    assert projects and all(a.get_attribute("href").startswith(base + "/pages/pipeline/") for a in projects)
    assert browser.find_element(By.ID, "lm-detail").get_attribute("href") == base + pick["url"]
    assert browser.find_element(By.ID, "lm-match").get_attribute("href").startswith(base + "/pages/land/match?")
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors  # the click and the projects' fetch left no console error
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "land-map.png"))


def test_status_filter_reloads_the_map_as_a_link(browser, map_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, layers, _ = map_site
    _open(browser, f"{base}/pages/land/map?region=330800", base)
    Select(browser.find_element(By.ID, "lm-status")).select_by_value("available")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#lm-filters button[type=submit]"))
    _open(browser, browser.current_url, base)
    assert "status=available" in browser.current_url and "region=330800" in browser.current_url
    drawn = browser.find_elements(By.CSS_SELECTOR, "path.lm-parcel")
    grouped = sum(int(b.get_attribute("data-count")) for b in browser.find_elements(By.CSS_SELECTOR, "path.lm-group"))
    available = [f for f in layers["parcels"]["features"] if f["properties"]["status"] == "available"]
    assert len(drawn) + grouped == len(available) < len(layers["parcels"]["features"])
    assert {d.get_attribute("fill") for d in drawn} <= {"#2e7d32"}
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lm-table tbody tr")) == len(available)


def test_a_park_given_by_name_stays_selected_when_the_officer_filters_again(browser, map_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, layers, _ = map_site
    _open(browser, f"{base}/pages/land/map?park=智造新城", base)  # typed by name, as a colleague's link may be
    park = Select(browser.find_element(By.ID, "lm-park"))
    assert park.first_selected_option.get_attribute("value") == "quzhou_zhizao"
    assert park.first_selected_option.text == "衢州智造新城"
    Select(browser.find_element(By.ID, "lm-status")).select_by_value("available")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#lm-filters button[type=submit]"))
    _open(browser, browser.current_url, base)
    assert "park=quzhou_zhizao" in browser.current_url and "status=available" in browser.current_url
    assert Select(browser.find_element(By.ID, "lm-park")).first_selected_option.get_attribute("value") == "quzhou_zhizao"
    mine = [f for f in layers["parcels"]["features"]
            if f["properties"]["park"] == "quzhou_zhizao" and f["properties"]["status"] == "available"]
    drawn = browser.find_elements(By.CSS_SELECTOR, "path.lm-parcel")
    grouped = sum(int(b.get_attribute("data-count")) for b in browser.find_elements(By.CSS_SELECTOR, "path.lm-group"))
    assert len(drawn) + grouped == len(mine) > 0  # the park's available parcels only, not every park's
    assert {d.get_attribute("fill") for d in drawn} <= {"#2e7d32"}
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lm-table tbody tr")) == len(mine)
