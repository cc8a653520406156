"""The ChainMatch domain graph: node kinds (labels), relation types and validated models.

Every node has a `key` unique within its label and keeps the `source` of its facts. Property values are flat
(text, numbers, booleans, lists of those) so that both store backends hold them the same way. Units are part
of field names: `_mu` 亩, `_wan` 万元, `_wan_per_mu` 万元/亩.

Reference fields (e.g. Segment.chain, Enterprise.region, LandParcel.park) are kept on the node for reading and
are also written as relations (see REFERENCE_FIELDS), so the analytic snapshot only needs relations.
"""
from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator,
)

from graph.uscc import USCCError, validate_uscc


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

# ---------------------------------------------------------------------------------------------- text bounds
# Every text field is bounded (real data fits: company names are under 100 characters, 经营范围 under 4,000) and
# carries no control characters: C0/C1 controls (NUL, BEL …), DEL and the bidi embedding/override/isolate marks
# U+202A–U+202E, U+2066–U+2069 (they reverse how a name reads on screen and break spreadsheets). Single-line
# fields also refuse tab and line breaks; long free text (description, 经营范围, summary, logs) keeps them. Lone
# surrogates are refused by the string type itself. A refusal names the field (422 in the API, file/row/field on
# import); nothing is stripped silently. The same limits are in the OpenAPI schema (maxLength, pattern).
KEY_MAX = 128
NAME_MAX = 200
TEXT_MAX = 200  # codes, kinds, owners, managers, short notes
SOURCE_MAX = 1000  # where a fact comes from (a citation with its document number and address)
LONG_TEXT_MAX = 4000  # description, summary
SCOPE_MAX = 8000  # 经营范围 (business_scope)
ITEM_MAX = 200  # one tag, alias, keyword, readiness item
LIST_MAX = 1000  # items in one list field
LOG_ENTRY_MAX = 4000  # one stage-history / tracking entry (JSON text)
LOG_MAX = 2000  # entries in a project's stage history or tracking log
COUNT_MAX = 100_000_000  # people, patents, branches: far above any real firm
SAFE_INT = 2**53 - 1  # the largest integer every JSON reader (and both stores) holds exactly
CONTROL = r"\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069"  # refused in single-line text
BLOCK_CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069"  # refused in free text
LINE_PATTERN = f"^[^{CONTROL}]*$"
BLOCK_PATTERN = f"^[^{BLOCK_CONTROL}]*$"
_CONTROL_RE = re.compile(f"[{CONTROL}]")
_BLOCK_CONTROL_RE = re.compile(f"[{BLOCK_CONTROL}]")

Text = Annotated[str, StringConstraints(max_length=TEXT_MAX, pattern=LINE_PATTERN)]
SourceText = Annotated[str, StringConstraints(max_length=SOURCE_MAX, pattern=LINE_PATTERN)]
NameText = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=LINE_PATTERN)]
KeyRef = Annotated[str, StringConstraints(max_length=KEY_MAX, pattern=LINE_PATTERN)]  # a reference to a node key
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT_MAX, pattern=BLOCK_PATTERN)]
ScopeText = Annotated[str, StringConstraints(max_length=SCOPE_MAX, pattern=BLOCK_PATTERN)]
Item = Annotated[str, StringConstraints(max_length=ITEM_MAX, pattern=LINE_PATTERN)]
LogEntry = Annotated[str, StringConstraints(max_length=LOG_ENTRY_MAX, pattern=BLOCK_PATTERN)]


def bounded_text(max_length: int, *, multiline: bool = False, min_length: int | None = None) -> Any:
    """A text type with its own limit and the same character rules (for request fields with other limits)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=BLOCK_PATTERN if multiline else LINE_PATTERN)]


def text_problem(value: Any, *, multiline: bool = False) -> str | None:
    """Why this text breaks the rules above (the first control character and where), or None."""
    if not isinstance(value, str):
        return None
    m = (_BLOCK_CONTROL_RE if multiline else _CONTROL_RE).search(value)
    if m is None:
        return None
    kind = "换行或制表符" if m.group() in "\t\n\r" else "控制字符或文字方向控制符"
    return f"第 {m.start() + 1} 个字符 U+{ord(m.group()):04X} 是{kind}，不允许出现在{'文本' if multiline else '单行文本'}中"


_KEY_RE = re.compile(f"^[^\\s/\\\\?#{CONTROL}]{{1,{KEY_MAX}}}$")


_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def iso_date_text(v: Any) -> str | None:
    """A date (object or text such as 2026-03-31, 2026/3/31, 2026年3月31日) as canonical `YYYY-MM-DD` text.

    Dates that matching compares are kept as this text (not dt.date) so the analytic snapshot holds them as a
    sorted categorical vocabulary and comparisons stay vectorised."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    t = str(v).strip()
    if not t:
        return None
    m = _ISO_DATE_RE.match(t)
    if not m:
        raise ValueError(f"应为日期（如 2026-03-31），实际 {t!r}")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise ValueError(f"日期无效：{t!r}") from None


def _date_not_a_number(v: Any) -> Any:
    """Pydantic reads a JSON number as a Unix timestamp for a date (9e-231 → 1970-01-01); a date must be text."""
    if isinstance(v, (int, float)):
        raise ValueError(f"应为日期文本（如 2026-03-31），不能是数字 {v!r}")
    return v


# A date field of a domain model or request body: ISO text (or a date object), never a number.
Date = Annotated[dt.date, BeforeValidator(_date_not_a_number)]


def utc_timestamp_text(v: Any) -> str | None:
    """A moment as canonical UTC text `YYYY-MM-DDTHH:MM:SSZ` (sorts as time; naive input is taken as UTC)."""
    if v is None:
        return None
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return None
        try:
            v = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"应为时间（ISO 8601，如 2026-03-31T08:00:00Z），实际 {t!r}") from None
    elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    if not isinstance(v, dt.datetime):
        raise ValueError(f"应为时间（ISO 8601），实际 {v!r}")
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.timezone.utc)
    return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_key(v: str) -> str:
    v = (v or "").strip()
    if not _KEY_RE.match(v):
        raise ValueError(f"key 不能为空、不能含空白、控制字符或 / \\ ? #，且不超过{KEY_MAX}字符")
    return v


def _is_number(annotation: Any) -> bool:
    """int/float (optionally inside Optional/Annotated/Union), and not a type that also admits bool."""
    if annotation in (int, float):
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _is_number(args[0])
    return bool(args) and bool not in args and any(_is_number(a) for a in args)


def _is_bool(annotation: Any) -> bool:
    """bool, or bool | None."""
    if annotation is bool:
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and args == [bool]


_TYPED_FIELDS: dict[type, tuple[dict[str, str], dict[str, str]]] = {}


def reject_bool_numbers(cls: type[BaseModel], data: Any) -> Any:
    """A model `before` validator: JSON true/false is not a number, and a number or text is not true/false.
    Pydantic's lax mode would read true as 1 and 0 or "no" as false, so a client's mistake (or a spreadsheet's TRUE
    in a numeric column) would silently become a value."""
    if not isinstance(data, dict):
        return data
    typed = _TYPED_FIELDS.get(cls)
    if typed is None:
        nums = {(f.alias or n): n for n, f in cls.model_fields.items() if _is_number(f.annotation)}
        bools = {(f.alias or n): n for n, f in cls.model_fields.items() if _is_bool(f.annotation)}
        nums.update({n: n for n in list(nums.values())})
        bools.update({n: n for n in list(bools.values())})
        typed = _TYPED_FIELDS[cls] = (nums, bools)
    for given, name in typed[0].items():
        v = data.get(given)
        if isinstance(v, bool):
            raise ValueError(f"{name} 应为数字，不能是 {str(v).lower()}")
        if isinstance(v, int) and abs(v) > SAFE_INT:  # beyond what JSON readers and the stores hold exactly
            raise ValueError(f"{name} 超出可表示的范围（绝对值至多 {SAFE_INT}）")
    for given, name in typed[1].items():
        v = data.get(given)
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"{name} 应为 true 或 false，不能是 {v!r}")
    return data


class StrictNumbers(BaseModel):
    """Base for request and domain models: numbers are not true/false and vice versa, and NaN/Infinity (which JSON
    parsers accept) are not numbers."""

    model_config = ConfigDict(allow_inf_nan=False)
    _no_bool_numbers = model_validator(mode="before")(classmethod(reject_bool_numbers))


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
    # 招商项目库（pipeline/projects.py）：stage / stage_on / stage_history 只经阶段流转写入（合法流转、日期、审计）
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
    Label.Enterprise: {"region": ("LOCATED_IN", Label.Region, "out")},
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
