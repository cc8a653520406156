"""One resolver of the names and keys users type — for chains, segments, regions, parks, firms, funds, projects and
parcels — used by every capability, the API's filters and the CLI, so that 集成电路, ic and 半导体 mean the same
chain everywhere.

Each lookup tries, in order: the key (as typed, then folded: 91330825ywpkga328j = 91330825YWPKGA328J); the exact
name; the folded name without its usual suffix (衢州 = 衢州市, 新材料 = 新材料产业链, （上海） = (上海)); the 简称
(a firm's short_name); an alias or keyword; a unique name starting with the text (中芯 → 中芯国际…); a unique name
containing it (智造新城 → 衢州智造新城, the city prefix left out); a unique name holding the text's characters in order
(封测 → 封装测试). Folding (`norm`) is what an officer's keyboard varies: Unicode NFKC (full-width and half-width
brackets, letters and digits are one), upper case, no blanks. Several matches at one step raise Ambiguous listing
them (a 简称 two firms share); no match raises NotFound with the closest names ("您是不是要找…"). Both name the
parameter at fault.

What "region" means, everywhere: a 行政区 given by its GB/T 2260 code, full name or short name, standing for itself
and every 行政区 below it (衢州 covers 柯城区, 江山市 …). Where a parameter also takes a park (`place`), a park name
or key stands for that park; a capability that works by 行政区 (targets, filters) takes the park's 行政区.

Built once per snapshot (kernel.derived); reads the snapshot only.
"""
from __future__ import annotations

import difflib
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Iterator, Literal, Sequence

import numpy as np

from graph.schema import LABEL_CN, Label
from kernel.derived import derived
from kernel.errors import AmbiguousName, Invalid, UnknownName
from kernel.sparse import first_index

REGION_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|自治州|地区|省|市|县|区)$")
CHAIN_SUFFIX = re.compile(r"(产业链|产业|行业)$")
PARK_SUFFIX = re.compile(r"(经济技术开发区|高新技术产业开发区|经济开发区|高新区|开发区|产业园|工业园区|园区)$")


# Format characters (Unicode category Cf: zero-width space and joiners, BOM, soft hyphen, bidi marks) are invisible
# and arrive with text pasted from web pages and chat messages: they are no part of a name.
_INVISIBLE = dict.fromkeys(c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf")


def fold(text: str | None) -> str:
    """NFKC (（上海） = (上海), ＡＢＣ = ABC) without invisible format characters: the first step of comparing names,
    shared by the resolver (`norm`) and 信息检索 (search.text.normalize)."""
    return unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE)


def norm(text: str, suffix: re.Pattern[str] | None = None) -> str:
    """Text folded (`fold`), upper case, without blanks — and without the label's usual suffix: how names, 简称 and
    keys are compared after the exact steps."""
    t = re.sub(r"\s+", "", fold(text)).upper()
    return (suffix.sub("", t) or t) if suffix is not None else t


def _subsequence(q: str, name: str) -> bool:
    it = iter(name)
    return all(ch in it for ch in q)


@dataclass(frozen=True)
class Place:
    """A region or a park, and the region it means for capabilities that work by region."""

    kind: Literal["region", "park"]
    index: int  # into the Region or the Park keys
    region: int  # the region itself, or the park's region (-1 if the park has none)


class Resolver:
    def __init__(self, snap) -> None:
        self.snap = snap
        self._child_of = snap.relation("LOCATED_IN", "Region", "Region").tocsr()  # rows = child, cols = parent
        self.park_region = first_index(snap.relation("LOCATED_IN", "Park", "Region"))
        self.segment_chain = first_index(snap.relation("PART_OF", "Segment", "IndustryChain"))
        self._names: dict[str, list[str]] = {}

    # ------------------------------------------------------------------------------------------ generic
    def names(self, label: str) -> list[str]:
        if label not in self._names:
            self._names[label] = self.snap.labels[label].names.tolist() if self.snap.n(label) else []
        return self._names[label]

    def _find(self, label: str, text: str | None, *, param: str, suffix: re.Pattern[str] | None = None,
              extra: Sequence[Sequence[int]] = (), within: np.ndarray | None = None, fuzzy: bool = True,
              hint: str = "") -> int:
        """The index of the one `label` node `text` names (steps in the module docstring)."""
        what = LABEL_CN.get(Label(label), label) if label in Label.__members__ else label
        t = (text or "").strip()
        if not t:
            if text:  # only blanks or control characters: a name that names nothing, not a missing one
                raise UnknownName(f"{what} {text!r} 不存在", errors=[{"field": param, "message": f"{what} {text!r} 不存在"}])
            raise Invalid(f"请指定{what}（{param}）", errors=[{"field": param, "message": "不能为空"}])
        snap = self.snap
        if snap.n(label):
            for k in dict.fromkeys((t, norm(t))):  # as typed, then folded (a lower-case 统一社会信用代码)
                i = snap.index_of(label, k)
                if i >= 0 and (within is None or within[i]):
                    return int(i)
        names = self.names(label)
        allowed = range(len(names)) if within is None else np.flatnonzero(within).tolist()
        for step in self._steps(label, t, suffix, allowed, extra, fuzzy):
            hits = self._collapse(label, step)
            if len(hits) == 1:
                return int(hits[0])
            if len(hits) > 1:
                raise AmbiguousName(f"{what} {t!r} 对应多个{what}，请用代码或全称",
                                errors=[{"field": param, "message": f"{what} {t!r} 不唯一"}],
                                candidates=[self.label_of(label, j) for j in hits[:20]])
        pool = [names[j] for j in allowed]
        idx = {n: j for j, n in zip(allowed, pool)}
        close = difflib.get_close_matches(t, pool, n=5, cutoff=0.5)
        if not close and len(pool) <= 30:  # few to choose from (chains, a chain's segments): list them all
            close = pool
        raise UnknownName(f"{what} {t!r} 不存在" + (f"（{hint}）" if hint else ""),
                          errors=[{"field": param, "message": f"{what} {t!r} 不存在"}],
                          candidates=[self.label_of(label, idx[n]) for n in close])

    def _steps(self, label: str, t: str, suffix: re.Pattern[str] | None, allowed: Sequence[int],
               extra: Sequence[Sequence[int]], fuzzy: bool) -> Iterator[list[int]]:
        """The matches of each name step in turn (module docstring), each worked out only if the ones before it
        found nothing; the names are folded once per lookup."""
        names = self.names(label)
        yield [j for j in allowed if names[j] == t]
        q = norm(t, suffix)
        folded = [(j, norm(names[j], suffix)) for j in allowed]
        yield [j for j, n in folded if n == q]
        short = self._short_named(label, t)
        yield [j for j in allowed if j in short] if short else []
        for h in extra:  # aliases, keywords
            hits = set(h)
            yield [j for j in allowed if j in hits]
        if fuzzy and len(q) >= 2:
            yield [j for j, n in folded if n.startswith(q)]
            yield [j for j, n in folded if q in n]
            yield [j for j, n in folded if n[:1] == q[:1] and _subsequence(q, n)]

    def _collapse(self, label: str, hits: list[int]) -> list[int]:
        """The same name at two levels (北京市 province and its city row): the ancestor of all others wins."""
        if label != "Region" or len(hits) < 2:
            return hits
        for j in hits:
            below = self.descendants(j)
            if all(below[k] for k in hits):
                return [j]
        return hits

    def _short_named(self, label: str, text: str) -> set[int]:
        """The nodes whose 简称 (short_name) folded is `text` folded (none for a label without 简称)."""
        got = self.snap.labels[label].cat.get("short_name") if self.snap.n(label) else None
        if got is None:
            return set()
        codes, vocab = got
        q = norm(text)
        hits = [c for c, v in enumerate(vocab.tolist()) if norm(str(v)) == q]
        return set(np.flatnonzero(np.isin(codes, hits)).tolist()) if hits else set()

    def _tagged(self, label: str, field: str, text: str | None) -> list[list[int]]:
        """The nodes whose list field (a chain's aliases, a segment's keywords) holds `text` exactly, as one step."""
        if not self.snap.n(label) or field not in self.snap.labels[label].lists:
            return []
        m, vocab = self.snap.multi_hot(label, field)
        a = np.flatnonzero(np.asarray(vocab) == (text or "").strip())
        return [np.flatnonzero(np.asarray(m[:, [int(a[0])]].toarray()).ravel() > 0).tolist()] if a.size else []

    def label_of(self, label: str, j: int) -> str:
        return f"{self.names(label)[j]}（{self.snap.keys(label)[j]}）"

    def key(self, label: str, j: int) -> str:
        return str(self.snap.keys(label)[j])

    # ------------------------------------------------------------------------------------------ kinds
    def chain(self, text: str | None, *, param: str = "chain") -> int:
        return self._find("IndustryChain", text, param=param, suffix=CHAIN_SUFFIX,
                          extra=self._tagged("IndustryChain", "aliases", text),
                          hint="可用产业链 key、名称或别名，如 ic / 集成电路")

    def segment(self, text: str | None, *, chain: int | None = None, param: str = "segment") -> int:
        """A segment by key or name; with `chain`, only that chain's segments count (a key of another chain is
        refused with Invalid)."""
        snap = self.snap
        within = None
        if chain is not None and snap.n("Segment"):
            within = self.segment_chain == chain
            s = snap.index_of("Segment", (text or "").strip())
            if s >= 0 and not within[s]:
                raise Invalid(f"环节 {self.label_of('Segment', s)} 不属于产业链 {self.label_of('IndustryChain', chain)}",
                              errors=[{"field": param, "message": "不属于该产业链"}])
        return self._find("Segment", text, param=param, extra=self._tagged("Segment", "keywords", text), within=within)

    def park(self, text: str | None, *, param: str = "park") -> int:
        return self._find("Park", text, param=param, suffix=PARK_SUFFIX)

    def region(self, text: str | None, *, param: str = "region") -> int:
        """A region; a park given instead stands for the region it lies in."""
        p = self.place(text, param=param)
        if p.region < 0:
            raise Invalid(f"园区 {self.label_of('Park', p.index)} 未关联行政区",
                          errors=[{"field": param, "message": "园区未关联行政区"}])
        return p.region

    def place(self, text: str | None, *, param: str = "region") -> Place:
        """A region or a park. Regions win over parks at each step (a park named like its city is rare)."""
        t = (text or "").strip()
        if not t:
            if text:
                raise UnknownName(f"行政区或园区 {text!r} 不存在", errors=[{"field": param, "message": f"{text!r} 不存在"}])
            raise Invalid(f"请指定行政区或园区（{param}）", errors=[{"field": param, "message": "不能为空"}])
        snap = self.snap
        for label in ("Region", "Park"):
            if snap.n(label) and (i := snap.index_of(label, t)) >= 0:
                return self._place(label, int(i))
        errors: list[Exception] = []
        for label, suffix in (("Region", REGION_SUFFIX), ("Park", PARK_SUFFIX)):
            try:
                return self._place(label, self._find(label, t, param=param, suffix=suffix, fuzzy=label == "Region"))
            except AmbiguousName:
                raise
            except UnknownName as e:
                errors.append(e)
        cands = [c for e in errors for c in getattr(e, "candidates", [])]
        raise UnknownName(f"行政区或园区 {t!r} 不存在（可用 GB/T 2260 代码、名称如 衢州，或园区 key/名称）",
                       errors=[{"field": param, "message": f"{t!r} 不存在"}], candidates=cands[:8])

    def _place(self, label: str, i: int) -> Place:
        if label == "Region":
            return Place("region", i, i)
        r = int(self.park_region[i]) if i < len(self.park_region) else -1
        return Place("park", i, r)

    def enterprise(self, text: str | None, *, param: str = "id") -> int:
        return self._find("Enterprise", text, param=param)

    def fund(self, text: str | None, *, param: str = "id") -> int:
        return self._find("Fund", text, param=param)

    def project(self, text: str | None, *, param: str = "project") -> int:
        return self._find("Project", text, param=param)

    def parcel(self, text: str | None, *, param: str = "parcel") -> int:
        return self._find("LandParcel", text, param=param)

    # ------------------------------------------------------------------------------------------ regions
    def descendants(self, r: int) -> np.ndarray:
        """Boolean mask over regions: r and everything below it (LOCATED_IN Region→Region, any depth)."""
        R = self.snap.n("Region")
        inside = np.zeros(R, dtype=bool)
        inside[r] = True
        frontier = inside.copy()
        for _ in range(10):
            children = np.asarray(self._child_of @ frontier.astype(np.float64)).ravel() > 0
            frontier = children & ~inside
            if not frontier.any():
                break
            inside |= frontier
        return inside

    def region_keys_within(self, r: int) -> list[str]:
        """The keys of region r and of every region below it."""
        return self.snap.keys("Region")[self.descendants(r)].tolist()


def resolver(snap) -> Resolver:
    """The snapshot's resolver (built once per snapshot)."""
    return derived(snap, "kernel.resolver", lambda: Resolver(snap))
