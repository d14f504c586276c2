"""core.http.client_ip: the client's address comes from the configured proxies, never the client."""

import pytest
from django.test import RequestFactory

from core.http import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/api/v1/auth/token/", **extra)


def test_without_proxies_the_socket_address_is_the_client(settings):
    settings.NUM_PROXIES = 0

    assert client_ip(request_from("192.0.2.7")) == "192.0.2.7"
    # A direct client's own header proves nothing.
    assert client_ip(request_from("192.0.2.7", "198.51.100.1")) == "192.0.2.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        # The client prepended a fake entry; the proxy appended the real one.
        ("198.51.100.1, 203.0.113.5", "203.0.113.5"),
        ("198.51.100.1,203.0.113.5", "203.0.113.5"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_one_proxy_the_last_entry_is_the_client(settings, forwarded, expected):
    settings.NUM_PROXIES = 1

    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.NUM_PROXIES = 2
    # client -> outer proxy (appends the client) -> inner proxy (appends the outer) -> app
    request = request_from("10.0.0.2", "198.51.100.1, 203.0.113.5, 10.0.0.1")

    assert client_ip(request) == "203.0.113.5"


@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.5", "not-an-address, 10.0.0.1"])
def test_a_request_that_skipped_a_proxy_or_carries_garbage_counts_by_socket(settings, forwarded):
    settings.NUM_PROXIES = 2

    assert client_ip(request_from("10.0.0.2", forwarded)) == "10.0.0.2"


def test_a_socket_address_that_is_not_an_ip_is_none(settings):
    settings.NUM_PROXIES = 0

    assert client_ip(request_from("")) is None
