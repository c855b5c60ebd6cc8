"""Every documented postback and wrapping in tests/fixtures/postbacks/ parses to its expected canonical fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postbacks.domain import codes, decoding, parsing
from postbacks.domain.errors import PostbackRejected, Reason
from tests.helpers import ROOT, SEEDS

CASES = ROOT / "tests" / "fixtures" / "postbacks"
BODIES = sorted(path for path in CASES.rglob("*") if path.is_file() and not path.name.endswith(".expected.json"))


def expected_of(body: Path) -> dict[str, Any]:
    stem = body.name.rsplit(".", 1)[0]
    spec: dict[str, Any] = json.loads((body.parent / f"{stem}.expected.json").read_text("utf-8"))
    return spec


def parse_case(body: Path) -> list[dict[str, Any]]:
    content_type = expected_of(body)["content_type"]
    parsed = parsing.parse(decoding.payload(body.read_bytes(), content_type))
    return [postback.canonical() for postback in parsed.postbacks]


def case_id(path: Path) -> str:
    return str(path.relative_to(CASES))


@pytest.mark.parametrize("body", [b for b in BODIES if "refused" not in expected_of(b)], ids=case_id)
def test_fixture_parses_to_its_expected_canonical_fields(body: Path) -> None:
    expected = expected_of(body)["postbacks"]
    parsed = parse_case(body)
    assert len(parsed) == len(expected)
    for canonical, fields in zip(parsed, expected, strict=True):
        assert {name: canonical.get(name) for name in fields} == fields


@pytest.mark.parametrize("body", [b for b in BODIES if "refused" in expected_of(b)], ids=case_id)
def test_fixture_that_is_not_a_postback_is_refused_with_its_reason(body: Path) -> None:
    with pytest.raises(PostbackRejected) as refused:
        parse_case(body)
    assert refused.value.reason is Reason(expected_of(body)["refused"])


def test_every_fixture_has_its_expectations_and_every_expectation_its_body() -> None:
    specs = set(CASES.rglob("*.expected.json"))
    assert {body.parent / f"{body.name.rsplit('.', 1)[0]}.expected.json" for body in BODIES} == specs


def _codes_in(path: Path) -> set[str]:
    text = path.read_text("utf-8", errors="replace").upper()
    return {code for code in codes.CODES if code in text}


def test_every_code_in_the_code_list_has_a_fixture() -> None:
    proven = set().union(*(_codes_in(path) for path in [*BODIES, *SEEDS.iterdir()]))
    assert set(codes.CODES) - proven == set()
