"""ChainMatch's 信息检索: one query over every firm, product, park, parcel, fund, project, chain, segment, region and
policy, answered as one ranked list.

Candidates come from the index (search.index) in stages — exact terms and prefixes; substrings (trigrams; two
characters through the bigram table) when those leave room in the page; and, when nothing is named exactly, homophones (the query's pinyin) and trigram
overlap for typos — then every candidate is judged against the query (search.ranking) and the list is sorted by
tier. The read side: the index and the snapshot only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from graph.schema import LABEL_CN, Label
from graph.snapshot import Snapshot
from kernel.errors import Invalid
from search.documents import BOOST_LEADER, LABELS
from search.index import SearchIndex, quote
from search.models import SearchHit, SearchResult
from search.links import context_of, url_of
from search.ranking import Query, judge
from search.text import core, normalize

MAX_QUERY = 100
MAX_LIMIT = 100
LABEL_WORDS = {**{lab: lab for lab in LABELS}, **{LABEL_CN[Label(lab)]: lab for lab in LABELS},
               **{lab.lower(): lab for lab in LABELS}, "firm": "Enterprise", "chain": "IndustryChain",
               "parcel": "LandParcel", "企业画像": "Enterprise", "链": "IndustryChain"}


@dataclass(frozen=True)
class Limits:
    """How many candidates each stage may bring (the index returns boosted and short names first)."""

    candidates: int = 400
    fuzzy: int = 200


def parse_label(label: str | None) -> str | None:
    """A kind as typed (Enterprise, enterprise, 企业 …) → the label, None for all; unknown → Invalid naming `label`."""
    if label is None or not label.strip():
        return None
    lab = LABEL_WORDS.get(label.strip()) or LABEL_WORDS.get(label.strip().lower())
    if lab is None:
        options = "、".join(f"{x}（{LABEL_CN[Label(x)]}）" for x in LABELS)
        raise Invalid(f"未知类别（label）{label!r}；可选：{options}", errors=[{"field": "label", "message": f"未知类别 {label!r}"}])
    return lab


def check_query(q: str | None) -> str:
    """The normalised query; empty or too long → Invalid naming `q`."""
    text = normalize(q)
    if not text:
        raise Invalid("请输入检索词（q）：企业、园区、地块、项目、产业链等的名称、简称、拼音或代码",
                      errors=[{"field": "q", "message": "不能为空"}])
    if len(q or "") > MAX_QUERY:
        raise Invalid(f"检索词（q）过长：最多 {MAX_QUERY} 个字符", errors=[{"field": "q", "message": "过长"}])
    return text


def named_candidates(index: SearchIndex, query: Query, labels: Sequence[str], limits: Limits) -> list[int]:
    """Doc ids with a name, 简称, code, pinyin or initials equal to the text or starting with it (the text as typed,
    then its cores: 巨化集团 → 巨化)."""
    cap = limits.candidates
    return [i for f in query.forms if f.labels(labels) for prefix in (False, True)
            for i in index.term_ids(f.text, prefix=prefix, labels=f.labels(labels), limit=cap)]


def substring_candidates(index: SearchIndex, query: Query, labels: Sequence[str], limits: Limits) -> list[int]:
    """Doc ids holding the text inside a name, 简称, code or pinyin (trigrams; two characters through `bi`) — the
    text as typed and its cores alike (中芯公司 is looked up as 中芯 would be)."""
    ids: list[int] = []
    # 有限公司 & co. are in most names: a phrase holding them would read every doc (a two-character text is kept:
    # 电厂 is not 电)
    done: set[tuple[str, tuple[str, ...]]] = set()
    for f in query.forms:
        labs = f.labels(labels)
        for body in (core(f.text, "Enterprise"), f.text if len(f.text) == 2 else ""):
            if not labs or (body, tuple(labs)) in done:
                continue
            done.add((body, tuple(labs)))
            if len(body) >= 3:
                ids += index.match_ids("tri", quote(body), labels=labs, limit=limits.candidates)
            elif len(body) == 2 and not body.isascii():
                ids += index.match_ids("bi", quote(body), labels=labs, limit=limits.candidates)
    return ids


def near_candidates(index: SearchIndex, query: Query, labels: Sequence[str], limits: Limits) -> list[int]:
    """Doc ids for a mistyped Chinese query: the same pinyin (a homophone picked in a pinyin input method), then
    the docs sharing the most trigrams with it (bm25 over an OR of the query's trigrams) — for the text as typed and
    its cores."""
    if query.latin or not limits.fuzzy:
        return []
    ids: list[int] = []
    for f in query.forms:
        if f.pinyin and f.labels(labels):
            ids += index.term_ids(f.pinyin, prefix=True, labels=f.labels(labels), limit=limits.fuzzy)
    body = core(query.text, "Enterprise")
    if len(body) >= 3:
        grams = " OR ".join(dict.fromkeys(quote(body[i:i + 3]) for i in range(len(body) - 2)))
        ids += index.match_ids("tri", f"names : ({grams})", labels=labels, limit=limits.fuzzy, ranked=True)
    return ids


def _judged(index: SearchIndex, query: Query, ids: list[int], seen: set[int]) -> list[tuple]:
    out = []
    for row in index.docs([i for i in dict.fromkeys(ids) if i not in seen]):
        seen.add(row["id"])
        v = judge(query, row)
        if v is not None:
            out.append((v.tier, v.order, row["name"], row["key"], v, row))
    return out


def search(index: SearchIndex, snap: Snapshot, *, q: str | None, label: str | None = None, limit: int = 20,
           limits: Limits = Limits(), home_region: str | None = None) -> SearchResult:
    """The ranked hits for `q` (only of kind `label` when given), at most `limit` of them; chains and segments link
    to their map for `home_region` (the officer's own region, settings alerts.home_region)."""
    text = check_query(q)
    lab = parse_label(label)
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1–{MAX_LIMIT} 之间", errors=[{"field": "limit", "message": "超出范围"}])
    query = Query.of(text)
    labels = [lab] if lab else list(LABELS)
    seen: set[int] = set()
    judged = _judged(index, query, named_candidates(index, query, labels, limits), seen)
    if len(judged) < limit:  # a full page of names starting with the text outranks every substring match
        judged += _judged(index, query, substring_candidates(index, query, labels, limits), seen)
    if len(judged) < limit and not any(j[0] <= 1 for j in judged):  # nothing named exactly, room left: typos
        judged += _judged(index, query, near_candidates(index, query, labels, limits), seen)
    judged.sort(key=lambda x: x[:4])
    by_label: dict[str, int] = {}
    for *_, row in judged:
        by_label[row["label"]] = by_label.get(row["label"], 0) + 1
    hits = [SearchHit(label=row["label"], label_name=LABEL_CN[Label(row["label"])], key=row["key"], name=row["name"],
                      why=v.why, how=v.how, context=context_of(snap, row["label"], row["key"]),
                      leader=row["boost"] >= BOOST_LEADER, url=url_of(snap, row["label"], row["key"], home_region))
            for *_, v, row in judged[:limit]]
    state = index.state()
    return SearchResult(query=q or "", label=lab, total=len(judged), by_label=by_label, hits=hits,
                        index_version=state[1] if state else -1)
