"""MembershipRanker on a small synthetic dataset where the right answer is known, and the rank-members CLI."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from membership.cli import app as matching_app
from membership.baselines import CentroidRanker, PopularityRanker, RandomRanker
from membership.dataset import Dataset, read_dataset, write_csv
from membership.evaluation import holdout_split, run_split
from membership.ranker import MembershipRanker

# segment id, name, chain, stream, parent, vocabulary of its members' products
SEGMENTS = [
    ("nev.cathode", "正极材料", "新能源汽车", "上游", "nev.materials", ["磷酸铁锂", "三元正极", "钴酸锂", "锰酸锂", "前驱体"]),
    ("nev.electrolyte", "电解液", "新能源汽车", "上游", "nev.materials", ["六氟磷酸锂", "电解液", "添加剂", "溶剂", "锂盐"]),
    ("nev.cell", "动力电池", "新能源汽车", "中游", "", ["动力电池", "电芯", "储能电池", "电池模组", "电池包"]),
    ("nev.vehicle", "整车", "新能源汽车", "下游", "", ["新能源乘用车", "电动客车", "纯电动汽车", "商用车", "插电混动"]),
    ("food.grain", "粮食种植", "食品", "上游", "", ["小麦", "玉米", "稻谷", "大豆", "杂粮"]),
    ("food.process", "食品加工", "食品", "中游", "", ["面粉", "方便面", "饼干", "食用油", "调味品"]),
    ("food.retail", "食品零售", "食品", "下游", "", ["超市", "便利店", "连锁零售", "生鲜配送", "社区团购"]),
]
LINKS = [("nev.cathode", "nev.cell"), ("nev.electrolyte", "nev.cell"), ("nev.cell", "nev.vehicle"),
         ("food.grain", "food.process"), ("food.process", "food.retail")]
NAME_WORDS = {"nev.cathode": "锂材", "nev.electrolyte": "化学", "nev.cell": "电池", "nev.vehicle": "汽车",
              "food.grain": "农业", "food.process": "食品", "food.retail": "商贸"}


def make_dataset(*, products: bool = True, structure: bool = True, supplies: bool = True, seed: int = 7,
                 per_segment: int = 20, informative_names: bool = True) -> Dataset:
    """20 members per segment with 3 products from its vocabulary; 1/3 of the cathode firms also make cells
    (co-membership); cathode/electrolyte firms supply cell firms, cell firms supply vehicle makers. Plus
    candidates that are nobody's member: `good.cell.*` make cell products, `bad.*` make food."""
    rng = np.random.default_rng(seed)
    ids, names, prods, memb, sup = [], [], [], [], []
    by_seg: dict[str, list[int]] = {s[0]: [] for s in SEGMENTS}
    for sid, _, _, _, _, vocab in SEGMENTS:
        for i in range(per_segment):
            e = len(ids)
            ids.append(f"{sid}.{i:02d}")
            word = NAME_WORDS[sid] if informative_names else "实业"
            names.append(f"{'甲乙丙丁戊己庚辛'[i % 8]}{'东南西北'[i % 4]}{word}{len(ids)}")
            for p in rng.choice(vocab, size=3, replace=False):
                prods.append((e, str(p), float(rng.uniform(0.1, 0.6))))
            memb.append((e, sid))
            by_seg[sid].append(e)
    for e in by_seg["nev.cathode"][::3]:  # co-membership cathode → cell
        memb.append((e, "nev.cell"))
    if supplies:
        for up, down in (("nev.cathode", "nev.cell"), ("nev.electrolyte", "nev.cell"), ("nev.cell", "nev.vehicle")):
            for e in by_seg[up]:
                for c in rng.choice(by_seg[down], size=2, replace=False):
                    sup.append((e, int(c)))
    cand = {}
    for tag, vocab in (("good.cell", SEGMENTS[2][5]), ("bad.food", SEGMENTS[5][5])):
        for i in range(3):
            e = len(ids)
            ids.append(f"{tag}.{i}")
            names.append(f"候选{tag[:3]}{i}")
            for p in vocab[i:i + 3]:
                prods.append((e, p, 0.3))
            cand[f"{tag}.{i}"] = e
    # structure-only candidates: a cathode-only firm (its peers often also make cells) and a grain firm
    e = len(ids)
    ids.append("struct.cathode")
    names.append(f"天和{NAME_WORDS['nev.cathode'] if informative_names else '实业'}")
    memb.append((e, "nev.cathode"))
    e2 = len(ids)
    ids.append("struct.grain")
    names.append(f"地和{NAME_WORDS['food.grain'] if informative_names else '实业'}")
    memb.append((e2, "food.grain"))
    if supplies:  # the cathode candidate supplies two cell makers
        sup += [(e, by_seg["nev.cell"][1]), (e, by_seg["nev.cell"][2])]
    seg_ids = [s[0] for s in SEGMENTS]
    sidx = {s: i for i, s in enumerate(seg_ids)}
    M = sp.csr_matrix((np.ones(len(memb)), ([m[0] for m in memb], [sidx[m[1]] for m in memb])),
                      shape=(len(ids), len(seg_ids)))
    kw = {}
    if products:
        kw.update(product_enterprise=np.array([p[0] for p in prods]), product_names=np.array([p[1] for p in prods], object),
                  product_weights=np.array([p[2] for p in prods]))
    if structure:
        kw.update(segment_streams=np.array([s[3] for s in SEGMENTS], object),
                  segment_parents=np.array([s[4] for s in SEGMENTS], object),
                  segment_links=np.array([(sidx[a], sidx[b]) for a, b in LINKS]))
    if supplies:
        kw["supplies"] = np.array(sorted(set(sup)), dtype=np.int64).reshape(-1, 2)
    return Dataset(enterprise_ids=np.array(ids, object), enterprise_names=np.array(names, object),
                   segment_ids=np.array(seg_ids, object), segment_names=np.array([s[1] for s in SEGMENTS], object),
                   segment_chains=np.array([s[2] for s in SEGMENTS], object), memberships=M, name="synthetic", **kw)


def _position(ranking: list[tuple[str, float]], eid: str) -> int:
    ids = [e for e, _ in ranking]
    return ids.index(eid) if eid in ids else len(ids) + 1000


def test_product_vocabulary_decides_candidates():
    ds = make_dataset()
    ranked = MembershipRanker().fit(ds).rank(["nev.cell"], k=ds.n_enterprises)["nev.cell"]
    good = [_position(ranked, f"good.cell.{i}") for i in range(3)]
    bad = [_position(ranked, f"bad.food.{i}") for i in range(3)]
    assert max(good) < min(bad), (good, bad)
    assert max(good) < 10  # and near the top, not merely above the food firms


def test_a_visible_member_is_never_listed():
    ds = make_dataset()
    model = MembershipRanker().fit(ds)
    ranked = model.rank(k=ds.n_enterprises)
    M = ds.memberships.tocsc()
    for s, seg in enumerate(ds.segment_ids):
        members = {str(ds.enterprise_ids[e]) for e in M[:, s].indices}
        listed = [e for e, _ in ranked[seg]]
        assert not members.intersection(listed)
        assert len(listed) == ds.n_enterprises - len(members)  # everybody else is ranked
        scores = [x for _, x in ranked[seg]]
        assert scores == sorted(scores, reverse=True)
    # with exclude_members=False members come back (and rank high for their own segment)
    incl = model.rank(["food.grain"], k=25, exclude_members=False)["food.grain"]
    assert sum(e.startswith("food.grain.") for e, _ in incl[:20]) >= 15


def test_without_products_structure_and_co_membership_still_rank():
    ds = make_dataset(products=False, informative_names=False)
    model = MembershipRanker().fit(ds)
    ranked = model.rank(["nev.cell"], k=ds.n_enterprises)["nev.cell"]
    # (firms with no membership at all carry no structure signal; in this data most firms have exactly one
    # segment, so the model may rightly put unplaced firms first — compare the placed ones)
    placed = [e for e, _ in ranked if not e.startswith(("good.", "bad."))]
    # the cathode-only firm (cathode peers often also make cells, it supplies cell makers) beats the grain firm
    assert placed.index("struct.cathode") < placed.index("struct.grain")
    # every cathode firm not yet in cells comes before every food firm (names say nothing here: "…实业")
    first_food = min(i for i, e in enumerate(placed) if e.startswith(("food.", "struct.grain")))
    cathode = [i for i, e in enumerate(placed) if e.startswith(("nev.cathode", "struct.cathode"))]
    assert len(cathode) == 14 and max(cathode) < first_food, placed[:45]


def test_without_structure_or_supplies_still_works():
    ds = make_dataset(structure=False, supplies=False)
    assert not ds.has_structure
    ranked = MembershipRanker().fit(ds).rank(["nev.cell"], k=ds.n_enterprises)["nev.cell"]
    assert max(_position(ranked, f"good.cell.{i}") for i in range(3)) < min(
        _position(ranked, f"bad.food.{i}") for i in range(3))


def test_names_only_dataset_works():
    ds = make_dataset(products=False, structure=False, supplies=False)
    ranked = MembershipRanker().fit(ds).rank(k=5)
    assert set(ranked) == set(ds.segment_ids)
    assert all(len(v) == 5 for v in ranked.values())


def test_deterministic_and_block_size_independent():
    ds = make_dataset()
    a = MembershipRanker(random_state=3).fit(ds).rank(k=20)
    b = MembershipRanker(random_state=3).fit(ds).rank(k=20)
    c = MembershipRanker(random_state=3, block_size=7).fit(ds).rank(k=20)
    assert a == b
    for seg in a:
        assert [e for e, _ in a[seg]] == [e for e, _ in c[seg]]
        assert np.allclose([x for _, x in a[seg]], [x for _, x in c[seg]])


def test_fit_learns_weights_and_explains():
    ds = make_dataset()
    model = MembershipRanker().fit(ds)
    assert model.blend_.learned
    expl = model.explain("nev.cell", ["good.cell.0", "bad.food.0"])
    assert sum(expl["good.cell.0"].values()) > sum(expl["bad.food.0"].values())


def test_row_calibration_is_learned_and_can_be_switched_off():
    ds = make_dataset()
    model = MembershipRanker().fit(ds)
    assert model.row_params_ is not None and "row_clf" in model.weights_
    # row_clf is a log-probability over each firm's segments
    f = model._block_features(np.arange(5))
    assert np.allclose(np.exp(f["row_clf"]).sum(axis=1), 1.0)
    plain = MembershipRanker(row_calibration=False).fit(ds)
    assert plain.row_params_ is None and plain.weights_["row_clf"] == 0.0
    for m in (model, plain, MembershipRanker(size_interactions=True, inner_repeats=2).fit(ds)):
        ranked = m.rank(["nev.cell"], k=ds.n_enterprises)["nev.cell"]
        assert max(_position(ranked, f"good.cell.{i}") for i in range(3)) < min(
            _position(ranked, f"bad.food.{i}") for i in range(3))


def test_main_product_centroid_feeds_row_clf_and_is_optional():
    from membership.text import main_product_docs
    ds = make_dataset()
    docs = main_product_docs(ds)
    e = 0  # the first firm's main product is its highest-share one
    mask = ds.product_enterprise == e
    assert docs[e] == ds.product_names[mask][np.argmax(ds.product_weights[mask])]
    model = MembershipRanker().fit(ds)
    plain = MembershipRanker(main_product_centroid=False).fit(ds)
    assert model.X_main_ is not None and plain.X_main_ is None
    k_with = model.signals_.row_features(np.arange(3)).shape[2]
    assert k_with == plain.signals_.row_features(np.arange(3)).shape[2] + 1 == len(model.row_params_)
    # no products: no main-product view, still ranks
    bare = MembershipRanker().fit(make_dataset(products=False))
    assert bare.X_main_ is None and bare.rank(["nev.cell"], k=5)["nev.cell"]


def test_errors_are_clear():
    ds = make_dataset()
    with pytest.raises(RuntimeError, match="not fitted"):
        MembershipRanker().rank(["nev.cell"])
    model = MembershipRanker().fit(ds)
    with pytest.raises(KeyError, match="未知的环节"):
        model.rank(["no.such.segment"])
    with pytest.raises(ValueError):
        MembershipRanker(signals=["no_such_signal"]).fit(ds)


def test_model_beats_baselines_on_a_synthetic_holdout():
    ds = make_dataset(per_segment=25)
    split = holdout_split(ds, seed=0)
    model = run_split(MembershipRanker(), split)
    rnd = run_split(RandomRanker(), split)
    pop = run_split(PopularityRanker(), split)
    cen = run_split(CentroidRanker(analyzer="char"), split)
    assert model.recall[10] > rnd.recall[10] + 0.2
    assert model.recall[10] > pop.recall[10]
    assert model.recall[10] >= cen.recall[10] - 0.05


# --------------------------------------------------------------------- the rank-members command
def _write_folder(ds: Dataset, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "enterprises.csv", ["id", "name"], zip(ds.enterprise_ids, ds.enterprise_names))
    write_csv(folder / "segments.csv", ["id", "name", "chain", "stream", "parent_id"],
              zip(ds.segment_ids, ds.segment_names, ds.segment_chains, ds.segment_streams, ds.segment_parents))
    M = ds.memberships.tocoo()
    write_csv(folder / "memberships.csv", ["enterprise_id", "segment_id"],
              ((ds.enterprise_ids[r], ds.segment_ids[c]) for r, c in zip(M.row, M.col)))
    write_csv(folder / "products.csv", ["enterprise_id", "product", "weight"],
              ((ds.enterprise_ids[e], p, w) for e, p, w in zip(ds.product_enterprise, ds.product_names, ds.product_weights)))
    write_csv(folder / "segment_links.csv", ["upstream_id", "downstream_id"],
              ((ds.segment_ids[a], ds.segment_ids[b]) for a, b in ds.segment_links))
    write_csv(folder / "supplies.csv", ["supplier_id", "customer_id"],
              ((ds.enterprise_ids[a], ds.enterprise_ids[b]) for a, b in ds.supplies))


def test_rank_members_cli_writes_columns_and_never_a_member(tmp_path):
    ds = make_dataset()
    folder = tmp_path / "synthetic"
    _write_folder(ds, folder)
    back = read_dataset(folder)
    assert back.summary() == ds.summary()
    out = tmp_path / "out" / "ranked.csv"
    res = CliRunner().invoke(matching_app, ["rank-members", "--dataset", str(folder), "--k", "5", "--output", str(out)])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["segment_id", "enterprise_id", "rank", "score"]
    members = {(str(ds.enterprise_ids[r]), str(ds.segment_ids[c])) for r, c in zip(*ds.memberships.nonzero())}
    assert not any((r["enterprise_id"], r["segment_id"]) in members for r in rows)
    per_seg: dict[str, list[dict]] = {}
    for r in rows:
        per_seg.setdefault(r["segment_id"], []).append(r)
    assert set(per_seg) == set(ds.segment_ids)  # every segment has ≥ 1 member here
    for seg_rows in per_seg.values():
        assert [int(r["rank"]) for r in seg_rows] == [1, 2, 3, 4, 5]
        scores = [float(r["score"]) for r in seg_rows]
        assert scores == sorted(scores, reverse=True)


def test_rank_members_cli_related_mode(tmp_path):
    ds = make_dataset()
    folder = tmp_path / "synthetic"
    _write_folder(ds, folder)
    out = tmp_path / "related.csv"
    res = CliRunner().invoke(matching_app, ["rank-members", "--dataset", str(folder), "--k", "8", "--output", str(out),
                                            "--mode", "related"])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["segment_id"] == "nev.cell"]
    listed = [r["enterprise_id"] for r in rows]
    members = {str(ds.enterprise_ids[e]) for e in ds.memberships.tocsc()[:, 2].indices}
    assert len(listed) == 8 and not members.intersection(listed)
    assert {"good.cell.0", "good.cell.1", "good.cell.2"} <= set(listed)
    assert not any(e.startswith(("bad.", "food.")) for e in listed)
    res = CliRunner().invoke(matching_app, ["rank-members", "--dataset", str(folder), "--output", str(out),
                                            "--mode", "nonsense"])
    assert res.exit_code == 2 and "--mode" in res.output


def test_rank_members_cli_skips_empty_segments_and_reports_bad_rows(tmp_path):
    ds = make_dataset()
    folder = tmp_path / "d"
    _write_folder(ds, folder)
    with open(folder / "segments.csv", "a", encoding="utf-8") as fh:
        fh.write("empty.seg,空环节,新能源汽车,,\n")
    out = tmp_path / "r.csv"
    res = CliRunner().invoke(matching_app, ["rank-members", "--dataset", str(folder), "--k", "3", "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "empty.seg" not in out.read_text(encoding="utf-8")
    with open(folder / "memberships.csv", "a", encoding="utf-8") as fh:
        fh.write("nobody,nev.cell\n")
    res = CliRunner().invoke(matching_app, ["rank-members", "--dataset", str(folder), "--k", "3", "--output",
                                            str(tmp_path / "r2.csv")])
    assert res.exit_code == 2
    assert "memberships.csv" in res.output and "enterprise_id" in res.output and "nobody" in res.output
    assert not (tmp_path / "r2.csv").exists()
