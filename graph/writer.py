"""Turn validated domain objects into one all-or-nothing store batch.

Everything that enters the graph — seed data, file imports, API writes — passes here, so the rules are the
same whatever the source: reference fields become relations, every relation's endpoints must exist (in the
batch or already in the store), relation types connect the labels the schema allows, and UPSTREAM_OF stays
acyclic. Problems are collected (not raised one by one) and carry where they came from, so an import report
can name file, row and field for every one of them; if there is any problem nothing is written.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import networkx as nx

from graph.schema import CHECKED_FIELDS, LABEL_CN, MODELS, REFERENCE_FIELDS, RELATIONS, Label, Node
from graph.store import AuditEntry, Batch, Expect, GraphStore, NodeRec, RelRec, WriteResult
from graph.validation import Loc, Problem, ValidationFailed, validate  # noqa: F401  (the writer reports these)


def node_record(obj: Node) -> NodeRec:
    return NodeRec(obj.label.value, obj.key, obj.props())


def reference_relations(obj: Node) -> list[RelRec]:
    """Relations implied by the object's reference fields (Segment.chain → PART_OF, …)."""
    return [rel for _, rel in _references(obj)]


def _references(obj: Node) -> list[tuple[str, RelRec]]:
    """(field, relation) for every reference field value of the object."""
    out: list[tuple[str, RelRec]] = []
    for fname, (rtype, target, direction) in REFERENCE_FIELDS.get(obj.label, {}).items():
        value = getattr(obj, fname)
        if value is None:
            continue
        for ref in value if isinstance(value, list) else [value]:
            if direction == "out":
                out.append((fname, RelRec(rtype, obj.label.value, obj.key, target.value, ref, {})))
            else:
                out.append((fname, RelRec(rtype, target.value, ref, obj.label.value, obj.key, {})))
    return out


def check_relation_shape(rel: RelRec) -> str | None:
    rt = RELATIONS.get(rel.type)
    if rt is None:
        return f"未知关系类型 {rel.type!r}；可选: {', '.join(RELATIONS)}"
    if rel.src_label not in {l.value for l in rt.src}:
        return f"关系 {rel.type} 的起点应为 {'/'.join(l.value for l in rt.src)}，实际 {rel.src_label}"
    if rel.dst_label not in {l.value for l in rt.dst}:
        return f"关系 {rel.type} 的终点应为 {'/'.join(l.value for l in rt.dst)}，实际 {rel.dst_label}"
    if rel.type == "UPSTREAM_OF" and rel.src_key == rel.dst_key:
        return f"环节 {rel.src_key} 不能是自己的上游"
    return None


RelKey = tuple[str, str, str, str, str]  # type, src_label, src_key, dst_label, dst_key


def _rel_key(r: RelRec) -> RelKey:
    return (r.type, r.src_label, r.src_key, r.dst_label, r.dst_key)


@dataclass
class Plan:
    """A batch being assembled, with the location of each record for error reports.

    `source` (e.g. the imported file's name) is stamped on nodes that carry only the default source and on
    relations whose props do not name one, so every fact in the graph keeps where it came from.

    `commit` runs every check once — model problems found while adding, then references against the store,
    the UPSTREAM_OF DAG — so a report lists all problems at once. When a node already in the store is
    replaced, relations its old reference fields implied and its new ones do not are deleted in the same
    batch (a firm moved to another region loses its old LOCATED_IN).
    """

    source: str | None = None
    nodes: dict[tuple[str, str], NodeRec] = field(default_factory=dict)
    rels: dict[RelKey, RelRec] = field(default_factory=dict)
    node_locs: dict[tuple[str, str], Loc] = field(default_factory=dict)
    # where each relation came from, and which field names its source and its target end
    rel_locs: dict[RelKey, tuple[Loc, str | None, str | None]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    delete_rels: list[RelKey] = field(default_factory=list)
    _objects: dict[tuple[str, str], Node] = field(default_factory=dict, repr=False)
    _field_refs: list[tuple[Loc, str, str, str]] = field(default_factory=list, repr=False)  # loc, field, label, key
    _checked: bool = field(default=False, repr=False)

    def add_node(self, obj: Node, loc: Loc = Loc(), *, key_field: str = "key") -> None:
        rec = node_record(obj)
        if self.source and rec.props.get("source") == "manual":
            rec.props["source"] = self.source
        k = (rec.label, rec.key)
        if k in self.nodes:
            first = self.node_locs[k]
            where = f"（首次出现于第{first.row}行）" if first.row is not None else ""
            self.problems.append(loc.at(key_field, f"重复的键 {rec.key!r}{where}"))
            return
        self.nodes[k] = rec
        self.node_locs[k] = loc
        self._objects[k] = obj
        for fname, rel in _references(obj):
            ref_is_dst = rel.src_key == obj.key and rel.src_label == obj.label.value
            self.add_rel(rel, loc, src_field=None if ref_is_dst else fname, dst_field=fname if ref_is_dst else None)
        for fname, target in CHECKED_FIELDS.get(obj.label, {}).items():
            value = getattr(obj, fname)
            for ref in value if isinstance(value, list) else ([] if value is None else [value]):
                self._field_refs.append((loc, fname, target.value, ref))

    def add_rel(self, rel: RelRec, loc: Loc = Loc(), *, field: str | None = None,
                src_field: str | None = None, dst_field: str | None = None) -> None:
        """Add a relation. `field` names the column for both ends; src_field/dst_field name them separately."""
        src_field = src_field or field
        dst_field = dst_field or field
        msg = check_relation_shape(rel)
        if msg:
            self.problems.append(loc.at(field or src_field or dst_field, msg))
            return
        if self.source and "source" not in rel.props:
            rel = RelRec(rel.type, rel.src_label, rel.src_key, rel.dst_label, rel.dst_key, {**rel.props, "source": self.source})
        k = _rel_key(rel)
        if k in self.rels and self.rels[k].props != rel.props:
            first = self.rel_locs[k][0]
            self.problems.append(loc.at(field or src_field, f"重复的关系 {rel.src_key} -{rel.type}-> {rel.dst_key}"
                                                           f"，属性不一致（首次出现于第{first.row}行）"))
            return
        self.rels[k] = rel
        self.rel_locs.setdefault(k, (loc, src_field, dst_field))

    def check(self, store: GraphStore) -> None:
        """Reference and structure checks against the batch plus what the store already holds (runs once)."""
        if self._checked:
            return
        self._checked = True
        wanted: dict[str, set[str]] = defaultdict(set)
        for (_, sl, sk, dl, dk) in self.rels:
            for lab, key in ((sl, sk), (dl, dk)):
                if (lab, key) not in self.nodes:
                    wanted[lab].add(key)
        for _, _, lab, key in self._field_refs:
            if (lab, key) not in self.nodes:
                wanted[lab].add(key)
        existing: dict[str, set[str]] = {lab: store.existing_keys(lab, keys) for lab, keys in wanted.items()}

        def known(lab: str, key: str) -> bool:
            return (lab, key) in self.nodes or key in existing.get(lab, ())

        for k, rel in self.rels.items():
            loc, src_field, dst_field = self.rel_locs[k]
            for lab, key, end, fname in ((rel.src_label, rel.src_key, "起点", src_field),
                                         (rel.dst_label, rel.dst_key, "终点", dst_field)):
                if not known(lab, key):
                    self.problems.append(loc.at(fname, f"引用了不存在的{LABEL_CN[Label(lab)]} {key!r}（{rel.type} {end}）"))
        for loc, fname, lab, key in self._field_refs:
            if not known(lab, key):
                self.problems.append(loc.at(fname, f"引用了不存在的{LABEL_CN[Label(lab)]} {key!r}"))
        self._check_dag(store)
        self._drop_stale_references(store)

    def _drop_stale_references(self, store: GraphStore) -> None:
        by_label: dict[str, list[str]] = defaultdict(list)
        for (lab, key), obj in self._objects.items():
            if REFERENCE_FIELDS.get(obj.label):
                by_label[lab].append(key)
        for lab, keys in by_label.items():
            for key, before in store.get_many(lab, keys).items():
                try:
                    old = MODELS[Label(lab)].model_validate(before)
                except ValueError:
                    continue  # a stored record an older schema wrote: keep its relations
                for rel in reference_relations(old):
                    k = _rel_key(rel)
                    if k not in self.rels:
                        self.delete_rels.append(k)
        self.delete_rels = list(dict.fromkeys(self.delete_rels))

    def _check_dag(self, store: GraphStore) -> None:
        new = [(r.src_key, r.dst_key, k) for k, r in self.rels.items() if r.type == "UPSTREAM_OF"]
        if not new:
            return
        g = nx.DiGraph()
        g.add_edges_from((r.src_key, r.dst_key) for r in store.iter_relations("UPSTREAM_OF"))
        g.add_edges_from((s, d) for s, d, _ in new)
        if nx.is_directed_acyclic_graph(g):
            return
        cycle = nx.find_cycle(g)
        cyc_edges = set(cycle)
        text = " → ".join([cycle[0][0]] + [d for _, d in cycle])
        for s, d, k in new:
            if (s, d) in cyc_edges:
                loc, src_field, _ = self.rel_locs[k]
                self.problems.append(loc.at(src_field, f"UPSTREAM_OF 形成环路: {text}"))
                break

    def batch(self) -> Batch:
        return Batch(nodes=list(self.nodes.values()), rels=list(self.rels.values()), delete_rels=list(self.delete_rels))

    def commit(self, store: GraphStore, *, audit: AuditEntry | None = None,
               expect: Sequence[Expect] = ()) -> WriteResult:
        """Check, then write everything in one transaction — or raise ValidationFailed and write nothing.
        `expect`: preconditions checked inside that transaction (ConflictError, nothing written, if one fails)."""
        self.check(store)
        if self.problems:
            raise ValidationFailed(self.problems)
        batch = self.batch()
        batch.expect.extend(expect)
        return store.write(batch, audit=audit)


def write_objects(store: GraphStore, objs: Iterable[Node], rels: Iterable[RelRec] = (), *,
                  audit: AuditEntry | None = None) -> WriteResult:
    """Convenience for code (seed, API): validate references and write atomically."""
    plan = Plan()
    for o in objs:
        plan.add_node(o)
    for r in rels:
        plan.add_rel(r)
    return plan.commit(store, audit=audit)
