"""企业尽调 as the router, the pages and the CLI ask for it: the dossier of a firm named by key, name or
统一社会信用代码 (its registration record read through the caller's `record_of`, and its projects' stage histories
through `stages_of` — dossier.commands with the store), and its renderings — JSON, the served page's parts, XLSX and PDF bytes with their file names."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping

from chains.render.shell import Parts
from dossier.build import build_dossier
from dossier.html import dossier_parts
from dossier.models import Dossier
from dossier.pdf import pdf_bytes
from dossier.records import StageHistories, project_keys
from dossier.xlsx import dossier_workbook_bytes
from graph.snapshot import Snapshot
from kernel.regions import region_or_home
from kernel.resolve import resolver

RecordOf = Callable[[str], Mapping[str, Any]]
StagesOf = Callable[[list[str]], StageHistories]  # project keys → their stage histories


def firm_key(snap: Snapshot, key: str) -> str:
    """The key of the firm `key` names (key, name, 简称 or 统一社会信用代码; kernel.resolve)."""
    return str(snap.keys("Enterprise")[resolver(snap).enterprise(key)])


def dossier_for(snap: Snapshot, key: str, record_of: RecordOf, *, region: str | None = None, home: str | None = None,
                as_of: dt.date | None = None, stages_of: StagesOf | None = None) -> Dossier:
    """The dossier of the firm `key` names for the 招商地区 `region` — none asked: the officer's own (`home`, settings
    alerts.home_region) when the data holds it, else the first demo city, as on the chain pages
    (kernel.regions.region_or_home). Without `stages_of` a project's stage counts from the day it entered its current
    one (a past `as_of` then misses earlier stages)."""
    k = firm_key(snap, key)
    stages = stages_of(project_keys(snap, k)) if stages_of is not None else None
    return build_dossier(snap, k, record_of(k), region=region_or_home(snap, region, home), as_of=as_of, stages=stages)


def dossier_json(snap: Snapshot, key: str, record_of: RecordOf, *, region: str | None = None, home: str | None = None,
                 as_of: dt.date | None = None, stages_of: StagesOf | None = None) -> dict[str, Any]:
    return dossier_for(snap, key, record_of, region=region, home=home, as_of=as_of, stages_of=stages_of).as_dict()


def file_stem(d: Dossier) -> str:
    return f"企业尽调-{d.name}-{d.as_of.isoformat()}"


def dossier_xlsx(snap: Snapshot, key: str, record_of: RecordOf, *, region: str | None = None, home: str | None = None,
                 as_of: dt.date | None = None, stages_of: StagesOf | None = None) -> tuple[bytes, str]:
    d = dossier_for(snap, key, record_of, region=region, home=home, as_of=as_of, stages_of=stages_of)
    return dossier_workbook_bytes(d), f"{file_stem(d)}.xlsx"


def page_parts(snap: Snapshot, key: str, record_of: RecordOf, *, region: str | None, home: str | None = None,
               as_of: dt.date | None = None, max_nodes: int, target_settings: Mapping[str, Any] | None,
               stages_of: StagesOf | None = None) -> Parts:
    d = dossier_for(snap, key, record_of, region=region, home=home, as_of=as_of, stages_of=stages_of)
    return dossier_parts(snap, d, max_nodes=max_nodes, target_settings=target_settings)


def dossier_pdf(snap: Snapshot, key: str, record_of: RecordOf, *, region: str | None = None, home: str | None = None,
                as_of: dt.date | None = None, target_settings: Mapping[str, Any] | None = None,
                timeout: float = 60.0, concurrency: int = 2, stages_of: StagesOf | None = None) -> tuple[bytes, str]:
    d = dossier_for(snap, key, record_of, region=region, home=home, as_of=as_of, stages_of=stages_of)
    parts = dossier_parts(snap, d, max_nodes=60, target_settings=target_settings)  # the graph is not printed
    return pdf_bytes(parts, timeout=timeout, concurrency=concurrency), f"{file_stem(d)}.pdf"
