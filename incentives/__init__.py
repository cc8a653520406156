"""政策计算器 (policy calculator): policy rules kept as data, facts of a firm or project, amounts with formula and
article, 免申即享 push lists — API router, page and CLI."""

from incentives.calculator import STATUS_CN, Calculation, calculate
from incentives.facts import subject_facts, value_names
from incentives.rules import default_rules

__all__ = ["STATUS_CN", "Calculation", "calculate", "default_rules", "subject_facts", "value_names"]
