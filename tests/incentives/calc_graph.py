"""A small 衢州 graph for the 政策计算器 form and pages: two 市本级 parks and a 江山市 one, a foreign-invested firm in
智造新城 (LOCATED_IN the park), two firms whose names share 示例 (an ambiguous short name), an FDI project in 智造新城
(when_year 800 万美元 → 2% tier = 16 万美元) and one in 江山市 (out of the 市本级 scope)."""
from __future__ import annotations

from graph.schema import Enterprise, Park, Project, Region
from graph.store import RelRec

USCC_FIRM = "FIRM-QZ1"


def objects() -> list:
    return [
        Region(key="330800", name="衢州市", level="city"),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="330881", name="江山市", level="county", parent="330800"),
        Park(key="quzhou_zhizao", name="衢州智造新城", region="330800"),
        Park(key="quzhou_zhihui", name="衢州智慧新城", region="330800"),
        Park(key="jiangshan_ez", name="浙江江山经济开发区", region="330881"),
        Enterprise(key=USCC_FIRM, name="衢州示例外资电子有限公司（合成）", region="330802", tags=["外资"], size="中型"),
        Enterprise(key="FIRM-QZ2", name="衢州示例材料有限公司（合成）", region="330802", size="小型"),
        Project(key="QZP", name="智造新城外资电子项目（合成）", park="quzhou_zhizao", region="330800",
                industry_class="制造业", fdi_total_usd_wan=5000, fdi_first_year_usd_wan=800, fdi_year_usd_wan=800),
        Project(key="JSP", name="江山外资项目（合成）", park="jiangshan_ez", region="330881", industry_class="制造业",
                fdi_total_usd_wan=5000, fdi_first_year_usd_wan=800, fdi_year_usd_wan=800),
    ]


def relations() -> list[RelRec]:
    return [RelRec("LOCATED_IN", "Enterprise", USCC_FIRM, "Park", "quzhou_zhizao")]
