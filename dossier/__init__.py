"""企业尽调 (firm dossier): the one-page profile an investment officer prints before a visit — identity, chain
segments with evidence, suppliers and customers (which local 链主), fund investors, projects and their stages,
policies it may be eligible for, and two signals with the evidence behind each number: 扩张指数 and 外迁预警.

Rooms: records.py (a firm's dated records and ties, from the snapshot) · signals.py (the two signals) · models.py
(answers) · build.py (the dossier's sections) · policies.py (the incentives calculator's view) · html.py (the page,
with print CSS) · xlsx.py · pdf.py (Chromium print-to-PDF) · commands.py (the registration record from the store)
· router.py, pages.py, cli.py.

For other capabilities (subscriptions/alerts): `signals_for(snap, key, as_of=None, *, region=None) ->
(expansion, relocation)`, each a `Signal` with `.score` (0–100, or None: 数据不足 / 不适用) and `.evidence`.
"""
from dossier.models import INSUFFICIENT, NOT_LOCAL, Dossier, Evidence, Section, Signal
from dossier.signals import EXPANSION_CAPS, EXPANSION_LEVELS, RELOCATION_CAPS, RELOCATION_LEVELS, signals_for

__all__ = ["EXPANSION_CAPS", "EXPANSION_LEVELS", "INSUFFICIENT", "NOT_LOCAL", "RELOCATION_CAPS", "RELOCATION_LEVELS",
           "Dossier", "Evidence", "Section", "Signal", "signals_for"]
