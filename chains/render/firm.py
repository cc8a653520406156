"""The pieces of a firm's profile that the 企业尽调 dossier (dossier/) builds on: its registration facts
(统一社会信用代码 checked, region by name, park, founding, capital, listing, size), products, chain segments with the
evidence for each, which firms are local, similar firms, and why the recommender proposes it to this region (its
rank and reasons, if it ranks).

Everything is read from the analytic snapshot, except the free-text registration record the caller passes in
(dossier.commands.registration_record); the recommender is asked through `targets`' public functions. Names, never
codes, wherever a name exists.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import quote

import numpy as np

from chains.index import ChainIndex
from chains.render.profiles import _cols, _primary_segment, _rows
from graph.snapshot import Snapshot
from graph.uscc import is_valid_uscc
from kernel.errors import ChainMatchError
from kernel.pages import e
from kernel.resolve import resolver


@dataclass
class Recommendation:
    """Why (or why not) the firm is a 招商目标 for the region: `verdict` one sentence, `reasons` the recommender's."""

    region: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    rank: int | None = None
    score: float | None = None


def firm_link(idx: ChainIndex, f: int) -> str:
    return f"<a href='/pages/enterprises/{e(quote(str(idx.firm_keys[f])))}'>{e(idx.firm_names[f])}</a>"


def region_path(idx: ChainIndex, r: int) -> str:
    """浙江省 · 衢州市 · 柯城区: a region by its names, from the top down."""
    names: list[str] = []
    while r >= 0 and len(names) < 6:
        names.append(str(idx.region_names[r]))
        r = int(idx.region_parent[r])
    return " · ".join(reversed(names)) or "—"


def _money(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if math.isnan(x) else f"{x:,.1f} 万元"


def registration_rows(idx: ChainIndex, f: int, record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """登记信息: the facts of the register, each as (label, text)."""
    uscc = record.get("uscc") or None
    if uscc:
        check = "校验通过" if is_valid_uscc(str(uscc)) else "校验位不符，请核实"
        uscc_text = f"{uscc}（{check}）"
    else:
        uscc_text = "未登记"
    r = int(idx.firm_region[f])
    tags = [str(idx.tag_vocab[j]) for j in _rows(idx.tag_csr, f).tolist()] if idx.tag_csr.shape[1] else []
    board = f"{record['listing']}，" if record.get("listing") else ""
    listed = (f"已上市（{board}股票代码 {record['stock_code']}）" if record.get("stock_code")
              else (f"已上市（{record['listing']}）" if board else "已上市" if "上市" in tags else "未上市"))
    parks = _rows(idx.e2p, f).tolist() if idx.e2p.shape[1] else []
    size = str(record.get("size") or "") or "未登记"
    if record.get("employees") is not None:
        size += f"，员工 {record['employees']} 人"
    rows = [("企业名称", str(idx.firm_names[f]))] + ([("简称", str(record["short_name"]))] if record.get("short_name") else [])
    rows += [("统一社会信用代码", uscc_text), ("所在地", region_path(idx, r) if r >= 0 else "未登记"),
             ("所在园区", "、".join(str(idx.park_names[p]) for p in parks) or "未登记"),
             ("成立日期", str(record.get("founded") or "未登记")),
             ("注册资本", _money(record.get("registered_capital_wan"))), ("上市情况", listed), ("企业规模", size),
             ("营业收入", _money(record.get("revenue_wan", idx.firm_revenue[f]))), ("资质标签", "、".join(tags) or "无")]
    if record.get("business_scope"):
        rows.append(("经营范围", str(record["business_scope"])))
    return rows


def products(snap: Snapshot, f: int) -> list[str]:
    if not snap.n("Product"):
        return []
    return [str(snap.labels["Product"].names[j]) for j in _rows(snap.relation("MAKES", "Enterprise", "Product"), f)]


def segment_rows(idx: ChainIndex, f: int, record: Mapping[str, Any], made: Sequence[str]) -> list[tuple[int, str]]:
    """(segment, evidence) for each segment the firm belongs to: the registered membership and its weight, the
    business scope or a product naming the segment, and the supply ties with firms of neighbouring segments."""
    row = idx.mem.getrow(f)
    scope = str(record.get("business_scope") or "")
    out = []
    for s, w in sorted(zip(row.indices.tolist(), row.data.tolist()), key=lambda t: -t[1]):
        name = str(idx.seg_names[s])
        ev = [f"已登记的环节归属（权重 {w:.2f}）"]
        if name and name in scope:
            ev.append(f"经营范围含「{name}」")
        ev += [f"主营产品「{p}」" for p in made if name and (name in p or p in name)][:2]
        out.append((s, "；".join(ev)))
    return out


def local_mask(snap: Snapshot, region: str | None) -> np.ndarray | None:
    """Firms in the region (itself and everything below it), or None when no region is given."""
    if region is None:
        return None
    idx = ChainIndex.of(snap)
    r = resolver(snap).region(region)
    inside = idx.region_descendants(r)
    return np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0


def similar_rows(snap: Snapshot, key: str, region: str | None, settings: Mapping[str, Any] | None) -> str:
    from targets import TargetConfig, similar_enterprises

    config = TargetConfig(**settings) if settings is not None else None
    try:
        sim = similar_enterprises(snap, enterprise=key, k=8, region=region, config=config)
    except ChainMatchError:
        return ""
    return "".join(f"<tr><td><a href='/pages/enterprises/{e(quote(it.enterprise))}'>{e(it.name)}</a></td>"
                   f"<td>{e(it.region_name or '—')}</td><td class='num'>{round(100 * it.score)}</td>"
                   f"<td>{e('；'.join(it.reasons))}</td></tr>" for it in sim.items)


def recommendation(snap: Snapshot, f: int, region: str | None, settings: Mapping[str, Any] | None,
                   local: np.ndarray | None) -> Recommendation | None:
    """The firm's place in the region's target list for its main segment (None when no region is chosen)."""
    if region is None or local is None:
        return None
    from targets import MAX_K, TargetConfig, rank_targets

    idx = ChainIndex.of(snap)
    name = str(idx.region_names[resolver(snap).region(region)])
    if local[f]:
        return Recommendation(name, f"本企业已在{name}，是本地企业，不列为招商目标。")
    s = int(_primary_segment(idx)[f])
    if s < 0:
        return Recommendation(name, "本企业没有登记产业链环节，推荐引擎无法为它匹配招商方向。")
    config = TargetConfig(**settings) if settings is not None else None
    k = min(MAX_K, config.max_k if config else MAX_K)
    ranked = rank_targets(snap, region=region, segment=str(idx.seg_keys[s]), k=k, config=config)
    hit = next((it for it in ranked.items if it.enterprise == str(idx.firm_keys[f])), None)
    seg = str(idx.seg_names[s])
    if hit is None:
        return Recommendation(name, f"在{name}「{seg}」环节的 {ranked.candidates} 家外地候选企业中，本企业未进入前 {k} 名。")
    klass = next((c.klass for c in ranked.segments if c.key == str(idx.seg_keys[s])), None)
    why = f"（本地该环节为{klass}）" if klass else ""
    return Recommendation(name, f"在{name}「{seg}」环节{why}的 {ranked.candidates} 家外地候选企业中排第 {hit.rank} 名。",
                          list(hit.reasons), hit.rank, hit.score_100)
