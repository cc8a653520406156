"""Chain outputs in one place, for the pages router and the CLI: map page, the two handouts of a 招商推介会 (the
internal 招商报告 diagnosing strengths, weaknesses and 空白; the investor-facing 投资推介 of what the region offers),
SVG, XLSX, PNG. `AUDIENCES` names the two handouts; the internal one is the default."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from chains.render.html import chain_map_parts, chain_report_parts
from chains.render.investor import investor_parts
from chains.render.shell import Parts, offline_document
from chains.render.png import PngOptions, find_chromium, svg_to_png
from chains.render.svg import chain_map_svg
from chains.render.views import GraphView, chain_map_view
from chains.render.xlsx import chain_workbook
from graph.snapshot import Snapshot
from chains.analysis import analyse_chain
from chains.leaders import chain_firms_by_segment
from chains.models import AnalysisConfig, ChainMap
from chains.scope import Scope, resolve_scope

Targets = Mapping[str, Sequence[Mapping[str, Any]]]
AUDIENCES = {"internal": "内部招商报告（强弱项与空白诊断）", "investor": "投资推介（面向投资方）"}


@dataclass
class ChainOutputs:
    cmap: ChainMap
    view: GraphView
    snap: Snapshot | None = None
    scope: Scope | None = None

    @property
    def stem(self) -> str:
        return f"{self.cmap.chain.key}-{self.cmap.scope.key}"


def build(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig | None = None,
          link_base: str | None = None, targets: Targets | None = None, firms_per_segment: int = 30) -> ChainOutputs:
    cmap = analyse_chain(snap, chain=chain, region=region, config=config)
    scope = resolve_scope(snap, region)
    firms = chain_firms_by_segment(snap, cmap, scope=scope, limit=firms_per_segment)
    return ChainOutputs(cmap, chain_map_view(cmap, firms, targets=targets, link_base=link_base), snap, scope)


def segment_targets(snap: Snapshot, chain: str, region: str, segments: Sequence[str] | None = None, k: int = 5,
                    link_base: str | None = None, target_settings: Mapping[str, Any] | None = None
                    ) -> dict[str, list[dict[str, Any]]] | None:
    """The recommender's top k target firms per segment (default: every segment of the chain), shaped for the
    pages' targets hook. `link_base` "" links each firm to its served page; None (files written to disk) gives no
    links. `target_settings`: the recommender's parameters (Settings.targets; None = its defaults). None when chain
    or region cannot be resolved (the page reports that itself)."""
    from targets import TargetConfig, TargetError, targets_by_segment

    config = TargetConfig(**target_settings) if target_settings is not None else None
    try:
        ranked = targets_by_segment(snap, region=region, chain=chain, segments=segments, k=k, config=config)
    except TargetError:
        return None
    return {key: [{"name": it.name, "key": it.enterprise, "score": it.score_100, "reasons": it.reasons,
                   **({"href": f"{link_base}/pages/enterprises/{quote(it.enterprise)}"} if link_base is not None else {})}
                  for it in items]
            for key, items in ranked.items()}


def recruiting_segments(out: ChainOutputs) -> list[str]:
    """The segments a handout lists targets for: gaps and every segment with a 补链/强链/延链 move."""
    moved = {m.segment for m in out.cmap.moves}
    return [s.key for s in out.cmap.segments if s.klass == "空白" or s.key in moved]


def map_parts(out: ChainOutputs, *, links: Sequence[tuple[str, str]] | None = None) -> Parts:
    return chain_map_parts(out.cmap, out.view, links=links)


def map_html(out: ChainOutputs, *, links: Sequence[tuple[str, str]] | None = None) -> str:
    return offline_document(map_parts(out, links=links))


def report_parts(out: ChainOutputs, *, targets: Targets | None = None,
                 links: Sequence[tuple[str, str]] | None = None) -> Parts:
    """The internal 招商报告. `targets`: the recommender's firms per recruiting segment (None: not computed)."""
    return chain_report_parts(out.cmap, out.view, svg=chain_map_svg(out.cmap), svg_name=f"{out.stem}-map.svg",
                              targets=targets, links=links)


def report_html(out: ChainOutputs, *, targets: Targets | None = None,
                links: Sequence[tuple[str, str]] | None = None) -> str:
    return offline_document(report_parts(out, targets=targets, links=links))


def investor_page_parts(out: ChainOutputs, *, links: Sequence[tuple[str, str]] | None = None,
                        served: bool = False) -> Parts:
    """The investor-facing 投资推介 (no weakness, no 空白: what the region offers)."""
    assert out.snap is not None and out.scope is not None, "build() keeps the snapshot and scope"
    return investor_parts(out.snap, out.cmap, out.scope, links=links, served=served)


def investor_html(out: ChainOutputs) -> str:
    return offline_document(investor_page_parts(out))


def write_map(out: ChainOutputs, path: Path, *, png_options: PngOptions | None = None) -> Path:
    """Write the map; the suffix chooses the format: .html (interactive page), .svg, .png (needs Chromium),
    .json (the analysis as data)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(out.cmap.model_dump_json(by_alias=True, indent=1), encoding="utf-8")
    elif suffix == ".svg":
        path.write_text(chain_map_svg(out.cmap), encoding="utf-8")
    elif suffix == ".png":
        with tempfile.TemporaryDirectory(prefix="cm-map-") as tmp:
            svg = Path(tmp) / "map.svg"
            svg.write_text(chain_map_svg(out.cmap), encoding="utf-8")
            svg_to_png(svg, path, png_options)
    else:
        path.write_text(map_html(out), encoding="utf-8")
    return path


def write_report(out: ChainOutputs, directory: Path, *, png: bool | None = None, targets: Targets | None = None,
                 png_options: PngOptions | None = None, audience: str = "internal") -> tuple[list[Path], str | None]:
    """The handout for `audience` (AUDIENCES: "internal" 招商报告 `<stem>-report.html`, the default; "investor" 投资推介
    `<stem>-investor.html`, written alone), and for the internal one the segment XLSX, map SVG and (when Chromium is
    there, or png=True) map PNG in `directory`.
    Returns (written files, a note when the PNG was skipped)."""
    if audience not in AUDIENCES:
        raise ValueError(f"未知的读者：{audience}（可选：{'、'.join(AUDIENCES)}）")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if audience == "investor":  # the handout only: the segment table and map would show the 空白 diagnosis
        html_path = directory / f"{out.stem}-investor.html"
        html_path.write_text(investor_html(out), encoding="utf-8")
        return [html_path], None
    html_path = directory / f"{out.stem}-report.html"
    html_path.write_text(report_html(out, targets=targets), encoding="utf-8")
    xlsx_path = directory / f"{out.stem}-segments.xlsx"
    chain_workbook(out.cmap).save(xlsx_path)
    svg_path = directory / f"{out.stem}-map.svg"
    svg_path.write_text(chain_map_svg(out.cmap), encoding="utf-8")
    written = [html_path, xlsx_path, svg_path]
    note = None
    if png is None:
        png = find_chromium() is not None
        if not png:
            note = "未找到 Chromium，跳过 PNG（运行 tools/ensure-browser.sh 安装后可生成；SVG 已写出）"
    if png:  # explicitly asked for (png=True) and Chromium missing or failing: raise
        written.append(svg_to_png(svg_path, directory / f"{out.stem}-map.png", png_options))
    return written, note
