"""The answer of ChainMatch's 信息检索 (API, page and CLI): one ranked list of hits over every kind of node."""
from __future__ import annotations

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    label: str = Field(description="节点类别，如 Enterprise")
    label_name: str = Field(description="类别中文名，如 企业")
    key: str = Field(description="节点 key（企业为统一社会信用代码）")
    name: str = Field(description="名称")
    why: str = Field(description="命中依据：名称 / 简称 / 代码 / 拼音 / 拼音首字母 / 错字容错")
    how: str = Field(description="命中方式：完全一致 / 前缀 / 包含 / 同音 / 相近")
    context: str | None = Field(default=None, description="所在地区、所属园区或产业链、项目阶段等")
    leader: bool = Field(default=False, description="是否链主（同等匹配时排在前面）")
    url: str = Field(description="打开它的页面")


class SearchResult(BaseModel):
    query: str = Field(description="检索词（原样）")
    label: str | None = Field(default=None, description="只检索的类别（未指定 = 全部）")
    total: int = Field(description="命中的候选数（按类别见 by_label；候选有上限，见 docs/search.md）")
    by_label: dict[str, int] = Field(description="各类别命中数")
    hits: list[SearchHit] = Field(description="按相关度排序的结果")
    index_version: int = Field(description="检索索引对应的数据版本")
