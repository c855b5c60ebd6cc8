"""Run the template's functions in this process the way Lambda runs them, and the event sources that call them.

An event source (the API emulator, the SQS poller, any later one) is anything with start() and stop()
that calls `LocalFunction.invoke`; a polling one subclasses `Poller` and writes `poll_once`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from postbacks_cli.local_stacks import DEFAULT_REGION, StackError
from postbacks_local.lambda_events import LambdaContext
from postbacks_local.template import FunctionDefinition, Names, function_definitions, layer_folders

Handler = Callable[[dict[str, Any], LambdaContext], Any]

log = logging.getLogger("postbacks_local")

# Every function shares this process, and Powertools keeps logger keys and pending metrics in state
# shared by every Logger/Metrics of one service: one invocation at a time keeps each one's own.
INVOCATION_LOCK = threading.Lock()


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """The function's own variables for the duration of one import or invocation (under the lock)."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_handler(path: Path, module_name: str, attribute: str = "lambda_handler") -> Handler:
    """Import a function's handler from its file, as Lambda does from /var/task."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler: Handler = getattr(module, attribute)
    return handler


@dataclass
class LocalFunction:
    """A handler run the way a Lambda execution environment runs it: one invocation at a time."""

    name: str
    handler: Handler
    region: str = DEFAULT_REGION
    timeout_seconds: float = 30.0
    memory_mb: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)

    def invoke(self, event: dict[str, Any]) -> Any:
        with INVOCATION_LOCK, _environment(self.environment):
            context = LambdaContext(
                function_name=self.name,
                region=self.region,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_seconds,
            )
            return self.handler(event, context)


# What the local stack changes in the template's environment, and why.
LOCAL_OVERRIDES = {
    # The local media server and the tests' hosts are on loopback; a deployed worker never may fetch there.
    "MEDIA_ALLOW_LOOPBACK": "true",
}


def load_function(
    definition: FunctionDefinition, root: Path, names: Names, shared: Mapping[str, str] | None = None
) -> LocalFunction:
    """One template function: its code imported under its own environment, its settings from the template."""
    # Functions sharing a process share the layer's per-process caches (settings, clients): each sees
    # every function's variables, its own winning, so a cache filled by one serves the other too.
    environment = {**(shared or {}), **definition.environment(names), **LOCAL_OVERRIDES}
    with INVOCATION_LOCK, _environment(environment):
        # Powertools reads LOG_LEVEL and the service name when the module creates its Logger.
        handler = load_handler(
            definition.handler_path(root), definition.module_name, definition.handler.rsplit(".", 1)[-1]
        )
    return LocalFunction(
        name=definition.logical_id,
        handler=handler,
        region=names.region,
        timeout_seconds=definition.timeout_seconds(names),
        memory_mb=definition.memory_mb(names),
        environment=environment,
    )


def load_functions(template: Mapping[str, Any], root: Path, names: Names) -> dict[str, LocalFunction]:
    """Every function of the template, by logical id, with the layers on the import path as under /opt."""
    for folder in layer_folders(template, root):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    definitions = function_definitions(template)
    shared: dict[str, str] = {}
    for definition in definitions:
        for name, value in definition.environment(names).items():
            if shared.setdefault(name, value) != value:
                log.warning("%s differs between functions; a cache one fills may serve the other", name)
    return {d.logical_id: load_function(d, root, names, shared) for d in definitions}


class EventSource(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class Poller:
    """An event source that polls: a thread calling poll_once until stopped, outliving a failed poll."""

    name = "poller"
    wait_seconds = 1  # short long-polls keep shutdown quick
    retry_seconds = 1.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Fetch one batch and hand it to the function; returns how many records it held."""
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.wait_seconds + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - a poller outlives a bad receive, as on AWS
                log.warning("%s: polling failed: %s", self.name, error)
                self._stop.wait(self.retry_seconds)


class LocalRuntime:
    """The functions and the event sources in front of them, started and stopped together."""

    def __init__(self, functions: Mapping[str, LocalFunction], sources: Iterable[EventSource] = ()):
        self.functions = dict(functions)
        self.sources: list[EventSource] = list(sources)

    def function(self, name: str) -> LocalFunction:
        try:
            return self.functions[name]
        except KeyError:
            raise StackError(f"the template has no function {name}") from None

    def add(self, source: EventSource) -> EventSource:
        self.sources.append(source)
        return source

    def start(self) -> None:
        for source in self.sources:
            source.start()

    def stop(self) -> None:
        # The API goes first in the list, so nothing new is accepted while the pollers drain.
        for source in self.sources:
            try:
                source.stop()
            except Exception as error:  # noqa: BLE001 - one source failing to stop must not keep the others
                log.warning("stopping %s failed: %s", type(source).__name__, error)

    def __enter__(self) -> LocalRuntime:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
