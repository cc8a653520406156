"""招商项目库 (project pipeline): stages 线索 → 达产 with legal, dated, audited transitions, weekly tracking, 一般/重点/
重大 classification, overdue and stalled projects, 落地评价, Excel import/export — API router, pages and CLI."""

from pipeline.projects import PROTECTED_FIELDS  # noqa: E402,F401  (the fields only stage/tracking write)
