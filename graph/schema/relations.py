"""The relation rules of the ChainMatch graph: which relation types exist and which labels they connect
(RELATIONS), which node fields are also written as relations (REFERENCE_FIELDS: the analytic snapshot then needs
only relations), and which fields name another node without a relation but must still point at one
(CHECKED_FIELDS). graph/writer.py enforces them on every write."""
from __future__ import annotations

from dataclasses import dataclass

from graph.schema.labels import Label


@dataclass(frozen=True)
class RelationType:
    name: str
    src: tuple[Label, ...]
    dst: tuple[Label, ...]
    description: str
    props: tuple[str, ...] = ()


RELATIONS: dict[str, RelationType] = {
    r.name: r
    for r in (
        RelationType("PART_OF", (Label.Segment,), (Label.IndustryChain,), "环节属于产业链"),
        RelationType("UPSTREAM_OF", (Label.Segment,), (Label.Segment,), "上游环节 → 下游环节（无环）"),
        RelationType("IN_SEGMENT", (Label.Enterprise,), (Label.Segment,), "企业属于环节", ("weight",)),
        RelationType("SUPPLIES", (Label.Enterprise,), (Label.Enterprise,), "供应商 → 客户", ("share",)),
        RelationType("LEADS", (Label.Enterprise,), (Label.IndustryChain,), "链主", ("region",)),
        RelationType("INVESTED_IN", (Label.Fund,), (Label.Enterprise,), "基金投资组合", ("amount_wan", "date", "round")),
        RelationType("FOCUSES_ON", (Label.Fund,), (Label.IndustryChain, Label.Segment), "基金关注"),
        RelationType(
            "LOCATED_IN",
            (Label.Enterprise, Label.Park, Label.Fund, Label.Region, Label.LandParcel, Label.Project),
            (Label.Region, Label.Park),
            "位于（行政区或园区）",
        ),
        RelationType("HAS_PARCEL", (Label.Park,), (Label.LandParcel,), "园区地块"),
        RelationType("HOSTS", (Label.Park,), (Label.IndustryChain,), "园区主导产业链"),
        RelationType("PROPOSES", (Label.Enterprise,), (Label.Project,), "企业提出项目"),
        RelationType("MAKES", (Label.Enterprise,), (Label.Product,), "企业主营产品", ("weight",)),
        RelationType("TARGETS", (Label.Project,), (Label.Segment, Label.IndustryChain), "项目所属链/环节"),
        RelationType("APPLIES_TO", (Label.Policy,), (Label.Region, Label.IndustryChain), "政策适用"),
    )
}

# (label, field) -> (relation type, direction). "out": node -> referenced; "in": referenced -> node.
REFERENCE_FIELDS: dict[Label, dict[str, tuple[str, Label, str]]] = {
    Label.Segment: {"chain": ("PART_OF", Label.IndustryChain, "out")},
    Label.Region: {"parent": ("LOCATED_IN", Label.Region, "out")},
    Label.Enterprise: {"region": ("LOCATED_IN", Label.Region, "out"), "park": ("LOCATED_IN", Label.Park, "out")},
    Label.Fund: {"region": ("LOCATED_IN", Label.Region, "out"), "focus": ("FOCUSES_ON", Label.IndustryChain, "out")},
    Label.Park: {"region": ("LOCATED_IN", Label.Region, "out"), "leading_chains": ("HOSTS", Label.IndustryChain, "out")},
    Label.LandParcel: {"park": ("HAS_PARCEL", Label.Park, "in"), "region": ("LOCATED_IN", Label.Region, "out")},
    Label.Project: {
        "investor": ("PROPOSES", Label.Enterprise, "in"),
        "chain": ("TARGETS", Label.IndustryChain, "out"),
        "segment": ("TARGETS", Label.Segment, "out"),
        "region": ("LOCATED_IN", Label.Region, "out"),
        "park": ("LOCATED_IN", Label.Park, "out"),
    },
    Label.Policy: {"region": ("APPLIES_TO", Label.Region, "out")},
}

# Fields that name another node without implying a relation: they must exist all the same.
# (Segment.parent is a taxonomy grouping, not a supply-flow edge; allowed_chains is a rule, not a fact.)
CHECKED_FIELDS: dict[Label, dict[str, Label]] = {
    Label.Segment: {"parent": Label.Segment},
    Label.LandParcel: {"allowed_chains": Label.IndustryChain},
}
