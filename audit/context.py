"""Where the current request comes from, kept in a context variable so services can record it without the request.

The client's address is REMOTE_ADDR unless that is a proxy listed in WARROOM_TRUSTED_PROXIES: then X-Forwarded-For
is read from the right, past the trusted proxies, to the first address none of them is. A client can write anything
into that header; only what a trusted proxy appended is believed.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

USER_AGENT_MAX = 400


@dataclass(frozen=True)
class Origin:
    ip: str | None
    user_agent: str


NOWHERE = Origin(None, "")  # a worker, a management command: no request
_current: ContextVar[Origin] = ContextVar("audit_origin", default=NOWHERE)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _trusted(address) -> bool:
    return any(address in network for network in settings.AUDIT_TRUSTED_PROXIES)


def client_ip(meta) -> str | None:
    address = _address(meta.get("REMOTE_ADDR"))
    if address is None or not _trusted(address):
        return str(address) if address else None
    for hop in reversed([h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]):
        said = _address(hop)
        if said is None:  # a trusted proxy passed on something that is no address: keep the last one we know
            break
        address = said
        if not _trusted(address):
            break
    return str(address)


def origin_of(request) -> Origin:
    agent = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:USER_AGENT_MAX]
    return Origin(client_ip(request.META), agent)


def current() -> Origin:
    return _current.get()


@sync_and_async_middleware
def audit_context_middleware(get_response):
    """Set the origin for the length of the request; both kinds, so async views (live streams) stay async."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            token = _current.set(origin_of(request))
            try:
                return await get_response(request)
            finally:
                _current.reset(token)
    else:
        def middleware(request):  # type: ignore[misc]
            token = _current.set(origin_of(request))
            try:
                return get_response(request)
            finally:
                _current.reset(token)
    return middleware
