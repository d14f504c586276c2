"""The client's address, read only from what the configured proxies wrote.

Each reverse proxy appends the address it received the request from to
`X-Forwarded-For`, so with `NUM_PROXIES` proxies in front of the app the
address the outermost proxy saw is the NUM_PROXIES-th entry from the right.
Anything to its left was written by the client and proves nothing; with no
proxy configured the header is ignored and the socket address is the client.
Login lockouts (django-axes, `AXES_CLIENT_IP_CALLABLE`) and anything else
that records where a request came from use this one function.
"""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest

# The content type of an XLSX workbook, answered by every spreadsheet download.
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None when the socket address is not an IP (never in practice).

    When fewer entries than proxies arrive, the request did not pass through
    every configured proxy, so the socket address is used: the header may be
    the client's own.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.NUM_PROXIES
    if proxies == 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < proxies or not entries[-proxies]:
        return remote
    # A trusted proxy wrote this entry; should it be garbage, count the request
    # against the proxy itself rather than store text as an address.
    return _valid(entries[-proxies]) or remote


def _valid(text: str) -> str | None:
    try:
        return str(ip_address(text.strip()))
    except ValueError:
        return None
