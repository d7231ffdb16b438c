"""Which addresses vaultkit may connect to, and the network backend that connects only to those.

A host is resolved once per connection attempt and every address it gives is vetted; the connection
goes to exactly the addresses vetted (no second resolution a rebinding name could answer otherwise).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any, Callable

Resolver = Callable[[str, int], list[str]]  # (host, port) -> the addresses to try, as IP strings
# RFC 6761 §6.4: resolvers SHOULD answer "no such name" for these without asking anyone.
RESERVED_TLDS = ("invalid", "test", "example")


def reserved_name(host: str) -> bool:
    """True for names under RFC 6761 reserved TLDs, which never resolve (no DNS query needed)."""
    return host.rstrip(".").lower().rsplit(".", 1)[-1] in RESERVED_TLDS


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why this address must not be fetched, or '' if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address can carry an IPv4 one that the kernel will actually reach.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return _address_problem(embedded)
    for name in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return f"{name.replace('_', '-')} address {ip}"
    return "" if ip.is_global else f"non-public address {ip}"  # e.g. 100.64/10 carrier-grade NAT


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (getaddrinfo, which also reads odd IPv4 literals: "2130706433",
    "0x7f.1"), in its order, each address once; raises socket.gaierror when the name does not resolve."""
    out: list[str] = []
    for info in socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM):
        address = str(info[4][0]).split("%", 1)[0]  # (an IPv6 zone id is not part of the address)
        if address not in out:
            out.append(address)
    return out


def resolve(resolver: Resolver, host: str, port: int) -> list[str]:
    """A literal IP address as it is; any other host through the resolver."""
    name = host.strip("[]")
    try:
        return [str(ipaddress.ip_address(name.split("%", 1)[0]))]
    except ValueError:
        return resolver(name, port)


def address_problem(address: str) -> str:
    """Why vaultkit must not connect to this IP address ('' when it is public)."""
    try:
        return _address_problem(ipaddress.ip_address(address))
    except ValueError:
        return f"not an IP address: {address!r}"


def host_allowed(host: str, allow_private: bool, resolver: Resolver | None = None) -> tuple[bool, str]:
    """May vaultkit fetch from `host`? (False, "dns") when it does not resolve, (False, why) when blocked.

    Every address the name resolves to is checked, since the connection may use any of them.
    getaddrinfo also normalises odd IPv4 literals ("2130706433", "0x7f.1") to what will be dialled.
    """
    name = host.strip("[]")
    if not name or reserved_name(name):
        return False, "dns"
    if name.rstrip(".").lower().rsplit(".", 1)[-1] == "localhost":  # RFC 6761 §6.3: always loopback
        return (True, "") if allow_private else (False, f"loopback address ({name})")
    try:
        addresses = resolve(resolver or system_resolver, name, 0)
    except (OSError, UnicodeError):
        return False, "dns"
    if allow_private:
        return True, ""
    for address in addresses:
        problem = address_problem(address)
        if problem:
            return False, problem
    return True, ""


def pinned_backend(vet: Callable[[str, str], str], resolver: Resolver) -> Any:
    """An httpcore network backend that resolves a host once per connection attempt, refuses the
    connection unless `vet(host, address)` passes every address it got, and connects to exactly those
    addresses: a name that answers a public address to the guard and 127.0.0.1 to the connection (DNS
    rebinding) gets no connection. TLS still verifies the certificate for the host name: httpcore
    sends the origin's name as SNI, and the Host header is the URL's."""
    import httpcore

    class PinnedBackend(httpcore.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Any = None) -> Any:
            try:
                addresses = resolve(resolver, host, port)
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
            for address in addresses:
                problem = vet(host, address)
                if problem:
                    raise httpcore.ConnectError(f"{BLOCKED}{problem} (for {host})")
            last: Exception = httpcore.ConnectError(f"{host} resolves to no address")
            for address in addresses:
                try:
                    return super().connect_tcp(address, port, timeout, local_address, socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last = exc
            raise last

    return PinnedBackend()


def proxied() -> bool:
    """Is an HTTP proxy configured, as httpx would find it (environment, and the system's settings on
    macOS and Windows)?"""
    import urllib.request

    return any(k in ("http", "https", "all") for k in urllib.request.getproxies())


BLOCKED = "vaultkit blocked the connection: "  # how the backend's refusal reads in an httpx error
