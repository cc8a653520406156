"""土地超市 reservation state: what a parcel's reservation fields are, when a reservation counts, and the refusals.

A parcel's state lives on its node: `status` (available / reserved / transferred), `rev` (a version, +1 on every
change), `reserved_by` / `reserved_at` / `expires_at`, `transferred_to` / `transferred_at` — PARCEL_STATE_FIELDS,
which only the reservation commands (land/commands.py) write; the generic node API refuses them. A reservation
whose `expires_at` has passed counts as available everywhere (matching, the storefront, a new reservation).

Read side only: the commands that change the state, under optimistic concurrency, are in land/commands.py.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from graph.schema import utc_timestamp_text
from kernel.errors import ChainMatchError, Conflict, Forbidden, Invalid, NotFound

DEFAULT_TTL_HOURS = 168.0  # 7 days (the default of api.settings.LandSettings.reservation_ttl_hours)
MAX_TTL_HOURS = 2160.0  # 90 days (LandSettings.reservation_max_ttl_hours)
PARCEL_STATE_FIELDS = ("status", "rev", "reserved_by", "reserved_at", "expires_at", "transferred_to", "transferred_at")


class LandServiceError(ChainMatchError):
    """Any refusal of the 土地超市 services (the kernel's kind says which: not found, forbidden, conflict …)."""


class ParcelNotFound(LandServiceError, NotFound):
    pass


class ParcelForbidden(LandServiceError, Forbidden):
    pass


class ReservationConflict(LandServiceError, Conflict):
    pass


class InvalidRequest(LandServiceError, Invalid):
    pass


class RuleViolation(LandServiceError, Invalid):
    """The project does not meet the parcel's hard rules; `errors` lists each failed rule with its numbers."""


def utc_now(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)


def moment_text(moment: dt.datetime) -> str:
    return utc_timestamp_text(moment)  # type: ignore[return-value]


def state_of(props: dict[str, Any]) -> dict[str, Any]:
    """The reservation-related part of a parcel's props (what the audit log records)."""
    return {k: props.get(k) for k in PARCEL_STATE_FIELDS if props.get(k) is not None}


def effective_status(props: dict[str, Any], now: dt.datetime | None = None) -> str:
    """available / reserved / transferred, with an expired reservation counted as available."""
    st = props.get("status") or "available"
    if st == "reserved":
        exp = props.get("expires_at")
        if exp and exp <= moment_text(utc_now(now)):
            return "available"
    return st

