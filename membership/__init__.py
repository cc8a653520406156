"""The segment-membership recommender: which firms belong to (or fit) a chain segment, learned from memberships,
names and product texts — ranker, datasets in the interchange format, evaluation and baselines, CLI.

The parts: dataset.py (the interchange format: Dataset, read_dataset, write_csv), text.py (TF-IDF features),
signals.py (the per-pair signals), blend.py (how they are weighed), ranker.py (MembershipRanker), evaluation.py
and baselines.py (the hold-out protocol), chainkg.py (the public ChainKG adapter).

This module is the package's public surface for other capabilities (targets uses the ranker for segment fit).
The ranker (scikit-learn) is loaded on first use, so `import membership` stays light.
"""
from __future__ import annotations

from typing import Any

from membership.dataset import Dataset, DatasetError, read_dataset, write_csv

__all__ = ["DEFAULT_SIGNALS", "Dataset", "DatasetError", "MembershipRanker", "RELATED_SIGNALS", "read_dataset",
           "write_csv"]
_RANKER = ("DEFAULT_SIGNALS", "MembershipRanker", "RELATED_SIGNALS")


def __getattr__(name: str) -> Any:
    """The ranker's names, imported on first use (scikit-learn is heavy)."""
    if name in _RANKER:
        from membership import ranker

        return getattr(ranker, name)
    raise AttributeError(f"module 'membership' has no attribute {name!r}")
