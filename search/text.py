"""How ChainMatch's 信息检索 reads names: normalised text, the 字号 core of a name, pinyin and pinyin initials.

An officer types what they remember of a firm, park or chain: the full name, the 简称 (中芯 for 中芯国际…), the
字号 without the city in front (巨化 for 浙江巨化股份有限公司), the pinyin (zhongxin) or its initials (zxgj), or a
homophone typo from a pinyin input method (中芯国计). Everything here turns a name (or a query) into the forms those
match against; pinyin comes from pypinyin (`lazy_pinyin`, which picks each heteronym's reading from its phrase
dictionary: 重庆 → chongqing, 长安 → chang'an).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

from pypinyin import Style, lazy_pinyin
from pypinyin.style import convert as convert_style

from kernel.resolve import CHAIN_SUFFIX, PARK_SUFFIX, REGION_SUFFIX, fold

SEP = "\x1f"  # between the several names of one field (a row's 简称 and aliases); never typed by a user

_SPACE = re.compile(r"\s+")
_BRACKETS = re.compile(r"\([^()]*\)")  # after NFKC every full-width （） is ASCII
_ORG_SUFFIX = re.compile(r"(集团股份有限公司|股份有限公司|有限责任公司|集团有限公司|有限公司|集团|公司|总厂|厂)$")
_PROJECT_SUFFIX = re.compile(r"(建设项目|项目)$")
_FUND_SUFFIX = re.compile(r"(合伙企业|基金)$")
# The synthetic seed marks every invented name with 示例 after the city (seed_data/synthetic): part of no 字号.
NAME_MARKERS = ("示例",)
SUFFIXES = {"Enterprise": _ORG_SUFFIX, "Fund": _FUND_SUFFIX, "Park": PARK_SUFFIX, "IndustryChain": CHAIN_SUFFIX,
            "Region": REGION_SUFFIX, "Project": _PROJECT_SUFFIX}


# Latin letters with accents or tone marks, or the marks themselves (hé fēng, lǜ): pinyin typed with its tones
_MARKED_LATIN = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")


def normalize(text: str | None) -> str:
    """Text as names are compared: NFKC (full-width letters, digits and brackets become ASCII), without invisible
    format characters, Latin letters without their accents or tone marks (pinyin with tones: hé fēng → hefeng; ü →
    v as pypinyin writes it: lǜ → lv), lower case, no blanks."""
    t = fold(text)
    if _MARKED_LATIN.search(t):
        t = _unmark_latin(t)
    return _SPACE.sub("", t).casefold()


def _unmark_latin(text: str) -> str:
    """The text with each combining mark after a Latin letter dropped (a diaeresis on u makes it v)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii() and out[-1].isalpha():
            if ch == "\u0308" and out[-1] in "uU":
                out[-1] = "v" if out[-1] == "u" else "V"
            continue
        out.append(ch)
    return unicodedata.normalize("NFKC", "".join(out))


def has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def is_latin(text: str) -> bool:
    """A query typed as pinyin or initials: ASCII letters (digits and blanks allowed, at least one letter)."""
    return text.isascii() and any(ch.isalpha() for ch in text)


# What an officer adds to a name they remember without it being part of the name: 中芯公司, 巨化集团, 集成电路产业链
_QUERY_SUFFIX = re.compile(r"(集团股份有限公司|股份有限公司|有限责任公司|集团有限公司|有限公司|集团|公司|产业链|产业|行业|链)$")
# … of those, the words that name an industry chain: also the end of many a firm's own words (供应链, 区块链, 房地产业),
# so a query is cut there only to name a chain (集成电路产业链 → the 集成电路 chain), never a firm (供应链 ≠ 供应)
CHAIN_WORDS = frozenset({"产业链", "产业", "行业", "链"})


def query_forms(text: str) -> list[tuple[str, bool]]:
    """A normalised query without the word for its kind at the end, once or twice (巨化集团有限公司 → 巨化; 新材料产业集团
    → 新材料产业 → 新材料), each with whether a chain word (CHAIN_WORDS) was cut to reach it — such a form names a
    chain only. Empty when nothing of two characters or more is left."""
    out: list[tuple[str, bool]] = []
    t, chain = text, False
    for _ in range(2):
        m = _QUERY_SUFFIX.search(t)
        if m is None or m.start() < 2:
            break
        t, chain = t[:m.start()], chain or m.group(1) in CHAIN_WORDS
        out.append((t, chain))
    return out


def query_cores(text: str) -> list[str]:
    """A normalised query without the word for its kind at the end (公司, 集团, 有限公司, 产业链, 链 …): what is searched
    besides the query as typed — 巨化集团 → 巨化, tcl集团 → tcl, 集成电路产业链 → 集成电路 (that one for chains only:
    query_forms). Empty when nothing of two characters or more is left."""
    return [t for t, _ in query_forms(text)]


def core(name: str, label: str, prefixes: frozenset[str] = frozenset()) -> str:
    """The 字号 core of a normalised name: without bracketed notes ((上海), (合成)), the label's usual suffix
    (有限公司, 经济开发区, 产业链 …), the place in front (any name in `prefixes`: 浙江, 衢州 …, longest first, up to
    twice: 浙江衢州…) and the seed's 示例 marker. Empty parts fall back to what was there before."""
    t = _BRACKETS.sub("", name) or name
    suffix = SUFFIXES.get(label)
    if suffix is not None:
        t = suffix.sub("", t) or t
    for _ in range(2):
        cut = max((p for p in prefixes if t.startswith(p) and len(p) < len(t)), key=len, default="")
        if not cut:
            break
        t = t[len(cut):]
    for m in NAME_MARKERS:
        if t.startswith(m) and len(t) > len(m):
            t = t[len(m):]
    return t


@lru_cache(maxsize=200_000)
def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a normalised text, both lower-case without separators: 中芯国际 → ("zhongxinguoji",
    "zxgj"). Letters and digits in the text stay as they are in both (TCL科技 → "tclkeji", "tclkj"; long隆基 →
    "longlongji", "longlj").

    pypinyin reads the text once (its phrase dictionary choosing each heteronym's reading), its `errors` handler
    keeping each non-Chinese run whole and marked as such; pypinyin's own style converter then gives each syllable in
    Style.NORMAL and Style.FIRST_LETTER — the same as two `lazy_pinyin` calls in those styles, at the cost of one
    (the index computes this for millions of names)."""
    if not has_han(text):
        return text, text
    items = lazy_pinyin(text, style=Style.TONE, errors=_Run.of)
    full = "".join(s if isinstance(s, _Run) else convert_style(s, Style.NORMAL, True) for s in items)
    initials = "".join(s if isinstance(s, _Run) else convert_style(s, Style.FIRST_LETTER, True) for s in items)
    return full.casefold(), initials.casefold()


class _Run(str):
    """A run of the text without Chinese characters, as pypinyin's `errors` handler hands it back: kept as written."""

    @classmethod
    def of(cls, run: str) -> list[str]:
        return [cls(run)]


def bigrams(texts: Iterable[str]) -> str:
    """The two-character pieces of some names, space-separated, for the two-character lookup (the trigram index
    cannot match a query shorter than three characters)."""
    out: set[str] = set()
    for t in texts:
        out.update(t[i:i + 2] for i in range(len(t) - 1))
    return " ".join(sorted(g for g in out if g.strip() and _ALNUM.fullmatch(g)))


_ALNUM = re.compile(r"\w\w")


def place_prefixes(region_names: Iterable[str]) -> frozenset[str]:
    """The place names a 字号 may be preceded by: each 行政区 name and its short form (浙江省 and 浙江)."""
    out: set[str] = set()
    for n in region_names:
        t = normalize(n)
        if t:
            out.add(t)
            short = REGION_SUFFIX.sub("", t)
            if len(short) >= 2:
                out.add(short)
    return frozenset(out)
