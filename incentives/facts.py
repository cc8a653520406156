"""政策兑现 facts: what the calculator knows of one enterprise or project — facts as people type them
(“3,000万美元”, “70%”, “是”) parsed and checked, derived facts (R&D increase, share of revenue, loan × rate), how a
fact is shown in an explanation, and the facts the graph holds of a subject (region, park, tags, size, revenue;
for projects their foreign-investment figures). Unknown facts are left out, never guessed as 否.

Reads the analytic snapshot only.
"""
from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

import numpy as np

from graph.snapshot import Snapshot
from incentives.rules import FactSpec, RuleBook, dec, grouped, pct
from kernel.derived import derived
from kernel.errors import Invalid, NotFound
from kernel.sparse import first_index


class FactsError(Invalid, ValueError):
    """Facts given to the calculator are invalid; `problems` lists (field, Chinese message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"字段 {f}: {m}" for f, m in problems),
                         errors=[{"field": f, "message": m} for f, m in problems])

    @property
    def detail(self) -> str:
        return f"字段 {self.problems[0][0]}: {self.problems[0][1]}" if self.problems else self.message

# ============================================================================================== facts in
_TRUE = {"true", "1", "yes", "y", "是", "有", "√"}
_FALSE = {"false", "0", "no", "n", "否", "无", "×"}


def _number_text(t: str, spec: FactSpec) -> Decimal:
    """“1,200” · “3000万美元” · “1亿美元” (in a 万美元 fact) · “300万” / “300万元” (in a 万元 fact) → Decimal."""
    s = unicodedata.normalize("NFKC", t).strip().replace(",", "").replace(" ", "")
    unit = spec.unit or ""
    factor = Decimal(1)
    if unit and s.endswith(unit):
        s = s[: -len(unit)]
    elif unit.startswith("万") and s.endswith("亿" + unit[1:]):
        s, factor = s[: -len(unit)], Decimal(10000)
    elif unit.startswith("万") and s.endswith("万"):
        s = s[:-1]
    try:
        return dec(s) * factor
    except InvalidOperation:
        raise ValueError(f"应为数字（单位 {unit or '无'}），实际 {t!r}") from None


def parse_facts(book: RuleBook, raw: dict[str, Any]) -> dict[str, Any]:
    """Facts as the calculator uses them: numbers as Decimal, ratios in 0..1, booleans, checked choices.

    Unknown or derived names, wrong types and out-of-range values are all reported at once (FactsError)."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, v in raw.items():
        spec = book.facts.get(name)
        if spec is None:
            problems.append((name, "未知事实字段（可用字段见 GET /api/v1/incentives/facts）"))
            continue
        if spec.derived:
            problems.append((name, f"由 {'、'.join(spec.derived[1])} 计算得出，无需填写"))
            continue
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        try:
            out[name] = _fact_value(spec, v)
        except (ValueError, InvalidOperation) as e:
            msg = str(e) if isinstance(e, ValueError) and str(e) else f"应为数字，实际 {v!r}"
            problems.append((name, msg))
    if problems:
        raise FactsError(problems)
    return out


def _fact_value(spec: FactSpec, v: Any) -> Any:
    t = spec.type
    if t == "bool":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise ValueError(f"应为 是/否（true/false），实际 {v!r}")
    if t in ("number", "integer", "ratio"):
        if isinstance(v, bool):
            raise ValueError(f"应为数字，实际 {v!r}")
        d = _ratio(v) if t == "ratio" else (dec(v) if not isinstance(v, str) else _number_text(v, spec))
        if not d.is_finite():
            raise ValueError(f"应为数字，实际 {v!r}")
        if d < 0:
            raise ValueError(f"不能为负数，实际 {v!r}")
        if t == "integer" and d != d.to_integral_value():
            raise ValueError(f"应为整数，实际 {v!r}")
        return d
    if t == "number_list":
        vals = v if isinstance(v, (list, tuple)) else [p for p in str(v).replace("；", ";").split(";") if p.strip()]
        out = []
        for x in vals:
            d = _number_text(x, spec) if isinstance(x, str) else dec(x)
            if d < 0:
                raise ValueError(f"不能为负数，实际 {x!r}")
            out.append(d)
        return out
    if t == "choice":
        s = str(v).strip()
        if s not in spec.choices:
            raise ValueError(f"取值 {s!r} 不在可选范围（{'/'.join(spec.choices)}）")
        return s
    if t == "choice_list":
        vals = v if isinstance(v, (list, tuple)) else [p for p in str(v).replace("；", ";").replace("、", ";").split(";")]
        out = [str(x).strip() for x in vals if str(x).strip()]
        bad = [x for x in out if x not in spec.choices]
        if bad:
            raise ValueError(f"取值 {'、'.join(bad)} 不在可选范围（{'/'.join(spec.choices)}）")
        return out
    return str(v).strip()


def _ratio(v: Any) -> Decimal:
    """A share in 0..1 from 0.75, “75%” or “750‰” (a percentage above 100% is refused like 1.5)."""
    if isinstance(v, str):
        s = unicodedata.normalize("NFKC", v).strip().replace(" ", "")
        if s.endswith("%"):
            d = dec(s[:-1]) / 100
        elif s.endswith("‰"):
            d = dec(s[:-1]) / 1000
        else:
            d = dec(s)
    else:
        d = dec(v)
    if d > 1:
        raise ValueError(f"比例应在 0–1 之间（或写成百分数，如 75%），实际 {v!r}")
    return d


def derive(book: RuleBook, facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts)
    for name, spec in book.facts.items():
        if not spec.derived:
            continue
        op, (a, b) = spec.derived
        if a not in facts or b not in facts:
            continue
        x, y = facts[a], facts[b]
        if op == "increase":
            out[name] = max(Decimal(0), x - y)
        elif op == "ratio":
            if y > 0:
                out[name] = x / y
        elif op == "product":
            out[name] = x * y
    return out


def show(book: RuleBook, name: str, v: Any, names: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A fact's value as an explanation shows it (是/否, 75%, 3,000 万美元); with `names` (value_names), a value
    that stands for a graph node (park key, 行政区 code) by its name."""
    spec = book.facts.get(name)
    if names and isinstance(v, str) and v in names.get(name, {}):
        return names[name][v]
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        if spec and spec.type == "ratio":
            return pct(v) if v != 0 else "0"
        return grouped(v) + (f" {spec.unit}" if spec and spec.unit else "")
    if isinstance(v, list):
        return "、".join(show(book, name, x) for x in v) or "（空）"
    return str(v)

TAG_FACTS = {"上市": ("is_listed", True), "外资": ("foreign_invested", True),
             "高新技术": ("rd_subject_type", "国家高新技术企业")}


def _cat_value(snap: Snapshot, label: str, field: str, i: int) -> str | None:
    la = snap.labels[label]
    if field not in la.cat:
        return None
    codes, vocab = la.cat[field]
    c = int(codes[i])
    return None if c < 0 else str(vocab[c])


def _num_value(snap: Snapshot, label: str, field: str, i: int) -> Decimal | None:
    la = snap.labels[label]
    if field not in la.num:
        return None
    v = float(la.num[field][i])
    return None if v != v else dec(v)


def enterprise_facts(snap: Snapshot, i: int, parks: np.ndarray | None = None) -> dict[str, Any]:
    """What the graph knows of enterprise i in the calculator's terms (unknowns left out, never guessed as 否).
    `parks`: enterprise_parks(snap), when the caller asks for many firms."""
    f: dict[str, Any] = {}
    region = _cat_value(snap, "Enterprise", "region", i)
    if region:
        f["region"] = region
    park = (parks if parks is not None else enterprise_parks(snap, rows=[i]))[i if parks is not None else 0]
    if park >= 0:
        f["registered_park"] = str(snap.keys("Park")[park])
    la = snap.labels["Enterprise"]
    if "tags" in la.lists:
        m, vocab = la.lists["tags"]
        for c in m.indices[m.indptr[i]:m.indptr[i + 1]]:
            hit = TAG_FACTS.get(str(vocab[c]))
            if hit:
                f[hit[0]] = hit[1]
    size = _cat_value(snap, "Enterprise", "size", i)
    if size:
        f["is_large_enterprise"] = size == "大型"
    rev = _num_value(snap, "Enterprise", "revenue_wan", i)
    if rev is not None:
        f["revenue_wan"] = rev
    return f


PROJECT_FACT_FIELDS = ("industry_class", "fdi_form", "fdi_total_usd_wan", "fdi_first_year_usd_wan", "fdi_year_usd_wan")


def project_facts(snap: Snapshot, i: int) -> dict[str, Any]:
    """The calculator's facts of project i: where it registers (park, region) and its foreign-investment figures."""
    f: dict[str, Any] = {}
    for fld, fact in (("region", "region"), ("park", "registered_park"), ("industry_class", "industry_class"),
                      ("fdi_form", "fdi_form")):
        v = _cat_value(snap, "Project", fld, i)
        if v:
            f[fact] = v
    for fld in ("fdi_total_usd_wan", "fdi_first_year_usd_wan", "fdi_year_usd_wan"):
        v = _num_value(snap, "Project", fld, i)
        if v is not None:
            f[fld] = v
    if any(f.get(k, 0) > 0 for k in ("fdi_total_usd_wan", "fdi_year_usd_wan", "fdi_first_year_usd_wan")):
        f["foreign_invested"] = True
    return f

def enterprise_parks(snap: Snapshot, rows: Sequence[int] | None = None) -> np.ndarray:
    """Park index (in snap.keys("Park")) each enterprise is registered in (LOCATED_IN Enterprise → Park; the first
    if several; -1 if none) — for all enterprises, or for `rows` only."""
    if not snap.n("Enterprise") or not snap.n("Park"):
        return np.full(snap.n("Enterprise") if rows is None else len(rows), -1, dtype=np.int64)
    m = snap.relation("LOCATED_IN", "Enterprise", "Park").tocsr()
    return first_index(m if rows is None else m[np.asarray(rows, dtype=np.int64)])


class UnknownSubject(NotFound):
    pass


def subject_facts(snap: Snapshot, *, enterprise: str | None = None, project: str | None = None) -> dict[str, Any]:
    """The calculator's starting facts for an enterprise and/or a project of the graph. With both, the project's
    facts win where they overlap (region, registered park: the reward follows where the project registers)."""
    out: dict[str, Any] = {}
    for label, key, facts_of, what in (("Enterprise", enterprise, enterprise_facts, "企业"),
                                        ("Project", project, project_facts, "项目")):
        if key is None:
            continue
        i = snap.index_of(label, key) if snap.n(label) else -1
        if i < 0:
            field = label.lower()
            raise UnknownSubject(f"{what} {key!r} 不存在", errors=[{"field": field, "message": f"{what}不存在"}])
        out.update(facts_of(snap, i))
    return out


# facts whose values are graph nodes: which label, so a page can take a name and show one
REF_FACTS = {"region": "Region", "registered_park": "Park"}


def value_names(snap: Snapshot) -> dict[str, dict[str, str]]:
    """For each fact whose value is a graph node (REF_FACTS), key → name: what `show` and the calculator's reasons
    print instead of a park key or a 行政区 code. Built once per snapshot."""
    def build() -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for fact, label in REF_FACTS.items():
            if snap.n(label):
                out[fact] = dict(zip(map(str, snap.keys(label)), map(str, snap.labels[label].names)))
        return out
    return derived(snap, "incentives.value_names", build)
