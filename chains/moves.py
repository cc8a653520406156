"""Where to recruit (招商方向) from a classified chain: 补链 (fill a 空白 segment on the main path), 强链
(strengthen a 薄弱 segment next to an 优势 one) and 延链 (extend up- or downstream of a local 优势 segment, across
chains too), each with its anchors, a priority and a reason an officer can repeat; and the context segments of
other chains the map draws next to the chain. Rules: chains/analysis.py's module docstring."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chains.models import GAP, STRONG, WEAK
from chains.index import ChainIndex
from chains.mainpath import ChainDag
from chains.models import EXTEND, FILL, STRENGTHEN, Move
from chains.strength import Measures


def seg_ref(idx: ChainIndex, s: int) -> tuple[str, str, str, str]:
    """(segment key, segment name, chain key, chain name) of segment s ("" when it has no chain)."""
    ch = int(idx.seg_chain[s])
    return (str(idx.seg_keys[s]), str(idx.seg_names[s]), str(idx.chain_keys[ch]) if ch >= 0 else "",
            str(idx.chain_names[ch]) if ch >= 0 else "")


@dataclass
class MovePlan:
    """The moves in display order, the 延链 targets with their anchors, and each segment's strong neighbours."""

    moves: list[Move]
    extend_targets: dict[int, list[tuple[int, str]]]
    strong_neighbours: dict[int, list[int]]


def strong_neighbours(idx: ChainIndex, klass: np.ndarray) -> dict[int, list[int]]:
    """Locally strong direct neighbours of each segment (UPSTREAM_OF either way, any chain)."""
    strong_nb: dict[int, list[int]] = {}
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if klass[v] == STRONG:
            strong_nb.setdefault(u, []).append(v)
        if klass[u] == STRONG:
            strong_nb.setdefault(v, []).append(u)
    return strong_nb


def plan_moves(idx: ChainIndex, c: int, m: Measures, klass: np.ndarray, dag: ChainDag) -> MovePlan:
    """补链, then 强链, then 延链 for chain c; a segment is named by at most one of them (in that order)."""
    strong_nb = strong_neighbours(idx, klass)
    listed: set[int] = set()
    moves = fill_moves(idx, c, klass, dag, strong_nb, listed)
    moves += strengthen_moves(idx, c, m, klass, dag, listed)
    ext = extend_targets(idx, klass, set(dag.segs.tolist()), listed)
    moves += extend_moves(idx, m, klass, set(dag.segs.tolist()), ext)
    return MovePlan(moves, ext, strong_nb)


def fill_moves(idx: ChainIndex, c: int, klass: np.ndarray, dag: ChainDag, strong_nb: dict[int, list[int]],
               listed: set[int]) -> list[Move]:
    """补链: the chain's 空白 segments on the main path, largest SPC share first, naming local strong neighbours."""
    chain_key, chain_name = str(idx.chain_keys[c]), str(idx.chain_names[c])
    in_chain = set(dag.segs.tolist())
    moves: list[Move] = []
    for s in sorted(dag.segs.tolist(), key=lambda x: (-dag.share[x], dag.pos[x])):
        if klass[s] == GAP and s in dag.main:
            k, n, _, _ = seg_ref(idx, s)
            anchors = sorted(set(strong_nb.get(s, [])), key=lambda a: str(idx.seg_keys[a]))
            with_local = ("；可依托本地优势环节" + "、".join(
                f"“{idx.seg_names[a]}”" + ("" if a in in_chain else f"（{seg_ref(idx, a)[3]}）") for a in anchors)
                if anchors else "")
            moves.append(Move(kind=FILL, segment=k, segment_name=n, chain=chain_key, chain_name=chain_name,
                              cross_chain=False, current_class=GAP, anchors=[str(idx.seg_keys[a]) for a in anchors],
                              priority=round(dag.share[s], 4),
                              reason=f"“{n}”是{chain_name}主干环节（承载 {dag.share[s]:.0%} 的上下游路径），本地空白"
                                     + with_local))
            listed.add(s)
    return moves


def strengthen_moves(idx: ChainIndex, c: int, m: Measures, klass: np.ndarray, dag: ChainDag,
                     listed: set[int]) -> list[Move]:
    """强链: the chain's 薄弱 segments next to an 优势 one inside the chain, most strong neighbours first."""
    chain_key, chain_name = str(idx.chain_keys[c]), str(idx.chain_names[c])
    nb: dict[int, set[int]] = {s: set() for s in dag.segs.tolist()}
    for u, v in dag.edges:
        nb[u].add(v)
        nb[v].add(u)
    strengthen = []
    for s in dag.segs.tolist():
        if klass[s] != WEAK:
            continue
        anchors = sorted((a for a in nb[s] if klass[a] == STRONG), key=lambda a: dag.pos[a])
        if anchors:
            strengthen.append((s, anchors))
    strengthen.sort(key=lambda x: (-len(x[1]), -float(np.nan_to_num(m.lq[x[0]])), dag.pos[x[0]]))
    moves: list[Move] = []
    for s, anchors in strengthen:
        k, n, _, _ = seg_ref(idx, s)
        names = "、".join(f"“{idx.seg_names[a]}”" for a in anchors)
        lq = float(np.nan_to_num(m.lq[s]))
        moves.append(Move(kind=STRENGTHEN, segment=k, segment_name=n, chain=chain_key, chain_name=chain_name,
                          cross_chain=False, current_class=WEAK, anchors=[str(idx.seg_keys[a]) for a in anchors],
                          priority=round(len(anchors) + lq / 10, 4),
                          reason=f"与本地优势环节{names}相邻；本地已有 {int(m.local_count[s])} 家，区位熵 {lq:.2f}，补强可成链"))
        listed.add(s)
    return moves


def extend_targets(idx: ChainIndex, klass: np.ndarray, in_chain: set[int],
                   listed: set[int]) -> dict[int, list[tuple[int, str]]]:
    """延链 targets: over UPSTREAM_OF edges with one end in this chain, the non-优势 end next to a locally strong
    one (not already 补链/强链), with its anchors and whether the target lies 上游 or 下游 of them."""
    ext: dict[int, list[tuple[int, str]]] = {}
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if u not in in_chain and v not in in_chain:
            continue
        for anchor, target, where in ((u, v, "下游"), (v, u, "上游")):
            if klass[anchor] != STRONG or klass[target] == STRONG or target in listed:
                continue
            ext.setdefault(target, []).append((anchor, where))
    return ext


def extend_moves(idx: ChainIndex, m: Measures, klass: np.ndarray, in_chain: set[int],
                 ext: dict[int, list[tuple[int, str]]]) -> list[Move]:
    """延链 moves, most anchors first, then the nationally strongest targets."""
    ext_rows = sorted(ext.items(), key=lambda x: (-len(x[1]), -float(m.national_strength[x[0]]), str(idx.seg_keys[x[0]])))
    moves: list[Move] = []
    for t, anchors in ext_rows:
        k, n, ck, cn = seg_ref(idx, t)
        parts = []
        for a, where in sorted(anchors, key=lambda x: str(idx.seg_keys[x[0]])):
            _, an, _, acn = seg_ref(idx, a)
            parts.append(f"本地优势环节“{an}”{'' if a in in_chain else f'（{acn}）'}的{where}")
        cross = t not in in_chain
        reason = "；".join(parts) + (f"；属{cn}，跨链延伸" if cross else "") + \
            f"；本地{'空白' if klass[t] == GAP else f'薄弱（{int(m.local_count[t])} 家）'}"
        moves.append(Move(kind=EXTEND, segment=k, segment_name=n, chain=ck, chain_name=cn, cross_chain=cross,
                          current_class=str(klass[t]), anchors=sorted({str(idx.seg_keys[a]) for a, _ in anchors}),
                          priority=round(len(anchors) + float(m.national_strength[t]) / (m.national_strength.max() or 1) / 10, 4),
                          reason=reason))
    return moves


def context_segments(plan: MovePlan, in_chain: set[int]) -> set[int]:
    """Other-chain segments drawn next to the chain: the other-chain ends of 延链 moves and the locally strong
    other-chain segments directly up- or downstream of this chain."""
    context: set[int] = {t for t in plan.extend_targets if t not in in_chain}
    for s_ in in_chain:
        context.update(a for a in plan.strong_neighbours.get(s_, []) if a not in in_chain)
    return context
