"""土地超市 message text: numbers, dates, ranges and land uses as the Chinese explanations write them."""
from __future__ import annotations

import datetime as dt
import math

from graph.schema import LAND_USES
from kernel.clock import beijing_text, epoch_text
from land.tables import LAND_USE_CODES, ProjectTable


def num(x: float | None) -> str:
    """A number as people write it: 300, 8.5, 102.76 (— when unknown)."""
    if x is None or x != x or x in (math.inf, -math.inf):
        return "—"
    r = round(x)
    if -1e-9 < x - r < 1e-9:
        return str(int(r))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def day_text(days: float) -> str:
    """An ordinal day as YYYY-MM-DD."""
    return dt.date.fromordinal(int(days)).isoformat() if math.isfinite(days) else "—"


def moment_text(seconds: float) -> str:
    """Epoch seconds as a minute in 北京时间 ("2026-01-08 16:00 北京时间"), as officers read times."""
    return epoch_text(seconds)


def stored_moment_text(text: str | None) -> str:
    """A stored moment (ISO 8601, UTC: `2026-01-08T08:00:00Z`) in 北京时间; "" when absent, as given if unreadable."""
    return beijing_text(text, missing="", label=True)


def range_text(lo: float, hi: float, unit: str) -> str:
    """A need with one or both bounds: "70–90 亩", "≥ 70 亩", "≤ 90 亩"."""
    if math.isnan(lo):
        return f"≤ {num(hi)} {unit}"
    if math.isnan(hi):
        return f"≥ {num(lo)} {unit}"
    return f"{num(lo)}–{num(hi)} {unit}"


def land_use_text(code: int) -> str:
    """A land-use code of LAND_USE_CODES as "0601 工业用地"."""
    if code < 0:
        return "未知"
    c = LAND_USE_CODES[code]
    return f"{c} {LAND_USES[c]}"


def project_ref(P: ProjectTable, key: str) -> str:
    """The project holding a parcel, by name when it is in the table."""
    if not key:
        return "其他项目"
    i = P.pos(key)
    return f"项目「{P.names[i]}」" if i >= 0 else f"项目 {key}"
