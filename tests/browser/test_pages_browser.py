"""Every page loads in headless Chromium with no network: no console error, no request off this machine, and
the expected number of nodes drawn (read from the vis network object). Screenshots go to test-artifacts/."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browserkit import ARTIFACTS, browser, live_server, load  # noqa: E402,F401  (fixtures)

HAND = "strong_min_count=2&main_path_min_share=0.3"


def test_chain_map_page(browser, live_server):
    base, _ = live_server
    page = load(browser, f"{base}/pages/chains/ic/map?region=900100&{HAND}", allowed=(base + "/", "data:"),
                 screenshot="chain-map-handbuilt.png")
    assert page.nodes_drawn == 9  # 7 集成电路 segments + 2 新材料 context segments
    assert page.edges_drawn == 9  # 7 in-chain + 2 cross-chain links
    assert page.requests == [f"{base}/pages/chains/ic/map?region=900100&{HAND}"]  # one request: everything inline
    # the opening panel shows the first 补链 segment
    assert browser.execute_script("return document.querySelector('#cm-panel h2').textContent") == "封测"


def test_clicking_a_segment_lists_its_local_firms_and_the_targets_hook(browser, live_server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = live_server
    load(browser, f"{base}/pages/chains/ic/map?region=甲市&{HAND}", allowed=(base + "/", "data:"))
    canvas = browser.find_element(By.CSS_SELECTOR, "#cm-network canvas")

    def click_node(node_id: str) -> None:
        # where vis drew the node, in CSS pixels relative to the canvas centre (what selenium offsets from)
        x, y, w, h = browser.execute_script(
            "const n = window.ChainMatch.network; const p = n.getPositions([arguments[0]])[arguments[0]];"
            "const d = n.canvasToDOM(p); const c = arguments[1].getBoundingClientRect();"
            "return [d.x, d.y, c.width, c.height];", node_id, canvas)
        ActionChains(browser).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click().perform()
        WebDriverWait(browser, 5).until(
            lambda d: d.execute_script("return document.getElementById('cm-panel').dataset.node") == node_id)

    click_node("ic.s1")
    panel = browser.find_element(By.ID, "cm-panel").text
    assert "原料" in panel and "本地链主甲（测试）" in panel and "本地原料乙（测试）" in panel and "优势" in panel
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#cm-panel a")]
    assert f"{base}/pages/enterprises/E-L1" in links
    click_node("ic.s4")
    panel = browser.find_element(By.ID, "cm-panel").text
    assert "本地暂无该环节企业" in panel and "外地封测链主（测试）" in panel and "补链" in panel
    # the recommender's hook: targets injected later appear in the open panel
    browser.execute_script("window.ChainMatch.setTargets('ic.s4', [{name: '目标封测企业', score: 0.9, reasons: ['填补封测空白']}])")
    panel = browser.find_element(By.ID, "cm-panel").text
    assert "目标封测企业" in panel and "填补封测空白" in panel
    browser.save_screenshot(str(ARTIFACTS / "chain-map-clicked.png"))


def test_enterprise_page(browser, live_server):
    base, _ = live_server
    page = load(browser, f"{base}/pages/enterprises/E-L1", allowed=(base + "/", "data:"), screenshot="enterprise.png")
    assert page.nodes_drawn == 9  # firm, 3 suppliers, 1 customer, fund, region, segment, chain it leads


def test_park_page(browser, live_server):
    base, _ = live_server
    page = load(browser, f"{base}/pages/parks/pk1", allowed=(base + "/", "data:"), screenshot="park.png")
    assert page.nodes_drawn == 9  # park, region, chain, 2 parcels, 4 firms


def test_index_and_error_pages_have_no_console_errors(browser, live_server):
    from selenium.webdriver.common.by import By

    base, _ = live_server
    browser.get_log("browser")
    browser.get(f"{base}/pages")
    assert "集成电路" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{base}/pages/parks/nope")  # a 404 page logs the failed main request, nothing else
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "404" not in e["message"]]
    assert errors == []


def test_saved_report_works_offline_from_disk(browser, live_server, tmp_path):
    from chains.render import report as chain_render
    from graph.snapshot import Snapshot
    from chains import AnalysisConfig

    _, store = live_server
    out = chain_render.build(Snapshot.build(store), chain="ic", region="900100",
                             config=AnalysisConfig(strong_min_count=2, main_path_min_share=0.3))
    files, _ = chain_render.write_report(out, tmp_path, png=False)
    report = next(f for f in files if f.suffix == ".html")
    page = load(browser, report.as_uri(), allowed=("file://", "data:"), screenshot="chain-report.png")
    assert page.nodes_drawn == 9 and page.requests == [report.as_uri()]


def test_aggregated_view_says_so(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By

    from chains.render.html import graph_page
    from chains.render.profiles import enterprise_view
    from graph.snapshot import Snapshot

    _, store = live_server
    path = tmp_path / "agg.html"
    path.write_text(graph_page(enterprise_view(Snapshot.build(store), "E-L1", max_nodes=5)), encoding="utf-8")
    page = load(browser, path.as_uri(), allowed=("file://", "data:"), screenshot="enterprise-aggregated.png")
    assert page.nodes_drawn == 8  # 5 fixed + suppliers in s1 / s3 + customers in s5 as 3 group nodes
    assert "已汇总" in browser.find_element(By.ID, "cm-aggregated").text


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def test_png_export_of_the_static_map(browser, live_server, tmp_path):
    from chains.render import report as chain_render
    from chains.render.png import svg_size
    from graph.snapshot import Snapshot

    _, store = live_server
    out = chain_render.build(Snapshot.build(store), chain="集成电路", region="甲市")
    files, note = chain_render.write_report(out, tmp_path, png=True)
    png = next(f for f in files if f.suffix == ".png")
    svg = next(f for f in files if f.suffix == ".svg")
    assert note is None and _png_size(png) == svg_size(svg.read_text(encoding="utf-8"))
    assert png.stat().st_size > 20_000  # text and shapes, not a blank page
    (ARTIFACTS / "chain-map-static-handbuilt.png").write_bytes(png.read_bytes())


def test_seeded_chain_map_for_quzhou(browser, tmp_path):
    """The demo data (seed_data.seed) rendered as an officer would see it: 集成电路 in 衢州."""
    seed = pytest.importorskip("seed_data.seed", reason="seed_data.seed 不可用")
    from chains.render import report as chain_render
    from graph.snapshot import Snapshot
    from graph.sqlite_store import SQLiteStore

    store = SQLiteStore(tmp_path / "seed.db")
    try:
        seed.seed_store(store, scale=1000, seed=42, progress=False)
        out = chain_render.build(Snapshot.build(store), chain="集成电路", region="衢州")
    finally:
        store.close()
    assert out.cmap.scope.key == "330800" and len(out.cmap.segments) == 16
    assert next(s for s in out.cmap.segments if s.key == "ic.packaging").klass == "空白"  # the demo gap
    assert "ic.packaging" in {m.segment for m in out.cmap.moves_of("补链")}
    path = chain_render.write_map(out, tmp_path / "ic-quzhou.html")
    page = load(browser, path.as_uri(), allowed=("file://", "data:"), screenshot="seed-ic-quzhou-map.png")
    assert page.nodes_drawn == len(out.cmap.segments) + len(out.cmap.context_segments)
    png = chain_render.write_map(out, tmp_path / "ic-quzhou.png")
    (ARTIFACTS / "seed-ic-quzhou-map-static.png").write_bytes(png.read_bytes())


def test_the_offline_guard_catches_an_external_request(browser, live_server, tmp_path):
    """The checks above can fail: a page that loads one remote image is caught (request log and console)."""
    from chains.render import report as chain_render
    from graph.snapshot import Snapshot

    _, store = live_server
    html = chain_render.map_html(chain_render.build(Snapshot.build(store), chain="ic", region="900100"))
    path = tmp_path / "leaky.html"
    path.write_text(html.replace("<footer>", '<img src="http://cdn.example.com/logo.png" alt=""><footer>'),
                    encoding="utf-8")
    with pytest.raises(AssertionError, match="cdn.example.com"):
        load(browser, path.as_uri(), allowed=("file://", "data:"))
