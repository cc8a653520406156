"""企业画像 below the graph: what an investment officer needs on one firm before a meeting — its registration facts
(统一社会信用代码 checked, region by name, founding, capital, listing, size), products, chain segments with the
evidence for each, suppliers and customers (marking the local 链主 among them), the funds that invested in it,
similar firms, and why the recommender proposes it to this region (its rank and reasons, if it ranks).

Everything is read from the analytic snapshot, except the free-text registration record the caller passes in
(chains.commands.enterprise_record); the recommender is asked through `targets`' public functions. Names, never
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
    listed = (f"已上市（股票代码 {record['stock_code']}）" if record.get("stock_code")
              else ("已上市" if "上市" in tags else "未上市"))
    size = str(record.get("size") or "") or "未登记"
    if record.get("employees") is not None:
        size += f"，员工 {record['employees']} 人"
    rows = [("企业名称", str(idx.firm_names[f])), ("统一社会信用代码", uscc_text),
            ("所在地", region_path(idx, r) if r >= 0 else "未登记"), ("成立日期", str(record.get("founded") or "未登记")),
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


def partner_rows(idx: ChainIndex, firms: np.ndarray, local: np.ndarray | None, region_name: str) -> str:
    """Suppliers or customers as table rows: name (linked), where, segment, and whether it is a (local) 链主."""
    primary = _primary_segment(idx)
    out = []
    for g in firms.tolist():
        led = idx.leads.getrow(g).indices.tolist()
        note = ""
        if led:
            chains = "、".join(str(idx.chain_names[c]) for c in led)
            here = local is not None and bool(local[g])
            note = f"{region_name}本地链主（{chains}）" if here else f"链主（{chains}）"
        r = int(idx.firm_region[g])
        s = int(primary[g])
        out.append(f"<tr><td>{firm_link(idx, g)}</td><td>{e(idx.region_names[r]) if r >= 0 else '—'}</td>"
                   f"<td>{e(idx.seg_names[s]) if s >= 0 else '—'}</td><td>{e(note) or '—'}</td></tr>")
    return "".join(out)


def fund_rows(snap: Snapshot, idx: ChainIndex, f: int, region_keys: set[str]) -> str:
    if not snap.n("Fund"):
        return ""
    names = snap.labels["Fund"].names
    fund_region = snap.relation("LOCATED_IN", "Fund", "Region")
    out = []
    for j in _cols(snap.relation("INVESTED_IN", "Fund", "Enterprise"), f).tolist():
        rs = _rows(fund_region, j).tolist()
        where = "、".join(str(idx.region_names[r]) for r in rs) or "—"
        local = any(str(idx.region_keys[r]) in region_keys for r in rs)
        out.append(f"<tr><td>{e(names[j])}</td><td>{e(where)}</td><td>{'本地基金' if local else ''}</td></tr>")
    return "".join(out)


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


def firm_body(snap: Snapshot, key: str, record: Mapping[str, Any], *, region: str | None = None,
              target_settings: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """The firm page's tables (HTML, escaped), as (above the graph, below it): the recommendation for `region` (with
    a form to choose another region), registration, products and segments; then partners, funds, similar firms."""
    idx = ChainIndex.of(snap)
    f = resolver(snap).enterprise(key)
    local = local_mask(snap, region)
    region_name = str(idx.region_names[resolver(snap).region(region)]) if region else ""
    region_keys = set(resolver(snap).region_keys_within(resolver(snap).region(region))) if region else set()
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in registration_rows(idx, f, record))
    made = products(snap, f)
    segs = "".join(f"<tr><td>{e(idx.seg_names[s])}</td><td>{e(idx.chain_names[int(idx.seg_chain[s])]) if idx.seg_chain[s] >= 0 else '—'}</td>"
                   f"<td>{e(idx.seg_stream[s] or '—')}</td><td>{e(ev)}</td></tr>" for s, ev in segment_rows(idx, f, record, made))
    sup = snap.relation("SUPPLIES", "Enterprise", "Enterprise")
    head_p = "<tr><th>企业</th><th>所在地</th><th>主环节</th><th>链主</th></tr>"
    rec = recommendation(snap, f, region, target_settings, local)
    form = (f"<form class='cm-inline' method='get' action='/pages/enterprises/{e(quote(key))}'>"
            f"<label>招商地区 <input name='region' value='{e(region_name or region or '')}' placeholder='如 衢州'></label>"
            "<button type='submit'>查看推荐理由</button></form>")
    if rec is None:
        why = "<p class='cm-hint'>选择招商地区后，显示本企业是否是该地区的招商目标及推荐理由。</p>"
    else:
        reasons = "".join(f"<li>{e(x)}</li>" for x in rec.reasons)
        score = f"<p>推荐得分 <b>{rec.score:.0f}</b>（0–100）</p>" if rec.score is not None else ""
        why = f"<p id='cm-verdict'>{e(rec.verdict)}</p>{score}" + (f"<ol id='cm-reasons'>{reasons}</ol>" if reasons else "")
    sim = similar_rows(snap, key, region, target_settings)
    funds = fund_rows(snap, idx, f, region_keys)

    def table(tid: str, head: str, rows: str, empty: str) -> str:
        return f"<table class='cm-table' id='{tid}'>{head}{rows}</table>" if rows else f"<p class='cm-hint'>{e(empty)}</p>"

    lead = (f"<div class='cm-cols'><div><h2>为何推荐{('给' + e(region_name)) if region_name else ''}</h2>{form}"
            f"<div id='cm-why'>{why}</div>"
            f"<h2>主营产品</h2>{table('cm-products', '', ''.join(f'<tr><td>{e(p)}</td></tr>' for p in made), '暂无产品记录')}"
            f"<h2>产业链环节</h2>{table('cm-segs', '<tr><th>环节</th><th>产业链</th><th>上中下游</th><th>依据</th></tr>', segs, '暂无环节归属')}</div>"
            f"<div><h2>登记信息</h2><table class='cm-facts' id='cm-facts'>{facts}</table></div></div>")
    rest = (f"<div class='cm-cols'><div><h2>供应商</h2>{table('cm-suppliers', head_p, partner_rows(idx, _cols(sup, f), local, region_name), '暂无供应商记录')}</div>"
            f"<div><h2>客户</h2>{table('cm-customers', head_p, partner_rows(idx, _rows(sup, f), local, region_name), '暂无客户记录')}</div></div>"
            f"<div class='cm-cols'><div><h2>投资基金</h2>{table('cm-funds', '<tr><th>基金</th><th>所在地</th><th></th></tr>', funds, '暂无基金投资记录')}</div>"
            f"<div><h2>相似企业</h2>{table('cm-similar', '<tr><th>企业</th><th>所在地</th><th>相似度</th><th>相似之处</th></tr>', sim, '暂无相似企业')}</div></div>")
    return lead, rest
