"""A Lambda-like process for the probes: the template's environment, the runtime's variables, the layer's packages."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from postbacks_cli.local_stacks import StackResources
from postbacks_local.stack_resources import function_environments
from postbacks_local.template import load_template
from tests.benchmarks.measure import LAYER, ROOT
from tests.helpers import build_layer_module

FUNCTIONS = {"ingest": "IngestFunction", "worker": "WorkerFunction"}
PROBE = Path(__file__).with_name("probe.py")
# The Lambda Python runtime ships boto3 and its dependencies; the layer does not (see its requirements.txt).
RUNTIME_MODULES = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})


def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def memory_mb(function: str) -> int:
    return int(template()["Resources"][FUNCTIONS[function]]["Properties"]["MemorySize"])


def function_environment(function: str, resources: StackResources) -> dict[str, str]:
    """The variables the template gives a function, references resolved against the local resources."""
    return function_environments(resources, ROOT / "template.yaml")[FUNCTIONS[function]]


def layer_modules() -> set[str]:
    """Top-level modules of everything `layers/postbacks/requirements.txt` installs (dependencies included)."""
    pending = [
        Requirement(line)
        for line in (LAYER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    seen: dict[str, set[str]] = {}  # distribution -> extras asked for
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in seen and extras <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | extras
        distribution = importlib.metadata.distribution(name)
        for line in distribution.requires or []:
            dependency = Requirement(line)
            wanted = dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in (seen[name] or {""})
            )
            if wanted:
                pending.append(dependency)
    modules: set[str] = set()
    for name in seen:
        for file in importlib.metadata.distribution(name).files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".data")) or top in ("..", "__pycache__"):
                continue
            modules.add(top.removesuffix(".py").split(".")[0])
    return modules


def lambda_tree(code_root: Path, folder: Path, *, compiled: bool = True) -> dict[str, str]:
    """The deployed layout, for this machine: /opt/python as `sam build` makes it, and each function's folder.

    The layer's packages are the dev virtualenv's copies (same pins, native code for this CPU) plus the code,
    compiled by the build's own `compile_tree`; `compiled=False` is the layer as it was before the build
    compiled it. Returns the folders by name: "layer", "ingest", "worker".
    """
    site_packages = Path(sysconfig.get_paths()["purelib"])
    layer = folder / "opt-python"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for module in sorted(layer_modules() - {"postbacks"}):
        if (site_packages / module).is_dir():
            shutil.copytree(site_packages / module, layer / module, ignore=skip)
        elif (site_packages / f"{module}.py").is_file():
            layer.mkdir(parents=True, exist_ok=True)
            shutil.copy2(site_packages / f"{module}.py", layer / f"{module}.py")
    shutil.copytree(code_root / "layers" / "postbacks" / "postbacks", layer / "postbacks", ignore=skip)
    if compiled:
        build_layer_module().compile_tree(layer)
    folders = {"layer": str(layer)}
    for function in FUNCTIONS:
        shutil.copytree(code_root / "functions" / function, folder / function, ignore=skip)
        folders[function] = str(folder / function)
    return folders


def probe_environment(target: str, resources: StackResources, endpoint: str, code_root: Path) -> dict[str, str]:
    """What a fresh execution environment of `target` sees (the baseline and the floor get the ingest function's)."""
    function = "ingest" if target in ("baseline", "floor") else target
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": f"postbacks-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb(function)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(code_root / "functions" / function),
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": endpoint,
        **function_environment(function, resources),
        "BENCH_ROOT": str(ROOT),
        "BENCH_CODE_ROOT": str(code_root),
        "BENCH_SITE_PACKAGES": sysconfig.get_paths()["purelib"],
        "BENCH_LAYER_MODULES": ",".join(sorted(layer_modules() | RUNTIME_MODULES)),
        "BENCH_RUNTIME_MODULES": ",".join(sorted(RUNTIME_MODULES)),
    }


def run_probe(mode: str, arguments: list[str], environment: dict[str, str], timeout: float = 120) -> dict[str, Any]:
    """Run probe.py in a fresh `python -S` and return the figures it wrote."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        out = Path(folder) / "figures.json"
        command = [sys.executable, "-S", str(PROBE), mode, str(out), *arguments]
        finished = subprocess.run(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,  # the handlers' logs and metrics
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
        if finished.returncode != 0 or not out.exists():
            raise RuntimeError(f"probe {mode} {arguments} failed:\n{finished.stderr.decode(errors='replace')[-3000:]}")
        figures: dict[str, Any] = json.loads(out.read_text())
        return figures
