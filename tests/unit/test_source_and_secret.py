"""Who may post: the URL secret (any of the accepted ones) and, when configured, the source address."""

from __future__ import annotations

import pytest

from postbacks.service.auth import is_allowed_source, is_authorised, parse_networks
from postbacks.storage.secrets import split_secrets


def test_either_secret_of_a_rotation_is_accepted() -> None:
    accepted = split_secrets(" n3w , 0ld ,")
    assert accepted == ["n3w", "0ld"]
    assert is_authorised("n3w", accepted)
    assert is_authorised("0ld", accepted)
    assert not is_authorised("other", accepted)


def test_no_accepted_secret_authorises_nobody() -> None:
    assert not is_authorised("", [])


def test_empty_cidr_list_allows_any_source() -> None:
    assert parse_networks(" , ") == ()
    assert is_allowed_source("203.0.113.9", ())


def test_a_source_inside_one_of_the_networks_is_allowed() -> None:
    allowed = parse_networks("192.0.2.0/24, 2001:db8::/32")
    assert is_allowed_source("192.0.2.77", allowed)
    assert is_allowed_source("2001:db8::5", allowed)


def test_a_source_outside_every_network_or_unreadable_is_refused() -> None:
    allowed = parse_networks("192.0.2.0/24")
    assert not is_allowed_source("192.0.3.1", allowed)
    assert not is_allowed_source("2001:db8::5", allowed)
    assert not is_allowed_source("not-an-ip", allowed)
    assert not is_allowed_source(None, allowed)


def test_a_malformed_cidr_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks("192.0.2.0/24,10.0.0.0/33")
