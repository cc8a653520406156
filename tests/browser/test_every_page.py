"""Every page the app serves — found from its routes at test time (tests/browser/pagewalk.py), so pages added
later are covered — opened in headless Chromium on the seeded demo data (衢州, real facts + synthetic firms) with
injection payloads written into the names the pages show:

  * loads with no request off this machine and no console error;
  * the payloads stay inert: no injected script ran (window.cmPwned unset), no injected event attribute exists;
  * every same-origin link on it answers without a server error;
  * its main interaction works: chain map — click a segment → its local firms; 土地超市 — click a parcel → the
    projects that fit it; page index — submit the form → the chain map; 项目库 — click a project → its page;
    any other page — follow its first link to another page, which loads cleanly too.
"""
from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ARTIFACTS, browser, load_page, serve, stop  # noqa: E402,F401  (fixtures)
from pagewalk import page_refs  # noqa: E402

REGION = "330800"  # 衢州, where the demo seed places its 集成电路 firms
XSS = "</script><script>window.cmPwned=1</script>"
XSS_ATTR = "\"><img src=x onerror=\"window.cmPwned=1\">"
# pages that render what they fetch after load: wait until they have
RENDERED = {"/docs": "document.querySelectorAll('.opblock').length > 40",
            "/redoc": "document.querySelectorAll('[data-section-id^=\"tag/\"]').length > 5"}
PWNED = """return window.cmPwned !== undefined || [...document.querySelectorAll('*')].some(
    e => [...e.attributes].some(a => a.name.startsWith('on') && a.value.includes('cmPwned')))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from api.app import create_app
    from api.settings import Settings
    from graph.sqlite_store import SQLiteStore
    from factories import seeded

    d = tmp_path_factory.mktemp("every-page")
    store = SQLiteStore(d / "pages.db")
    seeded(scale=300, seed=42).fill(store)
    # payloads in names every kind of page shows: a local firm, a park, a parcel, a project, the chain
    firm = store.find("Enterprise", filters={"region": "330800"}, limit=1)[0][0]
    park = store.find("Park", filters={"region": "330800"}, limit=1)[0]
    park = park[0] if park else store.find("Park", limit=1)[0][0]
    parcel = store.find("LandParcel", filters={"park": park["key"]}, limit=1)[0]
    project = store.find("Project", limit=1)[0][0]
    from graph.schema import MODELS, Label
    from graph.writer import write_objects

    edits = [(Label.Enterprise, firm | {"name": f"注入企业{XSS}（合成）"}),
             (Label.Park, park | {"name": f"注入园区{XSS_ATTR}"}),
             (Label.Project, project | {"name": f"注入项目{XSS}（合成）"}),
             (Label.IndustryChain, store.get("IndustryChain", "ic") | {"key": "ic", "description": XSS_ATTR})]
    if parcel:
        edits.append((Label.LandParcel, parcel[0] | {"name": f"注入地块{XSS_ATTR}（合成）"}))
    write_objects(store, [MODELS[label].model_validate(obj) for label, obj in edits])
    app = create_app(Settings(sqlite_path=str(d / "pages.db"), snapshot_dir=str(d / "snaps")), store=store)
    base, server, thread = serve(app)
    prefer = {"Region": REGION, "IndustryChain": "ic", "Enterprise": firm["key"], "Park": park["key"],
              "Project": project["key"]}
    if parcel:
        prefer["LandParcel"] = parcel[0]["key"]
    yield base, app, store, prefer
    stop(server, thread)
    store.close()


def html_refs(base, app, store, prefer):
    refs = []
    with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as c:
        for ref in page_refs(app, store, prefer):
            r = c.get(ref.url)
            assert r.status_code < 500, (ref.url, r.status_code, r.text[:300])
            if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
                refs.append(ref)
    return refs


def _check_links(driver, base) -> int:
    hrefs = driver.execute_script("return [...new Set([...document.querySelectorAll('a[href]')].map(a => a.href))]")
    local = [h.split("#")[0] for h in hrefs if h.startswith(base + "/")][:25]
    with httpx.Client(timeout=60) as c:
        for h in local:
            r = c.get(h)
            assert r.status_code < 500, (driver.current_url, h, r.status_code)
    return len(local)


def test_every_page_loads_offline_cleanly_and_renders_injected_text_inert(browser, site):
    base, app, store, prefer = site
    refs = html_refs(base, app, store, prefer)
    routes = {r.route for r in refs}
    assert {"/pages", "/pages/chains/{chain}/map", "/pages/land", "/pages/enterprises/{key}", "/pages/parks/{key}",
            "/", "/docs"} <= routes, routes
    for ref in refs:
        name = ref.route.strip("/").replace("/", "_").replace("{", "").replace("}", "") or "index"
        page = load_page(browser, base + ref.url, allowed=(base + "/", "data:", "blob:"), screenshot=f"page-{name}.png",
                         wait_for=RENDERED.get(ref.route))
        assert not browser.execute_script(PWNED), f"{ref.url}: injected script ran"
        assert page.title, ref.url
        _check_links(browser, base)


def test_chain_map_click_a_segment_shows_its_firms(browser, site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, *_ = site
    cmap = httpx.get(f"{base}/api/v1/chains/ic/map", params={"region": REGION}).json()
    seg = max(cmap["segments"], key=lambda s: s["local_count"])
    assert seg["local_count"] > 0
    firms = httpx.get(f"{base}/api/v1/chains/ic/segments/{seg['key']}/firms", params={"region": REGION}).json()["items"]
    load_page(browser, f"{base}/pages/chains/ic/map?region={REGION}", allowed=(base + "/", "data:"))
    canvas = browser.find_element(By.CSS_SELECTOR, "#cm-network canvas")
    browser.execute_script("window.ChainMatch.network.fit({animation: false})")
    x, y, w, h = browser.execute_script(
        "const n = window.ChainMatch.network; const p = n.getPositions([arguments[0]])[arguments[0]];"
        "const d = n.canvasToDOM(p); const c = arguments[1].getBoundingClientRect();"
        "return [d.x, d.y, c.width, c.height];", seg["key"], canvas)
    ActionChains(browser).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click().perform()
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return document.getElementById('cm-panel').dataset.node") == seg["key"])
    panel = browser.find_element(By.ID, "cm-panel").text
    assert seg["name"] in panel
    shown = [f["name"] for f in firms if f["name"] in panel]
    assert shown, (seg["key"], [f["name"] for f in firms], panel[:500])
    assert not browser.execute_script(PWNED)
    browser.save_screenshot(str(ARTIFACTS / "every-page-chain-map-clicked.png"))


def test_land_storefront_click_a_parcel_shows_fitting_projects(browser, site):
    from selenium.webdriver.common.by import By

    base, *_ = site
    load_page(browser, f"{base}/pages/land", allowed=(base + "/", "data:"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table a[href*='parcel=']")
    assert rows, "the storefront lists no parcel"
    name = rows[0].text
    rows[0].click()
    load_page(browser, browser.current_url, allowed=(base + "/", "data:"), screenshot="every-page-land-parcel.png")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert name in body and "适合的项目" in body
    assert not browser.execute_script(PWNED)


def test_page_index_form_opens_the_chain_map(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, *_ = site
    load_page(browser, f"{base}/pages", allowed=(base + "/", "data:"))
    region = browser.find_element(By.CSS_SELECTOR, "#cm-form input[name=region]")
    region.clear()
    region.send_keys("衢州")
    browser.find_element(By.CSS_SELECTOR, "#cm-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(lambda d: "/map?" in d.current_url)
    page = load_page(browser, browser.current_url, allowed=(base + "/", "data:"))
    assert page.graph and "衢州" in browser.find_element(By.TAG_NAME, "body").text


def test_every_other_page_leads_somewhere_that_works(browser, site):
    """Pages without a dedicated interaction test: following their first link to another page works."""
    from selenium.webdriver.common.by import By

    base, app, store, prefer = site
    dedicated = {"/pages", "/pages/chains/{chain}/map", "/pages/land", "/pages/chain-map"}
    followed = 0
    for ref in html_refs(base, app, store, prefer):
        if ref.route in dedicated or ref.route in ("/docs", "/redoc"):
            continue
        load_page(browser, base + ref.url, allowed=(base + "/", "data:", "blob:"))
        links = [a for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")
                 if (a.get_attribute("href") or "").startswith(base + "/pages") and a.is_displayed()
                 and a.get_attribute("href").split("#")[0] != browser.current_url]
        if not links:
            continue
        target = links[0].get_attribute("href")
        links[0].click()
        load_page(browser, browser.current_url, allowed=(base + "/", "data:", "blob:"))
        assert browser.current_url.split("#")[0] == target.split("#")[0] or browser.current_url.startswith(base)
        assert not browser.execute_script(PWNED)
        followed += 1
    assert followed >= 3


def test_the_inert_check_can_fail(browser, site, tmp_path):
    """The check above is not vacuous: a page that does run the payload is caught."""
    path = tmp_path / "unsafe.html"
    path.write_text(f"<!doctype html><html><head><title>x</title></head><body><p>{XSS}</p></body></html>",
                    encoding="utf-8")
    load_page(browser, path.as_uri(), allowed=("file://",))
    assert browser.execute_script(PWNED)
    path.write_text(f"<!doctype html><html><head><title>x</title></head><body><p>{XSS_ATTR}</p></body></html>",
                    encoding="utf-8")
    browser.get(path.as_uri())
    browser.get_log("browser")
    assert browser.execute_script(PWNED)


