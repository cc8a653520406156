"""政策计算器 (policy calculator): policy rules kept as data, facts of a firm or project, amounts with formula and
article, 免申即享 push lists — API router, page and CLI."""
