"""The outbound address and URL policy, pure: which hosts a media fetch may reach, decided before any socket."""

from __future__ import annotations

import ipaddress

import pytest

from postbacks.outbound.address_policy import Target, address_refusal, parse_target


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "169.254.169.254",
        "169.254.170.2",
        "fe80::1",
        "fd00:ec2::254",
        "fc00::1",
        "224.0.0.1",
        "ff02::1",
        "0.0.0.0",
        "::",
        "240.0.0.1",
        "255.255.255.255",
        "168.63.129.16",  # Azure WireServer: public, still the host's metadata service
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo with client 127.0.0.1
    ],
)
def test_non_public_address_is_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is not None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "52.94.236.248", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_address_is_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_allowed_only_when_asked(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=True) is None
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is not None


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.0.1", "169.254.169.254", "fd00:ec2::254", "2002:7f00:1::1"])
def test_allowing_loopback_keeps_private_and_metadata_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=True) is not None


# --- the URL rule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://media.example.com/a.jpg", Target("http", "media.example.com", 80, "/a.jpg")),
        ("HTTPS://Media.Example.com:8443/x?y=1", Target("https", "media.example.com", 8443, "/x?y=1")),
        ("https://example.com", Target("https", "example.com", 443, "/")),
        ("http://bücher.example/ä b", None),  # whitespace: refused below
        ("http://bücher.example/ä", Target("http", "xn--bcher-kva.example", 80, "/%C3%A4")),
        ("http://example.com/already%20escaped", Target("http", "example.com", 80, "/already%20escaped")),
        ("http://[2606:4700::1111]:8080/p", Target("http", "2606:4700::1111", 8080, "/p")),
    ],
)
def test_url_is_split_into_what_the_connection_sends(url: str, target: Target | None) -> None:
    parsed = parse_target(url)
    if target is None:
        assert isinstance(parsed, str)
    else:
        assert parsed == target


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/file.gif", "is not http or https"),
        ("file:///etc/passwd", "is not http or https"),
        ("gopher://127.0.0.1:70/", "is not http or https"),
        ("//x/y", "is not http or https"),
        ("URL of Content Here", "whitespace or control characters"),
        ("http://example.com/\x00", "whitespace or control characters"),
        ("http:///no-host", "has no host"),
        ("http://example.com:99999/", "malformed URL"),
        ("http://[::1/", "malformed URL"),
    ],
)
def test_url_that_cannot_be_fetched_is_refused_with_its_reason(url: str, reason: str) -> None:
    refusal = parse_target(url)

    assert isinstance(refusal, str)
    assert reason in refusal
