"""The error the capability services raise for a request they refuse: an HTTP-like status, a Chinese message, and
the fields at fault — the API turns it into problem+json (api/errors.py, one handler for all), the CLI prints it."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        if status is not None:
            self.status = status

    @property
    def detail(self) -> str:
        """The one-line answer (the message; subclasses may add to it)."""
        return self.message
