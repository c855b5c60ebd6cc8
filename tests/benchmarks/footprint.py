"""The layer's size unzipped (and zipped), from `sam build`'s output, and its largest packages."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

from tests.benchmarks.measure import ROOT, Figure, Section, progress

BUILT_LAYER = ROOT / ".aws-sam" / "build" / "PostbacksLayer"
# The product's budget (Lambda's own limit for a function and its layers is 250 MB unzipped).
LIMIT_MB = 12
MB = 1024 * 1024


def _package(relative: Path) -> str:
    """The package a file belongs to: `python/pydantic/main.pyc` -> pydantic; dist-info joins its package."""
    parts = relative.parts[1:] if relative.parts[:1] == ("python",) else relative.parts
    top = parts[0] if len(parts) > 1 else relative.name
    if top.endswith(".dist-info"):
        top = top.split("-")[0]
    return top.removesuffix(".pyc").removesuffix(".py").lower()


def _zipped_size(files: list[Path]) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(BUILT_LAYER))
    return buffer.tell()


def run() -> Section:
    if not BUILT_LAYER.is_dir():
        note = "No `.aws-sam/build/PostbacksLayer`: run `make build` first for the layer's size."
        return Section("Layer size", [Figure("layer size unzipped", "not built", f"<= {LIMIT_MB} MB")], note)
    progress("layer size")
    files = sorted(path for path in BUILT_LAYER.rglob("*") if path.is_file())  # its bytecode included
    sizes: Counter[str] = Counter()
    for path in files:
        sizes[_package(path.relative_to(BUILT_LAYER))] += path.stat().st_size
    total = sum(sizes.values())
    zipped = _zipped_size(files)
    lines = [
        f"`{BUILT_LAYER.relative_to(ROOT)}` (`make build`): {len(files):,} files, "
        f"{total / MB:.1f} MB unzipped, {zipped / MB:.1f} MB zipped (deflate).",
        "",
        "| package | MB | share |",
        "| --- | ---: | ---: |",
    ]
    for name, size in sizes.most_common(8):
        lines.append(f"| {name} | {size / MB:.1f} | {size / total:.0%} |")
    biggest = ", ".join(f"{name} {size / MB:.1f}" for name, size in sizes.most_common(3))
    return Section(
        "Layer size",
        [
            Figure(
                "layer size unzipped (zipped)",
                f"{total / MB:.1f} MB ({zipped / MB:.1f} MB); biggest: {biggest} MB",
                f"<= {LIMIT_MB} MB",
                total / MB <= LIMIT_MB,
            )
        ],
        "\n".join(lines),
    )
