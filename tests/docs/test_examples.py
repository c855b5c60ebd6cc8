"""Every console example of README.md and docs/**/*.md prints what its page shows, on the local stack.

One `make run` stack per test module; every page starts on an emptied one. After a change of the CLI's
output, `python -m tests.docs.examples --update` writes the new outputs into the pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.docs import examples, pages

RUNNABLE = [page for page in pages.pages() if examples.runnable(page.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def docs_stack() -> Iterator[examples.LocalStack]:
    with examples.local_stack() as stack:
        yield stack


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(page.relative_to(pages.ROOT)) for page in RUNNABLE])
def test_page_examples_print_what_the_page_shows(page: Path, docs_stack: examples.LocalStack) -> None:
    text = page.read_text(encoding="utf-8")
    diff = examples.differences(page, text, examples.run_page(docs_stack, text))
    relative = page.relative_to(pages.ROOT)
    assert not diff, f"{relative}: run `.venv/bin/python -m tests.docs.examples --update {relative}`\n{diff}"


# The runner itself: a page it wrote agrees, and a page with a wrong or missing line does not.
SAMPLE = """# A page

```console
$ curl -s -H 'Content-Type: text/xml' --data-binary @tests/fixtures/seeds/001_mms_mt_n101_binary.xml "$POSTBACK_URL"
$ curl -s -H 'Content-Type: text/xml' --data-binary @tests/fixtures/seeds/001_mms_mt_n102_binary.xml "$POSTBACK_URL"
$ postbacks show TU1TXzU5Nzg3OQ==
```
"""


@pytest.fixture(scope="module")
def sample_run(docs_stack: examples.LocalStack) -> tuple[str, dict[int, list[list[str]]]]:
    actual = examples.run_page(docs_stack, SAMPLE)
    return pages.rewrite(SAMPLE, actual), actual


def test_a_page_the_runner_wrote_agrees_with_its_run(sample_run: tuple[str, dict[int, list[list[str]]]]) -> None:
    written, actual = sample_run
    shown = written.split("$ postbacks show TU1TXzU5Nzg3OQ==\n")[1]
    assert "delivered" in shown.split("\n")[0], "the message's status comes first"
    assert examples.differences(Path("sample.md"), written, actual) == ""


def _shown_by_show(change: Callable[[list[str]], list[str]]) -> Callable[[str], str]:
    """A change to the lines `postbacks show` printed, whatever their layout."""

    def apply(text: str) -> str:
        head, prompt, tail = text.partition("$ postbacks show TU1TXzU5Nzg3OQ==\n")
        shown, fence, rest = tail.partition("```")
        return head + prompt + "\n".join(change(shown.rstrip("\n").split("\n"))) + "\n" + fence + rest

    return apply


def _first_word(old: str, new: str, marker: str = "") -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        at = next(n for n, line in enumerate(lines) if marker in line and re.search(rf"\b{old}\b", line))
        return [*lines[:at], re.sub(rf"\b{old}\b", new, lines[at], count=1), *lines[at + 1 :]]

    return change


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_shown_by_show(_first_word("delivered", "sent")), id="wrong-message-status"),
        pytest.param(_shown_by_show(_first_word("sent", "delivered", marker="N101")), id="wrong-postback-status"),
        pytest.param(_shown_by_show(lambda lines: lines[:-1]), id="line-gone"),
        pytest.param(_shown_by_show(lambda lines: [*lines, "an extra line"]), id="line-added"),
    ],
)
def test_a_page_that_shows_other_output_fails(
    sample_run: tuple[str, dict[int, list[list[str]]]], change: Callable[[str], str]
) -> None:
    written, actual = sample_run
    changed = change(written)
    assert changed != written, "the change must apply to what the runner wrote"
    assert examples.differences(Path("sample.md"), changed, actual) != ""


def test_the_readme_shows_the_postback_url_make_run_prints(docs_stack: examples.LocalStack) -> None:
    printed = docs_stack.values.normalise(f"POSTBACK_URL={docs_stack.postback_url}")
    assert printed == "POSTBACK_URL=http://127.0.0.1:3000/postbacks/<secret>"
    assert f"\n{printed}\n" in (pages.ROOT / "README.md").read_text(encoding="utf-8")
