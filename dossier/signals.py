"""The two 企业尽调 signals, each a 0–100 number with the evidence behind it (docs/dossier.md is the reference):

扩张指数 — how visibly the firm is growing in the two years before `as_of`: financing rounds (15 points each, +5
for ≥ 1 亿元; at most 35), new branches (8 each; at most 20), its 招商 projects that moved in the window (10 each;
at most 20), capital increases (10 each, +5 for ≥ 50 %; at most 15) and headcount growth (10 at +30 %, pro rata;
+3 for open positions; at most 10).

外迁预警 — for a firm registered in the officer's region, how strongly the data suggests it is moving away from its
地级市: branches moved out of the city or to a place the data does not know (20 each; a move within the city is
listed at 0 points), new branches elsewhere (6 each), branches closed at home (8 each) — at most
40; its projects landing outside the city (10 each; at most 20); falling indicators (营业收入/税收/产值 of the
last two years: 4 points for a fall ≥ 5 %, 8 for ≥ 20 %, each; headcount down ≥ 15 %: 5; at most 25); and the
share of its 链主 customers located elsewhere (15 × share).

Only records of the two years before `as_of` score: a dated record counts when it lies within the 730 days up to
and including `as_of`; a year's indicators are known only once the year has ended, so year Y counts when 31 Dec Y
lies in that window (on 2025-01-02 the last two years are 2023 and 2024, never 2025). Points are kept to one
decimal as they are shown, and the score is their sum rounded half up, so the evidence adds up to the number.

A component without any input is listed in `missing`; when every component lacks input the score is None and the
status 数据不足 — never a 0 that would read as "no expansion" or "no risk". Read side: the snapshot, plus the
projects' stage histories when the caller has them (dossier.records: a project's stage as of `as_of`).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from chains import ChainIndex
from dossier.models import INSUFFICIENT, NOT_LOCAL, Evidence, Signal
from dossier.records import FirmRecords, StageHistories, city_of, firm_records, region_index
from graph.snapshot import Snapshot
from kernel.clock import beijing_today
from kernel.resolve import resolver

WINDOW_DAYS = 730  # "recent": the two years before as_of
EXPANSION_CAPS = {"融资": 35.0, "新设分支机构": 20.0, "招商项目": 20.0, "增资": 15.0, "用工": 10.0}
RELOCATION_CAPS = {"分支机构外迁": 40.0, "项目落地外地": 20.0, "经营指标下滑": 25.0, "链主客户在外地": 15.0}
EXPANSION_LEVELS = ((60, "扩张活跃"), (30, "温和扩张"), (0, "平稳"))
RELOCATION_LEVELS = ((50, "高"), (25, "中"), (0, "低"))
BIG_ROUND_WAN = 10_000.0
FALL_SMALL, FALL_BIG, HEADCOUNT_FALL = 0.05, 0.20, 0.15
MOVING_STAGES = {"接洽", "洽谈", "签约", "注册", "开工", "投产", "达产"}  # a project past 线索


def as_date(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return beijing_today()
    return as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))


def _recent(on: str | None, as_of: dt.date) -> bool:
    """Is the record dated `on` within the two years up to and including `as_of`?"""
    if not on:
        return False
    d = dt.date.fromisoformat(on[:10])
    return as_of - dt.timedelta(days=WINDOW_DAYS) <= d <= as_of


def _year_known(year: int, as_of: dt.date) -> bool:
    """Are the figures of `year` known on `as_of` — has the year ended by then?"""
    return dt.date(year, 12, 31) <= as_of


def _year_recent(year: int, as_of: dt.date) -> bool:
    """Did `year` end within the two years before `as_of` (its figures are recent and already known)?"""
    return _recent(dt.date(year, 12, 31).isoformat(), as_of)


def points_text(x: float) -> str:
    """Points as shown everywhere: one decimal at most (7.5, 0.1), whole points without one (8)."""
    return f"{round(x, 1):g}"


def _score(total: float) -> int:
    """The 0–100 score of the points shown: their sum (one decimal) rounded half up, at most 100."""
    return min(100, int(math.floor(round(total, 1) + 0.5)))


def _wan(x: float) -> str:
    return f"{x / 10_000:,.2f} 亿元" if x >= 10_000 else f"{x:,.0f} 万元"


class _Tally:
    """Evidence and points per component, capped."""

    def __init__(self, caps: dict[str, float]):
        self.caps = caps
        self.evidence: list[Evidence] = []
        self.points = {c: 0.0 for c in caps}
        self.known: set[str] = set()

    def add(self, component: str, points: float, text: str, on: str | None = None) -> None:
        """One evidence item: its points to one decimal (as shown), cut to what is left under the cap."""
        points = round(points, 1)
        room = round(self.caps[component] - self.points[component], 1)
        got = max(0.0, min(points, room))
        self.points[component] = round(self.points[component] + got, 1)
        note = "" if got == points else f"（本项已达上限 {points_text(self.caps[component])} 分，计 {points_text(got)} 分）"
        self.evidence.append(Evidence(component, text + note, got, on))

    def signal(self, kind: str, title: str, as_of: dt.date, levels: tuple[tuple[int, str], ...],
               missing_names: dict[str, str]) -> Signal:
        missing = [missing_names[c] for c in self.caps if c not in self.known]
        if not self.known:
            return Signal(kind, title, as_of.isoformat(), None, INSUFFICIENT, INSUFFICIENT, [], missing)
        score = _score(sum(self.points.values()))
        level = next(name for lo, name in levels if score >= lo)
        return Signal(kind, title, as_of.isoformat(), score, level, "ok", self.evidence, missing,
                      dict(self.points))


# ------------------------------------------------------------------------------------------------ 扩张指数
def expansion(rec: FirmRecords, as_of: dt.date, names: Any) -> Signal:
    t = _Tally(EXPANSION_CAPS)
    _financing(t, rec, as_of)
    _new_branches(t, rec, as_of, names)
    if rec.projects:
        t.known.add("招商项目")
        for p in rec.projects:
            if p.stage in MOVING_STAGES and _recent(p.on, as_of):
                t.add("招商项目", 10, f"招商项目「{p.name}」{p.on} 进入{p.stage}阶段", p.on)
    caps = rec.histories["capital_changes"]
    if caps:
        t.known.add("增资")
    for c in caps:
        if c["to_wan"] > c["from_wan"] and _recent(c["on"], as_of):
            ratio = (c["to_wan"] - c["from_wan"]) / c["from_wan"] if c["from_wan"] else 1.0
            t.add("增资", 10 + (5 if ratio >= 0.5 else 0),
                  f"{c['on']} 注册资本由 {_wan(c['from_wan'])} 增至 {_wan(c['to_wan'])}（+{ratio:.0%}）", c["on"])
    _hiring(t, rec, as_of)
    return t.signal("expansion", "扩张指数", as_of, EXPANSION_LEVELS,
                    {"融资": "融资记录", "新设分支机构": "分支机构记录", "招商项目": "招商项目", "增资": "注册资本变更记录",
                     "用工": "用工与招聘记录"})


def _financing(t: _Tally, rec: FirmRecords, as_of: dt.date) -> None:
    rounds = rec.histories["financing_rounds"]
    if rounds:
        t.known.add("融资")
        for r in rounds:
            if not _recent(r["on"], as_of):
                continue
            amount = r.get("amount_wan")
            who = f"，投资方 {'、'.join(r['investors'])}" if r.get("investors") else ""
            t.add("融资", 15 + (5 if amount is not None and amount >= BIG_ROUND_WAN else 0),
                  f"{r['on']} 完成{r['round']}融资" + (f" {_wan(amount)}" if amount is not None else "") + who, r["on"])
        return
    total = rec.scalars["recent_financing_wan"]
    _summary(t, "融资", total, lambda: (15 + (5 if total >= BIG_ROUND_WAN else 0),
                                       f"近两年融资额 {_wan(total)}（汇总数，无轮次明细）"))


def _new_branches(t: _Tally, rec: FirmRecords, as_of: dt.date, names: Any) -> None:
    branches = rec.histories["branches"]
    if branches:
        t.known.add("新设分支机构")
        for b in branches:
            if b["kind"] == "新设" and _recent(b["on"], as_of):
                t.add("新设分支机构", 8, f"{b['on']} 在{names(b['region'])}新设{b.get('name') or '分支机构'}", b["on"])
        return
    n = rec.scalars["new_branches"]
    _summary(t, "新设分支机构", n, lambda: (8 * n, f"近两年新设分支机构 {n:g} 家（汇总数，无明细）"))


def _summary(t: _Tally, component: str, figure: float | None, scored: Any) -> None:
    """A component from a summary figure (the data has no itemised records): known when the figure is given;
    `scored()` → (points, evidence) when it is above 0."""
    if figure is None:
        return
    t.known.add(component)
    if figure > 0:
        t.add(component, *scored())


def _counts(rec: FirmRecords, as_of: dt.date) -> list[dict[str, Any]]:
    """The headcount entries with employees known by as_of (any age): the input of the headcount components."""
    return [h for h in rec.histories["headcount_history"] if "employees" in h and h["on"] <= as_of.isoformat()]


def _employee_points(rec: FirmRecords, as_of: dt.date) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(earlier, latest) headcount entries with employees, at least 180 days apart, both in the two years up to
    as_of."""
    rows = [h for h in _counts(rec, as_of) if _recent(h["on"], as_of)]
    if len(rows) < 2:
        return None
    last = rows[-1]
    cut = (dt.date.fromisoformat(last["on"]) - dt.timedelta(days=180)).isoformat()
    earlier = [h for h in rows if h["on"] <= cut]
    return (earlier[-1], last) if earlier else None


def _hiring(t: _Tally, rec: FirmRecords, as_of: dt.date) -> None:
    rows = [h for h in rec.histories["headcount_history"] if h["on"] <= as_of.isoformat()]
    if not rows:
        return
    t.known.add("用工")
    pair = _employee_points(rec, as_of)
    if pair:
        a, b = pair
        g = (b["employees"] - a["employees"]) / a["employees"] if a["employees"] else 0.0
        if g > 0:
            t.add("用工", 10 * min(g / 0.3, 1.0),
                  f"在职人数由 {a['employees']} 人（{a['on']}）增至 {b['employees']} 人（{b['on']}），+{g:.0%}", b["on"])
    latest = rows[-1]
    if latest.get("openings") and _recent(latest["on"], as_of):
        t.add("用工", 3, f"{latest['on']} 在招岗位 {latest['openings']} 个", latest["on"])


# ------------------------------------------------------------------------------------------------ 外迁预警
def relocation(rec: FirmRecords, as_of: dt.date, idx: ChainIndex, names: Any, where: Any) -> Signal:
    t = _Tally(RELOCATION_CAPS)
    home = rec.home_city
    home_name = str(idx.region_names[home]) if home >= 0 else "本地"
    branches = rec.histories["branches"]
    if branches:
        t.known.add("分支机构外迁")
    for b in branches:
        if not _recent(b["on"], as_of):
            continue
        r = where(b["region"])
        away = r >= 0 and home >= 0 and city_of(idx, r) != home
        in_city = r >= 0 and home >= 0 and not away
        label = f"{b.get('name') or '分支机构'}"
        if b["kind"] == "迁出" and in_city:
            t.add("分支机构外迁", 0, f"{b['on']} {label}迁至{names(b['region'])}（{home_name}内），市内迁移，不计分", b["on"])
        elif b["kind"] == "迁出":  # to another city, or to a place the data does not know: moving out is moving out
            t.add("分支机构外迁", 20, f"{b['on']} {label}迁出至{names(b['region'])}", b["on"])
        elif b["kind"] == "新设" and away:
            t.add("分支机构外迁", 6, f"{b['on']} 在{home_name}以外的{names(b['region'])}新设{label}", b["on"])
        elif b["kind"] == "注销" and r >= 0 and not away:
            t.add("分支机构外迁", 8, f"{b['on']} 注销{names(b['region'])}的{label}", b["on"])
    if rec.projects:
        t.known.add("项目落地外地")
    for p in rec.projects:
        if p.stage in MOVING_STAGES and p.region >= 0 and home >= 0 and city_of(idx, p.region) != home \
                and (p.on is None or _recent(p.on, as_of)):
            place = p.park or str(idx.region_names[p.region])
            t.add("项目落地外地", 10, f"招商项目「{p.name}」拟落地{place}（{home_name}以外），阶段 {p.stage}", p.on)
    _falling(t, rec, as_of)
    _leaders_elsewhere(t, rec, idx, home, home_name)
    return t.signal("relocation", "外迁预警", as_of, RELOCATION_LEVELS,
                    {"分支机构外迁": "分支机构记录", "项目落地外地": "招商项目", "经营指标下滑": "年度经营指标（至少两年）或用工记录",
                     "链主客户在外地": "客户（供应关系）"})


def _falling(t: _Tally, rec: FirmRecords, as_of: dt.date) -> None:
    """The last two years ended within the window (a year counts once it has ended), and headcount."""
    known = [y for y in rec.histories["yearly_indicators"] if _year_known(y["year"], as_of)]
    if len(known) >= 2:
        t.known.add("经营指标下滑")
    years = [y for y in known if _year_recent(y["year"], as_of)]
    if len(years) >= 2:
        a, b = years[-2], years[-1]
        for field, title in (("revenue_wan", "营业收入"), ("tax_wan", "税收"), ("output_wan", "产值")):
            if a.get(field) and b.get(field) is not None:
                fall = (a[field] - b[field]) / a[field]
                if fall >= FALL_SMALL:
                    t.add("经营指标下滑", 8 if fall >= FALL_BIG else 4,
                          f"{b['year']} 年{title} {_wan(b[field])}，较 {a['year']} 年（{_wan(a[field])}）下降 {fall:.0%}",
                          str(b["year"]))
    if len(_counts(rec, as_of)) >= 2:
        t.known.add("经营指标下滑")
    pair = _employee_points(rec, as_of)
    if pair:
        a, b = pair
        fall = (a["employees"] - b["employees"]) / a["employees"] if a["employees"] else 0.0
        if fall >= HEADCOUNT_FALL:
            t.add("经营指标下滑", 5, f"在职人数由 {a['employees']} 人（{a['on']}）降至 {b['employees']} 人（{b['on']}），-{fall:.0%}",
                  b["on"])


def _leaders_elsewhere(t: _Tally, rec: FirmRecords, idx: ChainIndex, home: int, home_name: str) -> None:
    if not rec.n_customers:
        return
    t.known.add("链主客户在外地")
    known = [(n, r, c) for n, r, c in rec.leader_customers if r >= 0 and home >= 0]
    away = [(n, r, c) for n, r, c in known if city_of(idx, r) != home]
    if known and away:
        names = "、".join(f"{n}（{idx.region_names[r]}，{'/'.join(c)}链主）" for n, r, c in away[:5])
        t.add("链主客户在外地", 15 * len(away) / len(known),
              f"{len(known)} 家链主客户中 {len(away)} 家在{home_name}以外：{names}")


# ------------------------------------------------------------------------------------------------ entry point
def signals_for(snap: Snapshot, key: str, as_of: dt.date | str | None = None, *,
                region: str | None = None, stages: StageHistories | None = None) -> tuple[Signal, Signal]:
    """(扩张指数, 外迁预警) of firm `key` as of a date (default today, 北京时间). `region`: the officer's 招商地区; a
    firm outside it gets 外迁预警 不适用 (its moving away is not this region's loss), a firm whose registered place
    the data does not hold 数据不足. `stages`: the firm's projects' stage histories (project key → entries, see
    dossier.records), so a past `as_of` reads each project's stage on that day; without them the current stage
    counts from the day it was entered. Each Signal has `.score`
    (0–100, or None when the data is insufficient or the signal does not apply) and its evidence."""
    day = as_date(as_of)
    return signals_of(snap, firm_records(snap, key, day, stages), day, region=region)


def signals_of(snap: Snapshot, rec: FirmRecords, day: dt.date, *, region: str | None = None) -> tuple[Signal, Signal]:
    """signals_for over records already read (dossier.records.firm_records as of `day`): the dossier reads a firm's
    records once for its project table and its two signals."""
    idx = ChainIndex.of(snap)

    def where(text: str | None) -> int:
        return region_index(snap, text)

    def names(text: str | None) -> str:
        r = where(text)
        return str(idx.region_names[r]) if r >= 0 else str(text or "未注明地区")

    exp = expansion(rec, day, names)
    if region is not None:
        officer = resolver(snap).region(region)
        rname = str(idx.region_names[officer])
        if rec.region < 0:  # the data does not say where it is registered: neither local nor elsewhere
            return exp, Signal("relocation", "外迁预警", day.isoformat(), None, INSUFFICIENT, INSUFFICIENT,
                               missing=["注册地（所在行政区）"],
                               note=f"本企业注册地未知，无法判断是否为{rname}本地企业，外迁预警未评估")
        if not resolver(snap).descendants(officer)[rec.region]:
            return exp, Signal("relocation", "外迁预警", day.isoformat(), None, NOT_LOCAL, NOT_LOCAL,
                               note=f"本企业不在{rname}，外迁预警只评估本地企业")
    return exp, relocation(rec, day, idx, names, where)
