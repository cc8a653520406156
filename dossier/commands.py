"""The one place 企业尽调 reads the store: a firm's registration record (统一社会信用代码, 成立日期, 注册资本, 股票代码,
简称, 上市板块, 经营范围), which the analytic snapshot leaves out as free text. Nothing here writes."""
from __future__ import annotations

from typing import Any


def registration_record(store: Any, key: str) -> dict[str, Any]:
    """The stored fields of firm `key` ({} when the store has no such firm: the dossier then shows what the
    snapshot knows)."""
    return dict(store.get("Enterprise", key) or {})
