"""招商项目库 (project pipeline): stages 线索 → 达产 with legal, dated, audited transitions, weekly tracking, 一般/重点/
重大 classification, overdue and stalled projects, 落地评价, Excel import/export — API router, pages and CLI.

Rooms: rules.py (stages, transitions, classification, limits, refusals) · board.py (views, board, overdue,
stalled — over project records) · queries.py (snapshot: which projects, landed projects) · evaluation.py (落地评价,
snapshot) · names.py (references as names, names typed in an import → keys; snapshot) · excel.py (export,
reading an import) · commands.py (the only module using the store: writes, import, fetching records with their
logs) · html.py (the pages' pieces and forms) · router.py, pages.py (the workbench pages and their forms), cli.py.

Importing the package is light (rules, and reading a record's stage history): api/deps.py and api/routers/nodes.py
need just these names; the 企业尽调 dossier reads stage histories with `stage_history`.
"""
from pipeline.board import stage_history
from pipeline.rules import PROTECTED_FIELDS, ImportLimits, PipelineError, PipelineRules

__all__ = ["PROTECTED_FIELDS", "ImportLimits", "PipelineError", "PipelineRules", "stage_history"]
