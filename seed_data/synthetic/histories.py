"""Synthetic firms' 企业尽调 records: the park a seed-city firm is registered in, its 简称 and 上市板块, and the dated
records the dossier's 扩张指数 and 外迁预警 read — financing rounds (splitting the firm's 近两年融资额), a capital
increase, new branches (as many as its 近两年新设分支机构数), relocations out of the city for the firms drawn as a
relocation risk, headcount and hiring, and three years of indicators that end at its revenue and follow its growth.

A mixin of seed_data.generator.SyntheticWorld. All draws happen in `_firm_histories`, after every other plan, so
adding these records left the rest of the demo data as it was; `_history_fields` only formats. The texts are the
canonical entry texts of graph/schema/firm_history.py (the fast path writes them unchecked; the generator tests
compare it with the validated path).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graph.schema.firm_history import entry_text
from seed_data.synthetic.common import BRAND_1, BRAND_2, CHAIN_SUFFIX, DEFAULT_SUFFIX, ROUNDS, _iso

# where a firm's branches and relocations go when they leave its city (those of regions.json that exist)
AWAY_CITIES = ("310100", "440300", "320500", "330100", "420100", "110100")
LISTING_BOARDS = ("上交所主板", "上交所科创板", "深交所主板", "深交所创业板", "北交所")
PARK_SHARE = 0.6  # of the seed-city firms registered where a park is, how many are in one
RISK_SHARE = 0.25  # of the shrinking seed-city firms, how many also move branches away (外迁预警 demo)
TAG_LISTED = 8  # the 上市 bit of FirmsPlan's tag mask


def _num(x: float) -> int | float:
    """A figure as the schema keeps it: whole numbers as integers."""
    x = round(float(x), 1)
    return int(x) if x.is_integer() else x


class HistoriesPlan:
    """Parks, 简称, listing and dated records of the firms: planning and formatting."""

    def _firm_histories(self, rng: np.random.Generator) -> None:
        n = self.scale
        self._firm_parks(rng, n)
        local = self.f_class > 0
        self.h_has = local | (self.f_financing > 0) | self.f_leader
        shrinking = local & (self.f_growth < 0)
        self.h_risk = shrinking & (rng.random(n) < RISK_SHARE)
        self.h_round_days = rng.integers(30, 700, size=(n, 2))  # within the last two years
        self.h_round_kind = rng.integers(0, len(ROUNDS), size=(n, 2))
        self.h_two_rounds = rng.random(n) < 0.35
        self.h_split = rng.uniform(0.3, 0.7, n)
        self.h_old_round = rng.random(n) < 0.3
        self.h_old_days = rng.integers(900, 2500, n)
        self.h_cap_up = (self.f_financing > 0) | (self.f_growth > 0.18)
        self.h_cap_ratio = rng.uniform(0.2, 1.5, n)
        self.h_cap_days = rng.integers(20, 700, n)
        self.h_branch_days = rng.integers(15, 720, size=(n, 4))
        self.h_branch_away = rng.random((n, 4)) < 0.5
        self.h_away_city = rng.integers(0, 1 << 30, size=(n, 4))
        self.h_move_days = rng.integers(30, 540, size=(n, 2))
        self.h_two_moves = rng.random(n) < 0.4
        self.h_hc_ratio = np.where(self.h_risk, rng.uniform(0.6, 0.85, n),
                                   1.0 + np.clip(self.f_growth, -0.4, 1.0) * rng.uniform(0.5, 1.2, n))
        self.h_openings = np.where(self.f_growth > 0.1, np.round(self.f_employees * rng.uniform(0.02, 0.15, n)), 0)
        self.h_tax_rate = rng.uniform(0.03, 0.08, n)
        self.h_output = rng.uniform(1.0, 1.3, n)
        self.h_noise = rng.normal(0.0, 0.03, size=(n, 2))
        self.h_risk_fall = np.where(self.h_risk, rng.uniform(0.12, 0.3, n), 0.0)

    def _firm_parks(self, rng: np.random.Generator, n: int) -> None:
        """A seed-city firm registered in a 行政区 with parks is in one of them (PARK_SHARE), preferably one leading
        its chain: park pages then list their own firms."""
        parks = self.facts.parks
        by_region: dict[str, list[int]] = {}
        for j, p in enumerate(parks):
            by_region.setdefault(p["region"], []).append(j)
        u_in, u_pick = rng.random(n), rng.random(n)
        self.f_park = np.full(n, -1, dtype=np.int64)
        for i in np.flatnonzero(self.f_class > 0).tolist():
            pool = by_region.get(self.place_keys[self.f_place[i]])
            if not pool or u_in[i] >= PARK_SHARE:
                continue
            ck = self.chain_keys[self.f_chain[i]]
            fit = [j for j in pool if ck in (parks[j].get("leading_chains") or [])] or pool
            self.f_park[i] = fit[min(int(u_pick[i] * len(fit)), len(fit) - 1)]

    # ------------------------------------------------------------------ formatting (no randomness below)
    def _history_fields(self, i: int, bits: int, tags: int) -> dict[str, Any]:
        """The dossier fields of firm i (already in key order), as the schema writes them."""
        chain = int(self.f_chain[i])
        suf = CHAIN_SUFFIX.get(self.chain_keys[chain], DEFAULT_SUFFIX)
        out: dict[str, Any] = {
            "short_name": f"示例{BRAND_1[bits % len(BRAND_1)]}{BRAND_2[(bits >> 6) % len(BRAND_2)]}{suf[(bits >> 16) % len(suf)]}",
            "park": self.park_keys[self.f_park[i]] if self.f_park[i] >= 0 else None,
            "listing": LISTING_BOARDS[(bits >> 3) % len(LISTING_BOARDS)] if tags & TAG_LISTED else None,
        }
        if not self.h_has[i]:
            return out
        out["financing_rounds"] = self._rounds(i)
        out["capital_changes"] = self._capital(i)
        out["branches"] = self._branches(i)
        out["headcount_history"] = self._headcount(i)
        out["yearly_indicators"] = self._indicators(i)
        return out

    def _day(self, days_before: int) -> str:
        return _iso(self._ref_days(np.asarray([days_before])))[0]

    def _rounds(self, i: int) -> list[str]:
        rows = []
        if self.h_old_round[i]:
            rows.append({"on": self._day(int(self.h_old_days[i])), "round": ROUNDS[0],
                         "amount_wan": _num(max(50.0, self.f_revenue[i] * 0.01))})
        total = float(self.f_financing[i])
        if total > 0:
            parts = [total * self.h_split[i], total * (1 - self.h_split[i])] if self.h_two_rounds[i] else [total]
            for k, amount in enumerate(parts):
                rows.append({"on": self._day(int(self.h_round_days[i, k])),
                             "round": ROUNDS[1 + int(self.h_round_kind[i, k]) % (len(ROUNDS) - 1)],
                             "amount_wan": _num(amount), "investors": [f"示例投资机构{'甲乙丙丁'[k + (i % 3)]}（合成）"]})
        return self._ordered(rows)

    def _capital(self, i: int) -> list[str]:
        if not self.h_cap_up[i]:
            return []
        to = float(self.f_capital[i])
        return [entry_text({"on": self._day(int(self.h_cap_days[i])), "from_wan": _num(to / (1 + self.h_cap_ratio[i])),
                            "to_wan": _num(to)})]

    def _away(self, i: int, k: int) -> str:
        cities = [c for c in AWAY_CITIES if c in self.regions and c != self.city_keys[self.f_city[i]]]
        return cities[int(self.h_away_city[i, k]) % len(cities)] if cities else self.city_keys[self.f_city[i]]

    def _branches(self, i: int) -> list[str]:
        home = self.place_keys[self.f_place[i]]
        rows = []
        for k in range(min(int(self.f_branches[i]), 4)):  # 近两年新设分支机构数, one record each (four at most)
            where = self._away(i, k) if self.h_branch_away[i, k] else home
            rows.append({"on": self._day(int(self.h_branch_days[i, k])), "kind": "新设", "region": where,
                         "name": f"示例分支机构{k + 1}（合成）"})
        if self.h_risk[i]:
            for k in range(1 + int(self.h_two_moves[i])):
                rows.append({"on": self._day(int(self.h_move_days[i, k])), "kind": "迁出", "region": self._away(i, k),
                             "name": f"示例生产基地{k + 1}（合成）"})
        return self._ordered(rows)

    def _headcount(self, i: int) -> list[str]:
        now = int(self.f_employees[i])
        before = max(1, int(round(now / self.h_hc_ratio[i])))
        rows = [{"on": self._day(720), "employees": before},
                {"on": self._day(30), "employees": now, "openings": int(self.h_openings[i]) or None}]
        return self._ordered(rows)

    def _indicators(self, i: int) -> list[str]:
        """Three full years before the data's year: revenue ends at the firm's revenue and grows at its growth
        (a relocation risk fell harder the year before), tax and output in proportion."""
        year = self.as_of.year - 1
        revs = [float(self.f_revenue[i])]
        for k in range(2):  # the last year follows 营收增速; a relocation risk fell harder the year before
            g = float(self.f_growth[i]) - (float(self.h_risk_fall[i]) if k else 0.0)
            revs.append(revs[-1] / max(0.2, 1 + g + float(self.h_noise[i, k])))
        rows = []
        for k, rev in enumerate(revs):
            rows.append({"year": year - k, "revenue_wan": _num(rev), "tax_wan": _num(rev * self.h_tax_rate[i]),
                         "output_wan": _num(rev * self.h_output[i])})
        return [entry_text({k: v for k, v in r.items() if v is not None}) for r in sorted(rows, key=lambda r: r["year"])]

    @staticmethod
    def _ordered(rows: list[dict[str, Any]]) -> list[str]:
        return [entry_text({k: v for k, v in r.items() if v is not None}) for r in sorted(rows, key=lambda r: r["on"])]
