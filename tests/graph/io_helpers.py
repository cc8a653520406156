"""What the import/export tests share: a store holding the chain, regions and park the test files refer to, a file
writer, and `fails` — the check every refused file goes through (a problem at file, row and column; nothing
written)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import USCC_A, USCC_B, USCC_C, tiny_graph_objects, tiny_graph_relations
from graph.io import (
    ImportReport,
    export_store,
    import_path,
    parse_number,
    read_interchange,
)
from graph.schema import IndustryChain, Park, Region, Segment
from graph.sqlite_store import SQLiteStore
from graph.writer import ValidationFailed, write_objects

BAD_USCC = USCC_A[:-1] + "C"


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "t.db")
    write_objects(s, [
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.pkg", name="封测", chain="ic", stream="中游"),
        Region(key="330000", name="浙江省", level="province"),
        Region(key="330800", name="衢州市", level="city", parent="330000"),
        Region(key="440300", name="深圳市", level="city"),
        Park(key="qz-zz", name="衢州智造新城", region="330800", leading_chains=["ic"]),
    ])
    yield s
    s.close()


def put(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def fails(store, path, *, file: str, row: int | None, field: str | None, says: str):
    """Import must fail with a problem at (file, row, field) whose message contains `says`; nothing written."""
    before, version = store.counts(), store.version()
    with pytest.raises(ValidationFailed) as e:
        import_path(store, path, progress=False)
    probs = e.value.problems
    hit = [p for p in probs if (p.file, p.row, p.field) == (file, row, field) and says in p.message]
    assert hit, f"no problem at {(file, row, field)} saying {says!r}; got:\n" + "\n".join(map(str, probs))
    assert store.counts() == before and store.version() == version
    assert "未写入任何数据" in str(e.value)
    return probs


def interchange_folder(d: Path, *, gbk: bool = False) -> Path:
    enc = "gbk" if gbk else "utf-8"
    put(d / "enterprises.csv",
        "id,name,region,founded,tags,exchange\n"
        "600373.SH,中文传媒,330800,2002-03-04,上市;国企,SH\n"
        "688268,华特气体,广东省佛山市,2005-01-01,,SH\n"
        "300001,特锐德,深圳市,,专精特新,SZ\n", enc)
    put(d / "segments.csv",
        "id,name,chain,stream,parent_id\n"
        "s.gas,电子特气,集成电路,upstream,\n"
        "s.pkg2,先进封装,集成电路,下游,s.gas\n"
        "s.bat,动力电池,新能源 汽车,上游,\n", enc)
    put(d / "memberships.csv",
        "enterprise_id,segment_id\n688268,s.gas\n600373.SH,s.pkg2\n300001,s.bat\n300001,s.bat\n", enc)
    put(d / "products.csv", "enterprise_id,product,weight\n688268,电子特气,0.8\n688268,光刻气/激光气,0.2\n300001,箱式变电站,\n", enc)
    put(d / "segment_links.csv", "upstream_id,downstream_id\ns.gas,s.pkg2\n", enc)
    put(d / "supplies.csv", "supplier_id,customer_id\n688268,600373.SH\n", enc)
    return d
