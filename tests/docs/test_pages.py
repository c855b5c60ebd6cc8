"""The pages' shape, and the example runner's parsing and normalisation, without a stack."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from tests.docs import normalise, pages

PAGE = """# Title

```console
$ postbacks show KEY
KEY: delivered (N102)

EVENT AT  CODE
$ postbacks list --number 16501112222 \\
    --since 2012-06-01
2012-06-07T12:27:29.000000Z  KEY
```

<!-- example: needs-aws -->
```console
$ postbacks url --stack postbacks-dev
https://example/postbacks/<secret>
```

```sh
make run
```
"""


def test_console_blocks_are_found_with_commands_outputs_and_marks() -> None:
    first, second = pages.blocks(PAGE)
    assert [command.script for command in first.commands] == [
        "postbacks show KEY",
        "postbacks list --number 16501112222 \\\n    --since 2012-06-01",
    ]
    assert first.commands[0].expected == ["KEY: delivered (N102)", "", "EVENT AT  CODE"]
    assert first.commands[1].expected == ["2012-06-07T12:27:29.000000Z  KEY"]
    assert not first.needs_aws
    assert second.needs_aws


def test_rewrite_replaces_outputs_and_keeps_everything_else() -> None:
    first = pages.blocks(PAGE)[0]
    written = pages.rewrite(PAGE, {first.first_line: [["KEY: failed (E102)"], []]})
    assert "$ postbacks show KEY\nKEY: failed (E102)\n$ postbacks list" in written
    assert "    --since 2012-06-01\n```" in written
    assert (
        written.replace("KEY: failed (E102)", "KEY: delivered (N102)\n\nEVENT AT  CODE").replace(
            "    --since 2012-06-01\n```", "    --since 2012-06-01\n2012-06-07T12:27:29.000000Z  KEY\n```"
        )
        == PAGE
    )


def test_the_vendors_times_stay_and_the_runs_are_replaced() -> None:
    text = "2012-06-07T12:27:29.000000Z sent, received 2027-03-04T05:06:07.654321Z, kept 2026/12/05/x and 2025-01-31"
    assert normalise.content(text) == (
        "2012-06-07T12:27:29.000000Z sent, received 2026-12-01T21:52:01.123456Z, kept 2026/12/01/x and 2026-12-01"
    )


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2099, 12, 31)), st.integers(0, 6))
def test_any_time_of_a_run_becomes_one_time_of_the_same_shape(moment: datetime, digits: int) -> None:
    fraction = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
    text = f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"
    # A fraction of zeros (a clock of whole seconds, as S3's) stays zeros; any other becomes 123456...
    shown = fraction if not fraction.strip(".0") else "." + "123456"[:digits]
    assert normalise.content(text) == f"2026-12-01T21:52:01{shown}Z"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2023, 12, 31)))
def test_any_time_before_the_runs_stays_exact(moment: datetime) -> None:
    text = moment.isoformat(timespec="microseconds") + "Z"
    assert normalise.content(text) == text


def test_uuids_are_numbered_so_a_repeat_still_shows() -> None:
    one, two = "9c12b5cf-7782-4dad-9789-c8f2c0aa38d7", "46178980-0e2b-4c58-9b1e-3f4a5b6c7d8e"
    assert normalise.content(f"{one} {two} {one}") == (
        "00000001-0000-4000-8000-000000000001 00000002-0000-4000-8000-000000000002 00000001-0000-4000-8000-000000000001"
    )


def test_a_runs_ports_secret_and_resource_names_are_replaced() -> None:
    run = normalise.RunValues(api_port=41234, moto_port=45678, secret="kAjGx-yz")
    text = (
        "POST http://127.0.0.1:41234/postbacks/kAjGx-yz at http://127.0.0.1:45678 "
        "postbacks-local-DeadLetterQueue-5XFZGGAPRNQG postbacks-local-postbacksbucket-waswpuyrx30m"
    )
    assert run.normalise(text) == (
        "POST http://127.0.0.1:3000/postbacks/<secret> at http://127.0.0.1:5000 "
        "postbacks-local-DeadLetterQueue-EXAMPLE12345 postbacks-local-postbacksbucket-example12345"
    )


def test_statuses_codes_counts_and_fingerprints_are_never_normalised() -> None:
    text = "TU1TXzU5Nzg3OQ==: delivered (N102) 2 of 3 cbaab0c85cc1daa13ede589cb453cd9c 16501112222"
    assert normalise.content(text) == text


# The pages themselves.
def test_every_console_block_begins_with_a_command() -> None:
    for page in pages.pages():
        for block in pages.blocks(page.read_text(encoding="utf-8")):
            assert block.commands, f"{page.name}: a console block without a `$ ` command"
            assert not [line for line in block.leading if line.strip()], f"{page.name}: output before any command"


def test_commands_shown_with_a_prompt_are_in_console_blocks() -> None:
    # A `$ ` example in any other block would never be run: it could print anything.
    for page in pages.pages():
        text = page.read_text(encoding="utf-8")
        for info, body in re.findall(r"^```(\S*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
            if info != "console":
                assert not re.search(r"^\$ ", body, flags=re.MULTILINE), f"{page.name}: `$ ` in a ```{info} block"


def test_the_readme_is_a_short_page_that_links_every_docs_page() -> None:
    readme = (pages.ROOT / "README.md").read_text(encoding="utf-8")
    index = (pages.ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for page in sorted((pages.ROOT / "docs").glob("*.md")):
        if page.name != "README.md":
            assert f"({page.relative_to(pages.ROOT)})" in readme, f"README.md does not link {page.name}"
            assert f"({page.name})" in index, f"docs/README.md does not list {page.name}"


def test_the_readme_has_the_newcomers_sections_in_order() -> None:
    readme = (pages.ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    wanted = ["Prerequisites", "The two commands", "Quick start", "Deploy", "Operate", "Clean up"]
    assert [heading for heading in headings if heading in wanted] == wanted
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert [block for block in pages.blocks(quick_start) if not block.needs_aws], "the quick start runs nothing"
