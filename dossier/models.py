"""The answers of 企业尽调: a signal (扩张指数 or 外迁预警) with the evidence behind its number, and the whole dossier
of a firm — what the page, the JSON, the XLSX and the PDF all show. Plain dataclasses; `as_dict` is the JSON."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

INSUFFICIENT = "数据不足"
NOT_LOCAL = "不适用"


@dataclass
class Evidence:
    """One fact that moved a signal: its component (融资, 分支机构 …), what it says, the points it added and when."""

    component: str
    text: str
    points: float
    on: str | None = None  # ISO date, or a year for yearly indicators


@dataclass
class Signal:
    """扩张指数 or 外迁预警 of one firm as of a date: `score` 0–100, or None with `status` 数据不足 (no input at all)
    or 不适用 (外迁预警 of a firm that is not local). `missing` names the inputs the data lacks."""

    kind: str  # "expansion" | "relocation"
    title: str
    as_of: str
    score: int | None
    level: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Row:
    """A line of a dossier table: cells by column name, plus the key it links to (if any)."""

    cells: dict[str, Any]
    key: str | None = None


@dataclass
class Section:
    """A titled table of the dossier (its columns in order), or `empty` when it has no rows."""

    id: str
    title: str
    columns: list[str]
    rows: list[Row]
    empty: str = "暂无记录"
    note: str = ""
    link: tuple[str, str] | None = None  # (text, href) of the page that goes further

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "columns": self.columns, "note": self.note,
                "rows": [dict(r.cells, **({"key": r.key} if r.key else {})) for r in self.rows]}


@dataclass
class Dossier:
    """企业尽调 of one firm: identity facts, the two signals and the sections, for `region` (the officer's 招商地区)
    as of `as_of`."""

    key: str
    name: str
    synthetic: bool
    region: str | None
    region_name: str | None
    as_of: dt.date
    generated: str
    identity: list[tuple[str, str]]
    expansion: Signal
    relocation: Signal
    sections: list[Section]

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "synthetic": self.synthetic, "region": self.region,
                "region_name": self.region_name, "as_of": self.as_of.isoformat(), "generated": self.generated,
                "identity": [{"field": k, "value": v} for k, v in self.identity],
                "signals": {"expansion": self.expansion.as_dict(), "relocation": self.relocation.as_dict()},
                "sections": [s.as_dict() for s in self.sections]}
