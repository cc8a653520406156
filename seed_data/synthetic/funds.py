"""Synthetic funds and their portfolios (INVESTED_IN), including a seed city's funds investing in firms from
elsewhere in the city's gap segments (以投促引); and their records. A mixin of seed_data.generator.SyntheticWorld."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from graph.schema import Label
from graph.store import RelRec
from seed_data.synthetic.common import (
    BRAND_1, BRAND_2, CITY_BOOST, DEMO_GAPS, FUND_KINDS, FUND_KIND_P, GAP_INVESTMENTS, MACRO_WEIGHT, ROUNDS, _group_sampler, _iso, _short,
)


class FundsPlan:
    """Funds and investments: planning and records."""

    def _funds(self, rng: np.random.Generator) -> None:
        nf, n = self.n_funds, self.scale
        big = [i for i, k in enumerate(self.city_keys) if k not in self.seed_cities]
        bw = np.array([MACRO_WEIGHT.get(self.regions[self.city_keys[i]].get("macro_region") or "", 0.7)
                       * CITY_BOOST.get(self.city_keys[i], 1.0) for i in big])
        in_seed = rng.random(nf) < 0.4
        seed_pick = rng.integers(0, max(len(self.seed_cities), 1), nf)
        other = np.array(big)[rng.choice(len(big), size=nf, p=bw / bw.sum())]
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        seed_city_ix = np.array([city_ix[c] for c in self.seed_cities] or [0])
        self.fu_city = np.where(in_seed & (len(self.seed_cities) > 0), seed_city_ix[seed_pick], other)
        self.fu_kind = rng.choice(len(FUND_KINDS), size=nf, p=FUND_KIND_P)
        self.fu_size = np.round(np.clip(rng.lognormal(np.log(100_000), 1.0, nf), 5_000, 5_000_000), 0)
        nfocus = rng.integers(1, 4, nf)
        nchain = len(self.chain_keys)
        self.fu_focus: list[list[int]] = []
        focus_u = rng.random((nf, nchain))
        for i in range(nf):
            city = self.city_keys[self.fu_city[i]]
            w = np.ones(nchain)
            for c in self.city_park_chains.get(city, []):
                if c in self.chain_keys:
                    w[self.chain_keys.index(c)] += 3.0
            # weighted sample without replacement by exponential keys
            keys = -np.log(focus_u[i]) / w
            self.fu_focus.append(sorted(np.argsort(keys)[: nfocus[i]].tolist()))
        self.fu_bits = rng.integers(0, 2**31 - 1, size=nf, dtype=np.int64)
        # portfolios
        k = rng.integers(5, 41, nf)
        fund = np.repeat(np.arange(nf, dtype=np.int64), k)
        m = len(fund)
        focus_len = np.array([len(x) for x in self.fu_focus])
        focus_flat = np.concatenate([np.array(x, dtype=np.int64) for x in self.fu_focus]) if nf else np.zeros(0, np.int64)
        focus_ptr = np.concatenate([[0], np.cumsum(focus_len)])
        in_focus = rng.random(m) < 0.8
        fchain = focus_flat[focus_ptr[fund] + np.floor(rng.random(m) * focus_len[fund]).astype(np.int64)]
        # how likely a fund is to back a firm: listed, 专精特新, growing, not micro (also used by _gap_investments)
        self.f_attract = attract = (1.0 + 2.0 * ((self.f_tags & 2) > 0) + 1.0 * ((self.f_tags & 1) > 0)
                                    + 3.0 * np.maximum(self.f_growth, 0)) * np.where(self.f_size == 0, 0.3, 1.0)
        u = rng.random(m)
        if n:
            by_chain = _group_sampler(self.f_chain, attract, nchain)
            anyone = _group_sampler(np.zeros(n, np.int64), attract, 1)
            firm = np.where(in_focus, by_chain(fchain, u), anyone(np.zeros(m, np.int64), u))
        else:
            firm = np.full(m, -1)
        amount = np.round(np.clip(rng.lognormal(np.log(3000), 1.0, m), 200, 50_000), 0)
        amount = np.minimum(amount, np.maximum(self.fu_size[fund] * 0.1, 200))
        days_ago = rng.integers(0, 6 * 365, m)
        rnd = rng.integers(0, len(ROUNDS), m)
        keep = firm >= 0
        pairs = fund[keep] * max(n, 1) + firm[keep]
        pairs, first = np.unique(pairs, return_index=True)
        self.i_fund = pairs // max(n, 1)
        self.i_firm = pairs % max(n, 1)
        self.i_amount = amount[keep][first]
        self.i_date = self._ref_days(days_ago[keep][first])
        self.i_round = rnd[keep][first]
        # a recent investment is a financing signal on the firm
        recent = days_ago[keep][first] < 2 * 365
        np.add.at(self.f_financing, self.i_firm[recent], self.i_amount[recent])
        self.f_financing = np.round(self.f_financing, 1)

    def _gap_investments(self) -> None:
        """以投促引 in the demo data: each fund of a seed city also holds up to GAP_INVESTMENTS firms from *outside*
        the city in the city's gap segments of its focus chains (a local fund investing where the city has no firms
        yet), keeping portfolios ≤ 40. Drawn from a separate generator (seeded with (seed, 7)) so that every draw of
        the main stream — parcels, projects — stays what it was."""
        n, nf = self.scale, self.n_funds
        if not n or not nf or not self.seed_cities:
            return
        aux = np.random.Generator(np.random.PCG64([self.seed, 7]))
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        have = np.bincount(self.i_fund, minlength=nf)
        starts = np.searchsorted(self.i_fund, np.arange(nf + 1))  # i_fund is sorted: fund i's portfolio is a slice
        pools: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}  # (city, gaps) → (firms, weight)
        add_f, add_e = [], []
        for i in range(nf):
            city = self.city_keys[self.fu_city[i]]
            if city not in self.gap_segments:
                continue
            gaps = [self.seg_ix[g] for g in self.gap_segments[city]]
            gaps = [g for g in gaps if self.seg_chain[g] in self.fu_focus[i]]
            room = min(GAP_INVESTMENTS, 40 - int(have[i]))
            if not gaps or room <= 0:
                continue
            key = (city_ix[city], tuple(gaps))
            if key not in pools:  # many funds share a city and its gaps: find the firms once
                firms = np.flatnonzero(np.isin(self.f_seg, gaps) & (self.f_city != city_ix[city]))
                demo = np.isin(self.f_seg[firms], [self.seg_ix[g] for g in DEMO_GAPS.get(city, ()) if g in self.seg_ix])
                pools[key] = firms, self.f_attract[firms] * np.where(demo, 10.0, 1.0)  # the story gap (衢州 封测) first
            firms, weight = pools[key]
            fresh = ~np.isin(firms, self.i_firm[starts[i]:starts[i + 1]])
            pool = firms[fresh]
            if not len(pool):
                continue
            m = min(room, len(pool))
            w = weight[fresh] / weight[fresh].sum()
            add_e.append(np.sort(aux.choice(pool, size=m, replace=False, p=w)))
            add_f.append(np.full(m, i, dtype=np.int64))
        if not add_f:
            return
        fund, firm = np.concatenate(add_f), np.concatenate(add_e)
        m = len(fund)
        amount = np.minimum(np.round(np.clip(aux.lognormal(np.log(3000), 1.0, m), 200, 50_000), 0),
                            np.maximum(self.fu_size[fund] * 0.1, 200))
        days_ago = aux.integers(0, 6 * 365, m)
        rnd = aux.integers(0, len(ROUNDS), m)
        big = max(n, 1)
        pairs = np.concatenate([self.i_fund * big + self.i_firm, fund * big + firm])
        order = np.argsort(pairs, kind="stable")
        self.i_fund, self.i_firm = pairs[order] // big, pairs[order] % big
        self.i_amount = np.concatenate([self.i_amount, amount])[order]
        self.i_date = np.concatenate([self.i_date, self._ref_days(days_ago)])[order]
        self.i_round = np.concatenate([self.i_round, rnd])[order]
        recent = days_ago < 2 * 365
        np.add.at(self.f_financing, firm[recent], amount[recent])
        self.f_financing = np.round(self.f_financing, 1)

    def fund_key(self, i: int) -> str:
        return f"syn.fund.{i:06d}"

    def _fund_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        out = []
        for i in range(self.n_funds):
            city = self.city_keys[self.fu_city[i]]
            cname = _short(self.regions[city]["name"])
            bits = int(self.fu_bits[i])
            brand = BRAND_1[bits % len(BRAND_1)] + BRAND_2[(bits >> 6) % len(BRAND_2)]
            focus = [self.chain_keys[c] for c in self.fu_focus[i]]
            kind = FUND_KINDS[self.fu_kind[i]]
            topic = self.chain_names[focus[0]] if len(focus) == 1 else "先进制造"
            out.append((Label.Fund, {
                "key": self.fund_key(i), "name": f"{cname}示例{brand}{topic}{kind}（合成）", **self._base(),
                "manager": f"{cname}示例{brand}私募基金管理有限公司（合成）", "size_wan": float(self.fu_size[i]),
                "region": city, "kind": kind, "focus": focus,
            }))
        yield out

    def _invested(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, len(self.i_fund), chunk_size):
            sl = slice(lo, lo + chunk_size)
            firms = self.f_key[self.i_firm[sl]].tolist()
            yield [RelRec("INVESTED_IN", "Fund", self.fund_key(f), "Enterprise", e,
                          {"amount_wan": a, "date": d, "round": ROUNDS[r], "source": src})
                   for f, e, a, d, r in zip(self.i_fund[sl].tolist(), firms, self.i_amount[sl].tolist(),
                                            _iso(self.i_date[sl]), self.i_round[sl].tolist())]
