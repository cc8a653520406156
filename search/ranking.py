"""Why a candidate matches an officer's query, and where it ranks.

Tiers, best first (an officer expects the thing they named exactly on top):
  0 名称 exact — the name itself;                    1 简称 / 代码 exact — a 简称, alias, the 字号 core or a code;
  2 prefix — a name, 简称 or 字号 starting with it;   3 contains — a name or 简称 containing it (codes likewise, when
    the query holds a digit: a USCC or stock code typed in part);
  4 拼音 — the pinyin of the name, 字号 or a 简称;     5 拼音首字母 — their initials;
  6 代码 — a machine key of letters starting with or containing it (quzhou_zhihui): below every name match, as an
    officer types pinyin, not keys;
  7 错字容错 — a homophone (the query's pinyin is the name's) or a close spelling (rapidfuzz, ≥ FUZZY_MIN).
Within the pinyin, initials and typo tiers the node whose name (or 字号) the query spells exactly comes first, then
one a 简称 / alias / keyword of which it spells exactly, then prefixes of the name, then of a 简称 (contains last).
Within a tier then: a match at the start of the 字号 first, the boost (链主, firms in a park), the closer spelling,
the shorter name.

A query ending in the word for its kind (巨化集团, 中芯公司, 集成电路产业链) is judged also without it
(search.text.query_forms), and the better verdict counts; within a tier the query as typed comes before its shortened
forms (供应链 puts 供应链管理有限公司 above 供应商有限公司). A form reached by cutting a chain word (链, 产业链, 产业, 行业) names a
chain and is judged against chains only: 集成电路链 names the 集成电路 chain, while 区块链 never becomes 区块 for firms.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from rapidfuzz import fuzz

from search.text import SEP, has_han, pinyin_forms, query_forms

FUZZY_MIN = 70.0  # rapidfuzz WRatio (0–100) a close spelling needs
NAME_FORMS = 2  # the doc's py / ini fields: the name without its suffix and the 字号 core first, then each 简称
HOW = ("完全一致", "前缀", "包含")
CHAIN = "IndustryChain"  # the only label a form cut at a chain word is judged against


@dataclass(frozen=True)
class Query:
    """A normalised query and the forms it is compared in."""

    text: str
    latin: bool  # typed as letters/digits: pinyin, initials or a code
    pinyin: str  # the query's own pinyin (a Chinese query, for homophone typos); "" otherwise
    cores: tuple["Query", ...] = ()  # the query without 公司 / 集团 / 产业链 …, judged as well
    chains_only: bool = False  # a core reached by cutting 链 / 产业链 / 产业 / 行业: it names a chain, nothing else

    @classmethod
    def of(cls, text: str) -> "Query":
        return cls(text, text.isascii(), _pinyin(text),
                   tuple(cls(c, c.isascii(), _pinyin(c), (), chain) for c, chain in query_forms(text)))

    @property
    def forms(self) -> tuple["Query", ...]:
        """The query as typed, then its cores."""
        return (self, *self.cores)

    def labels(self, labels: Sequence[str]) -> list[str]:
        """The labels this form is looked up in, of those asked for."""
        return [lab for lab in labels if not self.chains_only or lab == CHAIN]


def _pinyin(text: str) -> str:
    return pinyin_forms(text)[0] if has_han(text) else ""


@dataclass(frozen=True)
class Verdict:
    tier: int
    why: str  # 名称 / 简称 / 拼音 / 拼音首字母 / 错字容错 / 代码
    how: str  # 完全一致 / 前缀 / 包含 / 同音 / 相近
    order: tuple  # sort key within the tier


def judge(q: Query, row) -> Verdict | None:
    """The verdict for one doc row (search.index `doc` columns), or None when it does not match at all: the best of
    the query as typed and of its cores (a chain-word core for chains only); its order starts with the form's
    position, so that within a tier what matches the query as typed comes first."""
    best = None
    for rank, form in enumerate(q.forms):
        if form.chains_only and row["label"] != CHAIN:
            continue
        v = _judge(form, row)
        if v is not None:
            v = replace(v, order=(rank, *v.order))
            if best is None or (v.tier, v.order) < (best.tier, best.order):
                best = v
    return best


def _judge(q: Query, row) -> Verdict | None:
    t = q.text
    names = row["names"].split(SEP)
    name, alts, core = names[0], names[1:], row["core"]
    codes = row["codes"].split(SEP)
    boost = -float(row["boost"])
    length = len(row["name"])
    if name == t:
        return Verdict(0, "名称", "完全一致", (boost, length))
    if t in alts or t == core:
        return Verdict(1, "简称", "完全一致", (boost, length))
    if t in codes:
        return Verdict(1, "代码", "完全一致", (boost, length))
    plain = len(core) == len(name) or name.startswith(core)  # no 字号 apart from the name itself
    numeric = any(ch.isdigit() for ch in t)  # a USCC or stock code typed in part
    for tier, how, test in ((2, "前缀", str.startswith), (3, "包含", str.__contains__)):
        if test(name, t):
            return Verdict(tier, "名称", how, (0, boost, length))
        if test(core, t) or any(test(a, t) for a in alts):
            why = "名称" if plain and test(core, t) else "简称"
            return Verdict(tier, why, how, (0 if core.startswith(t) else 1, boost, length))
        if numeric and any(test(c, t) for c in codes):
            return Verdict(tier, "代码", how, (1, boost, length))
    if q.latin:
        return _latin(t, row, codes, boost, length)
    return _fuzzy(q, row, name, alts, core, boost, length)


def spelled(forms: list[str], t: str, *, contains: bool = True) -> tuple[int, int] | None:
    """How well `t` spells one of a doc's pinyin (or initials) forms: (0 whole / 1 prefix / 2 contains, 0 the name
    or 字号 / 1 a 简称), the best over the forms; None when it spells none."""
    best = None
    for i, f in enumerate(forms):
        how = 0 if f == t else 1 if f.startswith(t) else 2 if contains and t in f else None
        if how is not None and f:
            rank = (how, int(i >= NAME_FORMS))
            best = rank if best is None or rank < best else best
    return best


def _latin(t: str, row, codes: list[str], boost: float, length: int) -> Verdict | None:
    """Pinyin, then initials (a whole name spelled first), then a machine key of letters."""
    for tier, why, field in ((4, "拼音", "py"), (5, "拼音首字母", "ini")):
        rank = spelled(row[field].split(SEP), t)
        if rank is not None:
            return Verdict(tier, why, HOW[rank[0]], (*rank, boost, length))
    if len(t) >= 4:  # "qz" means 衢州, not every key starting qz
        for rank, test in ((1, str.startswith), (2, str.__contains__)):
            if any(test(c, t) for c in codes):
                return Verdict(6, "代码", HOW[rank], (rank, boost, length))
    return None


def _fuzzy(q: Query, row, name: str, alts: list[str], core: str, boost: float, length: int) -> Verdict | None:
    """A homophone (the query's pinyin spells the name's, 字号's or a 简称's, whole or its start), else the closest
    spelling; the name before a 简称 or keyword spelled as well."""
    rank = spelled(row["py"].split(SEP), q.pinyin, contains=False) if q.pinyin else None
    if rank is not None:
        return Verdict(7, "错字容错", "同音", (0, *rank, boost, length))
    own = max(fuzz.WRatio(q.text, x) for x in (name, core) if x) if name or core else 0.0
    other = max((fuzz.WRatio(q.text, x) for x in alts if x), default=0.0)
    score, alias = (own, 0) if own >= other else (other, 1)
    if score >= FUZZY_MIN:
        return Verdict(7, "错字容错", "相近", (1, -score, alias, boost, length))
    return None
