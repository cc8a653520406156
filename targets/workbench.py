"""What the 招商目标 pages of the officer's workbench ask of the recommender (read side, the snapshot only).

  target_form(snap, region=, chain=, segment=, k=)   the /pages/targets form: its choices (行政区, 产业链, 环节 names
                                                     for the inputs' suggestions) and, once region and chain or
                                                     segment are given, the ranked list — or the refusal as a
                                                     message with 您是不是要找… candidates, so the officer keeps the form
  fund_targets_page(snap, fund=, region=, k=)        以投促引: the fund's portfolio firms for a region (default: the
                                                     fund's own city)
  leader_targets_page(snap, leader=, region=, k=)    以企引企: the 链主's suppliers/customers not yet local
  region_anchors(snap, region)                       the region's local funds and 链主 — the entry points to the two
                                                     views above

Names, 简称 and keys are resolved by kernel.resolve (through the views); unknown fund/链主 ids raise as the API does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graph.snapshot import Snapshot
from kernel.errors import ChainMatchError
from targets.engine import TargetEngine
from targets.model import TargetConfig
from targets.results import Ref, TargetList
from targets.views import check_k, rank_fund_targets, rank_leader_targets, rank_targets


@dataclass
class FormChoices:
    """Suggestions for the form's inputs: 行政区 (provinces and cities), 产业链, the chosen chain's 环节 (names)."""

    regions: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)


@dataclass
class FormAnswer:
    """The target page's answer: the list, or why there is none (the message and what might have been meant)."""

    choices: FormChoices
    result: TargetList | None = None
    error: str | None = None
    candidates: list[str] = field(default_factory=list)
    funds: list[Ref] = field(default_factory=list)  # the region's local funds (以投促引)
    leaders: list[Ref] = field(default_factory=list)  # the region's local 链主 (以企引企)


def _choices(eng: TargetEngine, chain: str | None) -> FormChoices:
    idx = eng.idx
    regions = [str(n) for n, lv in zip(idx.region_names.tolist(), idx.region_level.tolist()) if lv in ("province", "city")]
    chains = [str(n) for n in idx.chain_names.tolist()]
    segments: list[str] = []
    if chain:
        try:
            c = eng.resolve_chain(chain)
            segments = [str(idx.seg_names[s]) for s in idx.chain_segments(c).tolist()]
        except ChainMatchError:
            segments = []
    return FormChoices(regions=sorted(set(regions)), chains=chains, segments=segments)


def target_form(snap: Snapshot, *, region: str | None, chain: str | None, segment: str | None, k: int,
                config: TargetConfig | None = None) -> FormAnswer:
    """The form's choices and, when the form is filled, the ranked list or the refusal as a message."""
    eng = TargetEngine.of(snap, config)
    answer = FormAnswer(choices=_choices(eng, chain))
    if not region:
        return answer
    try:
        check_k(k, eng.config.max_k)
        answer.funds, answer.leaders = region_anchors(snap, region, config=config)
        if chain or segment:
            answer.result = rank_targets(snap, region=region, chain=chain, segment=segment, k=k, config=config)
    except ChainMatchError as e:  # the page shows the refusal above the form it came from
        answer.error, answer.candidates = e.message, list(e.candidates or [])
    return answer


def region_anchors(snap: Snapshot, region: str, *, config: TargetConfig | None = None) -> tuple[list[Ref], list[Ref]]:
    """(local funds, local 链主) of a region, by name — the 以投促引 and 以企引企 pages' entry points."""
    eng = TargetEngine.of(snap, config)
    st = eng.region_state(eng.resolve_region(region))
    funds = [Ref(key=str(eng.fund_keys[f]), name=str(eng.fund_names[f])) for f in np.flatnonzero(st.local_funds)]
    leaders = [Ref(key=str(eng.idx.firm_keys[f]), name=str(eng.idx.firm_names[f]))
               for f in np.flatnonzero(eng.leader_any & st.local)]
    return sorted(funds, key=lambda r: r.name), sorted(leaders, key=lambda r: r.name)


def fund_city(snap: Snapshot, fund: str, *, config: TargetConfig | None = None) -> str | None:
    """The key of the fund's own city (its region's city-level ancestor, else its region), or None when unknown."""
    eng = TargetEngine.of(snap, config)
    f = eng.resolve_fund(fund)
    r = int(eng.fund_region[f])
    if r < 0:
        return None
    city = int(eng.idx.region_ancestor["city"][r])
    return str(eng.idx.region_keys[city if city >= 0 else r])


def fund_targets_page(snap: Snapshot, *, fund: str, region: str | None, k: int,
                      config: TargetConfig | None = None) -> TargetList | None:
    """以投促引 for a region (default: the fund's city); None when neither is known (the page then asks)."""
    region = region or fund_city(snap, fund, config=config)
    if region is None:
        TargetEngine.of(snap, config).resolve_fund(fund)  # an unknown fund is still refused
        return None
    return rank_fund_targets(snap, fund=fund, region=region, k=k, config=config)


def leader_targets_page(snap: Snapshot, *, leader: str, region: str | None, k: int,
                        config: TargetConfig | None = None) -> TargetList:
    """以企引企: the 链主's partners not yet in the region (default: the 链主's city)."""
    return rank_leader_targets(snap, leader=leader, region=region, k=k, config=config)
