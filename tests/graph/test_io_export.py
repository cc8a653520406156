"""Export: the same format as import, so an export re-imports exactly; CSV that Excel reads; progress on big files."""
from __future__ import annotations

from io_helpers import *  # noqa: F401,F403  (the store fixture, put, fails and the names the tests use)


# ---------------------------------------------------------------------------------------------- export
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_then_import_round_trips(tmp_path, fmt):
    src = SQLiteStore(tmp_path / "src.db")
    write_objects(src, tiny_graph_objects(), tiny_graph_relations())
    d = interchange_folder(tmp_path / "ds")
    import_path(src, d, progress=False)
    out = tmp_path / f"out_{fmt}"
    files = export_store(src, out, fmt=fmt)
    assert files and all(f.exists() for f in files)
    dst = SQLiteStore(tmp_path / "dst.db")
    report = import_path(dst, out, progress=False)
    assert isinstance(report, ImportReport)
    assert dst.counts() == src.counts()
    for label, key in (("Enterprise", USCC_A), ("Enterprise", "600373.SH"), ("Park", "qz-zz"), ("Segment", "s.pkg2")):
        assert dst.get(label, key) == src.get(label, key)
    def rels(s):
        return sorted((r.type, r.src_key, r.dst_key, sorted(r.props.items())) for r in s.iter_relations())
    assert rels(dst) == rels(src)
    assert (import_path(dst, out, progress=False).nodes_written, import_path(dst, out, progress=False).rels_written) == (0, 0)
    src.close()
    dst.close()


def test_csv_export_is_utf8_with_bom_and_readable_by_excel_conventions(store, tmp_path):
    files = export_store(store, tmp_path / "out")
    regions = tmp_path / "out" / "regions.csv"
    assert regions in files
    raw = regions.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "衢州市" in raw.decode("utf-8-sig")
    assert not (tmp_path / "out" / "rel_LOCATED_IN.csv").exists()  # implied by the region columns


def test_list_items_with_separators_survive_csv(store, tmp_path):
    write_objects(store, [Segment(key="ic.x", name="刻蚀", chain="ic", keywords=["光刻、刻蚀", "CMP"])])
    export_store(store, tmp_path / "out")
    dst = SQLiteStore(tmp_path / "dst.db")
    import_path(dst, tmp_path / "out", progress=False)
    assert dst.get("Segment", "ic.x")["keywords"] == ["光刻、刻蚀", "CMP"]
    dst.close()


def test_large_file_shows_progress(store, tmp_path, capsys):
    rows = "".join(f"e{i:06d},企业{i},330800,{i}\n" for i in range(10_050))
    f = put(tmp_path / "enterprises.csv", "key,name,region,revenue_wan\n" + rows)
    report = import_path(store, f, progress=True)
    assert report.nodes_written == 10_050
    assert "enterprises.csv" in capsys.readouterr().err
