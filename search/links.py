"""Where a search hit opens, and the one line that tells two similar hits apart (the firm's region, the parcel's park,
the segment's chain, the project's stage) — read from the snapshot, names never codes."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from graph.snapshot import Snapshot
from kernel.derived import derived
from kernel.regions import region_or_home

# label → the reference field whose name is shown beside a hit, and that field's label
CONTEXT_FIELDS = {"Enterprise": ("region", "Region"), "Park": ("region", "Region"), "Fund": ("region", "Region"),
                  "LandParcel": ("park", "Park"), "Segment": ("chain", "IndustryChain"),
                  "Project": ("park", "Park"), "Region": ("parent", "Region")}


def _ref(snap: Snapshot, label: str, key: str, field: str) -> str | None:
    """The value of a reference (text) field of a node, or None."""
    la = snap.labels.get(label)
    if la is None or field not in la.cat:
        return None
    i = snap.index_of(label, key)
    if i < 0:
        return None
    codes, vocab = la.cat[field]
    c = int(codes[i])
    return str(vocab[c]) if c >= 0 else None


def _name(snap: Snapshot, label: str, key: str | None) -> str | None:
    if not key or not snap.n(label):
        return None
    i = snap.index_of(label, key)
    return str(snap.labels[label].names[i]) if i >= 0 else None


def makers(snap: Snapshot, key: str) -> list[str]:
    """The keys of the firms that make a product (MAKES), strongest first."""
    j = snap.index_of("Product", key)
    if j < 0:
        return []
    m = derived(snap, "search.makers", lambda: snap.relation("MAKES", "Enterprise", "Product").tocsc())
    rows, w = m.indices[m.indptr[j]:m.indptr[j + 1]], m.data[m.indptr[j]:m.indptr[j + 1]]
    keys = snap.keys("Enterprise")
    return [str(keys[i]) for i in rows[(-w).argsort(kind="stable")]]


def context_of(snap: Snapshot, label: str, key: str) -> str | None:
    """The hit's region / park / chain name, a project's stage, a parcel's status, a product's makers."""
    parts = []
    if label == "Product":
        who = makers(snap, key)
        names = [_name(snap, "Enterprise", k) or k for k in who[:2]]
        parts.append(f"{'、'.join(names)}{' 等' if len(who) > 2 else ''} {len(who)} 家企业生产" if who else "暂无生产企业")
    if label in CONTEXT_FIELDS:
        field, ref_label = CONTEXT_FIELDS[label]
        parts.append(_name(snap, ref_label, _ref(snap, label, key, field)))
    if label == "Project":
        parts.append(_ref(snap, label, key, "stage"))
    if label == "LandParcel":
        parts.append({"available": "可供", "reserved": "已预留", "transferred": "已出让"}.get(
            _ref(snap, label, key, "status") or ""))
    text = " · ".join(p for p in parts if p)
    return text or None


def chain_url(snap: Snapshot, chain: str, home_region: str | None, segment: str | None = None) -> str:
    """The chain map of the officer's own region, a segment selected in it: the region the chain page itself assumes
    when none is asked (kernel.regions.region_or_home: `home_region` when the data has it, else the first demo city),
    written into the link so that it says where it goes."""
    params = {}
    region = region_or_home(snap, None, home_region)
    if region:
        params["region"] = region
    if segment:
        params["segment"] = segment
    return f"/pages/chains/{quote(chain, safe='')}/map" + (f"?{urlencode(params)}" if params else "")


def url_of(snap: Snapshot, label: str, key: str, home_region: str | None = None) -> str:
    """The workbench page of a hit: 企业画像, 园区画像, the parcel in 土地超市, the project in 项目库, the chain map of
    `home_region` (the officer's city, settings alerts.home_region; a segment: its chain's map with the segment
    selected), a region's 招商目标, a fund's 以投促引 list, 政策计算器; a product: the firm that makes most of it."""
    k = quote(key, safe="")
    if label == "Enterprise":
        return f"/pages/enterprises/{k}"
    if label == "Park":
        return f"/pages/parks/{k}"
    if label == "LandParcel":
        return "/pages/land?" + urlencode({"parcel": key})
    if label == "Project":
        return f"/pages/pipeline/{k}"
    if label == "IndustryChain":
        return chain_url(snap, key, home_region)
    if label == "Segment":
        chain = _ref(snap, label, key, "chain")
        return chain_url(snap, chain, home_region, key) if chain else "/pages"
    if label == "Region":
        return "/pages/targets?" + urlencode({"region": key})
    if label == "Fund":
        return f"/pages/funds/{k}/targets"
    if label == "Policy":
        return "/pages/incentives"
    who = makers(snap, key) if label == "Product" else []
    return f"/pages/enterprises/{quote(who[0], safe='')}" if who else "/pages"
