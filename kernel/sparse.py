"""Small helpers over the snapshot's sparse relation matrices, shared by the resolver and the capabilities."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def first_index(m: sp.spmatrix) -> np.ndarray:
    """For each row, the column of its first stored entry (-1 if none): the one parent of a many-to-one relation."""
    m = m.tocsr()
    out = np.full(m.shape[0], -1, dtype=np.int64)
    if m.shape[0] == 0:
        return out
    has = np.diff(m.indptr) > 0
    out[has] = m.indices[m.indptr[:-1][has]]
    return out
