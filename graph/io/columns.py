"""Names: which kind a file (or sheet) holds, and which field each column header means.

A file's kind comes from its name (`enterprises.csv`, `企业-衢州.xlsx`, `rel_SUPPLIES.csv`). A header is a model
field name, one of its Chinese aliases (统一社会信用代码, 面积 …), or the leading words of the field's description;
a unit in brackets (`面积(公顷)`, `注册资本(元)`) sets the unit of the column's bare numbers.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from graph.io.specs import REL_PROP_SPECS, node_specs
from graph.io.values import UNIT_CN, UnitError, clean_text, is_blank, unit_factor
from graph.schema import LABEL_CN, MODELS, PLURALS, RELATIONS, Label, parse_label

if TYPE_CHECKING:
    from graph.io.readers import Table
    from graph.io.report import Log

# Folder imports and exports go in dependency order: what is referenced comes first.
LABEL_ORDER: tuple[Label, ...] = (Label.Region, Label.IndustryChain, Label.Segment, Label.Park, Label.Enterprise,
                                  Label.Product, Label.Fund, Label.LandParcel, Label.Project, Label.Policy)
_CN_LABEL = {v: k for k, v in LABEL_CN.items()} | {"链": Label.IndustryChain, "土地": Label.LandParcel,
                                                    "招商项目": Label.Project, "公司": Label.Enterprise}
END_FIELDS = ("src", "dst", "src_label", "dst_label")


# ===================================================================================== kinds
def kind_from_name(stem: str) -> Label | str | None:
    """enterprises / Enterprise / 企业 → Label.Enterprise; rel_SUPPLIES → 'SUPPLIES'; else None."""
    s = stem.strip()
    if s.lower().startswith("rel_"):
        rest = s[4:].upper()
        matches = [t for t in RELATIONS if rest == t or (rest.startswith(t) and rest[len(t)] in "-. _")]
        return max(matches, key=len, default=None)
    lab = label_from_text(s, strict=False)
    if lab is not None:
        return lab
    m = re.match(r"^([A-Za-z]+|[\u4e00-\u9fff]+)[-_. ]", s)  # enterprises_2024, 企业-衢州
    return kind_from_name(m.group(1)) if m else None


def label_from_text(text: str, *, strict: bool = True) -> Label | None:
    """A node kind in any spelling: Enterprise, enterprises, 企业. Unknown: ValueError (strict) or None."""
    if text in _CN_LABEL:
        return _CN_LABEL[text]
    try:
        return parse_label(text)
    except ValueError:
        if strict:
            raise
        return None


def kind_text(kind: Label | str) -> str:
    return f"{kind.value}（{LABEL_CN[kind]}）" if isinstance(kind, Label) else f"关系 {kind}"


def unknown_kind_message(stem: str) -> str:
    names = ", ".join(PLURALS[l] for l in LABEL_ORDER)
    return (f"无法从文件名“{stem}”判断数据类别：节点文件应命名为 {names}（或 企业、地块 …），"
            "关系文件应命名为 rel_<关系类型>，如 rel_SUPPLIES")


# ===================================================================================== headers
# Explicit Chinese (and common English) headers → candidate field names; the first candidate that the
# node kind has wins ("规模" is Fund.size_wan but Enterprise.size).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "键": ("key",), "唯一键": ("key",), "编号": ("key",), "编码": ("key",), "代码": ("key",), "id": ("key",),
    "标识": ("key",),
    "名称": ("name",), "名字": ("name",), "标题": ("name",),
    "来源": ("source",), "数据来源": ("source",), "信息来源": ("source",), "事实来源": ("source",),
    "是否合成": ("synthetic",), "合成数据": ("synthetic",),
    "别名": ("aliases",),
    "描述": ("description",), "说明": ("description",), "简介": ("description",),
    "产业链": ("chain",), "所属产业链": ("chain",), "链": ("chain",),
    "上中下游": ("stream",), "上下游": ("stream",), "链位": ("stream",), "环节位置": ("stream",),
    "上级": ("parent",), "父级": ("parent",),
    "关键词": ("keywords",), "环节关键词": ("keywords",),
    "级别": ("level",), "层级": ("level",),
    "纬度": ("lat",), "经度": ("lon",),
    "经济区": ("macro_region",), "所属经济区": ("macro_region",),
    "统一社会信用代码": ("uscc",), "社会信用代码": ("uscc",), "信用代码": ("uscc",), "统一代码": ("uscc",),
    "行政区": ("region",), "所在地区": ("region",), "所在行政区": ("region",), "地区": ("region",),
    "所在地": ("region",), "行政区划": ("region",), "行政区划代码": ("region",), "区划代码": ("region",),
    "拟落地行政区": ("region",), "落地地区": ("region",),
    "企业规模": ("size",), "规模": ("size_wan", "size"), "基金规模": ("size_wan",), "管理规模": ("size_wan",),
    "员工人数": ("employees",), "从业人数": ("employees",), "职工人数": ("employees",), "员工数": ("employees",),
    "人数": ("employees",),
    "营业收入": ("revenue_wan",), "营收": ("revenue_wan",), "年营收": ("revenue_wan",),
    "注册资本": ("registered_capital_wan",), "注册资金": ("registered_capital_wan",),
    "成立日期": ("founded",), "成立时间": ("founded",), "注册日期": ("founded",),
    "标签": ("tags",), "企业标签": ("tags",), "资质": ("tags",),
    "股票代码": ("stock_code",), "证券代码": ("stock_code",),
    "近两年融资额": ("recent_financing_wan",), "融资额": ("recent_financing_wan",), "融资金额": ("recent_financing_wan",),
    "新设分支机构数": ("new_branches",), "分支机构数": ("new_branches",),
    "产能增速": ("capacity_growth",), "营收增速": ("capacity_growth",), "增速": ("capacity_growth",),
    "专利数": ("patents",), "专利": ("patents",), "专利数量": ("patents",),
    "经营范围": ("business_scope",), "主营业务": ("business_scope",),
    "简称": ("short_name",), "企业简称": ("short_name",), "上市板块": ("listing",), "上市地": ("listing",),
    "融资轮次": ("financing_rounds",), "融资历史": ("financing_rounds",), "增资记录": ("capital_changes",),
    "分支机构记录": ("branches",), "招聘记录": ("headcount_history",), "用工记录": ("headcount_history",),
    "年度指标": ("yearly_indicators",), "经营指标": ("yearly_indicators",),
    "基金管理人": ("manager",), "管理人": ("manager",),
    "类型": ("kind",),
    "关注产业链": ("focus",), "投资方向": ("focus",),
    "主导产业链": ("leading_chains",), "主导产业": ("leading_chains",),
    "园区": ("park",), "所属园区": ("park",), "意向园区": ("park",),
    "面积": ("area_mu",), "用地面积": ("area_mu",), "地块面积": ("area_mu",), "出让面积": ("area_mu",),
    "用地性质": ("land_use",), "土地用途": ("land_use",), "用途": ("land_use",),
    "容积率下限": ("far_min",), "最小容积率": ("far_min",), "容积率上限": ("far_max",), "最大容积率": ("far_max",),
    "建筑密度下限": ("density_min",), "建筑密度上限": ("density_max",),
    "绿地率上限": ("green_ratio_max",), "绿地率": ("green_ratio_max",),
    "出让年限": ("term_years",), "年限": ("term_years",), "使用年限": ("term_years",),
    "出让起始价": ("price_wan_per_mu",), "起始价": ("price_wan_per_mu",), "出让价格": ("price_wan_per_mu",),
    "地价": ("price_wan_per_mu",), "单价": ("price_wan_per_mu",),
    "开发程度": ("readiness",), "基础设施": ("readiness",),
    "状态": ("status",), "供地状态": ("status",),
    "固定资产投资强度下限": ("min_invest_intensity_wan_per_mu",), "固定资产投资强度": ("min_invest_intensity_wan_per_mu",),
    "投资强度": ("min_invest_intensity_wan_per_mu",), "投资强度下限": ("min_invest_intensity_wan_per_mu",),
    "亩均税收下限": ("min_tax_wan_per_mu",), "亩均税收": ("min_tax_wan_per_mu",),
    "亩均产出下限": ("min_output_wan_per_mu",), "亩均产出": ("min_output_wan_per_mu",),
    "单位能耗上限": ("max_energy_tce_per_wan",), "单位能耗": ("energy_tce_per_wan", "max_energy_tce_per_wan"),
    "能耗": ("energy_tce_per_wan",),
    "允许污染类别": ("allowed_pollution",), "允许的污染类别": ("allowed_pollution",), "环境准入": ("allowed_pollution",),
    "产业准入": ("allowed_chains",), "允许产业链": ("allowed_chains",),
    "投资方": ("investor",), "投资方企业": ("investor",), "投资主体": ("investor",),
    "环节": ("segment",), "所属环节": ("segment",),
    "阶段": ("stage",), "项目阶段": ("stage",),
    "总投资": ("total_investment_wan",), "计划总投资": ("total_investment_wan",), "投资额": ("total_investment_wan",),
    "用地需求下限": ("land_min_mu",), "最小用地": ("land_min_mu",),
    "用地需求上限": ("land_max_mu",), "最大用地": ("land_max_mu",),
    "达产年税收": ("expected_tax_wan",), "预计税收": ("expected_tax_wan",),
    "达产年产值": ("expected_output_wan",), "预计产值": ("expected_output_wan",),
    "污染类别": ("pollution_class",), "污染等级": ("pollution_class",),
    "可接受地价上限": ("max_price_wan_per_mu",), "地价上限": ("max_price_wan_per_mu",),
    "就业人数": ("jobs",), "新增就业": ("jobs",), "用工": ("jobs",),
    "责任人": ("owner",), "负责人": ("owner",),
    "签约日期": ("signed_on",), "签约时间": ("signed_on",),
    "文号": ("doc_no",), "发文字号": ("doc_no",),
    "生效日期": ("effective_from",), "施行日期": ("effective_from",), "失效日期": ("effective_to",),
    "截止日期": ("effective_to",), "有效期至": ("effective_to",),
    "摘要": ("summary",), "政策内容": ("summary",), "内容": ("summary",),
}
# Per kind overrides (a Region's 行政区划代码 is its key).
LABEL_HEADER_ALIASES: dict[Label, dict[str, str]] = {
    Label.Region: {"行政区划代码": "key", "区划代码": "key", "行政区名称": "name", "地区名称": "name",
                   "上级行政区": "parent", "行政级别": "level"},
    Label.IndustryChain: {"产业链": "name", "产业链名称": "name", "链名称": "name"},
    Label.Segment: {"环节": "name", "环节名称": "name", "上级环节": "parent"},
    Label.Enterprise: {"企业名称": "name", "公司名称": "name", "企业": "name"},
    Label.Fund: {"基金名称": "name", "基金类型": "kind"},
    Label.Park: {"园区": "name", "园区名称": "name", "园区级别": "level", "园区类型": "kind"},
    Label.LandParcel: {"地块名称": "name", "地块编号": "key"},
    Label.Project: {"项目名称": "name", "项目编号": "key"},
    Label.Product: {"产品": "name", "产品名称": "name"},
    Label.Policy: {"政策名称": "name", "政策标题": "name"},
}
REL_HEADER_ALIASES: dict[str, str] = {
    "src": "src", "src_key": "src", "起点": "src", "起点key": "src", "起点键": "src", "from": "src", "从": "src",
    "dst": "dst", "dst_key": "dst", "终点": "dst", "终点key": "dst", "终点键": "dst", "to": "dst", "到": "dst",
    "src_label": "src_label", "起点类别": "src_label", "起点类型": "src_label",
    "dst_label": "dst_label", "终点类别": "dst_label", "终点类型": "dst_label",
    "权重": "weight", "份额": "share", "占比": "share", "供货占比": "share", "地区": "region", "行政区": "region",
    "投资金额": "amount_wan", "金额": "amount_wan", "投资额": "amount_wan", "日期": "date", "投资日期": "date",
    "轮次": "round", "来源": "source", "数据来源": "source",
}
_UNIT_IN_HEADER = re.compile(r"^(.+?)\((.+)\)$")
_END_CN = {"key": "唯一键", "name": "名称", "src": "起点", "dst": "终点", "src_label": "起点类别", "dst_label": "终点类别"}


def _norm_header(h: str) -> str:
    t = unicodedata.normalize("NFKC", clean_text(h))
    t = re.sub(r"\s+", "", t).lower().strip("*:")
    return t.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")


def _description_head(label: Label, name: str) -> str:
    """The leading words of a field's description: "营业收入（万元）" → 营业收入."""
    d = MODELS[label].model_fields[name].description or ""
    return re.split(r"[（(，,：:]| key| …|，如", d, maxsplit=1)[0].strip()


def _derived_aliases(label: Label) -> dict[str, str]:
    """Each field's description head as a header, when unambiguous."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for name in MODELS[label].model_fields:
        head = _description_head(label, name)
        if not head or "/" in head or " " in head:
            continue
        h = _norm_header(head)
        if h in out and out[h] != name:
            clash.add(h)
        out[h] = name
    return {k: v for k, v in out.items() if k not in clash}


@lru_cache(maxsize=None)
def header_table(kind: Label | str) -> dict[str, str]:
    """Normalised header → field (or src/dst/src_label/dst_label for relation files)."""
    if isinstance(kind, Label):
        fields = MODELS[kind].model_fields
        table = _derived_aliases(kind)
        for h, cands in HEADER_ALIASES.items():
            c = next((c for c in cands if c in fields), None)
            if c:
                table[_norm_header(h)] = c
        table.update({_norm_header(h): f for h, f in LABEL_HEADER_ALIASES.get(kind, {}).items()})
        return table | {f.lower(): f for f in fields}
    allowed = set(RELATIONS[kind].props) | {"source"}
    table = {_norm_header(h): f for h, f in REL_HEADER_ALIASES.items() if f in END_FIELDS or f in allowed}
    return table | {p: p for p in allowed}


def resolve_header(kind: Label | str, header: str) -> tuple[str | None, Decimal | None, str | None]:
    """(field, column unit factor, problem). A unit in brackets — 面积(亩), 注册资本(元) — declares the unit of
    bare numbers in that column; it must be convertible to the field's unit."""
    table = header_table(kind)
    h = _norm_header(header)
    if h in table:
        return table[h], None, None
    m = _UNIT_IN_HEADER.match(h)
    if not (m and m.group(1) in table):
        return None, None, None
    fname, unit = table[m.group(1)], m.group(2)
    spec = node_specs(kind).get(fname) if isinstance(kind, Label) else REL_PROP_SPECS.get(fname)
    if spec is None or spec.kind not in ("float", "int") or spec.unit == "plain":
        return fname, None, None  # e.g. 名称(全称), 容积率(倍): a remark, not a unit
    try:
        factor, _ = unit_factor(spec.unit, unit, header=True)
    except UnitError:
        return fname, None, f"列名中的单位“{unit}”与字段 {fname} 的单位（{UNIT_CN[spec.unit]}）不符"
    return fname, (None if factor == 1 else factor), None


# ===================================================================================== a table's columns
class Column(NamedTuple):
    index: int
    header: str
    field: str
    factor: Decimal | None  # unit factor the header declares for bare numbers


def map_columns(t: "Table", log: "Log") -> list[Column] | None:
    """The table's columns as fields, each header remembered for problem reports; None (problems logged) when the
    rows cannot be read: a required column is missing, or two columns are the same field. An unknown column is a
    problem but the rows are still read, so their problems are reported too."""
    cols: list[Column] = []
    seen: dict[str, str] = {}
    ok = True
    row = t.header_row or None
    for idx, h in enumerate(t.header):
        if not h:
            if any(idx < len(r) and not is_blank([r[idx]]) for _, r in t.rows):
                log.problem(t.file, row, f"第{idx + 1}列", "该列有数据但没有列名")
            continue
        fname, factor, prob = resolve_header(t.kind, h)
        if prob or fname is None:
            log.problem(t.file, row, h, prob or f"未知列“{h}”；可用列：{_columns_hint(t.kind)}（中文列名见 docs/import-format.md）")
        elif fname in seen:
            log.problem(t.file, row, h, f"列“{h}”与列“{seen[fname]}”是同一字段 {fname}")
            ok = False
        else:
            seen[fname] = h
            cols.append(Column(idx, h, fname, factor))
    # JSON objects may leave out any key (absent = keep the stored value); relation ends are needed all the same
    missing = [] if t.sparse and isinstance(t.kind, Label) else _missing_columns(t.kind, set(seen))
    for f in missing:
        log.problem(t.file, row, f, f"缺少必需列“{f}”（{_field_cn(t.kind, f)}）")
    log.header_maps.setdefault(t.file, {}).update({c.field: c.header for c in cols})
    return cols if ok and not missing else None


def _columns_hint(kind: Label | str) -> str:
    if isinstance(kind, Label):
        return ", ".join(MODELS[kind].model_fields)
    return ", ".join([*_end_columns(kind), *RELATIONS[kind].props, "source"])


def _end_columns(rtype: str) -> list[str]:
    rt = RELATIONS[rtype]
    return ["src", "dst"] + (["src_label"] if len(rt.src) > 1 else []) + (["dst_label"] if len(rt.dst) > 1 else [])


def _missing_columns(kind: Label | str, present: set[str]) -> list[str]:
    if not isinstance(kind, Label):
        return [c for c in _end_columns(kind) if c not in present]
    req = [n for n, s in node_specs(kind).items() if s.required and n not in present]
    if kind is Label.Enterprise and "uscc" in present and "key" in req:
        req.remove("key")  # the USCC is the key
    return req


def _field_cn(kind: Label | str, f: str) -> str:
    if f in _END_CN:
        return _END_CN[f]
    return (_description_head(kind, f) or f) if isinstance(kind, Label) else f


def cell(cells: list[Any], col: Column) -> Any:
    """The column's cell in a row (rows may be shorter than the header)."""
    return cells[col.index] if col.index < len(cells) else None

