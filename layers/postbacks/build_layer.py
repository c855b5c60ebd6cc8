"""Build the Lambda layer into ARTIFACTS_DIR: the dependencies for arm64, the `postbacks` package, and bytecode.

    python3.13 build_layer.py ARTIFACTS_DIR        (what `sam build` runs, through this folder's Makefile)

Lambda mounts a layer read-only at /opt, so Python cannot cache what it compiles there: a layer without
bytecode compiles every module it imports at every cold start (about 340 ms of a 740 ms ingest cold start
on the build machine; see docs/performance.md). Every module is compiled here instead, as unchecked-hash
pycs: a zip does not keep the modification times a timestamp pyc is checked against. The dependencies
ship as bytecode alone, which keeps the layer within its 12 MB; `postbacks` keeps its sources beside its
bytecode, so its tracebacks show their lines.
"""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODE = "postbacks"
LAYER_PATH = "/opt/python"  # where Lambda puts a layer's python/ folder
# Lambda's arm64 Python 3.13 runs on Amazon Linux 2023 (glibc 2.34): either manylinux tag fits it.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")


def install_dependencies(target: Path) -> None:
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    command += ["--target", str(target), "--implementation", "cp", "--python-version", "3.13"]
    command += ["--only-binary=:all:", *platforms, "--requirement", str(HERE / "requirements.txt")]
    subprocess.run(command, check=True)  # noqa: S603 - this interpreter's pip, with arguments built here


def copy_code(target: Path) -> None:
    shutil.copytree(HERE / CODE, target / CODE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def compile_tree(root: Path, keep_sources: Collection[str] = (CODE,), shown_as: str = LAYER_PATH) -> int:
    """Compile every module under root: the packages in keep_sources beside their sources, all others instead of them.

    Tracebacks name each module by its path under `shown_as`, where Lambda finds it. Returns the modules compiled.
    """
    unchecked = py_compile.PycInvalidationMode.UNCHECKED_HASH
    sources = sorted(root.rglob("*.py"))
    for source in sources:
        relative = source.relative_to(root)
        shown = f"{shown_as}/{relative.as_posix()}"
        if relative.parts[0] in keep_sources:
            py_compile.compile(str(source), dfile=shown, doraise=True, invalidation_mode=unchecked)
        else:
            # A .pyc where the .py was is imported without its source (a sourceless module).
            pyc = str(source.with_suffix(".pyc"))
            py_compile.compile(str(source), cfile=pyc, dfile=shown, doraise=True, invalidation_mode=unchecked)
            source.unlink()
    return len(sources)


def main(artifacts: Path) -> None:
    target = artifacts / "python"
    install_dependencies(target)
    copy_code(target)
    compile_tree(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
