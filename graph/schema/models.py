"""The validated node models of the ChainMatch graph (one pydantic model per label, MODELS), and the fields the
stores index for filtering (INDEXED_FIELDS).

Every node has a `key` unique within its label and keeps the `source` of its facts. Property values are flat (text,
numbers, booleans, lists of those) so both store backends hold them the same way. Units are part of field names:
`_mu` 亩, `_wan` 万元, `_wan_per_mu` 万元/亩.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from graph.schema.fields import (
    COUNT_MAX, KEY_MAX, LIST_MAX, LOG_MAX, SAFE_INT, Date, Item, KeyRef, LogEntry, LongText, NameText, ScopeText,
    SourceText, StrictNumbers, Text, _check_key, bounded_text, iso_date_text, utc_timestamp_text,
)
from graph.schema.firm_history import HISTORIES, check_history
from graph.schema.labels import LAND_USES, PROJECT_STAGES, STREAM_ALIASES, Label
from graph.uscc import USCCError, validate_uscc


class Node(StrictNumbers):
    """Fields every node has."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True, allow_inf_nan=False)
    label: ClassVar[Label]
    key: str = Field(max_length=KEY_MAX, description="唯一键（同类节点内唯一）")
    name: NameText = Field(description="名称")
    source: SourceText = Field(default="manual", description="事实来源（文件、文件号、公开文件或 synthetic）")
    synthetic: bool = Field(default=False, description="是否为合成示例数据")

    _key = field_validator("key")(classmethod(lambda cls, v: _check_key(v)))

    def props(self) -> dict[str, Any]:
        """Flat property map as the stores hold it (None dropped, dates as ISO text)."""
        out: dict[str, Any] = {}
        for k, v in self.model_dump(exclude_none=True, mode="json").items():
            if k != "key":
                out[k] = v
        return out


def _not_below(v: float | None, info: ValidationInfo, min_field: str, what: str) -> float | None:
    """A range's upper bound must not be below its lower bound (the error names the upper-bound field)."""
    lo = info.data.get(min_field)
    if v is not None and lo is not None and lo > v:
        raise ValueError(f"{what}下限 {lo:g} 大于上限 {v:g}")
    return v


class IndustryChain(Node):
    label: ClassVar[Label] = Label.IndustryChain
    aliases: list[Item] = Field(default_factory=list, max_length=LIST_MAX, description="别名，如 半导体")
    description: LongText | None = None


class Segment(Node):
    label: ClassVar[Label] = Label.Segment
    chain: KeyRef = Field(description="所属产业链 key")
    stream: Literal["上游", "中游", "下游"] | None = Field(default=None, description="上游/中游/下游")
    parent: KeyRef | None = Field(default=None, description="上级环节 key")
    keywords: list[Item] = Field(default_factory=list, max_length=LIST_MAX, description="环节关键词（产品、工艺）")
    description: LongText | None = None

    @field_validator("stream", mode="before")
    @classmethod
    def _stream(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            if not v:
                return None
            return STREAM_ALIASES.get(v.lower(), v)
        return v


class Region(Node):
    label: ClassVar[Label] = Label.Region
    level: Literal["province", "city", "county"]
    parent: KeyRef | None = Field(default=None, description="上级行政区 key")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    macro_region: Text | None = Field(default=None, description="所属经济区，如 长三角、粤港澳、京津冀")


class Enterprise(Node):
    label: ClassVar[Label] = Label.Enterprise
    uscc: Text | None = Field(default=None, description="统一社会信用代码（GB 32100-2015）")
    region: KeyRef | None = Field(default=None, description="所在行政区 key")
    size: Literal["微型", "小型", "中型", "大型"] | None = None
    employees: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    revenue_wan: float | None = Field(default=None, ge=0, description="营业收入（万元）")
    registered_capital_wan: float | None = Field(default=None, ge=0, description="注册资本（万元）")
    founded: dt.date | None = None
    tags: list[Item] = Field(default_factory=list, max_length=LIST_MAX, description="专精特新/小巨人/高新技术/上市 …")
    stock_code: Text | None = None
    # expansion signals (data fields; recommender reads them)
    recent_financing_wan: float | None = Field(default=None, ge=0, description="近两年融资额（万元）")
    new_branches: int | None = Field(default=None, ge=0, le=COUNT_MAX, description="近两年新设分支机构数")
    capacity_growth: float | None = Field(default=None, description="产能/营收增速（比例）")
    patents: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    business_scope: ScopeText | None = Field(default=None, description="经营范围/主营业务")
    # 企业尽调 (dossier/): identity and the dated records the 扩张指数 and 外迁预警 are computed from. Each history
    # entry is a JSON-object text (graph/schema/firm_history.py checks and canonicalises it; docs/import-format.md).
    short_name: Text | None = Field(default=None, description="企业简称，如 中芯国际")
    park: KeyRef | None = Field(default=None, description="所在园区 key（注册或主要生产经营地所在园区）")
    listing: Text | None = Field(default=None, description="上市交易所及板块，如 上交所科创板")
    financing_rounds: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="融资记录：每条为 JSON 对象 {on, round, amount_wan, investors}")
    capital_changes: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="注册资本变更：每条为 JSON 对象 {on, from_wan, to_wan}")
    branches: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="分支机构变动：每条为 JSON 对象 {on, kind（新设/迁出/注销）, region, name}")
    headcount_history: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="用工与招聘：每条为 JSON 对象 {on, employees, openings}")
    yearly_indicators: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="年度经营指标：每条为 JSON 对象 {year, revenue_wan, tax_wan, output_wan}")

    _histories = field_validator(*HISTORIES, mode="before")(
        classmethod(lambda cls, v, info: check_history(info.field_name, v)))

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            return validate_uscc(v)
        except USCCError as e:
            raise ValueError(str(e)) from None

    @field_validator("key")
    @classmethod
    def _uscc_shaped_key(cls, v: str) -> str:
        # A key that looks like a USCC must be one; a dataset keyed otherwise (stock codes) keeps its own ids.
        v = _check_key(v)
        if _looks_like_uscc(v):
            try:
                return validate_uscc(v)
            except USCCError as e:
                raise ValueError(f"key 看似统一社会信用代码但无效: {e}") from None
        return v

    @model_validator(mode="after")
    def _uscc_from_key(self) -> "Enterprise":
        if self.uscc is None and _looks_like_uscc(self.key):
            self.uscc = self.key
        return self


def _looks_like_uscc(v: str) -> bool:
    return len(v) == 18 and v[:1] in "123456789ANY" and v[2:8].isdigit()


class Fund(Node):
    label: ClassVar[Label] = Label.Fund
    manager: Text | None = Field(default=None, description="基金管理人")
    size_wan: float | None = Field(default=None, ge=0, description="基金规模（万元）")
    region: KeyRef | None = Field(default=None, description="注册/出资地行政区 key")
    kind: Text | None = Field(default=None, description="产业基金/创投基金/母基金 …")
    focus: list[KeyRef] = Field(default_factory=list, max_length=LIST_MAX, description="关注产业链 key")


class Park(Node):
    label: ClassVar[Label] = Label.Park
    region: KeyRef = Field(description="所在行政区 key")
    level: Text | None = Field(default=None, description="国家级/省级 …")
    kind: Text | None = Field(default=None, description="经济技术开发区/高新区/产业集聚区 …")
    leading_chains: list[KeyRef] = Field(default_factory=list, max_length=LIST_MAX, description="主导产业链 key")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class LandParcel(Node):
    label: ClassVar[Label] = Label.LandParcel
    park: KeyRef | None = Field(default=None, description="所属园区 key")
    region: KeyRef = Field(description="所在行政区 key")
    area_mu: float = Field(gt=0, description="面积（亩）")
    land_use: Text = Field(default="0601", description="用地性质（GB/T 21010 代码）")
    far_min: float | None = Field(default=None, ge=0, description="容积率下限")
    far_max: float | None = Field(default=None, ge=0, description="容积率上限")
    density_min: float | None = Field(default=None, ge=0, le=100, description="建筑密度下限（%）")
    density_max: float | None = Field(default=None, ge=0, le=100, description="建筑密度上限（%）")
    green_ratio_max: float | None = Field(default=None, ge=0, le=100, description="绿地率上限（%）")
    term_years: int | None = Field(default=None, gt=0, le=70, description="出让年限")
    price_wan_per_mu: float | None = Field(default=None, ge=0, description="出让起始价（万元/亩）")
    readiness: list[Item] = Field(default_factory=list, max_length=LIST_MAX, description="七通一平/五通一平/标准地 …")
    status: Literal["available", "reserved", "transferred"] = "available"
    min_invest_intensity_wan_per_mu: float | None = Field(default=None, ge=0, description="固定资产投资强度下限（万元/亩）")
    min_tax_wan_per_mu: float | None = Field(default=None, ge=0, description="亩均税收下限（万元/亩·年）")
    min_output_wan_per_mu: float | None = Field(default=None, ge=0, description="亩均产出下限（万元/亩·年）")
    max_energy_tce_per_wan: float | None = Field(default=None, ge=0, description="单位能耗上限（吨标煤/万元）")
    allowed_pollution: list[Item] = Field(default_factory=list, max_length=LIST_MAX, description="允许的污染类别（空=不限）")
    allowed_chains: list[KeyRef] = Field(default_factory=list, max_length=LIST_MAX, description="产业准入：允许的产业链 key（空=不限）")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    # 配套与时序（土地超市：项目有需求且地块写明不满足时为硬性不符；地块未写明时为“待核实”）
    power_capacity_kva: float | None = Field(default=None, ge=0, description="可供电力容量（kVA）")
    rail_access: bool | None = Field(default=None, description="是否有铁路专用线")
    deliverable_on: Text | None = Field(default=None, description="计划交地日期（YYYY-MM-DD）")
    # 预留/出让：只由土地超市服务（land/reservations.py）写入，每次变更 rev 加 1（乐观并发控制）
    rev: int | None = Field(default=None, ge=0, le=SAFE_INT, description="状态版本号（预留/释放/出让时递增）")
    reserved_by: KeyRef | None = Field(default=None, description="预留给的项目 key")
    reserved_at: Text | None = Field(default=None, description="预留时间（UTC，YYYY-MM-DDTHH:MM:SSZ）")
    expires_at: Text | None = Field(default=None, description="预留到期时间（UTC，YYYY-MM-DDTHH:MM:SSZ；过期视为可供）")
    transferred_to: KeyRef | None = Field(default=None, description="受让项目 key")
    transferred_at: Text | None = Field(default=None, description="出让时间（UTC，YYYY-MM-DDTHH:MM:SSZ）")

    _dates = field_validator("deliverable_on", mode="before")(classmethod(lambda cls, v: iso_date_text(v)))
    _moments = field_validator("reserved_at", "expires_at", "transferred_at", mode="before")(
        classmethod(lambda cls, v: utc_timestamp_text(v))
    )

    @field_validator("land_use")
    @classmethod
    def _land_use(cls, v: str) -> str:
        v = v.strip()
        if v not in LAND_USES:
            raise ValueError(f"未知用地性质代码 {v!r}（GB/T 21010，如 0601 工业用地）")
        return v

    _far = field_validator("far_max")(classmethod(lambda cls, v, info: _not_below(v, info, "far_min", "容积率")))
    _density = field_validator("density_max")(
        classmethod(lambda cls, v, info: _not_below(v, info, "density_min", "建筑密度"))
    )


def _json_entries(v: list[str], *, stage: bool) -> list[str]:
    """Each entry of a project's stage history / tracking log: a JSON object text with an ISO date `on` (and, for
    the history, the stage `to` it entered). Kept as text so both store backends hold it as a list of strings."""
    import json

    for i, t in enumerate(v, start=1):
        try:
            e = json.loads(t)
        except (TypeError, ValueError):
            raise ValueError(f"第{i}条不是 JSON 对象文本：{str(t)[:60]!r}") from None
        if not isinstance(e, dict):
            raise ValueError(f"第{i}条应为 JSON 对象，实际 {str(t)[:60]!r}")
        try:
            if iso_date_text(e.get("on")) != e.get("on") or not e.get("on"):
                raise ValueError
        except ValueError:
            raise ValueError(f"第{i}条的日期 on 应为 YYYY-MM-DD，实际 {e.get('on')!r}") from None
        if stage and e.get("to") not in PROJECT_STAGES:
            raise ValueError(f"第{i}条的阶段 to 应为 {'/'.join(PROJECT_STAGES)} 之一，实际 {e.get('to')!r}")
    return v


class Project(Node):
    label: ClassVar[Label] = Label.Project
    investor: KeyRef | None = Field(default=None, description="投资方企业 key")
    chain: KeyRef | None = Field(default=None, description="产业链 key")
    segment: KeyRef | None = Field(default=None, description="环节 key")
    region: KeyRef | None = Field(default=None, description="拟落地行政区 key")
    park: KeyRef | None = Field(default=None, description="意向园区 key")
    stage: Literal["线索", "接洽", "洽谈", "签约", "注册", "开工", "投产", "达产"] = "线索"
    total_investment_wan: float | None = Field(default=None, ge=0, description="总投资（万元）")
    land_min_mu: float | None = Field(default=None, ge=0, description="用地需求下限（亩）")
    land_max_mu: float | None = Field(default=None, ge=0, description="用地需求上限（亩）")
    land_use: Text | None = Field(default=None, description="用地性质（GB/T 21010）；未填则不限")
    expected_tax_wan: float | None = Field(default=None, ge=0, description="达产年税收（万元）")
    expected_output_wan: float | None = Field(default=None, ge=0, description="达产年产值（万元）")
    energy_tce_per_wan: float | None = Field(default=None, ge=0, description="单位能耗（吨标煤/万元）")
    pollution_class: Text | None = None
    max_price_wan_per_mu: float | None = Field(default=None, ge=0, description="可接受地价上限（万元/亩）")
    jobs: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    owner: Text | None = Field(default=None, description="责任人")
    signed_on: Text | None = Field(default=None, description="签约日期（YYYY-MM-DD）")
    # 配套需求与时序（土地超市匹配）
    power_need_kva: float | None = Field(default=None, ge=0, description="用电需求（kVA）")
    needs_rail: bool | None = Field(default=None, description="是否需要铁路专用线")
    land_needed_by: Text | None = Field(default=None, description="最晚用地时间（YYYY-MM-DD）")
    # 招商项目库（pipeline/commands.py）：stage / stage_on / stage_history 只经阶段流转写入（合法流转、日期、审计）
    stage_on: Text | None = Field(default=None, description="进入当前阶段日期（YYYY-MM-DD）")
    stage_history: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="阶段流转记录：每条为 JSON 对象文本 {on, from, to, by, at, note}，按日期先后")
    next_action: bounded_text(500) | None = Field(default=None, description="下一步工作")  # type: ignore[valid-type]
    next_action_on: Text | None = Field(default=None, description="下一步计划日期（YYYY-MM-DD）")
    tracking_log: list[LogEntry] = Field(
        default_factory=list, max_length=LOG_MAX, description="每周跟踪记录：每条为 JSON 对象文本 {on, by, at, note}，按日期先后")
    # 落地后评价（实际值，与所用地块的标准地指标比较）
    land_area_mu: float | None = Field(default=None, gt=0, description="实际用地面积（亩）")
    actual_investment_wan: float | None = Field(default=None, ge=0, description="实际完成固定资产投资（万元）")
    actual_tax_wan: float | None = Field(default=None, ge=0, description="实际年税收（万元）")
    actual_output_wan: float | None = Field(default=None, ge=0, description="实际年产值（万元）")
    actual_jobs: int | None = Field(default=None, ge=0, le=COUNT_MAX, description="实际就业人数")
    # 外资（衢政办发〔2025〕30号 外资奖励的计算依据；金额单位万美元）
    industry_class: Literal["制造业", "高技术服务业", "其他服务业", "房地产", "金融"] | None = Field(
        default=None, description="行业类别（外资奖励口径）")
    fdi_form: Literal["新设", "增资", "利润再投资"] | None = Field(default=None, description="外资投资方式")
    fdi_total_usd_wan: float | None = Field(default=None, ge=0, description="外资总投资（万美元）")
    fdi_first_year_usd_wan: float | None = Field(default=None, ge=0, description="首年实际利用外资（万美元）")
    fdi_year_usd_wan: float | None = Field(default=None, ge=0, description="当年度实际利用外资（万美元）")

    _dates = field_validator("land_needed_by", "signed_on", "stage_on", "next_action_on", mode="before")(
        classmethod(lambda cls, v: iso_date_text(v))
    )
    _history = field_validator("stage_history")(classmethod(lambda cls, v: _json_entries(v, stage=True)))
    _tracking = field_validator("tracking_log")(classmethod(lambda cls, v: _json_entries(v, stage=False)))
    _land = field_validator("land_max_mu")(
        classmethod(lambda cls, v, info: _not_below(v, info, "land_min_mu", "用地需求（亩）"))
    )

    @field_validator("land_use")
    @classmethod
    def _land_use(cls, v: str | None) -> str | None:
        if v is not None and v.strip() not in LAND_USES:
            raise ValueError(f"未知用地性质代码 {v!r}（GB/T 21010，如 0601 工业用地）")
        return None if v is None else v.strip()


class Product(Node):
    label: ClassVar[Label] = Label.Product


class Policy(Node):
    label: ClassVar[Label] = Label.Policy
    doc_no: Text | None = Field(default=None, description="文号")
    region: KeyRef | None = None
    effective_from: Date | None = None
    effective_to: Date | None = None
    summary: LongText | None = None
    # 政策条款（seed_data/facts/policies.json 的一条规则；计算见 incentives/calculator.py）
    document: Text | None = Field(default=None, description="文件名称")
    article: Text | None = Field(default=None, description="条款")
    version: Text | None = Field(default=None, description="规则版本")
    currency: Text | None = Field(default=None, description="金额单位（万元/万美元）")


MODELS: dict[Label, type[Node]] = {
    m.label: m for m in (IndustryChain, Segment, Enterprise, Fund, Park, LandParcel, Project, Region, Product, Policy)
}

# Fields the stores index for filtering (besides key and name).
INDEXED_FIELDS: dict[Label, tuple[str, ...]] = {
    Label.Segment: ("chain",),
    Label.Enterprise: ("region", "uscc"),
    Label.Region: ("parent", "level"),
    Label.Park: ("region",),
    Label.LandParcel: ("park", "status"),
    Label.Project: ("stage", "chain", "park"),
    Label.Fund: ("region",),
}

# Filterable scalar fields with their python type, per label (used by API filters and store find()).
def field_types(label: Label) -> dict[str, Any]:
    return {name: f.annotation for name, f in MODELS[label].model_fields.items()}
