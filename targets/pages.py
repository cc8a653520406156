"""招商目标 pages of the officer's workbench (on the one shell, kernel.pages.page with the request's PageContext):

  GET /pages/targets?region=&chain=&segment=&k=     the form (行政区, 产业链, 环节 by name, 简称 or code) and the
                                                    ranked list: 0–100 scores, reasons with their evidence linked,
                                                    the Excel download; the region's funds and 链主 as entry points
  GET /pages/funds/{id}/targets?region=&k=          以投促引: the fund's portfolio firms fitting local gaps/parks
  GET /pages/leaders/{id}/targets?region=&k=        以企引企: the 链主's suppliers/customers not yet local, each with
                                                    its supply tie to the 链主

Read-only pages (GET forms, no CSRF needed). Thin: the service is targets.workbench, the HTML targets.page_html.
"""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query

from api.deps import PageCtxDep, SnapshotDep
from kernel.pages import e, page
from targets import page_html as ph
from targets.router import ConfigDep
from targets.workbench import fund_targets_page, leader_targets_page, target_form

router = APIRouter(include_in_schema=False)

TextQ = Annotated[str | None, Query(max_length=128)]
KQ = Annotated[int, Query(ge=1, le=500)]
IdPath = Annotated[str, Path(min_length=1, max_length=128)]


def _header(title: str, lead: str) -> str:
    return f"<h1>{e(title)}</h1><p>{e(lead)}</p>"


@router.get("/pages/targets")
def targets_page(snap: SnapshotDep, config: ConfigDep, ctx: PageCtxDep, region: TextQ = None, chain: TextQ = None,
                 segment: TextQ = None, k: KQ = 20) -> Any:
    region, chain, segment = (x.strip() if x and x.strip() else None for x in (region, chain, segment))
    answer = target_form(snap, region=region, chain=chain, segment=segment, k=k, config=config)
    body = ph.target_form_html(answer, region, chain, segment, k)
    if answer.error:
        more = f"（您是不是要找：{'、'.join(answer.candidates[:8])}）" if answer.candidates else ""
        body += f"<p class='err' id='cm-error'>{e(answer.error + more)}</p>"
    out = answer.result
    if out is not None:
        title = f"{out.region.name} · {out.chain.name if out.chain else ''} 招商目标（前 {len(out.items)} 家）"
        body += (f"<h2 id='cm-list-title'>{e(title)}</h2><p><a id='cm-xlsx' href='{e(ph.xlsx_href(out, segment, k))}'>"
                 "下载 Excel 清单</a></p>" + ph.target_table(out) + ph.about_box(out))
    elif region and not answer.error:
        body += "<p class='muted'>请再填写产业链或环节。</p>"
    if region and not answer.error:
        body += ph.anchors_html(answer, out.region.key if out else region)
    return page("招商目标", _header("招商目标", "行政区 × 产业链（× 环节）→ 本地以外最值得引进的企业，附理由与依据"),
                body, ph.CSS, ctx=ctx, active="/pages/targets")


@router.get("/pages/funds/{id}/targets")
def fund_targets(snap: SnapshotDep, config: ConfigDep, ctx: PageCtxDep, id: IdPath, region: TextQ = None,
                 k: KQ = 20) -> Any:
    out = fund_targets_page(snap, fund=id, region=region or None, k=k, config=config)
    return _view_page(out, ctx, "以投促引", "基金组合中契合本地缺口与园区主导产业、尚未在本地的企业",
                      f"/pages/funds/{id}/targets", region)


@router.get("/pages/leaders/{id}/targets")
def leader_targets(snap: SnapshotDep, config: ConfigDep, ctx: PageCtxDep, id: IdPath, region: TextQ = None,
                   k: KQ = 20) -> Any:
    out = leader_targets_page(snap, leader=id, region=region or None, k=k, config=config)
    return _view_page(out, ctx, "以企引企", "链主的供应商、客户（含二级供应商）中尚未在本地的企业", f"/pages/leaders/{id}/targets",
                      region)


def _view_page(out: Any, ctx: PageCtxDep, kind: str, lead: str, action: str, region: str | None) -> Any:
    """A fund's or 链主's target page: a region field (default: its own city), then the list."""
    name = out.anchor.name if out is not None and out.anchor else ""
    form = (f"<form class='filters' method='get' action='{e(action)}'><label>行政区<input name='region' "
            f"value='{e(out.region.name if out is not None else region or '')}'></label>"
            "<button type='submit'>查看</button></form>")
    if out is None:
        body = form + "<p class='muted'>该基金没有所在行政区，请填写要招商的行政区。</p>"
        return page(kind, _header(kind, lead), body, ph.CSS, ctx=ctx, active="/pages/targets")
    back = "/pages/targets?" + urlencode({"region": out.region.key})
    body = (form + f"<h2 id='cm-list-title'>{e(name)} · {e(out.region.name)} {e(kind)}（前 {len(out.items)} 家）</h2>"
            + ph.target_table(out) + ph.about_box(out) + f"<p><a href='{e(back)}'>返回{e(out.region.name)}招商目标</a></p>")
    return page(f"{kind} · {name}", _header(f"{kind} · {name}", lead), body, ph.CSS, ctx=ctx, active="/pages/targets")
