"""The pages' console examples, run against the local stack (`python -m tests.docs.examples`)."""

import sys
from pathlib import Path

# Run as `python -m tests.docs.examples`, without pytest's conftest: this checkout's layer and tools first.
_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "layers" / "postbacks", _ROOT / "tools"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
