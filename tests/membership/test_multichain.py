"""The multi-membership view (membership/multichain.py) on a hand-made dataset, and `evaluate`/`rank-members`
saying which regime and signals they used. The real ChainKG view is measured by bench/eval_chainkg.py --multi."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from typer.testing import CliRunner

from membership.cli import app
from membership.dataset import Dataset, write_csv
from membership.multichain import multi_membership_view, product_profile_memberships
from membership.synthetic import synthetic_chains


def _products_dataset() -> Dataset:
    # segment 0 makes 甲类 products, segment 1 乙类; firm 4 (in segment 0) also makes 乙类 products; firm 5 unplaced
    prods = [(0, "甲类阀门"), (1, "甲类阀门组"), (2, "乙类泵体"), (3, "乙类泵组"), (4, "甲类阀门件"), (4, "乙类泵体件"),
             (5, "乙类泵")]
    M = sp.csr_matrix((np.ones(5), ([0, 1, 2, 3, 4], [0, 0, 1, 1, 0])), shape=(6, 2))
    return Dataset(enterprise_ids=np.array([f"e{i}" for i in range(6)], object),
                   enterprise_names=np.array([f"企业{i}" for i in range(6)], object),
                   segment_ids=np.array(["s0", "s1"], object), segment_names=np.array(["阀门", "泵"], object),
                   segment_chains=np.array(["链", "链"], object), memberships=M,
                   product_enterprise=np.array([p[0] for p in prods]),
                   product_names=np.array([p[1] for p in prods], object), product_weights=np.full(len(prods), 0.5))


def test_products_add_the_segments_a_firm_also_supplies():
    ds = _products_dataset()
    M = product_profile_memberships(ds, relative=0.5).toarray()
    assert M[4].tolist() == [1, 1]  # own segment 0, and segment 1 through its 乙类 product
    assert M[0].tolist() == [1, 0] and M[2].tolist() == [0, 1]
    assert M[5].sum() == 0  # an unplaced firm stays unplaced (no label to start from)
    view = multi_membership_view(ds)
    assert view.n_enterprises == 5 and not view.has_products and view.name.endswith("-multi")
    assert product_profile_memberships(ds, max_segments=1).sum() == 5


def _write(ds: Dataset, folder) -> None:
    folder.mkdir()
    write_csv(folder / "enterprises.csv", ["id", "name"], zip(ds.enterprise_ids, ds.enterprise_names))
    write_csv(folder / "segments.csv", ["id", "name", "chain", "parent_id"],
              zip(ds.segment_ids, ds.segment_names, ds.segment_chains, ds.segment_parents))
    M = ds.memberships.tocoo()
    write_csv(folder / "memberships.csv", ["enterprise_id", "segment_id"],
              ((ds.enterprise_ids[r], ds.segment_ids[c]) for r, c in zip(M.row, M.col)))
    write_csv(folder / "segment_links.csv", ["upstream_id", "downstream_id"],
              ((ds.segment_ids[a], ds.segment_ids[b]) for a, b in ds.segment_links))


def test_cli_reports_regime_signals_and_collaborative_baselines(tmp_path):
    ds = synthetic_chains("multi", n_firms=300)
    _write(ds, tmp_path / "multi")
    out = tmp_path / "r.csv"
    res = CliRunner().invoke(app, ["rank-members", "--dataset", str(tmp_path / "multi"), "--k", "3", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "多归属" in res.output and "使用的信号" in res.output and "ease" in res.output
    res = CliRunner().invoke(app, ["evaluate", "--dataset", str(tmp_path / "multi"), "--seeds", "0"])
    assert res.exit_code == 0, res.output
    assert "多归属" in res.output and "co-memb-centroid" in res.output and "EASE" in res.output
