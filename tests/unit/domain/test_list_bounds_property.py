"""A list field over its bounds keeps its valid items: only each item over MAX_TEXT, or past MAX_LIST_ITEMS,
is set aside in extra (`set-aside:<field>[<position as sent>]`), in XML and JSON alike."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.domain import decoding, parsing

MAX_TEXT, MAX_ITEMS = 4096, 1000  # models.MAX_TEXT, models.MAX_LIST_ITEMS
BOUNDS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])

# URLs at, under and just over the length bound; lists under, at and just over the count bound.
lengths = st.sampled_from([20, MAX_TEXT - 1, MAX_TEXT, MAX_TEXT + 1, 2 * MAX_TEXT])
counts = st.sampled_from([1, 3, MAX_ITEMS, MAX_ITEMS + 1, MAX_ITEMS + 7])


@st.composite
def url_lists(draw: st.DrawFn) -> list[str]:
    count = draw(counts)
    long = draw(st.sets(st.integers(0, count - 1), max_size=3))
    return [f"https://m.example.com/{n}/" + "x" * (draw(lengths) if n in long else 10) for n in range(count)]


def expected(urls: list[str], field: str) -> tuple[list[str], dict[str, str]]:
    kept: list[str] = []
    aside: dict[str, str] = {}
    for position, url in enumerate(urls):
        if len(url) <= MAX_TEXT and len(kept) < MAX_ITEMS:
            kept.append(url)
        else:
            aside[f"set-aside:{field}[{position}]"] = url
    return kept, aside


@BOUNDS
@given(url_lists(), st.sampled_from(["xml", "json"]))
def test_valid_files_are_kept_and_only_the_excess_is_set_aside(urls: list[str], syntax: str) -> None:
    if syntax == "xml":
        files = "".join(f"<FILE>{url}</FILE>" for url in urls)
        body = f"<POSTBACK><CODE>N401</CODE><CONTENT>{files}</CONTENT></POSTBACK>".encode()
    else:
        body = json.dumps({"code": "N401", "content": [{"file": url} for url in urls]}).encode()
    (postback,) = parsing.parse(decoding.payload(body, None)).postbacks
    kept, aside = expected(urls, "content")
    assert postback.content == kept
    assert postback.extra == aside


@BOUNDS
@given(url_lists())
def test_copy_to_keeps_its_valid_numbers_too(numbers: list[str]) -> None:
    body = json.dumps({"code": "N401", "copy-to": [{"number": number} for number in numbers]}).encode()
    (postback,) = parsing.parse(decoding.payload(body, None)).postbacks
    kept, aside = expected(numbers, "copy_to")
    assert postback.copy_to == kept
    assert postback.extra == aside
