"""The URL rule's exact edges and words: which characters refuse a URL, and the reason each refusal gives."""

from __future__ import annotations

import pytest

from postbacks.outbound.address_policy import Target, parse_target, quote_url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/a b", "URL contains whitespace or control characters"),
        ("http://example.com/\x7f", "URL contains whitespace or control characters"),
        ("//example.com/a", "scheme '(none)' is not http or https"),
        ("ftp://example.com/a", "scheme 'ftp' is not http or https"),
        ("http:///a", "URL has no host"),
    ],
)
def test_each_refusal_says_why_in_its_own_words(url: str, reason: str) -> None:
    assert parse_target(url) == reason


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("http://example.com/a!b", "/a!b"),  # 0x21, the first printable character, is allowed
        ("http://example.com/a\x80", "/a%C2%80"),  # past DEL: escaped, not refused
        ('http://example.com/"q"', "/%22q%22"),
    ],
)
def test_the_first_printable_and_non_ascii_characters_are_sent_escaped(url: str, path: str) -> None:
    assert parse_target(url) == Target("http", "example.com", 80, path)


def test_a_url_is_quoted_as_a_request_line_carries_it() -> None:
    assert quote_url("https://m.example/ä b?x=1&y=[2]#f") == "https://m.example/%C3%A4%20b?x=1&y=[2]#f"
    assert quote_url('https://m.example/%41"') == "https://m.example/%41%22"
