"""The fast path of the synthetic generator: store rows (NodeRec/RelRec) straight from the generator's dicts,
without pydantic, with the same defaults and reference-field rules as the validated path (graph.writer);
tests/seed_data/test_generator.py checks both give the same rows."""
from __future__ import annotations

from typing import Any

from graph.schema import MODELS, REFERENCE_FIELDS, Label
from graph.store import NodeRec, RelRec

_DEFAULTS: dict[Label, dict[str, Any]] = {}
for _lab, _model in MODELS.items():
    _d = {}
    for _name, _f in _model.model_fields.items():
        if _name in ("key",) or _f.is_required():
            continue
        _v = _f.get_default(call_default_factory=True)
        if _v is not None:
            _d[_name] = _v
    _DEFAULTS[_lab] = _d
_LABEL = {lab: lab.value for lab in Label}  # Enum.value is a slow descriptor; this is a dict lookup
# label → [(field, relation type, target label, direction)], as in REFERENCE_FIELDS
_REFS = {lab: [(f, t, target.value, d) for f, (t, target, d) in fields.items()] for lab, fields in REFERENCE_FIELDS.items()}


def node_rec(label: Label, data: dict[str, Any]) -> NodeRec:
    """The NodeRec the validated path (MODELS[label](**data) → writer.node_record) would produce.

    Valid only for the generator's own dicts: values already in their JSON form (dates as ISO text, floats as
    float); None values are dropped and the defaults the model would add are added, as model_dump does."""
    props = {k: v for k, v in data.items() if v is not None}
    del props["key"]
    for k, v in _DEFAULTS[label].items():
        if k not in props:
            props[k] = list(v) if isinstance(v, list) else v
    return NodeRec(_LABEL[label], data["key"], props)


def reference_rels(label: Label, data: dict[str, Any], rel_props: dict[str, Any]) -> list[RelRec]:
    """Mirror of writer.reference_relations on a dict, with `rel_props` (the source stamp Plan would add)."""
    out: list[RelRec] = []
    lab = _LABEL[label]
    key = data["key"]
    for fname, rtype, target, direction in _REFS.get(label, ()):
        value = data.get(fname)
        if value is None:
            continue
        for ref in value if isinstance(value, list) else (value,):
            if direction == "out":
                out.append(RelRec(rtype, lab, key, target, ref, dict(rel_props)))
            else:
                out.append(RelRec(rtype, target, ref, lab, key, dict(rel_props)))
    return out
