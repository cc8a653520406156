"""How a ChainMatch webhook is signed, so a receiver can check it came from us and was not replayed.

Every POST carries
    X-ChainMatch-Timestamp: <Unix seconds when it was sent>
    X-ChainMatch-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body bytes)>
where `secret` is the subscription's webhook secret (shown once when the subscription is created). A receiver
recomputes the HMAC over the raw body, compares in constant time and refuses timestamps older than a few minutes
(docs/alerts.md has a verification snippet)."""
from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-ChainMatch-Timestamp"
SIGNATURE_HEADER = "X-ChainMatch-Signature"
EVENT_HEADER = "X-ChainMatch-Event"
DELIVERY_HEADER = "X-ChainMatch-Delivery"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def sign(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two signing headers for `body`, sent now."""
    ts = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(secret, ts, body)}


def verify(secret: str, body: bytes, timestamp: str | None, sig: str | None, *, tolerance_s: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is within `tolerance_s` of now."""
    if not timestamp or not sig or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sig)
