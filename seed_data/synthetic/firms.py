"""Synthetic firms: where they are registered, their segments (strong and empty ones in the seed cities), size,
economics and tags, 链主, SUPPLIES along the segment DAG; and their records (Enterprise, IN_SEGMENT, MAKES, LEADS,
SUPPLIES). A mixin of seed_data.generator.SyntheticWorld: planning draws from the world's one random stream."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from graph.schema import Label
from graph.store import RelRec
from seed_data.synthetic.common import (
    BRAND_1, BRAND_2, CHAIN_BASE, CHAIN_SUFFIX, CITY_BOOST, CITY_CHAIN_BOOST, DEFAULT_SUFFIX, DEMO_GAPS, DEMO_STRONG, EMPLOYEES, LEADER_SHARE, LOCAL_SUPPLIER_SHARE, MACRO_WEIGHT, REVENUE_WAN, SECOND_SEGMENT_SHARE, SEED_CITY_SHARE, SIZES, SIZE_P, STRONG_FACTOR, SUPPLY_EDGES_PER_FIRM, _group_sampler, _iso, _loguniform, make_usccs,
)


class FirmsPlan:
    """Firms: planning and records."""

    def _class_segment_weights(self, rng: np.random.Generator) -> np.ndarray:
        """(1 + number of seed cities) × segments: the segment distribution of firms in each class."""
        nseg = len(self.seg_keys)
        out = np.zeros((1 + len(self.seed_cities), nseg))
        chain_w = np.array([CHAIN_BASE.get(k, 1.0) for k in self.chain_keys])
        out[0] = chain_w[self.seg_chain] * self._normalised_within_chain(self.seg_base)
        self.gap_segments: dict[str, list[str]] = {}
        self.strong_segments: dict[str, list[str]] = {}
        for ci, city in enumerate(self.seed_cities, start=1):
            led = self.city_park_chains.get(city, [])
            boost = CITY_CHAIN_BOOST.get(city, {})
            cw = np.array([CHAIN_BASE.get(k, 1.0) * ((1 + 2.5 * led.count(k)) if k in led else 0.3) * boost.get(k, 1.0)
                           for k in self.chain_keys])
            w = self.seg_base.copy()
            gaps, strong = [], []
            for chain in range(len(self.chain_keys)):
                segs = np.flatnonzero(self.seg_chain == chain)
                perm = segs[rng.permutation(len(segs))].tolist()
                fg = [self.seg_ix[s] for s in DEMO_GAPS.get(city, ()) if self.seg_ix.get(s, -1) in segs]
                fs = [self.seg_ix[s] for s in DEMO_STRONG.get(city, ()) if self.seg_ix.get(s, -1) in segs]
                rest = [s for s in perm if s not in fg and s not in fs]
                n_gap = max(2, round(0.25 * len(segs))) if len(segs) >= 6 else 0
                n_strong = max(2, round(0.15 * len(segs))) if len(segs) >= 6 else 0
                g_ix = fg + rest[: max(n_gap - len(fg), 0)]
                rest = rest[max(n_gap - len(fg), 0):]
                s_ix = fs + rest[: max(n_strong - len(fs), 0)]
                w[g_ix] = 0.0
                w[s_ix] *= STRONG_FACTOR
                gaps += [self.seg_keys[s] for s in sorted(g_ix)]
                strong += [self.seg_keys[s] for s in sorted(s_ix)]
            self.gap_segments[city] = gaps
            self.strong_segments[city] = strong
            out[ci] = cw[self.seg_chain] * self._normalised_within_chain(w)
        return out / out.sum(axis=1, keepdims=True)

    def _normalised_within_chain(self, w: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.seg_chain, weights=w, minlength=len(self.chain_keys))
        return np.where(sums[self.seg_chain] > 0, w / np.where(sums[self.seg_chain] > 0, sums[self.seg_chain], 1), 0)

    def _firms(self, rng: np.random.Generator, n: int) -> None:
        """Plan the firms: where they are registered, their segments, size and economics, place on the map and
        identity (a USCC each), then order every firm array by key. The draws happen in this order."""
        f_class = self._firm_places(rng, n)
        class_w = self._firm_segments(rng, n, f_class)
        self._firm_economics(rng, n, f_class)
        self._firm_identity(rng, n)
        self.f_class = self.city_class[self.f_city]
        self._class_w = class_w

    def _firm_places(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Where each firm is registered (a city, or a county of a seed city); returns each firm's city class."""
        nplace = len(self.place_keys)
        # --- where
        city_w = np.zeros(nplace)
        for i, k in enumerate(self.place_keys):
            if self.place_is_county[i] or k in self.seed_cities:
                continue
            r = self.regions[k]
            city_w[i] = MACRO_WEIGHT.get(r.get("macro_region") or "", 0.7) * CITY_BOOST.get(k, 1.0)
        seed_share = SEED_CITY_SHARE * len(self.seed_cities)
        if city_w.sum() > 0:
            place_p = city_w / city_w.sum() * (1 - seed_share)
        else:
            place_p = city_w
            seed_share = 1.0
        park_regions = {p["region"] for p in self.facts.parks}
        for city in self.seed_cities:
            # 40 % registered at city level, 60 % in its counties (counties with a park count 2.5×)
            city_i = self.place_keys.index(city)
            counties = [i for i, k in enumerate(self.place_keys)
                        if self.place_is_county[i] and self.regions[k].get("parent") == city]
            share = seed_share / len(self.seed_cities)
            if counties:
                w = np.array([2.5 if self.place_keys[i] in park_regions else 1.0 for i in counties])
                place_p[counties] = w / w.sum() * share * 0.6
                place_p[city_i] = share * 0.4
            else:
                place_p[city_i] = share
        place_p = place_p / place_p.sum()
        self.f_place = rng.choice(nplace, size=n, p=place_p)
        self.f_city = self.place_city_arr[self.f_place]
        f_class = self.city_class[self.f_city]
        return f_class

    def _firm_segments(self, rng: np.random.Generator, n: int, f_class: np.ndarray) -> np.ndarray:
        """Each firm's primary segment (by its city class's segment weights) and maybe a second, adjacent one."""
        # --- what
        class_w = self._class_segment_weights(rng)
        u = rng.random(n)
        cum = np.cumsum(class_w, axis=1)
        self.f_seg = np.empty(n, dtype=np.int64)
        for c in range(class_w.shape[0]):
            m = f_class == c
            # u·total < total, so a zero-weight segment (a gap) is never drawn, not even by rounding
            self.f_seg[m] = np.searchsorted(cum[c], u[m] * cum[c][-1], side="right")
        self.f_chain = self.seg_chain[self.f_seg]
        # second segment: an UPSTREAM_OF neighbour that is not a gap where the firm is
        deg = np.diff(self.nbr_ptr)[self.f_seg]
        pick = self.nbr_ptr[self.f_seg] + np.floor(rng.random(n) * np.maximum(deg, 1)).astype(np.int64)
        cand = np.where(deg > 0, self.nbr_ix[np.minimum(pick, max(len(self.nbr_ix) - 1, 0))] if len(self.nbr_ix) else -1, -1)
        want = (rng.random(n) < SECOND_SEGMENT_SHARE) & (cand >= 0)
        ok = want & (class_w[f_class, np.maximum(cand, 0)] > 0)
        self.f_seg2 = np.where(ok, cand, -1)
        return class_w

    def _firm_economics(self, rng: np.random.Generator, n: int, f_class: np.ndarray) -> None:
        """Size, 链主, employees, revenue, capital, age, growth, tags, patents, branches, financing."""
        # --- size and economics
        size = rng.choice(4, size=n, p=SIZE_P)
        # 链主: large firms, about LEADER_SHARE of all (Gumbel top-k on size-weighted scores)
        k = int(round(LEADER_SHARE * n))
        score = np.log(np.array((0.02, 0.1, 1.0, 8.0))[size]) + rng.gumbel(size=n)
        leader = np.zeros(n, dtype=bool)
        if k > 0:
            leader[np.argpartition(-score, k - 1)[:k]] = True
        for ci, city in enumerate(self.seed_cities, start=1):  # every seed city shows at least one 链主
            m = np.flatnonzero(f_class == ci)
            if len(m) and not leader[m].any():
                leader[m[np.argmax(score[m])]] = True
        size[leader] = 3
        self.f_leader = leader
        self.f_size = size
        emp_lo = np.array([e[0] for e in EMPLOYEES])[size]
        emp_hi = np.array([e[1] for e in EMPLOYEES])[size]
        emp_lo = np.where(leader, 2000, emp_lo)
        self.f_employees = np.round(_loguniform(rng, emp_lo, emp_hi + 1, n)).astype(np.int64)
        rev_lo = np.array([r[0] for r in REVENUE_WAN])[size]
        rev_hi = np.array([r[1] for r in REVENUE_WAN])[size]
        rev_lo = np.where(leader, 300_000, rev_lo)
        rev_hi = np.where(leader, 5_000_000, rev_hi)
        self.f_revenue = np.round(_loguniform(rng, rev_lo, rev_hi, n), 1)
        self.f_capital = np.round(np.maximum(10.0, self.f_revenue * _loguniform(rng, 0.03, 0.5, n)), 1)
        age_days = np.clip(rng.exponential(11 * 365.25, n), 200, 40 * 365.25)
        age_days = np.where(leader, np.maximum(age_days, 8 * 365.25), age_days)
        self.f_founded = self._ref_days(age_days)
        growth = rng.normal(0.08, 0.15, n) + np.where(leader, 0.05, 0.0)
        self.f_growth = np.round(np.clip(growth, -0.5, 2.0), 3)
        # tags (bitmask over TAGS)
        p_high = np.array((0.03, 0.10, 0.25, 0.35))[size]
        high = rng.random(n) < p_high
        zjtx = (rng.random(n) < np.array((0.01, 0.05, 0.08, 0.02))[size]) & (size > 0)
        giant = zjtx & (rng.random(n) < 0.15)
        listed = rng.random(n) < np.where(leader, 0.6, np.array((0.0, 0.0, 0.02, 0.25))[size])
        gazelle = (rng.random(n) < 0.015) & (self.f_growth > 0.2)
        foreign = rng.random(n) < 0.03
        self.f_tags = (high * 1 | zjtx * 2 | giant * 4 | listed * 8 | leader * 16 | gazelle * 32 | foreign * 64)
        self.f_patents = rng.negative_binomial(1, 1 / (1 + np.array((1.0, 4.0, 20.0, 120.0))[size] * (1 + 2 * high)), n)
        self.f_branches = rng.poisson(np.array((0.05, 0.2, 0.6, 2.5))[size] * (1 + np.maximum(self.f_growth, 0) * 3), n)
        fin = rng.random(n) < 0.08
        self.f_financing = np.where(fin, np.round(self.f_revenue * _loguniform(rng, 0.02, 0.6, n), 1), 0.0)

    def _firm_identity(self, rng: np.random.Generator, n: int) -> None:
        """Place on the map, name bits, products, and the USCC key; then every firm array in key order."""
        # place on the map
        spread = np.where(self.place_is_county[self.f_place], 0.05, 0.12)
        self.f_lat = np.round(np.clip(self.place_lat[self.f_place] + rng.normal(0, 1, n) * spread, -89.9, 89.9), 4)
        self.f_lon = np.round(np.clip(self.place_lon[self.f_place] + rng.normal(0, 1, n) * spread, -179.9, 179.9), 4)
        # names and text picks
        self.f_bits = rng.integers(0, 2**31 - 1, size=n, dtype=np.int64)
        # MAKES: 1–2 products of the primary segment
        self.f_nprod = 1 + (rng.random(n) < 0.5)
        # identity: USCC with a unique organisation code, then firms ordered by key
        a = int(rng.integers(1, 31**7))
        if a % 31 == 0:
            a += 1
        b = int(rng.integers(0, 31**7))
        serial = (np.arange(n, dtype=np.int64) * a + b) % (31**7)
        usccs = make_usccs(self.place_division[self.f_place], serial)
        order = np.argsort(usccs, kind="stable")
        self.f_key = usccs[order]
        for name in ("f_place", "f_city", "f_seg", "f_chain", "f_seg2", "f_leader", "f_size", "f_employees",
                     "f_revenue", "f_capital", "f_founded", "f_growth", "f_tags", "f_patents", "f_branches",
                     "f_financing", "f_lat", "f_lon", "f_bits", "f_nprod"):
            setattr(self, name, getattr(self, name)[order])

    def _supplies(self, rng: np.random.Generator) -> None:
        n = self.scale
        npred = np.diff(self.pred_ptr)[self.f_seg] if n else np.zeros(0, np.int64)
        has_up = npred > 0
        m_size = np.array((0.8, 1.6, 3.0, 5.0))[self.f_size]
        lam = m_size * rng.gamma(0.8, 1 / 0.8, n)
        lam = np.where(has_up & ~self.f_leader, lam, 0.0)
        leader_lam = np.where(has_up & self.f_leader, 30 + rng.gamma(1.2, 40.0, n), 0.0)
        target_rest = max(SUPPLY_EDGES_PER_FIRM * n - leader_lam.sum(), 0.5 * SUPPLY_EDGES_PER_FIRM * n)
        if lam.sum() > 0:
            lam *= target_rest / lam.sum()
        demand = np.minimum(rng.poisson(lam + leader_lam), 400)
        weight = np.power(self.f_revenue, 0.5)
        nseg, ncity = len(self.seg_keys), len(self.city_keys)
        by_seg = _group_sampler(self.f_seg, weight, nseg)
        by_seg_city = _group_sampler(self.f_seg * ncity + self.f_city, weight, nseg * ncity)
        big = max(n, 1)
        pairs = np.zeros(0, dtype=np.int64)
        shares = np.zeros(0, dtype=np.float64)
        missing = demand
        for _ in range(3):  # popular suppliers are drawn twice; top the shortfall up (three rounds at most)
            cust = np.repeat(np.arange(n, dtype=np.int64), missing)
            m = len(cust)
            if m == 0:
                break
            seg_c = self.f_seg[cust]
            up = self.pred_ix[self.pred_ptr[seg_c] + np.floor(rng.random(m) * np.diff(self.pred_ptr)[seg_c]).astype(np.int64)]
            u = rng.random(m)
            local = rng.random(m) < LOCAL_SUPPLIER_SHARE
            share = np.round(rng.uniform(0.02, 0.5, m), 2)
            sup = by_seg(up, u)
            loc = by_seg_city(up * ncity + self.f_city[cust], u)
            sup = np.where(local & (loc >= 0), loc, sup)
            keep = sup >= 0
            new = sup[keep] * big + cust[keep]
            allp = np.concatenate([pairs, new])
            alls = np.concatenate([shares, share[keep]])
            pairs, first = np.unique(allp, return_index=True)  # sorted by supplier, then customer
            shares = alls[first]
            got = np.bincount(pairs % big, minlength=n)
            missing = np.maximum(demand - got, 0)
        self.s_src = pairs // big
        self.s_dst = pairs % big
        self.s_share = shares

    def _firm_dicts(self, chunk_size: int) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        src = self.source
        tag_names = ("高新技术", "专精特新", "小巨人", "上市", "链主", "瞪羚", "外资")
        tag_order = {t: i for i, t in enumerate(("专精特新", "小巨人", "高新技术", "上市", "链主", "单项冠军", "瞪羚",
                                                  "独角兽", "外资"))}
        tag_lists: dict[int, list[str]] = {}
        suffixes = [CHAIN_SUFFIX.get(k, DEFAULT_SUFFIX) for k in self.chain_keys]
        nb1, nb2 = len(BRAND_1), len(BRAND_2)
        for lo in range(0, self.scale, chunk_size):
            hi = min(lo + chunk_size, self.scale)
            sl = slice(lo, hi)
            cols = [
                self.f_key[sl].tolist(), self.f_place[sl].tolist(), self.f_seg[sl].tolist(),
                self.f_chain[sl].tolist(), self.f_size[sl].tolist(), self.f_employees[sl].tolist(),
                self.f_revenue[sl].tolist(), self.f_capital[sl].tolist(), _iso(self.f_founded[sl]),
                self.f_tags[sl].tolist(), self.f_financing[sl].tolist(), self.f_branches[sl].tolist(),
                self.f_growth[sl].tolist(), self.f_patents[sl].tolist(), self.f_lat[sl].tolist(),
                self.f_lon[sl].tolist(), self.f_bits[sl].tolist(),
            ]
            out = []
            for i, (key, place, seg, chain, size, emp, rev, cap, founded, tags, fin, br, gr, pat, lat, lon,
                    bits) in enumerate(zip(*cols), start=lo):
                tl = tag_lists.get(tags)
                if tl is None:
                    tl = sorted((t for i, t in enumerate(tag_names) if tags >> i & 1), key=tag_order.__getitem__)
                    tag_lists[tags] = tl
                kws = self.seg_keywords[seg]
                nk = len(kws)
                flav = self.seg_flavour[seg]
                suf = suffixes[chain]
                brand = BRAND_1[bits % nb1] + BRAND_2[(bits >> 6) % nb2]
                word = flav[(bits >> 12) % len(flav)] if (bits >> 20) & 1 else ""
                name = f"{self.place_names[place]}示例{brand}{word}{suf[(bits >> 16) % len(suf)]}有限公司（合成）"
                k0 = (bits >> 21) % nk
                picked = [kws[k0]] if nk < 3 else [kws[k0], kws[(k0 + 1) % nk], kws[(k0 + 2) % nk]]
                scope = f"{self.seg_names[seg]}：{'、'.join(picked)}的研发、生产与销售；相关技术服务。（合成示例数据）"
                out.append((Label.Enterprise, {
                    "key": key, "name": name, "source": src, "synthetic": True, "uscc": key,
                    "region": self.place_keys[place], "size": SIZES[size], "employees": emp, "revenue_wan": rev,
                    "registered_capital_wan": cap, "founded": founded, "tags": list(tl),
                    "recent_financing_wan": fin, "new_branches": br, "capacity_growth": gr, "patents": pat,
                    "lat": lat, "lon": lon, "business_scope": scope, **self._history_fields(i, bits, tags),
                }))
            yield out

    def _in_segment(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, self.scale, chunk_size):
            sl = slice(lo, min(lo + chunk_size, self.scale))
            out = []
            for key, seg, seg2 in zip(self.f_key[sl].tolist(), self.f_seg[sl].tolist(), self.f_seg2[sl].tolist()):
                if seg2 < 0:
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg],
                                      {"weight": 1.0, "source": src}))
                else:
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg],
                                      {"weight": 0.7, "source": src}))
                    out.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", self.seg_keys[seg2],
                                      {"weight": 0.3, "source": src}))
            yield out

    def _makes(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        pkeys = [p[0] for p in self.products]
        for lo in range(0, self.scale, chunk_size):
            sl = slice(lo, min(lo + chunk_size, self.scale))
            out = []
            for key, seg, nprod, bits in zip(self.f_key[sl].tolist(), self.f_seg[sl].tolist(),
                                             self.f_nprod[sl].tolist(), self.f_bits[sl].tolist()):
                prods = self.seg_products[seg]
                if not prods:
                    continue
                first = (bits >> 24) % len(prods)
                out.append(RelRec("MAKES", "Enterprise", key, "Product", pkeys[prods[first]],
                                  {"weight": 1.0 if nprod == 1 or len(prods) == 1 else 0.6, "source": src}))
                if nprod > 1 and len(prods) > 1:
                    out.append(RelRec("MAKES", "Enterprise", key, "Product", pkeys[prods[(first + 1) % len(prods)]],
                                      {"weight": 0.4, "source": src}))
            yield out

    def _leads(self) -> Iterator[list[RelRec]]:
        out = []
        for i in np.flatnonzero(self.f_leader).tolist():
            out.append(RelRec("LEADS", "Enterprise", str(self.f_key[i]), "IndustryChain",
                              self.chain_keys[self.f_chain[i]],
                              self._rp(region=self.city_keys[self.f_city[i]])))
        yield out

    def _supplies_recs(self, chunk_size: int) -> Iterator[list[RelRec]]:
        src = self.source
        for lo in range(0, len(self.s_src), chunk_size):
            sl = slice(lo, lo + chunk_size)
            s_keys = self.f_key[self.s_src[sl]].tolist()
            d_keys = self.f_key[self.s_dst[sl]].tolist()
            yield [RelRec("SUPPLIES", "Enterprise", s, "Enterprise", d, {"share": sh, "source": src})
                   for s, d, sh in zip(s_keys, d_keys, self.s_share[sl].tolist())]
