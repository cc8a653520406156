"""The one place 企业尽调 reads the store: a firm's registration record (统一社会信用代码, 成立日期, 注册资本, 股票代码,
简称, 上市板块, 经营范围), which the analytic snapshot leaves out as free text, and its projects' stage histories
(the snapshot keeps only the current stage; a dossier as of a past date needs the stage each project was in then).
Nothing here writes."""
from __future__ import annotations

from typing import Any, Sequence

from pipeline import stage_history


def registration_record(store: Any, key: str) -> dict[str, Any]:
    """The stored fields of firm `key` ({} when the store has no such firm: the dossier then shows what the
    snapshot knows)."""
    return dict(store.get("Enterprise", key) or {})


def stage_histories(store: Any, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The stage_history entries ({on, from, to, by, at, note}, as the project library writes them) of projects
    `keys`, decoded; an entry that is not a JSON object is left out, a project the store lacks has none."""
    found = store.get_many("Project", list(keys)) if keys else {}
    return {key: stage_history(props) for key, props in found.items()}
