"""The client's address behind the proxy.

Behind nginx or HAProxy `REMOTE_ADDR` is the proxy's address: every per-address limit would
count the whole country as one client. A request whose peer is one of `TRUSTED_PROXIES`
(addresses or networks) is taken to carry the client in `X-Forwarded-For`, which each proxy
appends to; the client is the rightmost address there that is not a trusted proxy — what the
last proxy of ours saw. Whatever is left of it was written by the client and is ignored, and
the header of a peer that is not a trusted proxy is never read at all.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "0.0.0.0"  # noqa: S104 — a peer without a readable address


@lru_cache(maxsize=8)
def _trusted(spec: tuple[str, ...]) -> tuple[Network, ...]:
    # Checked when the settings load: a wrong entry stops the server from starting.
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def trusted_networks() -> tuple[Network, ...]:
    return _trusted(tuple(settings.TRUSTED_PROXIES))


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443", as some proxies write
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(remote_addr: str | None, forwarded_for: str | None,
                   networks: tuple[Network, ...]) -> str:
    """The client of a request that came from `remote_addr` with `forwarded_for`."""
    peer = _address(remote_addr or "")
    if peer is None:
        return UNKNOWN
    if not _is_trusted(peer, networks) or not forwarded_for:
        return str(peer)
    nearest = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: the last one we trust stands
            return str(nearest)
        if not _is_trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)  # only our own proxies: the farthest of them


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request` (see the module's docstring)."""
    return client_address(request.META.get("REMOTE_ADDR"),
                          request.META.get("HTTP_X_FORWARDED_FOR"), trusted_networks())
