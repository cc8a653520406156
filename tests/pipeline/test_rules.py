"""The project library's thresholds and import limits come from the one Settings (nested `pipeline` / `imports`),
read from the documented variables CHAINMATCH_PROJECT_* / CHAINMATCH_IMPORT_* or the nested form
CHAINMATCH_PIPELINE__* / CHAINMATCH_IMPORTS__*, and become rules in the pipeline package."""
from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from api.settings import Settings
from pipeline import ImportLimits, PipelineRules
from pipeline.rules import InvalidRequest, classify


def test_documented_variables_reach_the_rules(monkeypatch):
    monkeypatch.setenv("CHAINMATCH_PROJECT_KEY_WAN", "5000")
    monkeypatch.setenv("CHAINMATCH_PROJECT_MAJOR_WAN", "50000.5")
    monkeypatch.setenv("CHAINMATCH_PROJECT_STALL_DAYS", "14")
    monkeypatch.setenv("CHAINMATCH_IMPORT_MAX_ROWS", "99")
    monkeypatch.setenv("CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES", "4096")
    s = Settings(_env_file=None)
    assert (s.pipeline.key_wan, s.pipeline.major_wan, s.pipeline.stall_days) == (5000, 50000.5, 14)
    rules = PipelineRules.from_settings(**s.pipeline.model_dump())
    assert rules == PipelineRules(Decimal("5000.0"), Decimal("50000.5"), 14)
    assert classify(50000.5, rules) == "重大" and classify(50000.4, rules) == "重点"
    assert ImportLimits.from_settings(**s.imports.model_dump()) == ImportLimits(99, 4096)


def test_the_nested_form_and_keyword_construction(monkeypatch):
    monkeypatch.setenv("CHAINMATCH_PIPELINE__STALL_DAYS", "7")
    monkeypatch.setenv("CHAINMATCH_IMPORTS__MAX_ROWS", "12")
    s = Settings(_env_file=None)
    assert s.pipeline.stall_days == 7 and s.imports.max_rows == 12 and s.pipeline.key_wan == 10_000
    s = Settings(_env_file=None, pipeline={"key_wan": 20_000}, imports={"max_rows": 3})
    assert s.pipeline.key_wan == 20_000 and s.imports.max_rows == 3


def test_bad_thresholds_are_refused():
    with pytest.raises(InvalidRequest, match="应高于"):
        PipelineRules.from_settings(key_wan=100_000, major_wan=10_000, stall_days=30)


def test_settings_import_no_domain_code():
    tree = ast.parse(Path("api/settings.py").read_text(encoding="utf-8"))
    mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m.split(".")[0] for m in mods} <= {"__future__", "functools", "typing", "pydantic", "pydantic_settings"}


def test_importing_the_package_stays_light():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, pipeline; print(sorted(m for m in sys.modules "
                          "if m.split('.')[0] in ('api', 'fastapi', 'openpyxl', 'numpy')))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
