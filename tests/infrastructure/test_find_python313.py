"""`make setup` finds any Python 3.13.x (tools/find-python313), and says which or what is missing.

Each case builds a sandbox: fake interpreters that answer with their version, a fake pyenv, and a PATH
holding only them and the few commands the script uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.infrastructure.deployed import ROOT

SCRIPT = ROOT / "tools" / "find-python313"
BASH = shutil.which("bash") or "/bin/bash"
COMMANDS = ("ls", "sort", "grep", "tr", "env")


def fake_python(path: Path, version: str | None) -> Path:
    """An interpreter reporting `version` ("3.13.2"), or one that cannot start (None, like a bare pyenv shim)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if version is None:
        body = "echo 'pyenv: python3.13: command not found' >&2; exit 127"
    else:
        short = ".".join(version.split(".")[:2])
        body = f'if [ "$1" = --version ]; then echo "Python {version}"; else echo "{short}"; fi'
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)
    return path


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        for command in COMMANDS:
            found = shutil.which(command)
            assert found is not None
            (self.bin / command).symlink_to(found)

    def pyenv(self, *versions: str, broken: tuple[str, ...] = ()) -> None:
        pyenv_root = self.root / "pyenv"
        for version in versions:
            fake_python(
                pyenv_root / "versions" / version / "bin" / "python3.13", None if version in broken else version
            )
        (pyenv_root / "versions").mkdir(parents=True, exist_ok=True)
        script = self.bin / "pyenv"
        script.write_text(f'#!{BASH}\n[ "$1" = root ] && echo "{pyenv_root}"\n')
        script.chmod(0o755)

    def on_path(self, name: str, version: str | None) -> Path:
        return fake_python(self.bin / name, version)

    def find(self, python313: str | None = None) -> subprocess.CompletedProcess[str]:
        environment = {"PATH": str(self.bin), "HOME": str(self.root)}
        if python313 is not None:
            environment["PYTHON313"] = python313
        return subprocess.run([BASH, str(SCRIPT)], env=environment, capture_output=True, text=True, check=False)


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_pyenvs_newest_313_is_found_whatever_the_patch_release(sandbox: Sandbox) -> None:
    sandbox.pyenv("3.12.1", "3.13.2", "3.13.10", "3.13.9", "3.13.11t", "3.14.0")
    result = sandbox.find()
    assert result.returncode == 0
    assert result.stdout.strip() == str(sandbox.root / "pyenv/versions/3.13.10/bin/python3.13")
    assert "Python 3.13.10, pyenv's newest 3.13" in result.stderr


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(patches=st.sets(st.integers(min_value=0, max_value=30), min_size=1, max_size=5))
def test_of_any_installed_313_releases_the_newest_is_chosen(
    tmp_path_factory: pytest.TempPathFactory, patches: set[int]
) -> None:
    box = Sandbox(tmp_path_factory.mktemp("pyenv"))
    box.pyenv(*(f"3.13.{patch}" for patch in patches))
    assert box.find().stdout.strip().endswith(f"/3.13.{max(patches)}/bin/python3.13")


def test_python313_on_path_is_found_when_pyenv_has_no_313(sandbox: Sandbox) -> None:
    sandbox.pyenv("3.12.1")
    expected = sandbox.on_path("python3.13", "3.13.1")
    result = sandbox.find()
    assert (result.returncode, result.stdout.strip()) == (0, str(expected))
    assert "python3.13 on PATH" in result.stderr


def test_an_interpreter_that_cannot_start_is_passed_over(sandbox: Sandbox) -> None:
    # pyenv's 3.13 is broken, the python3.13 shim fails without PYENV_VERSION; python3 is a 3.13.
    sandbox.pyenv("3.13.0", broken=("3.13.0",))
    sandbox.on_path("python3.13", None)
    expected = sandbox.on_path("python3", "3.13.3")
    assert sandbox.find().stdout.strip() == str(expected)


def test_python313_given_wins_and_a_wrong_one_is_refused_by_name(sandbox: Sandbox) -> None:
    sandbox.pyenv("3.13.9")
    chosen = fake_python(sandbox.root / "opt" / "python", "3.13.4")
    assert sandbox.find(str(chosen)).stdout.strip() == str(chosen)
    old = fake_python(sandbox.root / "opt" / "old", "3.12.8")
    refused = sandbox.find(str(old))
    assert refused.returncode == 1
    assert f"PYTHON313={old} is not a Python 3.13" in refused.stderr


def test_nothing_found_says_what_was_tried_and_how_to_fix_it(sandbox: Sandbox) -> None:
    sandbox.pyenv("3.12.1", "3.11.7")
    sandbox.on_path("python3", "3.11.7")
    result = sandbox.find()
    assert (result.returncode, result.stdout) == (1, "")
    assert "Python 3.13 not found" in result.stderr
    assert "pyenv (installed: 3.11.7 3.12.1 none of them 3.13)" in result.stderr
    assert "python3.13 on PATH (none)" in result.stderr
    assert "PYTHON313=/path/to/python3.13" in result.stderr


def test_without_pyenv_it_says_so(sandbox: Sandbox) -> None:
    assert "pyenv (not installed)" in sandbox.find().stderr
    assert os.access(SCRIPT, os.X_OK)
