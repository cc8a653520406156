"""Where a 内容订阅 webhook may go (alerts.egress): only http/https, only public addresses unless the host is on the
allow list, and the checked address is the one connected to."""
from __future__ import annotations

import pytest

from alerts.egress import WebhookRefused, check_webhook_url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/h", "http://localhost/h", "http://[::1]/h",  # loopback
    "http://10.1.2.3/h", "http://172.16.0.1/h", "http://192.168.0.10/h", "http://[fd00::1]/h",  # private
    "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/h",  # link-local (cloud metadata)
    "http://0.0.0.0/h", "http://224.0.0.1/h", "http://240.0.0.1/h", "http://100.64.0.1/h",  # unspecified … CGNAT
    "http://[::ffff:127.0.0.1]/h",  # loopback behind an IPv4-mapped IPv6 address
])
def test_internal_addresses_are_refused(url):
    with pytest.raises(WebhookRefused, match="不允许"):
        check_webhook_url(url)


@pytest.mark.parametrize("url", ["ftp://203.0.113.9/h", "file:///etc/passwd", "gopher://x/", "http:///h",
                                 "http://user:pw@93.184.216.34/h", "http://93.184.216.34:99999/h"])
def test_only_plain_http_urls(url):
    with pytest.raises(WebhookRefused):
        check_webhook_url(url)


def test_a_public_address_is_accepted_and_pinned():
    t = check_webhook_url("https://93.184.216.34:8443/hook?x=1")
    assert (t.scheme, t.host, t.port, t.path, t.address) == ("https", "93.184.216.34", 8443, "/hook?x=1", "93.184.216.34")


def test_the_allow_list_admits_named_internal_hosts_only():
    assert check_webhook_url("http://127.0.0.1:9/h", ["127.0.0.1"]).address == "127.0.0.1"
    assert check_webhook_url("http://LOCALHOST:9/h", ["localhost"]).host == "localhost"
    with pytest.raises(WebhookRefused):
        check_webhook_url("http://localhost:9/h", ["127.0.0.1"])  # the host as written is what is listed
    with pytest.raises(WebhookRefused):
        check_webhook_url("http://10.0.0.1/h", ["127.0.0.1"])
