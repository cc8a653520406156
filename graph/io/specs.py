"""Field specs: how a cell of each model field is read — its kind (text, list, number, yes/no, date), its unit
(from the field name's suffix: _wan, _mu, _wan_per_mu …), whether it is required, and the choices people write for
it (可供 → available, 已签约 → 签约, 工业用地 → 0601). Derived once per label from the schema's annotations; the
value parsers themselves are in graph/io/values.py.
"""
from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from graph.io.values import cell_text, parse_bool, parse_date, parse_number, split_list
from graph.schema import LAND_USES, MODELS, Label

# Value aliases for choice fields: what people write in Excel → the model's value ("field@Label" for one kind).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "level@Region": {"省": "province", "省级": "province", "省份": "province", "自治区": "province", "直辖市": "province",
                     "市": "city", "地级市": "city", "市级": "city", "城市": "city", "地级": "city",
                     "县": "county", "区": "county", "县级": "county", "区县": "county", "县区": "county", "县级市": "county"},
    "size": {"微": "微型", "小": "小型", "中": "中型", "大": "大型", "micro": "微型", "small": "小型",
             "medium": "中型", "large": "大型"},
    "status": {"可供": "available", "可供地": "available", "可出让": "available", "待出让": "available",
               "可用": "available", "未出让": "available", "预留": "reserved", "已预留": "reserved",
               "保留": "reserved", "已出让": "transferred", "出让": "transferred", "已供地": "transferred"},
    "stage": {"洽谈中": "洽谈", "已签约": "签约", "已注册": "注册", "已开工": "开工", "已投产": "投产", "已达产": "达产",
              "接触": "接洽"},
}
_LAND_USE_BY_NAME = {v: k for k, v in LAND_USES.items()}


def _land_use(t: str) -> str:
    """'工业用地' or '601 …' → '0601'; anything else is left for the model to name."""
    if t in LAND_USES:
        return t
    if t in _LAND_USE_BY_NAME:
        return _LAND_USE_BY_NAME[t]
    m = re.match(r"^(\d{3,4})\b", t)
    return m.group(1).zfill(4) if m and m.group(1).zfill(4) in LAND_USES else t


# ===================================================================================== field specs
@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | list | float | int | bool | date
    unit: str = "plain"  # a unit kind of unit_factor, for float and int
    required: bool = False
    aliases: str | None = None  # key of VALUE_ALIASES

    def convert(self, raw: Any, column_factor: Decimal | None = None) -> tuple[Any, str | None]:
        """Cell → python value (None when empty) and an explanation note. Raises ValueError with the message."""
        k = self.kind
        if k == "text":
            t = cell_text(raw)
            if t is None:
                return None, None
            if self.name == "land_use":
                return _land_use(t), None
            if self.aliases:
                al = VALUE_ALIASES[self.aliases]
                t = al.get(t, al.get(t.lower(), t))
            return t, None
        if k == "float" or k == "int":
            return parse_number(raw, self.unit, integer=k == "int", column_factor=column_factor)
        if k == "list":
            return split_list(raw), None
        if k == "bool":
            return parse_bool(raw), None
        if k == "date":
            d = parse_date(raw)
            return (d.isoformat() if d else None), None
        raise AssertionError(k)  # pragma: no cover


_PCT_FIELDS = {"density_min", "density_max", "green_ratio_max"}
_RATIO_FIELDS = {"capacity_growth", "share", "weight"}
_UNIT_SUFFIXES = (("_wan_per_mu", "money_per_area"), ("_tce_per_wan", "tce"), ("_wan", "money"), ("_mu", "area"))


def _unit_of(name: str, kind: str) -> str:
    if kind == "int":
        return "count"
    if kind != "float":
        return "plain"
    unit = next((u for suffix, u in _UNIT_SUFFIXES if name.endswith(suffix)), None)
    return unit or ("pct" if name in _PCT_FIELDS else "ratio" if name in _RATIO_FIELDS else "plain")


def _spec(name: str, ann: Any, required: bool, label: Label) -> FieldSpec:
    if get_origin(ann) in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        ann = args[0] if len(args) == 1 else ann
    if get_origin(ann) is Annotated:  # bounded text, Date …: the type it annotates
        ann = get_args(ann)[0]
    aliases = next((k for k in (f"{name}@{label.value}", name) if k in VALUE_ALIASES), None)
    if get_origin(ann) is Literal:
        return FieldSpec(name, "text", required=required, aliases=aliases)
    if get_origin(ann) is list:
        return FieldSpec(name, "list", required=required)
    kind = {bool: "bool", int: "int", float: "float", dt.date: "date"}.get(ann, "text")
    return FieldSpec(name, kind, _unit_of(name, kind), required, aliases)


@lru_cache(maxsize=None)
def node_specs(label: Label) -> dict[str, FieldSpec]:
    return {n: _spec(n, f.annotation, f.is_required(), label) for n, f in MODELS[label].model_fields.items()}


REL_PROP_SPECS: dict[str, FieldSpec] = {
    "weight": FieldSpec("weight", "float", "ratio"),
    "share": FieldSpec("share", "float", "ratio"),
    "region": FieldSpec("region", "text"),
    "amount_wan": FieldSpec("amount_wan", "float", "money"),
    "date": FieldSpec("date", "date"),
    "round": FieldSpec("round", "text"),
    "source": FieldSpec("source", "text"),
}
REL_PROP_RANGES = {"weight": (0, None), "share": (0, 1), "amount_wan": (0, None)}
