"""土地超市 data: everything the matcher reads — the graph context and the parcel and project tables — from one
analytic snapshot (built once per snapshot, kept in the kernel's derived registry) or from validated records."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from graph.schema import LandParcel, Project
from graph.snapshot import Snapshot
from kernel.derived import derived
from land.context import LandContext
from land.tables import ParcelTable, ProjectTable


@dataclass
class LandData:
    """Everything the matcher needs: the graph context and the two tables (from one snapshot, or from files)."""

    ctx: LandContext
    parcels: ParcelTable
    projects: ProjectTable
    version: int | None = None

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "LandData":
        ctx = LandContext.build(snap)
        return cls(ctx, ParcelTable.from_snapshot(snap, ctx), ProjectTable.from_snapshot(snap, ctx), snap.version)

    @classmethod
    def from_records(cls, projects: Sequence[Project], parcels: Sequence[LandParcel],
                     snap: Snapshot | None = None) -> "LandData":
        """Tables from validated records (CSV files); graph facts from `snap` when given."""
        ctx = LandContext.build(
            snap,
            chains=[p.chain for p in projects if p.chain] + [c for q in parcels for c in q.allowed_chains],
            parks=[p.park for p in projects if p.park] + [q.park for q in parcels if q.park],
            regions=[p.region for p in projects if p.region] + [q.region for q in parcels],
            segments=[p.segment for p in projects if p.segment],
        )
        return cls(ctx, ParcelTable.from_records(parcels, ctx), ProjectTable.from_records(projects, ctx),
                   None if snap is None else snap.version)

    def with_project(self, project: Project) -> tuple["LandData", int]:
        """A view whose project table is the single (inline) project; returns (data, its row)."""
        return LandData(self.ctx, self.parcels, ProjectTable.from_records([project], self.ctx), self.version), 0


def land_data(snap: Snapshot) -> LandData:
    """The matcher's arrays for a snapshot, built once per snapshot (kept in the derived registry)."""
    return derived(snap, "land.data", lambda: LandData.from_snapshot(snap))
