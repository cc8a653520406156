"""The ChainMatch domain graph: node kinds (labels), relation types and validated models.

Every node has a `key` unique within its label and keeps the `source` of its facts. Property values are flat
(text, numbers, booleans, lists of those) so that both store backends hold them the same way. Units are part
of field names: `_mu` 亩, `_wan` 万元, `_wan_per_mu` 万元/亩.

Reference fields (e.g. Segment.chain, Enterprise.region, LandParcel.park) are kept on the node for reading and
are also written as relations (see REFERENCE_FIELDS), so the analytic snapshot only needs relations.

The package, by job: `labels` (node labels and closed vocabularies), `fields` (field types and bounds: text,
keys, dates, numbers), `models` (one pydantic model per label, MODELS, INDEXED_FIELDS), `relations` (RELATIONS,
REFERENCE_FIELDS, CHECKED_FIELDS). Import from `graph.schema`; the names below are its public surface.
"""
from __future__ import annotations

from graph.schema.fields import (
    BLOCK_CONTROL,
    BLOCK_PATTERN,
    CONTROL,
    COUNT_MAX,
    ITEM_MAX,
    KEY_MAX,
    LINE_PATTERN,
    LIST_MAX,
    LOG_ENTRY_MAX,
    LOG_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    SAFE_INT,
    SCOPE_MAX,
    SOURCE_MAX,
    TEXT_MAX,
    Date,
    Item,
    KeyRef,
    LogEntry,
    LongText,
    NameText,
    ScopeText,
    SourceText,
    StrictNumbers,
    Text,
    bounded_text,
    iso_date_text,
    reject_bool_numbers,
    text_problem,
    utc_timestamp_text,
)
from graph.schema.labels import (
    ENTERPRISE_TAGS,
    LABEL_CN,
    LAND_USES,
    PARCEL_STATUSES,
    PLURALS,
    POLLUTION_CLASSES,
    PROJECT_STAGES,
    REGION_LEVELS,
    SIZES,
    STREAM_ALIASES,
    STREAMS,
    Label,
    LabelName,
    parse_label,
)
from graph.schema.models import (
    INDEXED_FIELDS,
    MODELS,
    Enterprise,
    Fund,
    IndustryChain,
    LandParcel,
    Node,
    Park,
    Policy,
    Product,
    Project,
    Region,
    Segment,
    field_types,
)
from graph.schema.relations import CHECKED_FIELDS, REFERENCE_FIELDS, RELATIONS, RelationType

__all__ = [
    "BLOCK_CONTROL", "BLOCK_PATTERN", "CHECKED_FIELDS", "CONTROL", "COUNT_MAX", "Date", "ENTERPRISE_TAGS",
    "Enterprise", "Fund", "INDEXED_FIELDS", "ITEM_MAX", "IndustryChain", "Item", "KEY_MAX", "KeyRef", "LABEL_CN",
    "LAND_USES", "LINE_PATTERN", "LIST_MAX", "LOG_ENTRY_MAX", "LOG_MAX", "LONG_TEXT_MAX", "Label", "LabelName",
    "LandParcel", "LogEntry", "LongText", "MODELS", "NAME_MAX", "NameText", "Node", "PARCEL_STATUSES", "PLURALS",
    "POLLUTION_CLASSES", "PROJECT_STAGES", "Park", "Policy", "Product", "Project", "REFERENCE_FIELDS",
    "REGION_LEVELS", "RELATIONS", "Region", "RelationType", "SAFE_INT", "SCOPE_MAX", "SIZES", "SOURCE_MAX",
    "STREAMS", "STREAM_ALIASES", "ScopeText", "Segment", "SourceText", "StrictNumbers", "TEXT_MAX", "Text",
    "bounded_text", "field_types", "iso_date_text", "parse_label", "reject_bool_numbers", "text_problem",
    "utc_timestamp_text",
]
