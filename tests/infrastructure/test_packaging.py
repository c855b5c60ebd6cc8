"""`pip install .` into a fresh Python 3.13 virtualenv gives a working `postbacks` CLI; `.[local]` the emulator.

The wheel's contents are checked in every run: every module of the sources is in it. The installs
themselves take minutes (every dependency, moto's server for the extra), so they run with `make
check-install` (POSTBACKS_INSTALL_CHECK=1): installed from a copy of the sources and run from outside
the checkout, so nothing is imported from the tree. pip finds its packages the way it is configured
here (the local wheel cache and index work offline).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.infrastructure.deployed import ROOT

# Imports every module of the named packages in the installed environment; prints what failed.
IMPORT_ALL = """
import importlib, pkgutil, sys
failed = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if module.name.endswith(".__main__"):  # importing it runs the program
            continue
        try:
            importlib.import_module(module.name)
        except Exception as error:
            failed.append(f"{module.name}: {error!r}")
print("\\n".join(failed))
"""


PACKAGES = {
    "postbacks": ROOT / "layers" / "postbacks" / "postbacks",
    "postbacks_cli": ROOT / "tools" / "postbacks_cli",
    "postbacks_local": ROOT / "tools" / "postbacks_local",
}
installs = pytest.mark.skipif(
    os.environ.get("POSTBACKS_INSTALL_CHECK") != "1", reason="minutes of pip installs: make check-install"
)


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_data_file_of_the_sources(tmp_path: Path) -> None:
    # The build backend pip calls for `pip install .` (PEP 517), called directly: no index, no isolation.
    build = f"from setuptools import build_meta; build_meta.build_wheel({str(tmp_path)!r})"
    built = run(sys.executable, "-c", build, cwd=copy_sources(tmp_path))
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("postbacks-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"{name}/{path.relative_to(folder).as_posix()}"
        for name, folder in PACKAGES.items()
        for path in folder.rglob("*")
        if path.suffix in (".py", ".csv") and "__pycache__" not in path.parts
    }
    assert expected - shipped == set()


def copy_sources(work: Path) -> Path:
    """What `pip install .` reads, copied, so building leaves nothing in the checkout."""
    source = work / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for folder in PACKAGES.values():
        shutil.copytree(folder, source / folder.relative_to(ROOT), ignore=shutil.ignore_patterns("__pycache__"))
    return source


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A virtualenv of this interpreter's Python (3.13) with `pip install <copy of the sources>` done in it."""
    assert sys.version_info[:2] == (3, 13)
    work = tmp_path_factory.mktemp("install")
    source = copy_sources(work)
    environment = work / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    result = run(python, "-m", "pip", "install", "--quiet", source, cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    return python, source


@installs
def test_every_module_of_the_layer_and_the_cli_imports_after_pip_install(installed: tuple[Path, Path]) -> None:
    python, source = installed
    result = run(python, "-c", IMPORT_ALL, "postbacks", "postbacks_cli", cwd=source.parent)
    assert (result.returncode, result.stdout.strip()) == (0, ""), result.stderr[-2000:]


@installs
def test_the_postbacks_command_runs_after_pip_install(installed: tuple[Path, Path]) -> None:
    python, source = installed
    result = run(python.with_name("postbacks"), "--help", cwd=source.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage: postbacks" in result.stdout


@installs
def test_the_emulator_needs_its_extra_and_runs_with_it(installed: tuple[Path, Path]) -> None:
    python, source = installed
    without = run(python, "-c", "import postbacks_local.local_stack", cwd=source.parent)
    assert "ModuleNotFoundError" in without.stderr
    added = run(python, "-m", "pip", "install", "--quiet", f"{source}[local]", cwd=source.parent)
    assert added.returncode == 0, added.stderr[-3000:]
    result = run(python, "-c", IMPORT_ALL, "postbacks_local", cwd=source.parent)
    assert (result.returncode, result.stdout.strip()) == (0, ""), result.stderr[-2000:]
