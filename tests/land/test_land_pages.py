"""土地超市 storefront page: filters, offline and escaped; a parcel's matching projects."""
from __future__ import annotations

import pytest

from factories import INJECT, graph_data, land_market


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_market(), park="qz").with_keys(park_admin_sz=("park_admin", "sz"))


def test_storefront_page_filters_offline_and_escaped(api_env):
    client = api_env.client
    r = client.get("/pages/land")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "土地超市" in page and "default-src 'none'" in r.headers["content-security-policy"]
    for external in ("http://", "https://", "<script", "src=", "<link", "@import"):
        assert external not in page, external
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # the injected names, inert
    assert "智造新城A地块" in page and "智造新城C地块" in page
    only = lambda **q: client.get("/pages/land", params=q).text  # noqa: E731
    p = only(chain="ic")
    assert "智造新城A地块" in p and "深圳B地块" in p  # B is unrestricted
    p = only(chain="bio")
    assert "智造新城A地块" not in p and "深圳B地块" in p  # A admits only 集成电路
    p = only(area_min="100", area_max="")
    assert "深圳B地块" in p and "智造新城A地块" not in p
    p = only(invest="22000")  # 22000/80 = 275 < A's 300
    assert "智造新城A地块" not in p and "智造新城C地块" in p
    p = only(park="sz")
    assert "深圳B地块" in p and "智造新城C地块" not in p
    p = only(standard="1")
    assert "智造新城A地块" in p and "智造新城C地块" not in p
    p = only(area_min="abc", park=f"无此园{INJECT}")  # (INJECT alone names 深圳园…, the one park containing it)
    assert "面积下限应为数字" in p and "<script>alert" not in p and "未知园区" in p


def test_storefront_parcel_detail_lists_projects(api_env):
    client = api_env.client
    page = client.get("/pages/land", params={"parcel": "A"}).text
    assert "封测基地项目" in page and "适合的项目" in page and "园区主导产业契合" in page
    assert "项目未填达产年税收，无法满足亩均税收要求（≥ 15 万元/亩）" in page  # the 60 抢地项目 lack a tax figure
    page = client.get("/pages/land", params={"parcel": "B"}).text
    assert "<script>alert" not in page and "深圳B地块&lt;script&gt;" in page
    assert "地块 nope 不存在" in client.get("/pages/land", params={"parcel": "nope"}).text
