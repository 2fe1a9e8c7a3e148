"""Where a request comes from: REMOTE_ADDR, unless a trusted proxy says otherwise in X-Forwarded-For."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.context import client_ip
from warroom.env import env_networks

PROXY = "10.0.0.5"


@pytest.fixture
def trusted(settings):
    settings.AUDIT_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/8")]


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.AUDIT_TRUSTED_PROXIES = []
    assert client_ip({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "198.51.100.1"


def test_a_trusted_proxy_is_believed(trusted):
    assert client_ip({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "203.0.113.9"


def test_a_client_that_is_no_trusted_proxy_cannot_pick_its_address(trusted):
    """The other side: the same header from an address outside the trusted networks is ignored."""
    assert client_ip({"REMOTE_ADDR": "10.0.1.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "10.0.1.5"


def test_what_the_client_wrote_before_the_proxy_appended_is_ignored(trusted):
    """X-Forwarded-For: <forged by the client>, <what our proxy saw>: the rightmost untrusted address wins."""
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert client_ip(meta) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked(trusted):
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 10.0.0.7, fd00::1"}
    assert client_ip(meta) == "203.0.113.9"


def test_no_header_or_a_broken_one_leaves_the_last_address_known(trusted):
    assert client_ip({"REMOTE_ADDR": PROXY}) == PROXY
    assert client_ip({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-address"}) == PROXY
    assert client_ip({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9, junk, 10.0.0.8"}) == "10.0.0.8"


def test_ipv6_and_a_missing_remote_addr():
    assert client_ip({"REMOTE_ADDR": "2001:db8::1"}) == "2001:db8::1"
    assert client_ip({}) is None


def test_the_setting_refuses_what_is_no_network(monkeypatch):
    monkeypatch.setenv("WARROOM_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32,192.0.2.1")
    assert [str(n) for n in env_networks("WARROOM_TRUSTED_PROXIES")] == ["10.0.0.0/8", "2001:db8::/32",
                                                                          "192.0.2.1/32"]
    monkeypatch.setenv("WARROOM_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")
    with pytest.raises(ImproperlyConfigured, match=r"WARROOM_TRUSTED_PROXIES: 'proxy\.internal'"):
        env_networks("WARROOM_TRUSTED_PROXIES")
