"""A small hand-built graph whose chain analysis can be checked by hand (see tests/chains/test_analysis.py).

集成电路 (ic), 7 segments; 新材料 (nm), 2 segments; UPSTREAM_OF:
    s1 原料 ─┬→ s3 制造 → s4 封测 → s5 终端 ← s6 辅料
    s2 设备 ─┘     s1 ──────→ s4 ← s7 封装设备
    m2 基础化工 → m1 电子化学品;  cross-chain: m1 → s7, m2 → s1
Source→sink paths (ic only): s1-s3-s4-s5, s1-s4-s5, s2-s3-s4-s5, s6-s5, s7-s4-s5 = 5, so the SPC shares are
s1 .4, s2 .2, s3 .4, s4 .8, s5 1, s6 .2, s7 .2.

Regions: 测试省 900000 ⊃ 甲市 900100 ⊃ 甲一县 900101; 乙市 900200 ⊂ 测试省; 外省 800000 ⊃ 丙市 800100.
Size weights 微 0.5 · 小 1 · 中 3 · 大 9. Firms (one segment each, weight 1):
  local to 甲市:  L1 s1 大型 (甲一县, 链主 of ic, 专精特新) · L2 s1 中型 (小巨人) · L3 s3 小型 (高新技术)
                  L4 m1 中型 · L5 m1 小型 (甲一县, 上市) · L6 s5 size unknown, revenue 100 万元 → 微型
  elsewhere:      N1 s3 大型 丙市 · N2 s4 大型 丙市 (链主 of ic) · N3 s1 小型 乙市 · N4 s5 中型 丙市
                  N5 m2 中型 丙市 · N6 s2 小型 乙市 · N7 m1 小型 丙市
Strength in 甲市: s1 12, s3 1, s5 .5, m1 4 (total 17.5); national: s1 13, s2 1, s3 10, s4 9, s5 3.5, m1 5,
m2 3 (total 44.5). LQ(s1) = (12/17.5)/(13/44.5) = 2.347, LQ(m1) = 2.034, LQ(s3) = .254, LQ(s5) = .363.
Parks: 甲园 pk1 (甲市, hosts ic; parcels 80 亩 available + 50 亩 reserved), 乙园 pk2 (乙市).
Supplies: L2 → L1, L3 → L1, N1 → L1, L1 → N4; fund F1 invests in L1.
"""
from __future__ import annotations

from graph.schema import Enterprise, Fund, IndustryChain, LandParcel, Park, Region, Segment
from graph.store import RelRec

IC_SEGMENTS = ("ic.s1", "ic.s2", "ic.s3", "ic.s4", "ic.s5", "ic.s6", "ic.s7")
LOCAL = ("E-L1", "E-L2", "E-L3", "E-L4", "E-L5", "E-L6")


def objects():
    seg = lambda k, n, c, s: Segment(key=k, name=n, chain=c, stream=s)  # noqa: E731
    ent = lambda k, n, r, **kw: Enterprise(key=k, name=n, region=r, **kw)  # noqa: E731
    return [
        IndustryChain(key="ic", name="集成电路", aliases=["半导体"]),
        IndustryChain(key="nm", name="新材料"),
        seg("ic.s1", "原料", "ic", "上游"), seg("ic.s2", "设备", "ic", "上游"), seg("ic.s3", "制造", "ic", "中游"),
        seg("ic.s4", "封测", "ic", "中游"), seg("ic.s5", "终端", "ic", "下游"), seg("ic.s6", "辅料", "ic", "上游"),
        seg("ic.s7", "封装设备", "ic", "上游"),
        seg("nm.m1", "电子化学品", "nm", "中游"), seg("nm.m2", "基础化工", "nm", "上游"),
        Region(key="900000", name="测试省", level="province"),
        Region(key="900100", name="甲市", level="city", parent="900000"),
        Region(key="900101", name="甲一县", level="county", parent="900100"),
        Region(key="900200", name="乙市", level="city", parent="900000"),
        Region(key="800000", name="外省", level="province"),
        Region(key="800100", name="丙市", level="city", parent="800000"),
        Park(key="pk1", name="甲园", region="900100", leading_chains=["ic"], level="省级", kind="经济开发区"),
        Park(key="pk2", name="乙园", region="900200", leading_chains=["nm"]),
        LandParcel(key="pc1", name="甲园一号地块", park="pk1", region="900100", area_mu=80),
        LandParcel(key="pc2", name="甲园二号地块", park="pk1", region="900100", area_mu=50, status="reserved"),
        Fund(key="F1", name="测试产业基金", region="900100"),
        ent("E-L1", "本地链主甲（测试）", "900101", size="大型", tags=["专精特新"], revenue_wan=90000),
        ent("E-L2", "本地原料乙（测试）", "900100", size="中型", tags=["小巨人"]),
        ent("E-L3", "本地制造丙（测试）", "900100", size="小型", tags=["高新技术"]),
        ent("E-L4", "本地化学丁（测试）", "900100", size="中型"),
        ent("E-L5", "本地化学戊（测试）", "900101", size="小型", tags=["上市"]),
        ent("E-L6", "本地终端己（测试）", "900100", revenue_wan=100),
        ent("E-N1", "外地制造一（测试）", "800100", size="大型"),
        ent("E-N2", "外地封测链主（测试）", "800100", size="大型"),
        ent("E-N3", "乙市原料（测试）", "900200", size="小型"),
        ent("E-N4", "外地终端（测试）", "800100", size="中型"),
        ent("E-N5", "外地化工（测试）", "800100", size="中型"),
        ent("E-N6", "乙市设备（测试）", "900200", size="小型"),
        ent("E-N7", "外地化学（测试）", "800100", size="小型"),
    ]


def relations(*, park_links: bool = False):
    up = lambda a, b: RelRec("UPSTREAM_OF", "Segment", a, "Segment", b)  # noqa: E731
    mem = lambda e, s: RelRec("IN_SEGMENT", "Enterprise", e, "Segment", s, {"weight": 1.0})  # noqa: E731
    rels = [
        up("ic.s1", "ic.s3"), up("ic.s2", "ic.s3"), up("ic.s3", "ic.s4"), up("ic.s1", "ic.s4"), up("ic.s4", "ic.s5"),
        up("ic.s6", "ic.s5"), up("ic.s7", "ic.s4"), up("nm.m2", "nm.m1"), up("nm.m1", "ic.s7"), up("nm.m2", "ic.s1"),
        mem("E-L1", "ic.s1"), mem("E-L2", "ic.s1"), mem("E-L3", "ic.s3"), mem("E-L4", "nm.m1"), mem("E-L5", "nm.m1"),
        mem("E-L6", "ic.s5"), mem("E-N1", "ic.s3"), mem("E-N2", "ic.s4"), mem("E-N3", "ic.s1"), mem("E-N4", "ic.s5"),
        mem("E-N5", "nm.m2"), mem("E-N6", "ic.s2"), mem("E-N7", "nm.m1"),
        RelRec("LEADS", "Enterprise", "E-L1", "IndustryChain", "ic", {"region": "900100"}),
        RelRec("LEADS", "Enterprise", "E-N2", "IndustryChain", "ic", {"region": "800100"}),
        RelRec("SUPPLIES", "Enterprise", "E-L2", "Enterprise", "E-L1"),
        RelRec("SUPPLIES", "Enterprise", "E-L3", "Enterprise", "E-L1"),
        RelRec("SUPPLIES", "Enterprise", "E-N1", "Enterprise", "E-L1"),
        RelRec("SUPPLIES", "Enterprise", "E-L1", "Enterprise", "E-N4"),
        RelRec("INVESTED_IN", "Fund", "F1", "Enterprise", "E-L1", {"amount_wan": 5000}),
    ]
    if park_links:
        rels += [RelRec("LOCATED_IN", "Enterprise", "E-L1", "Park", "pk1"),
                 RelRec("LOCATED_IN", "Enterprise", "E-L3", "Park", "pk1")]
    return rels


def write(store, *, park_links: bool = False):
    from graph.writer import write_objects

    write_objects(store, objects(), relations(park_links=park_links))
    return store


def build_snapshot(path, *, park_links: bool = False):
    """A SQLite store at `path` with the graph, and its snapshot."""
    from graph.snapshot import Snapshot
    from graph.sqlite_store import SQLiteStore

    store = write(SQLiteStore(path), park_links=park_links)
    return store, Snapshot.build(store)


def make_app(store, tmp_dir):
    """The API app on `store`, with the chain and page routers included if the app does not include them yet
    (api/app.py wires them; this keeps the tests independent of that wiring)."""
    from chains import pages
    from api.app import create_app
    from chains import router as chains
    from api.settings import Settings

    app = create_app(Settings(sqlite_path=str(tmp_dir / "unused.db"), snapshot_dir=str(tmp_dir / "snaps")), store=store)
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/api/v1/chains/{chain}/map" not in paths:
        app.include_router(chains.router, prefix="/api/v1")
    if "/pages/chains/{chain}/map" not in paths:
        app.include_router(pages.router)
    return app
