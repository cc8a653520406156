"""Valid ChainMatch records and small graphs for tests, with sensible defaults and keyword overrides.

    enterprise(key="…", region="330802")    a firm (合成) in 衢州市 unless told otherwise
    park(), parcel(), project(), chain(), segment(), region(), fund(), policy()
    tiny_graph()                            集成电路 with four segments, three regions, a park and three firms
    quzhou_districts()                      衢州市 with 柯城区 and 江山市 below it, and a firm in each
    seeded(scale=200, seed=7)               what an API test module's app serves: the seed generator's data
    graph_data(objects, relations)          … or a hand-built graph

Every record is synthetic and says so (synthetic=True where the model has it). The API fixture in conftest.py
(`api_env`) builds one app per test module over `app_data`, which a module overrides with seeded(...) or
graph_data(...).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from graph.schema import Enterprise, Fund, IndustryChain, LandParcel, Park, Policy, Project, Region, Segment
from graph.store import RelRec
from graph.writer import write_objects

USCC_A = "91330100799655058B"
USCC_B = "9144030071526726XG"
USCC_C = "91110000802100433B"


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


# ------------------------------------------------------------------------------------------ API app data
@dataclass(frozen=True)
class AppData:
    """What a test module's app serves: a function filling the empty store, the park a park_admin key belongs to,
    and Settings overrides."""

    fill: Callable[[Any], None]
    park: str
    settings: dict[str, Any] = field(default_factory=dict)


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
