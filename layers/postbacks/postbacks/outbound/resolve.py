"""Resolve a host once, within the deadline, and check every address it gives before anything connects."""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from postbacks.outbound.address_policy import Target, address_refusal
from postbacks.outbound.deadline import Deadline
from postbacks.outbound.outcomes import DeadlineExceeded, FinalFetchError, Outcome, TransientFetchError

# (host, port) for IPv4, (host, port, flowinfo, scope_id) for IPv6, as getaddrinfo gives them.
SocketAddress = tuple[Any, ...]
Addresses = list[tuple[int, SocketAddress]]


@cache
def _resolver() -> ThreadPoolExecutor:
    # getaddrinfo takes no timeout: it runs aside so the fetch can stop waiting (the lookup ends on its own).
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="resolve")


def resolve(target: Target, *, allow_loopback: bool, timeout: float, deadline: Deadline) -> Addresses:
    """Every address the host resolves to, all checked: one refused address refuses the host."""
    wait = deadline.timeout(timeout)
    lookup = _resolver().submit(
        socket.getaddrinfo, target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    try:
        infos = lookup.result(timeout=wait)
    except TimeoutError as exc:
        if deadline.passed:
            raise DeadlineExceeded(f"deadline passed resolving {target.host!r}") from exc
        raise TransientFetchError(f"resolving {target.host!r} took over {timeout} s") from exc
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_NONAME:
            raise FinalFetchError(f"host {target.host!r} does not resolve") from exc
        raise TransientFetchError(f"cannot resolve {target.host!r}: {exc}") from exc
    addresses: Addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        reason = address_refusal(ipaddress.ip_address(sockaddr[0]), allow_loopback=allow_loopback)
        if reason:
            raise FinalFetchError(f"host {target.host!r}: {reason}", Outcome.REFUSED)
        addresses.append((family, sockaddr))
    if not addresses:
        raise FinalFetchError(f"host {target.host!r} has no IP address")
    return addresses
