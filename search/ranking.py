"""Why a candidate matches an officer's query, and where it ranks.

Tiers, best first (an officer expects the thing they named exactly on top):
  0 名称 exact — the name itself;                    1 简称 / 代码 exact — a 简称, alias, the 字号 core or a code;
  2 prefix — a name, 简称 or 字号 starting with it;   3 contains — a name or 简称 containing it (codes likewise);
  4 拼音 — the pinyin of the name or 字号;            5 拼音首字母 — their initials;
  6 错字容错 — a homophone (the query's pinyin is the name's) or a close spelling (rapidfuzz, ≥ FUZZY_MIN).
Within a tier: a match at the start of the 字号 first, then the boost (链主, firms in a park), then the closer
spelling, then the shorter name.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from search.text import SEP, has_han, pinyin_forms

FUZZY_MIN = 70.0  # rapidfuzz WRatio (0–100) a close spelling needs


@dataclass(frozen=True)
class Query:
    """A normalised query and the forms it is compared in."""

    text: str
    latin: bool  # typed as letters/digits: pinyin, initials or a code
    pinyin: str  # the query's own pinyin (a Chinese query, for homophone typos); "" otherwise

    @classmethod
    def of(cls, text: str) -> "Query":
        return cls(text, text.isascii(), pinyin_forms(text)[0] if has_han(text) else "")


@dataclass(frozen=True)
class Verdict:
    tier: int
    why: str  # 名称 / 简称 / 拼音 / 拼音首字母 / 错字容错 / 代码
    how: str  # 完全一致 / 前缀 / 包含 / 同音 / 相近
    order: tuple  # sort key within the tier


def judge(q: Query, row) -> Verdict | None:
    """The verdict for one doc row (search.index `doc` columns), or None when it does not match at all."""
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
    code_ok = len(t) >= 4 or any(ch.isdigit() for ch in t)  # "qz" means 衢州, not every key starting qz
    for tier, how, test in ((2, "前缀", str.startswith), (3, "包含", str.__contains__)):
        if test(name, t):
            return Verdict(tier, "名称", how, (0, boost, length))
        if test(core, t) or any(test(a, t) for a in alts):
            why = "名称" if plain and test(core, t) else "简称"
            return Verdict(tier, why, how, (0 if core.startswith(t) else 1, boost, length))
        if code_ok and any(test(c, t) for c in codes):
            return Verdict(tier, "代码", how, (1, boost, length))
    if q.latin:
        return _latin(t, row, boost, length)
    return _fuzzy(q, row, name, alts, core, boost, length)


def _latin(t: str, row, boost: float, length: int) -> Verdict | None:
    """Pinyin, then initials: a prefix of the name's (or 字号's) own form first, an alias's after, then contains."""
    for tier, why, field in ((4, "拼音", "py"), (5, "拼音首字母", "ini")):
        forms = row[field].split(SEP)
        for how, rank, test in (("前缀", 0, str.startswith), ("包含", 2, str.__contains__)):
            pos = next((i for i, f in enumerate(forms) if test(f, t)), None)
            if pos is not None:
                return Verdict(tier, why, how, (rank + (pos > 1), boost, length))
    return None


def _fuzzy(q: Query, row, name: str, alts: list[str], core: str, boost: float, length: int) -> Verdict | None:
    if q.pinyin and any(f.startswith(q.pinyin) for f in row["py"].split(SEP)):
        return Verdict(6, "错字容错", "同音", (0, boost, length))
    score = max(fuzz.WRatio(q.text, x) for x in (name, core, *alts) if x)
    if score >= FUZZY_MIN:
        return Verdict(6, "错字容错", "相近", (1, -score, boost, length))
    return None
