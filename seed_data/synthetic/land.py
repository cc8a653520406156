"""Synthetic land parcels in the real parks, with 标准地 indicators, 配套 and status; and their records. A mixin
of seed_data.generator.SyntheticWorld."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from graph.schema import Label
from land.outlines import inside
from seed_data.synthetic.common import (
    READINESS, READINESS_P, _iso, _optional,
)


class ParcelsPlan:
    """Parks' parcels: planning and records."""

    def _parcels(self, rng: np.random.Generator) -> None:
        npc = self.n_parcels if self.park_keys else 0
        parks = self.facts.parks
        self.pc_park = rng.integers(0, max(len(parks), 1), npc)
        chem = np.array(["化工" in (p.get("kind") or "") for p in parks] or [False])[self.pc_park]
        national = np.array([(p.get("level") or "") == "国家级" for p in parks] or [False])[self.pc_park]
        area = np.clip(rng.lognormal(np.log(60), 0.7, npc), 20, 300)
        big = rng.random(npc) < 0.05
        area = np.where(big, rng.uniform(300, 800, npc), area)
        self.pc_area = np.round(area, 2)
        self.pc_use = rng.choice(3, size=npc, p=(0.92, 0.05, 0.03))  # 0601 / 0604 / 0809
        far_min = np.where(chem, rng.choice((0.6, 0.8, 1.0), npc), rng.choice((1.0, 1.2, 1.5), npc))
        self.pc_far_min = far_min
        self.pc_far_max = np.round(np.minimum(far_min + rng.choice((0.8, 1.0, 1.3, 1.5), npc), 3.0), 1)
        self.pc_density_min = rng.choice((30.0, 35.0, 40.0), npc)
        self.pc_density_max = rng.choice((55.0, 60.0, 65.0), npc)
        self.pc_green = rng.choice((10.0, 15.0, 20.0), npc)
        self.pc_price = np.round(rng.uniform(10, 45, npc) + national * rng.uniform(0, 15, npc), 1)
        self.pc_ready = rng.choice(len(READINESS), size=npc, p=READINESS_P)
        self.pc_status = rng.choice(3, size=npc, p=(0.80, 0.12, 0.08))
        self.pc_invest = rng.choice((250.0, 300.0, 350.0, 400.0, 450.0, 500.0), npc) + national * 50.0
        self.pc_invest = np.minimum(self.pc_invest, 500.0)
        self.pc_tax = rng.choice((8.0, 10.0, 15.0, 20.0, 25.0, 30.0), npc)
        self.pc_output = rng.choice((200.0, 300.0, 400.0, 500.0, 600.0, 800.0), npc)
        self.pc_energy = np.where(rng.random(npc) < 0.8, rng.choice((0.1, 0.2, 0.3, 0.5), npc), np.nan)
        self.pc_pollution = np.where(rng.random(npc) < 0.1, 0, np.where(chem & (rng.random(npc) < 0.5), 3,
                                                                        rng.choice((1, 2), npc, p=(0.3, 0.7))))
        self.pc_chains_mode = rng.choice(3, size=npc, p=(0.55, 0.20, 0.25))  # park's / one of them / unrestricted
        self.pc_chain_pick = rng.integers(0, 1 << 30, npc)
        self.pc_dlat = np.round(rng.normal(0, 0.015, npc), 4)
        self.pc_dlon = np.round(rng.normal(0, 0.015, npc), 4)
        self.pc_year = rng.integers(2021, 2026, npc)
        # optional 配套/时序 fields (written only if the model has them, see _optional)
        self.pc_power = np.where(rng.random(npc) < 0.85, rng.choice((1000.0, 2000.0, 5000.0, 10000.0, 20000.0), npc), np.nan)
        self.pc_rail = rng.choice(3, size=npc, p=(0.08, 0.60, 0.32))  # True / False / not stated
        self.pc_deliver = np.where(rng.random(npc) < 0.6, self._ref_days(-rng.integers(0, 540, npc)), -1)
        self.pc_holder_u = rng.random(npc)

    def _parcel_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Each parcel's coordinates: its park's point (else its region's) plus the planned offset, kept inside the
        region's outline (land/map_assets): an offset that leaves it is halved until the point is back inside (the
        park's own point is inside — tests/seed_data check the facts). NaN where neither has coordinates."""
        parks = self.facts.parks

        def centre(p: dict[str, Any], field: str) -> float:
            v = p.get(field) if p.get(field) is not None else self.regions.get(p["region"], {}).get(field)
            return np.nan if v is None else float(v)

        base_lat = np.array([centre(p, "lat") for p in parks] or [np.nan])[self.pc_park]
        base_lon = np.array([centre(p, "lon") for p in parks] or [np.nan])[self.pc_park]
        dlat, dlon = self.pc_dlat.astype(float), self.pc_dlon.astype(float)
        lat, lon = np.round(base_lat + dlat, 4), np.round(base_lon + dlon, 4)
        for pi, p in enumerate(parks):
            rows = np.nonzero((self.pc_park == pi) & ~np.isnan(lat))[0]
            for _ in range(8):
                out = rows[~inside(p["region"], lat[rows], lon[rows])]
                if not len(out):
                    break
                dlat[out] /= 2
                dlon[out] /= 2
                lat[out], lon[out] = np.round(base_lat[out] + dlat[out], 4), np.round(base_lon[out] + dlon[out], 4)
            else:
                lat[out], lon[out] = base_lat[out], base_lon[out]
        return lat, lon

    def parcel_key(self, i: int) -> str:
        return f"syn.parcel.{i:06d}"

    def _parcel_dicts(self) -> Iterator[list[tuple[Label, dict[str, Any]]]]:
        parks = self.facts.parks
        uses = ("0601", "0604", "0809")
        pollution = ([], ["轻污染"], ["轻污染", "一般"], ["轻污染", "一般", "重污染"])
        counters: dict[int, int] = {}
        lats, lons = self._parcel_points()
        out = []
        for i in range(len(self.pc_park)):
            pi = int(self.pc_park[i])
            p = parks[pi]
            counters[pi] = counters.get(pi, 0) + 1
            lead = list(p.get("leading_chains") or [])
            mode = int(self.pc_chains_mode[i])
            allowed = lead if mode == 0 else ([lead[int(self.pc_chain_pick[i]) % len(lead)]] if mode == 1 and lead else [])
            energy = float(self.pc_energy[i])
            use = uses[self.pc_use[i]]
            lat, lon = float(lats[i]), float(lons[i])
            out.append((Label.LandParcel, {
                "key": self.parcel_key(i),
                "name": f"{p['name']}示例地块{int(self.pc_year[i])}-{counters[pi]:03d}号（合成）", **self._base(),
                "park": p["key"], "region": p["region"], "area_mu": float(self.pc_area[i]), "land_use": use,
                "far_min": float(self.pc_far_min[i]), "far_max": float(self.pc_far_max[i]),
                "density_min": float(self.pc_density_min[i]), "density_max": float(self.pc_density_max[i]),
                "green_ratio_max": float(self.pc_green[i]), "term_years": 50,
                "price_wan_per_mu": float(self.pc_price[i]), "readiness": list(READINESS[self.pc_ready[i]]),
                "status": ("available", "reserved", "transferred")[self.pc_status[i]],
                "min_invest_intensity_wan_per_mu": float(self.pc_invest[i]),
                "min_tax_wan_per_mu": float(self.pc_tax[i]), "min_output_wan_per_mu": float(self.pc_output[i]),
                "max_energy_tce_per_wan": None if np.isnan(energy) else energy,
                "allowed_pollution": list(pollution[self.pc_pollution[i]]), "allowed_chains": allowed,
                "lat": None if np.isnan(lat) else lat, "lon": None if np.isnan(lon) else lon,
                **self._parcel_optional(i),
            }))
        yield out

    def _parcel_optional(self, i: int) -> dict[str, Any]:
        """配套/时序 and holder fields, for the schema versions that have them (None = not stated)."""
        power = float(self.pc_power[i])
        holder = int(self.pc_holder[i])
        status = int(self.pc_status[i])
        signed = _iso(self.p_signed[holder:holder + 1])[0] + "T00:00:00Z" if holder >= 0 else None
        return _optional(Label.LandParcel, {
            "power_capacity_kva": None if np.isnan(power) else power,
            "rail_access": (True, False, None)[self.pc_rail[i]],
            "deliverable_on": _iso(self.pc_deliver[i:i + 1])[0] if self.pc_deliver[i] >= 0 and status == 0 else None,
            "reserved_by": self.project_key(holder) if status == 1 else None,
            "reserved_at": signed if status == 1 else None,
            "transferred_to": self.project_key(holder) if status == 2 else None,
            "transferred_at": signed if status == 2 else None,
        })
