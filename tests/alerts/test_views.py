"""How subscriptions link to their subject's page: a chain subscription's 产业链图谱 carries the 行政区 its targets are
ranked for; other subjects link to their page as they are."""
from __future__ import annotations

from alerts.views import subscription_row
from graph.store import SubscriptionRec


def _sub(kind, key, region=None):
    return SubscriptionRec("s1", "k1", kind, key, "名称", "2026-12-06T01:00:00+00:00", None, region)


def test_a_chain_subscription_links_to_its_map_for_its_region():
    assert subscription_row(_sub("chain", "ic", "330800"))["page"] == "/pages/chains/ic/map?region=330800"
    assert subscription_row(_sub("chain", "ic"))["page"] == "/pages/chains/ic/map"
    assert subscription_row(_sub("park", "quzhou_zhizao"))["page"] == "/pages/parks/quzhou_zhizao"
    assert subscription_row(_sub("parcel", "p 1"))["page"] == "/pages/land?parcel=p%201"
    assert subscription_row(_sub("segment", "ic-design", "330800"))["page"] is None
