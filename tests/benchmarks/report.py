"""The summary on stdout and the results block of docs/performance.md (between its two markers)."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks.measure import ROOT, Section

DOC = ROOT / "docs" / "performance.md"
START = "<!-- results: written by `make bench`; edits between these markers are overwritten -->"
END = "<!-- end of results -->"
VERSIONS = ("boto3", "botocore", "aws-lambda-powertools", "pydantic", "pydantic-core", "defusedxml")


def summary_table(sections: list[Section]) -> str:
    rows = [("measure", "value", "budget", "verdict")]
    rows += [(f.measure, f.value, f.budget, f.verdict) for section in sections for f in section.figures]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in VERSIONS)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"- `uname -a`: {' '.join(os.uname())}",
        f"- CPU: {cpu}, {os.cpu_count()} cores; load average at the end of the run: {load}",
        f"- Python {platform.python_version()} ({sys.implementation.name}); {versions}",
    ]


def results_block(sections: list[Section], options: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m tests.benchmarks.run" + "".join(f" {arg}" for arg in sys.argv[1:])
    lines = [
        START,
        "## Results",
        "",
        f"Measured {when} with `{command}` (cold rounds {options.cold_rounds}, in-process rounds {options.rounds}).",
        "",
        *machine(),
        "",
        "| measure | value | budget | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for section in sections:
        lines += [f"| {f.measure} | {f.value} | {f.budget} | {f.verdict} |" for f in section.figures]
    for section in sections:
        lines += ["", f"### {section.title}", "", section.detail]
    lines.append(END)
    return "\n".join(lines)


def write(sections: list[Section], options: argparse.Namespace, path: Path = DOC) -> Path:
    """Replace the results block, keeping the prose around it; append one if the markers are missing."""
    block = results_block(sections, options)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    before, found, rest = text.partition(START)
    if found:
        _, ended, after = rest.partition(END)
        text = before + block + (after if ended else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    return path
