"""Text is bounded and clean at the write boundary, and the snapshot's memory follows the text it holds — one odd
record (a megabyte name, a key far over the limit, written around the schema) cannot multiply it or stop a start."""
from __future__ import annotations

import pytest

import factories
from conftest import open_api
from graph.schema import (
    ITEM_MAX, KEY_MAX, LIST_MAX, MODELS, NAME_MAX, SCOPE_MAX, TEXT_MAX, Enterprise, Label, Project,
)
from graph.snapshot import Snapshot, SnapshotCache
from graph.snapshot.columns import _text_nbytes
from graph.store import Batch, NodeRec
from graph.writer import validate, write_objects


def _string_schemas(schema: dict, defs: dict) -> list[dict]:
    """The string schemas of a property (through anyOf/$ref/items)."""
    if "$ref" in schema:
        return _string_schemas(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    out = []
    for sub in schema.get("anyOf", []):
        out += _string_schemas(sub, defs)
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        out.append(schema)
    return out


@pytest.mark.parametrize("label", list(Label))
def test_every_text_field_of_every_model_is_bounded_and_refuses_control_characters(label):
    """Read from the models' JSON schema, so a text field added later without bounds fails here."""
    schema = MODELS[label].model_json_schema()
    defs = schema.get("$defs", {})
    for name, prop in schema["properties"].items():
        if name == "key":  # checked by its own validator (KEY_MAX, no whitespace or control characters)
            assert prop.get("maxLength") == KEY_MAX
            continue
        arrays = [s for s in [prop, *prop.get("anyOf", [])] if s.get("type") == "array"]
        for arr in arrays:
            assert arr.get("maxItems") is not None, f"{label.value}.{name}: list without maxItems"
            for item in _string_schemas(arr["items"], defs):
                assert item.get("maxLength") and "pattern" in item, f"{label.value}.{name}[]: unbounded text"
        for s in _string_schemas(prop, defs):
            if s.get("format") == "date":
                continue
            assert s.get("maxLength"), f"{label.value}.{name}: text without maxLength"
            assert "\\x00" in s.get("pattern", ""), f"{label.value}.{name}: control characters not refused"


@pytest.mark.parametrize("text, why", [
    ("甲\x00乙", "U+0000"), ("甲\x07乙", "U+0007"), ("甲\u202e乙", "U+202E"), ("甲\u2066乙", "U+2066"),
    ("第一行\n第二行", "换行"), ("a\tb", "换行或制表符"), ("甲\x9b乙", "U+009B"),
])
def test_control_and_bidi_characters_are_refused_naming_the_field_and_the_character(text, why):
    obj, probs = validate(Label.Enterprise, {"key": "x1", "name": text})
    assert obj is None and [p.field for p in probs] == ["name"] and why in probs[0].message
    obj, probs = validate(Label.Enterprise, {"key": "x1", "name": "甲", "tags": ["专精特新", text]})
    assert obj is None and probs[0].field == "tags.1"


def test_free_text_keeps_line_breaks_and_tabs_but_not_other_controls():
    ok, _ = validate(Label.Enterprise, {"key": "x1", "name": "甲", "business_scope": "一、研发\n二、生产\t销售"})
    assert ok is not None and "\n" in ok.business_scope
    _, probs = validate(Label.Enterprise, {"key": "x1", "name": "甲", "business_scope": "研发\x00生产"})
    assert probs[0].field == "business_scope" and "U+0000" in probs[0].message


def test_a_lone_surrogate_is_refused():
    _, probs = validate(Label.Enterprise, {"key": "x1", "name": "甲\ud800"})
    assert probs and probs[0].field == "name" and "Unicode" in probs[0].message


def test_keys_refuse_control_characters_and_length_over_the_limit():
    for key in ("a\x00b", "a\u202eb", "k" * (KEY_MAX + 1)):
        _, probs = validate(Label.Enterprise, {"key": key, "name": "甲"})
        assert probs and probs[0].field == "key"
    assert validate(Label.Enterprise, {"key": "k" * KEY_MAX, "name": "甲"})[0] is not None


@pytest.mark.parametrize("field, limit", [("name", NAME_MAX), ("business_scope", SCOPE_MAX), ("stock_code", TEXT_MAX)])
def test_limits_are_inclusive_and_the_message_gives_them(field, limit):
    assert validate(Label.Enterprise, {"key": "x", "name": "甲", field: "字" * limit})[0] is not None
    _, probs = validate(Label.Enterprise, {"key": "x", "name": "甲", field: "字" * (limit + 1)})
    assert probs[0].field == field and f"至多 {limit} 个" in probs[0].message


def test_lists_are_bounded_in_items_and_item_length():
    _, probs = validate(Label.Enterprise, {"key": "x", "name": "甲", "tags": ["t"] * (LIST_MAX + 1)})
    assert probs[0].field == "tags" and f"至多 {LIST_MAX} 项" in probs[0].message
    _, probs = validate(Label.Enterprise, {"key": "x", "name": "甲", "tags": ["t" * (ITEM_MAX + 1)]})
    assert probs[0].field == "tags.0"


def test_real_texts_fit(sqlite_store):
    """The seed's facts (real public documents) and synthetic data are within every bound."""
    from seed_data.seed import seed_store

    s = sqlite_store
    seed_store(s, scale=200, seed=5, progress=False, validate_records=True)
    assert s.counts()["nodes"]["Enterprise"] == 200


# ------------------------------------------------------------------------------------------------ snapshot
def _largest(key: str) -> Enterprise:
    """An enterprise with the largest value every text and list field allows."""
    return Enterprise(key=key, name="名" * NAME_MAX, region="330800", tags=["标" * ITEM_MAX] * 50,
                      stock_code="码" * TEXT_MAX, business_scope="经" * SCOPE_MAX, source="源" * 1000,
                      synthetic=True)


def _text_bytes(snap: Snapshot) -> dict[str, int]:
    out = {}
    for lab, la in snap.labels.items():
        out[f"{lab}.keys"] = _text_nbytes(la.keys)
        out[f"{lab}.names"] = _text_nbytes(la.names)
        for f, (_, v) in la.cat.items():
            out[f"{lab}.{f}"] = _text_nbytes(v)
        for f, (_, v) in la.lists.items():
            out[f"{lab}.{f}[]"] = _text_nbytes(v)
    return out


SEEDED = factories.seeded(scale=2000, seed=3)


@pytest.fixture
def seeded(sqlite_store):
    """A SQLite store with 2000 synthetic firms, fresh for each test (the tests write odd records into it)."""
    SEEDED.fill(sqlite_store)
    return sqlite_store


def _largest_others() -> list:
    """The other kinds whose text becomes a snapshot vocabulary (categorical or list columns), at their limits."""
    from graph.schema import Fund, LandParcel, Park

    big = "大" * TEXT_MAX
    return [
        Fund(key="LARGEST-F", name="名" * NAME_MAX, manager=big, kind=big, region="330800", focus=["ic"],
             synthetic=True),
        Park(key="LARGEST-PK", name="名" * NAME_MAX, region="330800", level=big, kind=big, synthetic=True),
        LandParcel(key="LARGEST-L", name="名" * NAME_MAX, park="LARGEST-PK", region="330800", area_mu=10,
                   readiness=["备" * ITEM_MAX] * 100, allowed_pollution=["污" * ITEM_MAX] * 100, synthetic=True),
        Project(key="LARGEST-P", name="名" * NAME_MAX, owner=big, next_action="下" * 500, pollution_class=big,
                region="330800", synthetic=True),
    ]


def test_the_largest_allowed_values_do_not_multiply_snapshot_memory(seeded, tmp_path):
    cache = SnapshotCache(seeded, str(tmp_path / "snaps"), background_save=False)
    before = _text_bytes(cache.get())
    write_objects(seeded, [_largest("LARGEST-A"), _largest("LARGEST-" + "k" * (KEY_MAX - 8)), *_largest_others()])
    patched = cache.get()
    assert cache.last_refresh == "patched"
    built = Snapshot.build(seeded)
    n = built.n("Enterprise")
    for snap in (patched, built):
        after = _text_bytes(snap)
        for name, b in after.items():
            if name.endswith(".keys"):  # fixed width for binary search, bounded by KEY_MAX (documented)
                assert b <= max(before.get(name, 0), n * KEY_MAX * 4), name
            else:  # follows the text: the new records' own text (UCS-4, twice) plus a bounded overhead
                new_text = 4 * (2 * NAME_MAX + 100 * ITEM_MAX + 2 * TEXT_MAX + 500)
                assert b <= 2 * before.get(name, 0) + 2 * new_text + 65536, (name, before.get(name), b)
        assert snap.labels["Enterprise"].names[snap.index_of("Enterprise", "LARGEST-" + "k" * (KEY_MAX - 8))] \
            == "名" * NAME_MAX
    # the cache on disk round-trips object arrays
    cache.flush()
    loaded = SnapshotCache(seeded, str(tmp_path / "snaps")).get()
    assert loaded.labels["Enterprise"].names.tolist() == patched.labels["Enterprise"].names.tolist()


def test_a_megabyte_name_written_around_the_schema_costs_a_megabyte(seeded):
    """Data from before the bounds (or written past the writer) is still served: the name costs its own size."""
    before = _text_nbytes(Snapshot.build(seeded).labels["Enterprise"].names)
    seeded.write(Batch(nodes=[NodeRec("Enterprise", "legacy-long-name", {"name": "长" * 1_048_576})]))
    names = Snapshot.build(seeded).labels["Enterprise"].names
    assert names.dtype == object and _text_nbytes(names) < before * 3 + 4 * 1_048_576


def test_a_record_the_snapshot_cannot_hold_is_left_out_and_reported(seeded, tmp_path, caplog):
    too_long = "K" * (KEY_MAX * 8)
    seeded.write(Batch(nodes=[NodeRec("Enterprise", too_long, {"name": "键太长（合成）"})]))
    cache = SnapshotCache(seeded, str(tmp_path / "snaps"), background_save=False)
    with caplog.at_level("WARNING"):
        snap = cache.get()
    assert snap.index_of("Enterprise", too_long) == -1 and snap.n("Enterprise") == 2000
    assert snap.labels["Enterprise"].keys.dtype.itemsize <= KEY_MAX * 4
    assert [(lab, why) for lab, _, why, _ in snap.skipped] == [("Enterprise", f"key 长 {len(too_long):,} 个字符，超过上限 {KEY_MAX}")]
    assert "left out" in caplog.text
    with open_api(seeded, tmp_path / "api", SEEDED) as api:
        client = api.client
        assert client.get("/api/v1/chain-maps", params={"region": "衢州"}).status_code == 200  # still serving
        ready = client.get("/ready").json()
        assert ready["status"] == "ready" and "超过上限" in ready["skipped"][0]
    # a patch that brings one in skips it too; deleting it clears the report
    seeded.write(Batch(nodes=[NodeRec("Enterprise", too_long + "2", {"name": "又一个（合成）"})]))
    assert cache.get().n("Enterprise") == 2000 and len(cache.get().skipped) == 2
    seeded.write(Batch(delete_nodes=[("Enterprise", too_long), ("Enterprise", too_long + "2")]))
    assert cache.get().skipped == []
