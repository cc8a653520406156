"""What the 信息检索 index holds of each node of the ChainMatch snapshot: one `Doc` per firm, product, park, parcel,
fund, project, chain, segment, region and policy.

Every name-like field a label has goes in, found generically so that a field added to the schema later is searched
without a change here: the name; 简称 / aliases / keywords (`ALT_FIELDS`, text or list columns of the snapshot);
codes — the key (统一社会信用代码 for firms keyed by it, the stock code for datasets keyed by that, GB/T 2260 for
regions) and `CODE_FIELDS` when the snapshot carries them; the 字号 core (search.text.core); the pinyin and the
pinyin initials of the name and of the core. `boost` orders equal matches: a firm that is a 链主 (LEADS) or sits in
one of the parks (LOCATED_IN a park) comes before one that is neither; a province or city before a county of the same
name (衡阳市 before 衡阳县).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from graph.schema import LABEL_CN, Label
from graph.snapshot import Snapshot
from search.text import SEP, bigrams, core, normalize, pinyin_forms, place_prefixes

LABELS = ("Enterprise", "Product", "Park", "LandParcel", "Fund", "Project", "IndustryChain", "Segment", "Region",
          "Policy")
KIND_CN = {lab: LABEL_CN[Label(lab)] for lab in LABELS}  # 企业, 产品 …: each kind named as everywhere else
ALT_FIELDS = ("short_name", "short_names", "abbreviation", "aliases", "keywords", "former_names")
CODE_FIELDS = ("stock_code", "uscc", "doc_no")
BOOST_LEADER, BOOST_PARK = 2.0, 1.0
REGION_LEVEL_BOOST = {"province": 0.3, "city": 0.2, "county": 0.1}  # below any firm's boost; regions among themselves


@dataclass(frozen=True)
class Doc:
    label: str
    key: str
    name: str
    names: str  # the normalised name, then each 简称 / alias / keyword (SEP-separated)
    codes: str  # key and codes, normalised (SEP-separated)
    core: str  # the 字号 core of the name
    py: str  # full pinyin of the name (without its suffix), of the core, then of each 简称 (SEP-separated, by position)
    ini: str  # their initials (the same positions)
    boost: float

    @property
    def grams(self) -> str:
        """Two-character pieces of the core and the alternative names (the two-character lookup)."""
        return bigrams([self.core, *self.names.split(SEP)[1:]])


def _readers(snap: Snapshot, label: str, fields: Sequence[str]) -> list[Callable[[int], list[str]]]:
    """Per field the snapshot carries for `label`: row → its text values (a text column gives one, a list column
    many). Only the rows asked for are read, so re-indexing a few written rows stays cheap at a million firms."""
    la = snap.labels[label]
    out: list[Callable[[int], list[str]]] = []
    for f in fields:
        if f in la.cat:
            codes, vocab = la.cat[f]
            out.append(lambda i, c=codes, v=vocab: [str(v[c[i]])] if c[i] >= 0 else [])
        elif f in la.lists:
            m, vocab = la.lists[f]
            m = m.tocsr()
            out.append(lambda i, m=m, v=vocab: [str(v[j]) for j in m.indices[m.indptr[i]:m.indptr[i + 1]]])
    return out


def boosts(snap: Snapshot, label: str) -> np.ndarray:
    """Per row of `label`: BOOST_LEADER for a 链主, plus BOOST_PARK for a firm located in a park; for a 行政区 its level
    (REGION_LEVEL_BOOST: 衡阳市 before 衡阳县, both 衡阳); 0 otherwise."""
    n = snap.n(label)
    if label == "Region" and n and "level" in snap.labels[label].cat:
        codes, vocab = snap.labels[label].cat["level"]
        by_code = np.array([REGION_LEVEL_BOOST.get(str(v), 0.0) for v in vocab] + [0.0])
        return by_code[np.asarray(codes)]  # code -1 (no level) reads the trailing 0
    if label != "Enterprise" or n == 0:
        return np.zeros(n)
    leads = np.asarray(snap.relation("LEADS", "Enterprise", "IndustryChain").getnnz(axis=1)) > 0
    in_park = np.asarray(snap.relation("LOCATED_IN", "Enterprise", "Park").getnnz(axis=1)) > 0
    return leads * BOOST_LEADER + in_park * BOOST_PARK


class DocMaker:
    """Makes the Docs of one snapshot (the place names a 字号 may start with are read once)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.prefixes = place_prefixes(snap.labels["Region"].names.tolist() if snap.n("Region") else [])

    def rows(self, label: str, rows: Sequence[int] | None = None) -> Iterator[Doc]:
        """Docs of the given rows of `label` (all rows when None)."""
        snap = self.snap
        if label not in snap.labels or snap.n(label) == 0:
            return
        la = snap.labels[label]
        idx = range(len(la)) if rows is None else rows
        alts = _readers(snap, label, ALT_FIELDS)
        codes = _readers(snap, label, CODE_FIELDS)
        boost = boosts(snap, label)
        keys, names = la.keys, la.names
        for i in idx:
            yield self.doc(label, str(keys[i]), str(names[i]), [v for r in alts for v in r(i)],
                           [v for r in codes for v in r(i)], float(boost[i]))

    def doc(self, label: str, key: str, name: str, alts: Sequence[str], codes: Sequence[str], boost: float) -> Doc:
        n = normalize(name)
        c = core(n, label, self.prefixes)
        alt_norm = [a for a in dict.fromkeys(normalize(x) for x in alts) if a and a != n]
        plain = core(n, label)  # the name without its suffix, the place kept (衢州巨化 → quzhoujuhua)
        # by position (search.ranking.NAME_FORMS): the name's and the 字号's forms, then each 简称's — kept even when
        # two are the same, so that a 简称 is never taken for the name
        forms = [pinyin_forms(t) for t in (plain, c, *alt_norm)]
        code_norm = list(dict.fromkeys(x for x in (normalize(key), *map(normalize, codes)) if x))
        return Doc(label, key, name, SEP.join([n, *alt_norm]), SEP.join(code_norm), c,
                   SEP.join(f[0] for f in forms), SEP.join(f[1] for f in forms), boost)

    def all(self) -> Iterator[Doc]:
        for label in LABELS:
            yield from self.rows(label)
