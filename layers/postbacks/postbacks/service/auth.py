"""Who may post: the secret in the postback URL (constant time) and, optionally, the source address."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_authorised(presented: str, accepted: Sequence[str]) -> bool:
    candidate = presented.encode()
    matched = False
    # Every accepted secret is compared, so timing says nothing about which one (if any) matched.
    for secret in accepted:
        matched |= hmac.compare_digest(candidate, secret.encode())
    return matched and bool(accepted)


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs; ValueError names the one that is not a network."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as error:
                raise ValueError(f"{item!r} is not a CIDR block") from error
    return tuple(networks)


def is_allowed_source(source_ip: str | None, allowed: Sequence[Network]) -> bool:
    """No networks means any source; otherwise the address must be inside one of them."""
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        return False
    return any(address in network for network in allowed)
