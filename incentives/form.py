"""政策计算器 form for an investment officer in the browser: the fields come from the rule book's fact definitions
(Chinese label with its unit, help text, 是/否 and choice lists), grouped by the policy document that asks for them;
what the officer typed is read back with names instead of codes (注册园区 “智造新城”, 行政区 “柯城区”, a firm or a
project by its name, 简称 or key), checked field by field, and the calculator is run on the graph's facts of the
chosen firm/project overridden by what was typed.

Nothing here raises for bad input: every problem comes back as (field's Chinese name, what is wrong), so the page
can show it next to the form. Reads the snapshot only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from graph.snapshot import Snapshot
from incentives.calculator import Calculation, calculate
from incentives.facts import REF_FACTS, FactsError, parse_facts, subject_facts, value_names
from incentives.rules import Document, FactSpec, RuleBook, condition_facts
from kernel.clock import beijing_today
from kernel.errors import LookupFailed
from kernel.resolve import resolver

CONTROLS = ("enterprise", "project", "on", "show")  # the form's own fields; every other name is a fact
CONTROL_LABELS = {"enterprise": "企业", "project": "招商项目", "on": "计算日期"}
REF_HELP = {"region": "行政区名称或代码，如 柯城区、江山市、330802",
            "registered_park": "园区名称或简称，如 智造新城、衢州智慧新城"}
TYPE_HELP = {"ratio": "如 75% 或 0.75", "number_list": "每笔一个数，多笔用；分隔",
             "integer": "整数"}


@dataclass(frozen=True)
class FormField:
    """One fact as the form asks for it."""

    name: str
    label: str  # Chinese, with the unit: 外资总投资（万美元）
    kind: str  # yesno | choice | text
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class FormSection:
    title: str
    fields: tuple[FormField, ...]


def field_label(spec: FactSpec) -> str:
    return f"{spec.label}（{spec.unit}）" if spec.unit else spec.label


def form_field(spec: FactSpec) -> FormField:
    """A fact definition of the rule book as a form field."""
    helps = [REF_HELP.get(spec.name) or spec.help or ""]
    if spec.type == "choice_list":
        helps.append(f"多项用、分隔；可选：{'、'.join(spec.choices)}")
    elif spec.type == "number" and spec.unit:
        helps.append(f"可写 3,000 或 3000{spec.unit}" + ("，或 1.2亿" + spec.unit[1:] if spec.unit.startswith("万") else ""))
    else:
        helps.append(TYPE_HELP.get(spec.type, ""))
    kind = {"bool": "yesno", "choice": "choice"}.get(spec.type, "text")
    return FormField(spec.name, field_label(spec), kind, spec.choices if kind == "choice" else (),
                     "；".join(h for h in helps if h))


def form_sections(book: RuleBook) -> list[FormSection]:
    """Every fact the rule book asks for (derived ones are computed, not asked), in the order of its fact list: first
    what places and qualifies the firm as a whole (a document's scope, requirements and exclusions: 注册园区, 外商投资
    企业, 行业类别 …) and facts several documents read, then one section per document with the facts only its items
    read."""
    docs_of: dict[str, list[str]] = {}
    for it in book.items.values():
        for n in book.item_facts(it):
            docs_of.setdefault(n, [])
            if it.doc.key not in docs_of[n]:
                docs_of[n].append(it.doc.key)
    firm_wide = {n for d in book.documents.values() for n in _document_facts(d)}
    asked = [s for s in book.facts.values() if not s.derived]
    clash = [s.name for s in asked if s.name in CONTROLS]
    if clash:
        raise ValueError(f"事实名与表单字段重名：{clash}")
    common = [s for s in asked if s.name in firm_wide or len(docs_of.get(s.name, [])) != 1]
    out = [FormSection("注册地与企业基本情况", tuple(form_field(s) for s in common))] if common else []
    for d in book.documents.values():
        own = [s for s in asked if s not in common and docs_of.get(s.name) == [d.key]]
        if own:
            title = d.title if d.doc_no and d.doc_no in d.title else f"{d.title}（{d.doc_no or '文号未载'}）"
            out.append(FormSection(title, tuple(form_field(s) for s in own)))
    return out


def _document_facts(doc: Document) -> list[str]:
    """The facts a document asks of every subject: its scope (and the 行政区 its scope lists), requirements and
    exclusions."""
    names = [doc.scope["fact"]] + (["region"] if doc.scope.get("regions") else []) if doc.scope else []
    for c in (*doc.requires, *doc.exclusions):
        names += condition_facts(c)
    return names


@dataclass
class CalcForm:
    """What the officer submitted (text as typed, echoed back into the form)."""

    enterprise: str = ""
    project: str = ""
    on: str = ""
    show_all: bool = False
    values: dict[str, str] = field(default_factory=dict)  # fact name → text
    submitted: bool = False

    @classmethod
    def from_query(cls, pairs: Sequence[tuple[str, str]], book: RuleBook) -> "CalcForm":
        f = cls(submitted=bool(pairs))
        for k, v in pairs:
            v = v.strip()
            if k in ("enterprise", "project", "on"):
                setattr(f, k, v)
            elif k == "show":
                f.show_all = v == "all"
            elif k in book.facts and not book.facts[k].derived and v:
                f.values[k] = v
        f.submitted = bool(f.enterprise or f.project or f.values)
        return f


@dataclass
class Subject:
    what: str  # 企业 | 招商项目
    label: str  # Enterprise | Project
    key: str
    name: str
    echo: str  # what the form shows after the answer: the name when it finds this subject again, else the text


@dataclass
class CalcOutcome:
    """The calculator page's answer: problems (field's Chinese name, message) and name choices for an ambiguous
    firm/project, or the subjects chosen, the graph's facts of them, the facts used and the calculation."""

    form: CalcForm
    on: dt.date
    problems: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # control → [(name, key)]
    subjects: list[Subject] = field(default_factory=list)
    graph_facts: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    calc: Calculation | None = None
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def run_form(book: RuleBook, snap: Snapshot, form: CalcForm) -> CalcOutcome:
    """Read the form (names resolved, facts parsed) and, when nothing is wrong, calculate."""
    out = CalcOutcome(form, beijing_today(), names=value_names(snap))
    if form.on:
        try:
            out.on = dt.date.fromisoformat(form.on)
        except ValueError:
            out.problems.append(("计算日期", f"应为 年-月-日（如 2025-12-31），实际 {form.on!r}"))
    _read_subjects(snap, form, out)
    typed = _read_facts(book, snap, form, out)
    if not form.submitted or out.problems:
        return out
    keys = {s.label: s.key for s in out.subjects}
    out.graph_facts = subject_facts(snap, enterprise=keys.get("Enterprise"), project=keys.get("Project"))
    out.facts = out.graph_facts | typed
    out.calc = calculate(book, out.facts, on=out.on, parsed=True, names=out.names)
    return out


def _read_subjects(snap: Snapshot, form: CalcForm, out: CalcOutcome) -> None:
    r = resolver(snap)
    for control, label, find in (("enterprise", "Enterprise", r.enterprise), ("project", "Project", r.project)):
        text = getattr(form, control)
        if not text:
            continue
        try:
            i = find(text, param=control)
        except LookupFailed as e:
            out.problems.append((CONTROL_LABELS[control], e.message if e.ambiguous else _by_name(e)))
            if e.ambiguous:
                out.choices[control] = [_name_key(c) for c in e.candidates]
            continue
        name = r.names(label)[i]
        try:
            echo = name if find(name, param=control) == i else text
        except LookupFailed:  # the same name twice: only the key finds this one
            echo = text
        out.subjects.append(Subject(CONTROL_LABELS[control], label, r.key(label, i), name, echo))


def _by_name(e: LookupFailed) -> str:
    """The resolver's refusal with its suggestions by name only (the page shows names, not keys)."""
    names = list(dict.fromkeys(_name_key(c)[0] for c in e.candidates))
    return e.message + (f"；您是不是要找：{'、'.join(names[:12])}" if names else "")


def _name_key(candidate: str) -> tuple[str, str]:
    """The resolver's candidate “名称（key）” as (name, key)."""
    cut = candidate.rfind("（")
    return (candidate[:cut], candidate[cut + 1:-1]) if cut > 0 and candidate.endswith("）") else (candidate, candidate)


def _read_facts(book: RuleBook, snap: Snapshot, form: CalcForm, out: CalcOutcome) -> dict[str, Any]:
    """The typed facts parsed; node facts (园区, 行政区) resolved from their names. Problems go to `out`."""
    r = resolver(snap)
    raw: dict[str, Any] = {}
    resolved: dict[str, str] = {}
    for name, text in form.values.items():
        label = REF_FACTS.get(name)
        if label is None:
            raw[name] = text
            continue
        try:
            i = r.region(text, param=name) if label == "Region" else r.park(text, param=name)
        except LookupFailed as e:
            out.problems.append((field_label(book.facts[name]), _by_name(e)))
            continue
        resolved[name] = r.key(label, i)
    try:
        parsed = parse_facts(book, raw)
    except FactsError as e:
        out.problems += [(field_label(book.facts[f]) if f in book.facts else f, m) for f, m in e.problems]
        parsed = {}
    return parsed | resolved
