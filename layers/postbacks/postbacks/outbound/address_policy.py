"""Which URLs and addresses an outbound fetch may reach: public unicast only, never a cloud's metadata service.

Pure: nothing here opens a socket or resolves a name.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata and host services of the clouds; most are also link-local or private, some are not.
METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6 (Nitro)
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.169.123",  # AWS time sync
        "168.63.129.16",  # Azure WireServer: a public address
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
    )
)
# NAT64 (RFC 6052): the packet goes to the IPv4 address in the last 32 bits.
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
# What http.client cannot send is escaped; existing %XX escapes and reserved characters stay as they are.
_PATH_SAFE: Final = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True, slots=True)
class Target:
    """One URL split into what a connection needs; host is ASCII (IDNA) and port explicit."""

    scheme: str
    host: str
    port: int
    request_path: str


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why connecting to `address` is refused, or None for a public unicast address."""
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if inner is not None:
            # These forms deliver to the IPv4 address inside: judge that one alone.
            reason = address_refusal(inner, allow_loopback=allow_loopback)
            return f"{address} embeds {inner}: {reason}" if reason else None
        tunnelled = [address.sixtofour] if address.sixtofour else list(address.teredo or ())
        for embedded in tunnelled:
            reason = address_refusal(embedded, allow_loopback=False)
            if reason:
                return f"{address} embeds {embedded}: {reason}"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is loopback"
    checks = (
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{address} is {name}"
    return None


def parse_target(url: str) -> Target | str:
    """The URL's parts, or why it is refused before any network use."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "URL contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        return f"malformed URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"scheme {scheme or '(none)'!r} is not http or https"
    if not host:
        return "URL has no host"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default_port = 443 if scheme == "https" else 80
    return Target(scheme, host, port or default_port, quote(path, safe=_PATH_SAFE))


def quote_url(url: str) -> str:
    """The URL as ASCII, escaped the way a request line carries it."""
    return quote(url, safe=_PATH_SAFE)
