"""A hand-built world for 企业尽调 tests: 衢州市 (柯城区 with 衢州智造新城) and 深圳市, the 集成电路 chain, and firms
each carrying one kind of evidence, so a test can read the number each evidence item adds.

AS_OF is the data's "today"; RECENT is inside the two-year window, OLD before it."""
from __future__ import annotations

import json
from typing import Any

from graph.schema import Enterprise, Fund, IndustryChain, Park, Project, Region, Segment
from graph.store import RelRec

AS_OF = "2025-06-30"
RECENT, RECENT2, OLD = "2025-01-15", "2024-08-01", "2021-05-01"
LOCAL = "330802"  # 柯城区, 衢州市
SAME_CITY = "330803"  # 衢江区, 衢州市
AWAY = "440300"  # 深圳市


def j(**kw: Any) -> str:
    return json.dumps(kw, ensure_ascii=False)


def firm(key: str, region: str = LOCAL, **kw: Any) -> Enterprise:
    return Enterprise(key=key, name=f"{key}示例企业（合成）", region=region, synthetic=True, **kw)


def base_objects() -> list[Any]:
    return [
        Region(key="330000", name="浙江省", level="province"),
        Region(key="330800", name="衢州市", level="city", parent="330000"),
        Region(key=LOCAL, name="柯城区", level="county", parent="330800"),
        Region(key=SAME_CITY, name="衢江区", level="county", parent="330800"),
        Region(key="440000", name="广东省", level="province"),
        Region(key=AWAY, name="深圳市", level="city", parent="440000"),
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.mat", name="半导体材料", chain="ic", stream="上游"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic", stream="中游"),
        Park(key="qz-zz", name="衢州智造新城", region="330800", leading_chains=["ic"]),
    ]


def world() -> tuple[list[Any], list[RelRec]]:
    objs = base_objects() + [
        firm("BARE"),  # nothing known: 数据不足 both ways
        firm("ROUND", financing_rounds=[j(on=RECENT, round="A轮", amount_wan=3000, investors=["示例资本（合成）"])]),
        firm("BIGROUND", financing_rounds=[j(on=RECENT, round="B轮", amount_wan=20000)]),
        firm("OLDROUND", financing_rounds=[j(on=OLD, round="天使轮", amount_wan=100)]),
        firm("SUM", recent_financing_wan=500.0),
        firm("BRANCH", branches=[j(on=RECENT, kind="新设", region=LOCAL, name="柯城分公司")]),
        firm("CAPUP", capital_changes=[j(on=RECENT, from_wan=1000, to_wan=1200)]),
        firm("CAPBIG", capital_changes=[j(on=RECENT, from_wan=1000, to_wan=2000)]),
        firm("HIRE", headcount_history=[j(on="2024-01-10", employees=100), j(on=RECENT, employees=115, openings=12)]),
        firm("MOVE", branches=[j(on=RECENT, kind="迁出", region=AWAY, name="生产基地")]),
        firm("INCITY", branches=[j(on=RECENT, kind="迁出", region=SAME_CITY, name="仓库")]),
        firm("INCITYNAME", branches=[j(on=RECENT, kind="迁出", region="衢江", name="仓库")]),  # short name
        firm("MOVEUNK", branches=[j(on=RECENT, kind="迁出", region="某某新区", name="研发中心")]),
        firm("NOWHERE", region=None, branches=[j(on=RECENT, kind="迁出", region=AWAY, name="工厂")]),
        firm("AWAYBR", branches=[j(on=RECENT, kind="新设", region="深圳市", name="深圳分公司")]),
        firm("CLOSE", branches=[j(on=RECENT, kind="注销", region=LOCAL, name="柯城分公司")]),
        firm("FALL", yearly_indicators=[j(year=2023, revenue_wan=1000, tax_wan=100, output_wan=1000),
                                        j(year=2024, revenue_wan=900, tax_wan=70, output_wan=1000)]),
        firm("RISE", yearly_indicators=[j(year=2023, revenue_wan=1000), j(year=2024, revenue_wan=1200)]),
        firm("SUPPLIER", park="qz-zz", short_name="示例供货", listing="上交所科创板", stock_code="688999",
             founded="2012-05-01", registered_capital_wan=5000.0),
        firm("LEADAWAY", region=AWAY), firm("LEADHOME"),
        firm("PROJ"),
        firm("OUTSIDER", region=AWAY, branches=[j(on=RECENT, kind="迁出", region=LOCAL)]),
        Project(key="p-here", name="本地扩产项目（合成）", investor="PROJ", region=LOCAL, stage="签约", stage_on=RECENT2),
        Project(key="p-away", name="深圳新基地项目（合成）", investor="PROJ", region=AWAY, stage="洽谈", stage_on=RECENT),
        Project(key="p-lead", name="线索项目（合成）", investor="PROJ", region=AWAY, stage="线索", stage_on=RECENT),
        Fund(key="fund-qz", name="衢州示例产业基金（合成）", region="330800"),
    ]
    rels = [
        RelRec("IN_SEGMENT", "Enterprise", "SUPPLIER", "Segment", "ic.mat", {"weight": 1.0}),
        RelRec("IN_SEGMENT", "Enterprise", "LEADAWAY", "Segment", "ic.fab", {"weight": 1.0}),
        RelRec("IN_SEGMENT", "Enterprise", "LEADHOME", "Segment", "ic.fab", {"weight": 1.0}),
        RelRec("SUPPLIES", "Enterprise", "SUPPLIER", "Enterprise", "LEADAWAY", {"share": 0.3}),
        RelRec("SUPPLIES", "Enterprise", "SUPPLIER", "Enterprise", "LEADHOME", {"share": 0.2}),
        RelRec("LEADS", "Enterprise", "LEADAWAY", "IndustryChain", "ic", {"region": AWAY}),
        RelRec("LEADS", "Enterprise", "LEADHOME", "IndustryChain", "ic", {"region": "330800"}),
        RelRec("INVESTED_IN", "Fund", "fund-qz", "Enterprise", "SUPPLIER", {"amount_wan": 2000.0}),
    ]
    return objs, rels
