"""The layer build (layers/postbacks/build_layer.py): every module ships as bytecode Lambda can use read-only."""

from __future__ import annotations

import importlib
import marshal
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import ROOT, build_layer_module

BUILT_LAYER = ROOT / ".aws-sam" / "build" / "PostbacksLayer" / "python"
HASH_BASED_UNCHECKED = 0b01  # PEP 552 flags: hash-based, source never checked


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def pyc_header(path: Path) -> tuple[int, str]:
    """The pyc's flags and the file name its code reports in tracebacks."""
    data = path.read_bytes()
    return int.from_bytes(data[4:8], "little"), marshal.loads(data[16:]).co_filename


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, str, str]:
    dependency, own = f"dep_{uuid.uuid4().hex[:8]}", f"own_{uuid.uuid4().hex[:8]}"
    write(tmp_path / dependency / "__init__.py", "from . import sub\nVALUE = sub.VALUE + 1\n")
    write(tmp_path / dependency / "sub.py", "VALUE = 41\n")
    write(tmp_path / own / "__init__.py", f"from {dependency} import VALUE\n")
    return tmp_path, dependency, own


def test_dependencies_become_sourceless_bytecode_and_the_code_keeps_its_sources(tree: tuple[Path, str, str]) -> None:
    root, dependency, own = tree
    compiled = build_layer_module().compile_tree(root, keep_sources=(own,), shown_as="/opt/python")

    assert compiled == 3
    assert sorted(path.name for path in (root / dependency).iterdir()) == ["__init__.pyc", "sub.pyc"]
    assert (root / own / "__init__.py").is_file()
    (own_pyc,) = (root / own / "__pycache__").iterdir()
    assert pyc_header(root / dependency / "sub.pyc") == (HASH_BASED_UNCHECKED, f"/opt/python/{dependency}/sub.py")
    assert pyc_header(own_pyc) == (HASH_BASED_UNCHECKED, f"/opt/python/{own}/__init__.py")


def test_the_compiled_tree_imports_without_writing_anything(
    tree: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, dependency, own = tree
    build_layer_module().compile_tree(root, keep_sources=(own,))
    before = sorted(root.rglob("*"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(root))
    try:
        module = importlib.import_module(own)
        assert module.VALUE == 42
        assert sys.modules[f"{dependency}.sub"].__file__ == str(root / dependency / "sub.pyc")
    finally:
        for name in [name for name in sys.modules if name.startswith((own, dependency))]:
            del sys.modules[name]
    assert sorted(root.rglob("*")) == before


@pytest.mark.skipif(not BUILT_LAYER.is_dir(), reason="no `sam build` output (make build)")
def test_the_built_layer_has_bytecode_for_every_module() -> None:
    sources = {path.relative_to(BUILT_LAYER) for path in BUILT_LAYER.rglob("*.py")}
    assert sources, "the layer's own package keeps its sources"
    assert all(path.parts[0] == "postbacks" for path in sources)
    for source in sources:
        assert (BUILT_LAYER / source).parent.joinpath("__pycache__", f"{source.stem}.cpython-313.pyc").is_file()
    assert (BUILT_LAYER / "pydantic" / "main.pyc").is_file()
    assert (BUILT_LAYER / "aws_lambda_powertools" / "event_handler" / "api_gateway.pyc").is_file()
