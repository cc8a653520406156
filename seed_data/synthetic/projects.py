"""Synthetic 招商 projects: investors, parks, stages tilted by the investor's ties to the project's city, land
and economic figures, the parcels they hold, and the project library's dated history, tracking and results; and
their records. A mixin of seed_data.generator.SyntheticWorld."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from graph.schema import PROJECT_STAGES, Label
from seed_data.synthetic.common import (
    BRAND_1, BRAND_2, NEXT_ACTIONS, OWNERS, PROJECT_KINDS, STAGE_NOTES, STAGE_P, TILT, TRACKING_NOTES, _iso, _loguniform, _optional,
)


class ProjectsPlan:
    """Projects and the pipeline: planning and records."""

    def _projects(self, rng: np.random.Generator) -> None:
        npr = self.n_projects if self.scale else 0
        n = self.scale
        parks = self.facts.parks
        # investors: mostly firms outside the seed cities, larger ones more often
        w = np.array((0.2, 1.0, 3.0, 6.0))[self.f_size] * np.where(self.f_class == 0, 1.0, 0.25)
        self.p_investor = rng.choice(n, size=npr, p=w / w.sum()) if npr else np.zeros(0, np.int64)
        self.p_seg = self.f_seg[self.p_investor]
        chains = self.seg_chain[self.p_seg]
        # park: one whose leading chains include the project's chain (70 %), else any seed-city park
        in_park = rng.random(npr) < 0.85
        fits = rng.random(npr) < 0.7
        pu = rng.random(npr)
        self.p_park = np.full(npr, -1, dtype=np.int64)
        for i in range(npr):
            if not parks or not in_park[i]:
                continue
            ck = self.chain_keys[chains[i]]
            fit = [j for j, p in enumerate(parks) if ck in (p.get("leading_chains") or [])]
            pool = fit if fit and fits[i] else list(range(len(parks)))
            self.p_park[i] = pool[min(int(pu[i] * len(pool)), len(pool) - 1)]
        counties = [k for k in self.place_keys if self.regions[k].get("parent") in self.seed_cities
                    and self.regions[k]["level"] == "county"] or self.seed_cities or self.city_keys
        self.p_region_pick = rng.integers(0, len(counties), npr)
        self._project_counties = counties
        # stage: the same uniform draws rng.choice(p=STAGE_P) would use (so every later draw is unchanged), tilted
        # towards later stages for investors with ties to the project's city (see _landing_tilt)
        u = rng.random(npr)
        cdf = np.cumsum(STAGE_P)
        cdf /= cdf[-1]
        self.p_stage = cdf.searchsorted(u ** (1.0 / (1.0 + self._landing_tilt(counties))), side="right")
        invest = np.clip(rng.lognormal(np.log(30_000), 1.0, npr), 2_000, 800_000)
        self.p_invest = np.round(invest, 0)
        intensity = rng.uniform(250, 700, npr)
        area = np.clip(invest / intensity, 10, 600)
        self.p_land_min = np.round(area * 0.85, 1)
        self.p_land_max = np.round(area * 1.15, 1)
        output = invest * rng.uniform(0.8, 2.5, npr)
        self.p_output = np.round(output, 0)
        self.p_tax = np.round(output * rng.uniform(0.03, 0.08, npr), 0)
        is_nm = np.array([self.chain_keys[c] == "nm" for c in chains], dtype=bool)
        self.p_energy = np.round(np.where(is_nm, rng.uniform(0.3, 1.2, npr), rng.uniform(0.05, 0.6, npr)), 2)
        pol_nm = rng.choice(3, size=npr, p=(0.3, 0.5, 0.2))
        pol_other = rng.choice(3, size=npr, p=(0.7, 0.3, 0.0))
        self.p_pollution = np.where(is_nm, pol_nm, pol_other)
        self.p_price = np.round(rng.uniform(15, 70, npr), 0)
        self.p_jobs = np.round(invest / rng.uniform(80, 300, npr)).astype(np.int64)
        self.p_owner = rng.integers(0, len(OWNERS), npr)
        self.p_signed = self._ref_days(rng.integers(0, 900, npr))
        self.p_bits = rng.integers(0, 2**31 - 1, size=npr, dtype=np.int64)
        self.p_use_storage = rng.random(npr) < 0.05
        self.p_power = np.where(rng.random(npr) < 0.7, np.round(area * rng.uniform(30, 120, npr), -2), np.nan)
        self.p_rail = rng.random(npr) < 0.05
        self.p_needed_by = np.where(rng.random(npr) < 0.5, self._ref_days(-rng.integers(90, 720, npr)), -1)
        self._parcel_holders()
        self._pipeline_draws(rng, npr)

    def _parcel_holders(self) -> None:
        """A reserved parcel is held by a project at 洽谈 or later in its park, a transferred one by a signed
        project (if the park has none, the parcel is left available). No randomness: uses pc_holder_u."""
        self.pc_holder = np.full(len(self.pc_park), -1, dtype=np.int64)
        for want, min_stage in ((1, PROJECT_STAGES.index("洽谈")), (2, PROJECT_STAGES.index("签约"))):
            pools: dict[int, np.ndarray] = {}
            for j, park in enumerate(np.where(self.p_stage >= min_stage, self.p_park, -1).tolist()):
                if park >= 0:
                    pools.setdefault(park, []).append(j)  # type: ignore[arg-type]
            for i in np.flatnonzero(self.pc_status == want).tolist():
                pool = pools.get(int(self.pc_park[i]), [])
                if len(pool):
                    self.pc_holder[i] = pool[int(self.pc_holder_u[i] * len(pool)) % len(pool)]
                else:
                    self.pc_status[i] = 0

    def _pipeline_draws(self, rng: np.random.Generator, npr: int) -> None:
        """招商项目库: dated stage history, weekly tracking, next action, foreign investment, results after landing.
        Drawn last, so every earlier draw (and every record made from it) stays what it was."""
        self.p_gaps = rng.integers(7, 120, size=(npr, len(PROJECT_STAGES)))  # days spent in each stage
        self.p_anchor = rng.integers(0, 150, npr)  # days before as_of an unsigned project entered its stage
        self.p_track_n = rng.integers(0, 4, npr)  # tracking entries kept
        self.p_track_age = rng.integers(0, 75, npr)  # days since the last one (> 30: stalled)
        self.p_next = rng.integers(-40, 45, npr)  # next action due, days after as_of (< 0: overdue)
        self.p_note = rng.integers(0, 2**30, npr)
        self.p_fdi = rng.random(npr) < 0.15
        self.p_fdi_total = np.round(_loguniform(rng, 200, 30_000, npr), 0)  # 万美元
        self.p_fdi_shares = rng.uniform(0.15, 0.6, size=(npr, 2))  # first year, this year (of the total)
        self.p_fdi_form = rng.choice(3, size=npr, p=(0.7, 0.2, 0.1))
        self.p_ind_class = rng.choice(3, size=npr, p=(0.8, 0.12, 0.08))
        self.p_actual = rng.uniform(0.6, 1.25, size=(npr, 4))  # actual ÷ planned: investment, tax, output, jobs

    def _landing_tilt(self, counties: list[str]) -> np.ndarray:
        """Per project, how much its investor is tied to the project's city (以企引企 / 以投促引 in the demo data):
        TILT["leader"] if it supplies or buys from a 链主 there, TILT["local"] for a tie with any other firm there,
        TILT["fund"] if a fund of that city invested in it, TILT["financing"] if it raised money recently. A stage
        drawn from u becomes the stage of u ** (1 / (1 + tilt)): no tie, the plain STAGE_P draw; ties, later stages
        (签约 and beyond) more often — so project history carries the signal the target recommender learns."""
        npr = len(self.p_investor)
        if npr == 0 or self.scale == 0:
            return np.zeros(npr)
        city_ix = {k: i for i, k in enumerate(self.city_keys)}
        parks = self.facts.parks

        def city_of(region: str | None) -> int:
            if region is None:
                return -1
            if region in city_ix:
                return city_ix[region]
            return city_ix.get(self.regions.get(region, {}).get("parent") or "", -1)

        pcity = np.asarray([city_of(parks[pk]["region"]) if pk >= 0 else city_of(counties[int(rp)])
                            for pk, rp in zip(self.p_park.tolist(), self.p_region_pick.tolist())], dtype=np.int64)
        nc = len(self.city_keys)
        inv = self.p_investor
        want = inv * nc + np.maximum(pcity, 0)
        src, dst = self.s_src, self.s_dst
        ends = np.concatenate([src * nc + self.f_city[dst], dst * nc + self.f_city[src]])
        lead_end = np.concatenate([self.f_leader[dst], self.f_leader[src]])
        local = np.isin(want, ends)
        leader = np.isin(want, ends[lead_end])
        fund = np.isin(want, self.i_firm * nc + self.fu_city[self.i_fund])
        fin = self.f_financing[inv] > 0
        tilt = TILT["leader"] * leader + TILT["local"] * (local & ~leader) + TILT["fund"] * fund + TILT["financing"] * fin
        return np.where(pcity >= 0, tilt, 0.0)

    def _project_optional(self, i: int) -> dict[str, Any]:
        power = float(self.p_power[i])
        return _optional(Label.Project, {
            "power_need_kva": None if np.isnan(power) else power,
            "needs_rail": True if self.p_rail[i] else None,
            "land_needed_by": _iso(self.p_needed_by[i:i + 1])[0] if self.p_needed_by[i] >= 0 else None,
        })

    def project_key(self, i: int) -> str:
        return f"syn.project.{i:06d}"

    def _project_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        parks = self.facts.parks
        out = []
        pollution = ("轻污染", "一般", "重污染")
        for i in range(len(self.p_investor)):
            inv = int(self.p_investor[i])
            seg = int(self.p_seg[i])
            pk = int(self.p_park[i])
            park = parks[pk] if pk >= 0 else None
            region = park["region"] if park else self._project_counties[int(self.p_region_pick[i])]
            bits = int(self.p_bits[i])
            brand = BRAND_1[bits % len(BRAND_1)] + BRAND_2[(bits >> 6) % len(BRAND_2)]
            flav = self.seg_flavour[seg]
            stage = int(self.p_stage[i])
            out.append((Label.Project, {
                "key": self.project_key(i),
                "name": f"示例{brand}{flav[(bits >> 12) % len(flav)]}{PROJECT_KINDS[(bits >> 16) % len(PROJECT_KINDS)]}项目（合成）",
                **self._base(),
                "investor": str(self.f_key[inv]), "chain": self.chain_keys[self.seg_chain[seg]],
                "segment": self.seg_keys[seg], "region": region, "park": park["key"] if park else None,
                "stage": PROJECT_STAGES[stage], "total_investment_wan": float(self.p_invest[i]),
                "land_min_mu": float(self.p_land_min[i]), "land_max_mu": float(self.p_land_max[i]),
                "land_use": "0604" if self.p_use_storage[i] else "0601",
                "expected_tax_wan": float(self.p_tax[i]), "expected_output_wan": float(self.p_output[i]),
                "energy_tce_per_wan": float(self.p_energy[i]), "pollution_class": pollution[self.p_pollution[i]],
                "max_price_wan_per_mu": float(self.p_price[i]), "jobs": int(self.p_jobs[i]),
                "owner": OWNERS[self.p_owner[i]],
                "signed_on": _iso(self.p_signed[i:i + 1])[0] if stage >= PROJECT_STAGES.index("签约") else None,
                **self._project_optional(i),
                **self._project_pipeline(i, stage),
            }))
        yield out

    def _stage_days(self, i: int, stage: int) -> list[int]:
        """Day numbers (since 1970-01-01) on which project i entered stages 0..stage: a signed project entered
        签约 on its signing day; an unsigned one entered its stage p_anchor days before as_of. Later
        stages are compressed to end by as_of."""
        signed = PROJECT_STAGES.index("签约")
        ref = int(self._ref_days(np.zeros(1, np.int64))[0])
        gaps = [int(g) for g in self.p_gaps[i]]
        days = [0] * (stage + 1)
        pivot = min(stage, signed)
        days[pivot] = int(self.p_signed[i]) if stage >= signed else ref - int(self.p_anchor[i])
        for j in range(pivot - 1, -1, -1):
            days[j] = days[j + 1] - gaps[j]
        if stage > signed:
            forward = gaps[signed:stage]
            room = ref - days[signed]
            total = sum(forward)
            if total > room:
                forward = [g * room // total for g in forward]
            for j in range(signed + 1, stage + 1):
                days[j] = days[j - 1] + forward[j - signed - 1]
        return days

    def _project_pipeline(self, i: int, stage: int) -> dict[str, Any]:
        """Stage history, tracking log, next action, FDI figures and actual results (synthetic, like the rest)."""
        import json

        owner = OWNERS[self.p_owner[i]]
        days = self._stage_days(i, stage)
        dates = _iso(np.asarray(days, dtype=np.int64))
        history = []
        for j, on in enumerate(dates):
            e = {"on": on, "from": PROJECT_STAGES[j - 1] if j else None, "to": PROJECT_STAGES[j], "by": owner,
                 "at": f"{on}T09:00:00Z", "note": "建档（合成）" if j == 0 else f"{STAGE_NOTES[j]}（合成）"}
            history.append(json.dumps({k: v for k, v in e.items() if v is not None}, ensure_ascii=False,
                                      separators=(",", ":")))
        done = stage == len(PROJECT_STAGES) - 1
        ref = int(self._ref_days(np.zeros(1, np.int64))[0])
        tracking = []
        n_track = 0 if done else int(self.p_track_n[i])
        last = ref - int(self.p_track_age[i])
        bits = int(self.p_note[i])
        for j in range(n_track - 1, -1, -1):
            on = _iso(np.asarray([last - 7 * j], dtype=np.int64))[0]
            note = TRACKING_NOTES[(bits >> (3 * j)) % len(TRACKING_NOTES)]
            tracking.append(json.dumps({"on": on, "by": owner, "at": f"{on}T17:00:00Z", "note": f"{note}（合成）"},
                                       ensure_ascii=False, separators=(",", ":")))
        out: dict[str, Any] = {
            "stage_on": dates[-1], "stage_history": history, "tracking_log": tracking,
            "next_action": None if done else NEXT_ACTIONS[stage],
            "next_action_on": None if done else _iso(np.asarray([ref + int(self.p_next[i])], dtype=np.int64))[0],
        }
        if self.p_fdi[i]:
            total = float(self.p_fdi_total[i])
            out.update({
                "industry_class": ("制造业", "高技术服务业", "其他服务业")[self.p_ind_class[i]],
                "fdi_form": ("新设", "增资", "利润再投资")[self.p_fdi_form[i]],
                "fdi_total_usd_wan": total,
                "fdi_first_year_usd_wan": float(round(total * float(self.p_fdi_shares[i, 0]))),
                "fdi_year_usd_wan": float(round(total * float(self.p_fdi_shares[i, 1]))),
            })
        a = self.p_actual[i]
        if stage >= PROJECT_STAGES.index("开工"):
            built = 1.0 if stage >= PROJECT_STAGES.index("投产") else 0.5
            out["actual_investment_wan"] = float(round(float(self.p_invest[i]) * float(a[0]) * built))
        if stage >= PROJECT_STAGES.index("投产"):
            ramp = 1.0 if done else 0.5
            out["actual_tax_wan"] = float(round(float(self.p_tax[i]) * float(a[1]) * ramp))
            out["actual_output_wan"] = float(round(float(self.p_output[i]) * float(a[2]) * ramp))
            out["actual_jobs"] = int(round(int(self.p_jobs[i]) * float(a[3])))
        return _optional(Label.Project, out)
