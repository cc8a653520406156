"""北京时间, as officers read times: the server stores moments in UTC (ISO 8601), pages and messages show them in
北京时间. China keeps one offset all year (no daylight saving), so a fixed UTC+8 needs no time-zone database."""
from __future__ import annotations

import datetime as dt
import math

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
_MINUTE = "%Y-%m-%d %H:%M"


def beijing_today() -> dt.date:
    """Today in 北京时间 (the server may run on UTC: at 07:00 in Quzhou it is still yesterday there)."""
    return dt.datetime.now(BEIJING).date()


def beijing_text(at: str | None, *, missing: str = "—", label: bool = False) -> str:
    """A stored moment (ISO 8601, UTC when it carries no offset: `2026-11-20T01:30:00Z`) as a minute in 北京时间
    ("2026-11-20 09:30", with " 北京时间" when `label`); `missing` when absent, the text as given if unreadable."""
    if not at:
        return missing
    try:
        moment = dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return str(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING).strftime(_MINUTE) + (" 北京时间" if label else "")


def epoch_text(seconds: float) -> str:
    """Epoch seconds as a minute in 北京时间 ("2026-01-08 16:00 北京时间")."""
    if not math.isfinite(seconds):
        return "—"
    return dt.datetime.fromtimestamp(seconds, BEIJING).strftime(_MINUTE) + " 北京时间"
