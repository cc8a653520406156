"""Where a 内容订阅 webhook may be sent (and how): ChainMatch runs inside a government network, so an officer's
webhook URL must not turn the server into a probe of that network (SSRF). A URL is accepted only if it is
http/https and every address its host resolves to is a public one — never loopback, private (10/8, 172.16/12,
192.168/16, fc00::/7), link-local (169.254/16 — the cloud metadata address), reserved, multicast, unspecified or
otherwise not globally routable — unless the host is listed in `alerts.webhook_allow_hosts` (a receiver on the
intranet the operator vouches for; tests use 127.0.0.1).

The check runs when the officer subscribes and again right before every POST; the POST then connects to exactly
the address that was checked (no second DNS lookup an attacker could answer differently), with the URL's host in
the Host header and in TLS (SNI and certificate check). Redirects are never followed, and what went wrong is
reported as a short Chinese class (超时 / 连接失败 / HTTP 500 …), never the raw socket error (which would let an
officer map which ports answer).

Stdlib only; no store."""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlsplit


class WebhookRefused(ValueError):
    """The URL may not be used as a webhook; `reason` is what the officer is told (Chinese)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL: where to connect (`address`) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the resolved IP the connection goes to

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = _PinnedHTTPS if self.scheme == "https" else _PinnedHTTP
        return cls(self.host, self.port, address=self.address, timeout=timeout)


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a fixed, already checked address (the Host header still names the URL's host)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed, already checked address; TLS verifies the certificate for the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified or not ip.is_global)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        raise WebhookRefused("无法解析 webhook 主机名") from e
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_webhook_url(url: str, allow_hosts: Sequence[str] = ()) -> WebhookTarget:
    """The target a webhook URL may be sent to, or WebhookRefused (see the module docstring)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise WebhookRefused("webhook 地址无法解析（端口无效）") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook 地址须为 http:// 或 https:// 开头的完整 URL")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("webhook 地址不能包含用户名或密码")
    host = parts.hostname.lower()
    addresses = _resolve(host, port)
    if not addresses:
        raise WebhookRefused("无法解析 webhook 主机名")
    allowed = {h.strip().lower().strip("[]") for h in allow_hosts if h.strip()}
    if host not in allowed:
        for a in addresses:
            if _forbidden(ipaddress.ip_address(a.split("%", 1)[0])):
                raise WebhookRefused("webhook 地址指向本机、内网或保留地址，不允许（如确需内网接收方，请管理员加入允许列表）")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(parts.scheme, host, port, path, addresses[0])


def post_json(target: WebhookTarget, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST `body` to a checked target: None on a 2xx answer, else a short Chinese description of what went wrong
    (a redirect is a failure: it is not followed)."""
    conn = target.connection(timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        status = conn.getresponse().status
    except (TimeoutError, socket.timeout):
        return "超时"
    except ssl.SSLError:
        return "TLS 握手或证书校验失败"
    except (OSError, http.client.HTTPException):
        return "连接失败"
    finally:
        conn.close()
    if 300 <= status < 400:
        return f"收到重定向（HTTP {status}），未跟随"
    return None if 200 <= status < 300 else f"HTTP {status}"
