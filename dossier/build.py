"""The dossier of one firm (企业尽调), built once and shown four ways (page, JSON, XLSX, PDF): registration facts
(统一社会信用代码 checked, region, park, founding, capital, listing), the two signals with their evidence, chain
segments with evidence, products, suppliers and customers (which are local 链主), fund investors, its 招商
projects and their stages, and the policies it may be eligible for.

Read side: the snapshot, plus the free-text registration record and the projects' stage histories the caller read
from the store (dossier.commands). Everything is as of the dossier's date: a project shows the stage it was in
then (dossier.records). Names, never codes, wherever a name exists.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import numpy as np

from chains import ChainIndex
from chains.render.firm import local_mask, products, registration_rows, segment_rows
from chains.render.profiles import _cols, _primary_segment, _rows
from dossier.models import Dossier, Row, Section
from dossier.policies import policy_section
from dossier.records import FirmRecords, StageHistories, firm_records
from dossier.signals import as_date, signals_of
from graph.snapshot import Snapshot
from kernel.clock import beijing_text
from kernel.resolve import resolver

PARTNER_COLUMNS = ["企业", "所在地", "主环节", "链主"]


def _partners(idx: ChainIndex, firms: np.ndarray, local: np.ndarray | None, region_name: str) -> list[Row]:
    primary = _primary_segment(idx)
    out = []
    for g in firms.tolist():
        led = idx.leads.getrow(g).indices.tolist()
        note = "—"
        if led:
            chains = "、".join(str(idx.chain_names[c]) for c in led)
            note = f"{region_name}本地链主（{chains}）" if local is not None and local[g] else f"链主（{chains}）"
        r, s = int(idx.firm_region[g]), int(primary[g])
        out.append(Row({"企业": str(idx.firm_names[g]), "所在地": str(idx.region_names[r]) if r >= 0 else "—",
                        "主环节": str(idx.seg_names[s]) if s >= 0 else "—", "链主": note}, key=str(idx.firm_keys[g])))
    return out


def _funds(snap: Snapshot, idx: ChainIndex, f: int, region_keys: set[str]) -> list[Row]:
    if not snap.n("Fund"):
        return []
    names = snap.labels["Fund"].names
    fund_region = snap.relation("LOCATED_IN", "Fund", "Region")
    out = []
    for j in _cols(snap.relation("INVESTED_IN", "Fund", "Enterprise"), f).tolist():
        rs = _rows(fund_region, j).tolist()
        local = any(str(idx.region_keys[r]) in region_keys for r in rs)
        out.append(Row({"基金": str(names[j]), "所在地": "、".join(str(idx.region_names[r]) for r in rs) or "—",
                        "本地": "本地基金" if local else "—"}))
    return out


def _projects(snap: Snapshot, idx: ChainIndex, rec: FirmRecords) -> list[Row]:
    invest = snap.labels["Project"].num.get("total_investment_wan") if snap.n("Project") else None
    out = []
    for p in rec.projects:
        j = snap.index_of("Project", p.key)
        amount = float(invest[j]) if invest is not None and not np.isnan(invest[j]) else None
        place = "、".join(x for x in (str(idx.region_names[p.region]) if p.region >= 0 else "", p.park or "") if x)
        out.append(Row({"项目": p.name, "阶段": p.stage or "—", "阶段日期": p.on or "—", "拟落地": place or "—",
                        "总投资（万元）": f"{amount:,.0f}" if amount is not None else "—"}, key=p.key))
    return out


def build_dossier(snap: Snapshot, key: str, record: Mapping[str, Any], *, region: str | None = None,
                  as_of: dt.date | str | None = None, stages: StageHistories | None = None) -> Dossier:
    """The dossier of firm `key` (a key, name or 统一社会信用代码) for the officer's `region` as of a date;
    `stages`: its projects' stage histories (dossier.commands.stage_histories)."""
    idx = ChainIndex.of(snap)
    f = resolver(snap).enterprise(key)
    key = str(idx.firm_keys[f])
    day = as_date(as_of)
    region_name = str(idx.region_names[resolver(snap).region(region)]) if region else None
    region_keys = set(resolver(snap).region_keys_within(resolver(snap).region(region))) if region else set()
    local = local_mask(snap, region)
    rec = firm_records(snap, key, day, stages)
    expansion, relocation = signals_of(snap, rec, day, region=region)
    made = products(snap, f)
    sup = snap.relation("SUPPLIES", "Enterprise", "Enterprise")
    segs = [Row({"环节": str(idx.seg_names[s]),
                 "产业链": str(idx.chain_names[int(idx.seg_chain[s])]) if idx.seg_chain[s] >= 0 else "—",
                 "上中下游": idx.seg_stream[s] or "—", "依据": ev}) for s, ev in segment_rows(idx, f, record, made)]
    sections = [
        Section("segs", "产业链环节", ["环节", "产业链", "上中下游", "依据"], segs, "暂无环节归属"),
        Section("products", "主营产品", ["产品"], [Row({"产品": p}) for p in made], "暂无产品记录"),
        Section("suppliers", "供应商", PARTNER_COLUMNS, _partners(idx, _cols(sup, f), local, region_name or ""),
                "暂无供应商记录"),
        Section("customers", "客户", PARTNER_COLUMNS, _partners(idx, _rows(sup, f), local, region_name or ""),
                "暂无客户记录"),
        Section("funds", "投资基金", ["基金", "所在地", "本地"], _funds(snap, idx, f, region_keys), "暂无基金投资记录"),
        Section("projects", "招商项目（项目库）", ["项目", "阶段", "阶段日期", "拟落地", "总投资（万元）"],
                _projects(snap, idx, rec), "项目库中没有本企业的项目"),
        policy_section(snap, key, day),
    ]
    synthetic = bool(idx.firm_synthetic[f])
    return Dossier(key=key, name=str(idx.firm_names[f]), synthetic=synthetic, region=region, region_name=region_name,
                   as_of=day, generated=beijing_text(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                     label=True),
                   identity=registration_rows(idx, f, record), expansion=expansion, relocation=relocation,
                   sections=sections)
