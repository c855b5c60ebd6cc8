"""One lookup per host, every answer checked, and a lookup that hangs given up: the resolver faked, no sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from postbacks.outbound.address_policy import Target
from postbacks.outbound.deadline import Deadline
from postbacks.outbound.outcomes import DeadlineExceeded, FinalFetchError, Outcome, TransientFetchError
from postbacks.outbound.resolve import resolve

TARGET = Target("https", "media.example.com", 443, "/a.jpg")
FAR = Deadline(float("inf"))


def answer(*addresses: str) -> list[tuple[Any, ...]]:
    infos: list[tuple[Any, ...]] = []
    for address in addresses:
        if ":" in address:
            infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 443, 0, 0)))
        else:
            infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443)))
    return infos


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the fake resolver answers for any name (a list of infos, or an exception to raise)."""
    state: dict[str, Any] = {"answer": [], "lookups": []}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        state["lookups"].append(host)
        if isinstance(state["answer"], BaseException):
            raise state["answer"]
        return state["answer"]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


def test_public_addresses_come_back_in_order_from_one_lookup(dns: dict[str, Any]) -> None:
    dns["answer"] = answer("93.184.216.34", "2606:2800:220:1::1")

    addresses = resolve(TARGET, allow_loopback=False, timeout=3, deadline=FAR)

    assert addresses == [(socket.AF_INET, ("93.184.216.34", 443)), (socket.AF_INET6, ("2606:2800:220:1::1", 443, 0, 0))]
    assert dns["lookups"] == ["media.example.com"]


def test_one_private_answer_among_public_ones_refuses_the_host(dns: dict[str, Any]) -> None:
    # A rebinding name may mix a public address with an internal one: none of them is used
    dns["answer"] = answer("93.184.216.34", "10.0.0.7")

    with pytest.raises(FinalFetchError) as raised:
        resolve(TARGET, allow_loopback=True, timeout=3, deadline=FAR)
    assert raised.value.outcome is Outcome.REFUSED
    assert "10.0.0.7 is private" in raised.value.detail


@pytest.mark.parametrize(("allow", "refused"), [(True, False), (False, True)])
def test_loopback_answer_is_used_only_when_allowed(dns: dict[str, Any], allow: bool, refused: bool) -> None:
    dns["answer"] = answer("127.0.0.1")
    if refused:
        with pytest.raises(FinalFetchError, match="is loopback"):
            resolve(TARGET, allow_loopback=allow, timeout=3, deadline=FAR)
    else:
        assert resolve(TARGET, allow_loopback=allow, timeout=3, deadline=FAR) == [(socket.AF_INET, ("127.0.0.1", 443))]


def test_name_that_does_not_exist_is_final(dns: dict[str, Any]) -> None:
    dns["answer"] = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with pytest.raises(FinalFetchError, match="does not resolve") as raised:
        resolve(TARGET, allow_loopback=False, timeout=3, deadline=FAR)
    assert raised.value.outcome is Outcome.FAILED


def test_resolver_failing_for_now_is_transient(dns: dict[str, Any]) -> None:
    dns["answer"] = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    with pytest.raises(TransientFetchError, match="cannot resolve"):
        resolve(TARGET, allow_loopback=False, timeout=3, deadline=FAR)


def test_answer_without_an_ip_address_is_final(dns: dict[str, Any]) -> None:
    dns["answer"] = [(socket.AF_UNIX, socket.SOCK_STREAM, 0, "", "/tmp/x")]
    with pytest.raises(FinalFetchError, match="has no IP address"):
        resolve(TARGET, allow_loopback=False, timeout=3, deadline=FAR)


@pytest.fixture
def hanging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A resolver that answers only when the test is over."""
    release = threading.Event()

    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        release.wait()
        return answer("93.184.216.34")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    release.set()


@pytest.mark.usefixtures("hanging")
def test_lookup_still_running_at_the_deadline_is_given_up() -> None:
    with pytest.raises(DeadlineExceeded, match=r"resolving 'media\.example\.com'"):
        resolve(TARGET, allow_loopback=False, timeout=30, deadline=Deadline.after(0.2))


@pytest.mark.usefixtures("hanging")
def test_lookup_slower_than_its_timeout_is_transient_not_the_deadline() -> None:
    with pytest.raises(TransientFetchError, match=r"took over 0\.2 s") as raised:
        resolve(TARGET, allow_loopback=False, timeout=0.2, deadline=FAR)
    assert not isinstance(raised.value, DeadlineExceeded)


def test_deadline_already_passed_is_raised(dns: dict[str, Any]) -> None:
    dns["answer"] = answer("93.184.216.34")
    with pytest.raises(DeadlineExceeded):
        resolve(TARGET, allow_loopback=False, timeout=3, deadline=Deadline.after(-1))
