"""The kinds of things in the ChainMatch graph (node labels) and the closed vocabularies their fields use:
streams 上游/中游/下游, firm sizes, project stages 线索…达产, parcel statuses, pollution classes, land-use codes
(GB/T 21010), firm tags; the Chinese name and the URL plural of each label, and `parse_label` for any spelling."""
from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import Field


class Label(str, Enum):
    IndustryChain = "IndustryChain"
    Segment = "Segment"
    Enterprise = "Enterprise"
    Fund = "Fund"
    Park = "Park"
    LandParcel = "LandParcel"
    Project = "Project"
    Region = "Region"
    Product = "Product"
    Policy = "Policy"


STREAMS = ("上游", "中游", "下游")
STREAM_ALIASES = {"upstream": "上游", "midstream": "中游", "downstream": "下游", "up": "上游", "mid": "中游", "down": "下游"}
REGION_LEVELS = ("province", "city", "county")
SIZES = ("微型", "小型", "中型", "大型")
PROJECT_STAGES = ("线索", "接洽", "洽谈", "签约", "注册", "开工", "投产", "达产")
PARCEL_STATUSES = ("available", "reserved", "transferred")
POLLUTION_CLASSES = ("轻污染", "一般", "重污染")
# GB/T 21010-2017 一级/二级类 codes that parcels use in 土地超市 listings.
LAND_USES = {
    "0601": "工业用地",
    "0602": "采矿用地",
    "0603": "盐田",
    "0604": "仓储用地",
    "0501": "零售商业用地",
    "0502": "批发市场用地",
    "0503": "餐饮用地",
    "0504": "旅馆用地",
    "0505": "商务金融用地",
    "0508": "物流仓储用地",
    "0809": "科研用地",
}
ENTERPRISE_TAGS = ("专精特新", "小巨人", "高新技术", "上市", "链主", "单项冠军", "瞪羚", "独角兽", "外资")


LABEL_CN: dict[Label, str] = {
    Label.IndustryChain: "产业链",
    Label.Segment: "环节",
    Label.Enterprise: "企业",
    Label.Fund: "基金",
    Label.Park: "园区",
    Label.LandParcel: "地块",
    Label.Project: "项目",
    Label.Region: "行政区",
    Label.Product: "产品",
    Label.Policy: "政策",
}


LabelName = Annotated[str, Field(description="节点类别")]


def parse_label(text: str) -> Label:
    """Accept a label in any of its spellings: 'Enterprise', 'enterprise', 'enterprises'."""
    t = text.strip()
    for lab in Label:
        if t.lower() in (lab.value.lower(), lab.value.lower() + "s", PLURALS.get(lab, "")):
            return lab
    raise ValueError(f"未知节点类别 {text!r}；可选: {', '.join(l.value for l in Label)}")


PLURALS = {
    Label.IndustryChain: "chains",
    Label.Segment: "segments",
    Label.Enterprise: "enterprises",
    Label.Fund: "funds",
    Label.Park: "parks",
    Label.LandParcel: "parcels",
    Label.Project: "projects",
    Label.Region: "regions",
    Label.Product: "products",
    Label.Policy: "policies",
}
