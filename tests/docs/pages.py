"""The console examples of the pages people read: found, parsed, compared and written back.

A page is README.md or any docs/**/*.md. An example is a fenced block with the info string `console`:
lines starting with `$ ` are commands (a line ending in a backslash continues on the next), every other
line is what the command above it prints. The line `<!-- example: needs-aws -->` right before a block
marks it as needing a real AWS account: it is not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDS_AWS = "<!-- example: needs-aws -->"
PROMPT = "$ "
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


@dataclass
class Command:
    lines: list[str]  # as written: `$ ...` and its continuation lines
    expected: list[str] = field(default_factory=list)

    @property
    def script(self) -> str:
        """The command as bash reads it (prompt removed, continuations kept)."""
        return "\n".join([self.lines[0].removeprefix(PROMPT), *self.lines[1:]])


@dataclass
class Block:
    first_line: int  # 0-based index of the block's first content line in the page
    end_line: int  # 0-based index of the closing fence
    needs_aws: bool
    commands: list[Command]
    leading: list[str]  # lines before the first command (none in a well-formed block)

    def text(self) -> str:
        return "\n".join(render_block(self.commands, [command.expected for command in self.commands]))


def pages(root: Path = ROOT) -> list[Path]:
    """Every page people read: README.md and docs/**/*.md, in a fixed order."""
    found = [root / "README.md"] if (root / "README.md").exists() else []
    return found + sorted((root / "docs").rglob("*.md"))


def blocks(text: str) -> list[Block]:
    """The page's `console` blocks, in page order."""
    lines = text.split("\n")
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        end = index + 1
        while end < len(lines) and not lines[end].startswith(fence[0] * len(fence)):
            end += 1
        if opening["info"] == "console":
            found.append(_block(lines, index, end))
        index = end + 1
    return found


def _block(lines: list[str], opening: int, end: int) -> Block:
    previous = next((line.strip() for line in reversed(lines[:opening]) if line.strip()), "")
    commands: list[Command] = []
    leading: list[str] = []
    continuing = False
    for line in lines[opening + 1 : end]:
        if continuing:
            commands[-1].lines.append(line)
        elif line.startswith(PROMPT) or line == PROMPT.strip():
            commands.append(Command([line]))
        elif commands:
            commands[-1].expected.append(line)
        else:
            leading.append(line)
        continuing = bool(commands) and not commands[-1].expected and line.endswith("\\")
    for command in commands:
        command.expected = trim(command.expected)
    return Block(opening + 1, end, previous == NEEDS_AWS, commands, leading)


def trim(lines: list[str]) -> list[str]:
    """Trailing spaces and trailing blank lines are not part of what a page can show."""
    stripped = [line.rstrip() for line in lines]
    while stripped and not stripped[-1]:
        stripped.pop()
    return stripped


def render_block(commands: list[Command], outputs: list[list[str]]) -> list[str]:
    rendered: list[str] = []
    for command, output in zip(commands, outputs, strict=True):
        rendered.extend(command.lines)
        rendered.extend(trim(output))
    return rendered


def rewrite(text: str, outputs: dict[int, list[list[str]]]) -> str:
    """The page with each run block's outputs (by the block's first line) in place of what it showed."""
    lines = text.split("\n")
    for block in reversed(blocks(text)):
        if block.first_line in outputs:
            new = block.leading + render_block(block.commands, outputs[block.first_line])
            lines[block.first_line : block.end_line] = new
    return "\n".join(lines)
