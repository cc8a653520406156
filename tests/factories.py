"""Valid ChainMatch records and small graphs for tests, with sensible defaults and keyword overrides.

    enterprise(key="…", region="330802")    a firm (合成) in 衢州市 unless told otherwise
    park(), parcel(), project(), chain(), segment(), region(), fund(), policy()
    tiny_graph()                            集成电路 with four segments, three regions, a park and three firms
    quzhou_districts()                      衢州市 with 柯城区 and 江山市 below it, and a firm in each
    land_world()                            土地超市: 衢州/江山/深圳 parks, parcels A–G, projects P1–P3
    land_market(n_racers=60)                土地超市 over HTTP: parcels to reserve, 60 racing projects, hostile names
    seeded(scale=200, seed=7)               what a test module's app (or `store`) holds: the seed generator's data
    graph_data(objects, relations)          … or a hand-built graph
    ….with_keys(name=(role, park))          … plus more API keys than the one per role

Every record is synthetic and says so (synthetic=True where the model has it), except the 土地超市 worlds, which
keep the plain records their tests were written against. The API fixture in conftest.py
(`api_env`) builds one app per test module over `app_data`, which a module overrides with seeded(...) or
graph_data(...); conftest's `store` fixture is a fresh store of each backend holding the same data.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from graph.schema import Enterprise, Fund, IndustryChain, LandParcel, Park, Policy, Project, Region, Segment
from graph.store import RelRec
from graph.writer import write_objects

USCC_A = "91330100799655058B"
USCC_B = "9144030071526726XG"
USCC_C = "91110000802100433B"
INJECT = "<script>alert('x')</script>"  # a name that must reach every page inert


def text_of(html: str) -> str:
    """What a reader sees of a page: its HTML without tags, scripts and styles, whitespace folded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def chain(**kw: Any) -> IndustryChain:
    return IndustryChain(**{"key": "ic", "name": "集成电路", **kw})


def segment(**kw: Any) -> Segment:
    return Segment(**{"key": "ic.pkg", "name": "封测", "chain": "ic", "stream": "中游", **kw})


def region(**kw: Any) -> Region:
    return Region(**{"key": "330800", "name": "衢州市", "level": "city", **kw})


def enterprise(**kw: Any) -> Enterprise:
    return Enterprise(**{"key": USCC_A, "name": "甲材料（合成）", "region": "330800", "synthetic": True, **kw})


def fund(**kw: Any) -> Fund:
    return Fund(**{"key": "fund-1", "name": "示例产业基金（合成）", "region": "330800", "focus": ["ic"],
                   "synthetic": True, **kw})


def park(**kw: Any) -> Park:
    return Park(**{"key": "qz-zz", "name": "衢州智造新城", "region": "330800", "leading_chains": ["ic"], **kw})


def parcel(**kw: Any) -> LandParcel:
    return LandParcel(**{"key": "pc-1", "name": "示例地块（合成）", "park": "qz-zz", "region": "330800",
                         "area_mu": 80, "synthetic": True, **kw})


def project(**kw: Any) -> Project:
    return Project(**{"key": "pj-1", "name": "示例项目（合成）", "park": "qz-zz", "chain": "ic", "land_min_mu": 50,
                      "land_max_mu": 100, "synthetic": True, **kw})


def policy(**kw: Any) -> Policy:
    return Policy(**{"key": "pol-1", "name": "示例扶持办法（合成）", "region": "330800", "synthetic": True, **kw})


def tiny_graph_objects() -> list[Any]:
    """集成电路 chain with 4 segments, two regions, three firms — small enough to check by hand."""
    return [
        chain(),
        segment(key="ic.mat", name="半导体材料", stream="上游"),
        segment(key="ic.fab", name="晶圆制造", stream="中游"),
        segment(key="ic.pkg", name="封测", stream="中游"),
        segment(key="ic.app", name="终端应用", stream="下游"),
        region(key="330000", name="浙江省", level="province"),
        region(parent="330000"),
        region(key="440300", name="深圳市"),
        park(),
        Enterprise(key=USCC_A, name="甲材料（合成）", region="330800", tags=["专精特新"], revenue_wan=50000),
        Enterprise(key=USCC_B, name="乙晶圆（合成）", region="440300", tags=["上市"], revenue_wan=900000),
        Enterprise(key=USCC_C, name="丙封测（合成）", region="440300", revenue_wan=1200),
    ]


def tiny_graph_relations() -> list[RelRec]:
    return [
        RelRec("UPSTREAM_OF", "Segment", "ic.mat", "Segment", "ic.fab"),
        RelRec("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg"),
        RelRec("UPSTREAM_OF", "Segment", "ic.pkg", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", USCC_A, "Segment", "ic.mat", {"weight": 1.0}),
        RelRec("IN_SEGMENT", "Enterprise", USCC_B, "Segment", "ic.fab", {"weight": 0.7}),
        RelRec("IN_SEGMENT", "Enterprise", USCC_C, "Segment", "ic.pkg", {"weight": 1.0}),
        RelRec("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B, {"share": 0.2}),
        RelRec("LEADS", "Enterprise", USCC_B, "IndustryChain", "ic", {"region": "440300"}),
    ]


def tiny_graph() -> tuple[list[Any], list[RelRec]]:
    return tiny_graph_objects(), tiny_graph_relations()


def quzhou_districts() -> list[Any]:
    """Two 行政区 below 衢州市 (柯城区, 江山市), a firm registered in each: `region=衢州` must reach both."""
    return [
        region(key="330802", name="柯城区", level="county", parent="330800"),
        region(key="330881", name="江山市", level="county", parent="330800"),
        enterprise(key="firm-kecheng", name="柯城示例企业（合成）", region="330802"),
        enterprise(key="firm-jiangshan", name="江山示例企业（合成）", region="330881"),
    ]


# -------------------------------------------------------------------------------------------- 土地超市
def land_world() -> tuple[list[Any], list[RelRec]]:
    """The 土地超市 matcher's world: 衢州智造新城 (qz, leads 集成电路), 江山经开区 (js, 生物医药) and 深圳园 (sz);
    parcels A (standard land, ic only), B (bio only), C (深圳), D (transferred), E (reserved for P2 until 2030), G
    (P2's reservation expired); projects P1 (封测, investor F4), P2 (原料药 in 江山), P3 (already producing)."""
    objects = [
        Region(key="330000", name="浙江省", level="province", lat=30.27, lon=120.15),
        Region(key="330800", name="衢州市", level="city", parent="330000", lat=28.97, lon=118.87),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="330881", name="江山市", level="county", parent="330800", lat=28.74, lon=118.63),
        Region(key="440300", name="深圳市", level="city", lat=22.54, lon=114.06),
        IndustryChain(key="ic", name="集成电路"),
        IndustryChain(key="bio", name="生物医药"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic", stream="中游"),
        Segment(key="ic.pkg", name="封测", chain="ic", stream="中游"),
        Segment(key="ic.app", name="终端应用", chain="ic", stream="下游"),
        Segment(key="bio.api", name="原料药", chain="bio", stream="上游"),
        Park(key="qz", name="衢州智造新城", region="330802", leading_chains=["ic"], lat=28.95, lon=118.85),
        Park(key="js", name="江山经开区", region="330881", leading_chains=["bio"]),
        Park(key="sz", name="深圳园", region="440300", leading_chains=["ic"]),
        Enterprise(key="F1", name="衢州晶圆（合成）", region="330802"),
        Enterprise(key="F2", name="江山终端（合成）", region="330881"),
        Enterprise(key="F3", name="深圳晶圆（合成）", region="440300"),
        Enterprise(key="F4", name="封测集团（合成）", region="440300", lat=22.6, lon=114.0),
        LandParcel(key="A", name="智造新城A地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=25,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, readiness=["七通一平", "标准地"],
                   allowed_chains=["ic"], allowed_pollution=["轻污染", "一般"], lat=28.95, lon=118.86),
        LandParcel(key="B", name="江山B地块", park="js", region="330881", area_mu=85, price_wan_per_mu=20,
                   min_invest_intensity_wan_per_mu=250, allowed_chains=["bio"], readiness=["五通一平"]),
        LandParcel(key="C", name="深圳C地块", park="sz", region="440300", area_mu=75, price_wan_per_mu=38),
        LandParcel(key="D", name="已出让D地块", park="qz", region="330802", area_mu=80, status="transferred"),
        LandParcel(key="E", name="预留E地块", park="qz", region="330802", area_mu=82, status="reserved",
                   reserved_by="P2", expires_at="2030-01-01T00:00:00Z"),
        LandParcel(key="G", name="过期预留G地块", park="qz", region="330802", area_mu=78, price_wan_per_mu=30,
                   status="reserved", reserved_by="P2", expires_at="2025-06-01T00:00:00Z"),
        Project(key="P1", name="封测基地项目", investor="F4", chain="ic", segment="ic.pkg", park="qz",
                total_investment_wan=26000, land_min_mu=70, land_max_mu=90, expected_tax_wan=1300,
                expected_output_wan=50000, energy_tce_per_wan=0.3, pollution_class="一般", max_price_wan_per_mu=40),
        Project(key="P2", name="原料药项目", chain="bio", segment="bio.api", region="330881",
                total_investment_wan=30000, land_min_mu=75, land_max_mu=100, pollution_class="一般"),
        Project(key="P3", name="已投产项目", chain="ic", stage="投产", total_investment_wan=90000,
                land_min_mu=70, land_max_mu=90),
    ]
    relations = [
        RelRec("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg"),
        RelRec("UPSTREAM_OF", "Segment", "ic.pkg", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", "F1", "Segment", "ic.fab"),
        RelRec("IN_SEGMENT", "Enterprise", "F2", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", "F3", "Segment", "ic.fab"),
        RelRec("IN_SEGMENT", "Enterprise", "F4", "Segment", "ic.pkg"),
        RelRec("SUPPLIES", "Enterprise", "F4", "Enterprise", "F2"),
    ]
    return objects, relations


def land_market(n_racers: int = 60) -> tuple[list[Any], list[RelRec]]:
    """土地超市 over HTTP: parcels A/B/C to match, R and S to reserve and transfer, RACE for `n_racers` projects
    reserving at once (race00…), and a park (sz) and a parcel (B) whose names carry INJECT."""
    objs = [
        Region(key="330800", name="衢州市", level="city", lat=28.97, lon=118.87),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="440300", name="深圳市", level="city", lat=22.54, lon=114.06),
        IndustryChain(key="ic", name="集成电路"),
        IndustryChain(key="bio", name="生物医药"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic"),
        Segment(key="ic.pkg", name="封测", chain="ic"),
        Park(key="qz", name="衢州智造新城", region="330802", leading_chains=["ic"], lat=28.95, lon=118.85),
        Park(key="sz", name=f"深圳园{INJECT}", region="440300", leading_chains=["bio"]),
        Enterprise(key="F1", name="衢州晶圆（合成）", region="330802"),
        LandParcel(key="A", name="智造新城A地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=25,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, readiness=["七通一平", "标准地"],
                   allowed_chains=["ic"]),
        LandParcel(key="B", name=f"深圳B地块{INJECT}", park="sz", region="440300", area_mu=120, price_wan_per_mu=45,
                   min_invest_intensity_wan_per_mu=250),
        LandParcel(key="C", name="智造新城C地块", park="qz", region="330802", area_mu=85, price_wan_per_mu=20,
                   readiness=["五通一平"]),
        LandParcel(key="R", name="预留测试地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=20),
        LandParcel(key="S", name="深圳出让测试地块", park="sz", region="440300", area_mu=80, price_wan_per_mu=20),
        LandParcel(key="RACE", name="抢地块", park="qz", region="330802", area_mu=80, price_wan_per_mu=20),
        Project(key="P1", name="封测基地项目", chain="ic", segment="ic.pkg", park="qz", total_investment_wan=26000,
                land_min_mu=70, land_max_mu=90, expected_tax_wan=1300, max_price_wan_per_mu=40),
        Project(key="P2", name="生物药项目", chain="bio", total_investment_wan=40000, land_min_mu=100, land_max_mu=130),
        Project(key="P9", name="大项目", chain="ic", total_investment_wan=90000, land_min_mu=500, land_max_mu=600),
    ]
    objs += [Project(key=f"race{k:02d}", name=f"抢地项目{k}", chain="ic", total_investment_wan=30000,
                     land_min_mu=60, land_max_mu=100) for k in range(n_racers)]
    return objs, [RelRec("IN_SEGMENT", "Enterprise", "F1", "Segment", "ic.fab")]


# ------------------------------------------------------------------------------------------ API app data
@dataclass(frozen=True)
class AppData:
    """What a test module's app serves: a function filling the empty store, the park a park_admin key belongs to,
    Settings overrides, and keys beyond the one per role (name → (role, park))."""

    fill: Callable[[Any], None]
    park: str
    settings: dict[str, Any] = field(default_factory=dict)
    extra_keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def with_keys(self, **keys: tuple[str, str | None]) -> "AppData":
        """The same data with more keys, e.g. `park_admin_sz=("park_admin", "sz")` for another park's admin."""
        return replace(self, extra_keys={**self.extra_keys, **keys})


def seeded(scale: int = 200, seed: int = 7, *, as_of: dt.date | None = None, park: str = "quzhou_zhizao",
           **settings: Any) -> AppData:
    """The seed generator's data: real public facts plus `scale` synthetic firms."""

    def fill(store: Any) -> None:
        from seed_data.seed import seed_store

        kw = {"as_of": as_of} if as_of else {}
        seed_store(store, scale=scale, seed=seed, progress=False, **kw)

    return AppData(fill, park, settings)


def graph_data(objects: list[Any], relations: list[RelRec] = (), *, park: str = "qz-zz",  # type: ignore[assignment]
               **settings: Any) -> AppData:
    """A hand-built graph (e.g. tiny_graph() plus a few records)."""
    return AppData(lambda store: write_objects(store, list(objects), list(relations)), park, settings)
