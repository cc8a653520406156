"""Rendering of chain maps and graph views: the workbench pages inside the one shell (shell.py, workbench.py),
offline HTML files (vis-network from pyvis, inlined), the internal 招商报告 and the investor 投资推介, 企业画像 and
园区画像, static SVG, PNG through headless Chromium, and XLSX exports. Reads analysis results and the snapshot;
never a store."""
from chains.render.html import chain_map_page, chain_report_page, graph_page, simple_page
from chains.render.svg import chain_map_svg
from chains.render.profiles import enterprise_view, park_view
from chains.render.views import GraphView, chain_map_view
from chains.render.xlsx import chain_workbook, chain_xlsx_bytes

__all__ = ["GraphView", "chain_map_page", "chain_map_svg", "chain_map_view", "chain_report_page", "chain_workbook",
           "chain_xlsx_bytes", "enterprise_view", "graph_page", "park_view", "simple_page"]
