"""Validation of records against the schema, and the problems it reports — with no store in sight.

A problem names where the record came from (file, 1-based row, field) so that an import report, an API 422 and a
CLI message can all point at the cell to fix. Read-side code (routers checking a request, the land matcher
checking an ad-hoc project) validates here; only graph.writer turns validated objects into a store batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.messages import validation_message
from graph.schema import MODELS, Label, Node


@dataclass(frozen=True)
class Loc:
    """Where a record came from: file, 1-based data row (header is row 1), optional field."""

    file: str | None = None
    row: int | None = None

    def at(self, field: str | None, message: str) -> "Problem":
        return Problem(self.file, self.row, field, message)


@dataclass(frozen=True)
class Problem:
    file: str | None
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.field:
            where.append(f"字段 {self.field}")
        return (" ".join(where) + ": " if where else "") + self.message

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "message": self.message}


class ValidationFailed(ValueError):
    """Raised with every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … 另有 {len(problems) - 50} 个问题" if len(problems) > 50 else ""
        super().__init__(f"校验未通过，共 {len(problems)} 个问题，未写入任何数据：\n{shown}{more}")


def validate(label: Label | str, data: dict[str, Any], loc: Loc = Loc()) -> tuple[Node | None, list[Problem]]:
    """Validate one record against its model; problems name the field."""
    from pydantic import ValidationError

    model = MODELS[Label(label)]
    try:
        return model(**data), []
    except ValidationError as e:
        probs = []
        for err in e.errors():
            fld = ".".join(str(p) for p in err.get("loc", ())) or None
            probs.append(loc.at(fld, validation_message(err)))
        return None, probs
