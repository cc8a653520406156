"""ChainMatch's one error hierarchy. Every capability raises these (or subclasses that only add a name); the API
turns each into problem+json in one handler (api/errors.py) — routes hold no try/except — and the CLI prints it.

    ChainMatchError          400  the base: a Chinese message, the fields at fault, optional candidates
      Invalid                422  the request or the data breaks a rule (each field named in `errors`)
        Ambiguous            422  a name means several things; `candidates` lists them
      NotFound               404  no such object; `candidates` may suggest what was meant
    LookupFailed                  a name the resolver could not turn into one object: UnknownName (a NotFound)
                                  or AmbiguousName (an Ambiguous); `.ambiguous` says which
      Forbidden              403  the caller's role or park does not allow it
      Unauthorized           401  no valid key
      Conflict               409  the state does not allow it (already reserved, illegal stage step, changed
                                  meanwhile); nothing was written
      TooLarge               413  over a documented limit (rows, unpacked size)

Store and validation errors of the graph layer (graph.store.StoreError/ConflictError,
graph.writer.ValidationFailed) stay in graph/, which knows nothing of this module; the same handler maps them.
"""
from __future__ import annotations

from typing import Any


class ChainMatchError(Exception):
    status = 400

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None, status: int | None = None,
                 candidates: list[str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.candidates = list(candidates or [])
        self.headers = headers
        if status is not None:
            self.status = status

    @property
    def detail(self) -> str:
        """The one-line answer: the message, and what could have been meant."""
        if not self.candidates:
            return self.message
        lead = "可选" if self.status == 422 else "您是不是要找"
        return f"{self.message}；{lead}：{'、'.join(self.candidates[:20])}"

    def __str__(self) -> str:
        return self.message


class Invalid(ChainMatchError):
    status = 422


class Ambiguous(Invalid):
    status = 422


class NotFound(ChainMatchError):
    status = 404


class Forbidden(ChainMatchError):
    status = 403


class Unauthorized(ChainMatchError):
    status = 401

    def __init__(self, message: str, **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": "APIKey"})
        super().__init__(message, **kw)


class Conflict(ChainMatchError):
    status = 409


class TooLarge(ChainMatchError):
    status = 413


class LookupFailed(ChainMatchError):
    """A name that names nothing (404) or several things (422): raised by kernel.resolve."""

    @property
    def ambiguous(self) -> bool:
        return self.status == 422

    def in_body(self) -> "Invalid":
        """The same answer for a name given in a request body: 422 naming the field, its suggestions kept."""
        return Invalid(self.detail, errors=self.errors)


class UnknownName(LookupFailed, NotFound):
    pass


class AmbiguousName(LookupFailed, Ambiguous):
    pass
