"""`make mutation`'s last step: the score of the run in mutants/, printed and written to docs/mutation.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "mutation.md"
TARGET = 0.90
# The hand-written part of the page (why the equivalent mutants cannot be killed) is kept across runs.
KEPT_HEADING = "## Equivalent mutants"


def survivors_by_function(mutmut: str) -> Counter[str]:
    """Mutants neither killed nor timed out, by the function they mutate (`domain.decoding.payload`)."""
    listing = subprocess.run([mutmut, "results"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    counts: Counter[str] = Counter()
    for line in listing.splitlines():
        match = re.match(r"\s*postbacks\.(\w+\.\w+)\.x_?(\S+?)__mutmut_\d+: (.+)", line)
        if match and match.group(3) not in ("killed", "timeout", "not checked"):
            counts[f"{match.group(1)}.{match.group(2).replace('ǁ', '.').strip('.')} ({match.group(3)})"] += 1
    return counts


def main() -> int:
    mutmut = str(Path(sys.executable).parent / "mutmut")
    subprocess.run([mutmut, "export-cicd-stats"], cwd=ROOT, check=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    # Mutants no test reaches count against the score: an untested line is not a killed mutant.
    judged = stats["killed"] + stats["survived"] + stats["no_tests"] + stats["timeout"] + stats["suspicious"]
    killed = stats["killed"] + stats["timeout"]
    score = killed / judged if judged else 0.0
    line = f"{killed} of {judged} mutants killed: {score:.1%} (target {TARGET:.0%})"
    print(line)
    rows = "\n".join(f"| {name} | {value} |" for name, value in sorted(stats.items()))
    left = "\n".join(f"| {name} | {count} |" for name, count in sorted(survivors_by_function(mutmut).items()))
    previous = DOC.read_text() if DOC.exists() else ""
    kept = previous[previous.index(KEPT_HEADING) :] if KEPT_HEADING in previous else f"{KEPT_HEADING}\n\nNone listed.\n"
    DOC.write_text(
        "# Mutation score of the pure modules\n\n"
        "`make mutation` runs mutmut on `layers/postbacks/postbacks/domain/`, `storage/keys.py`, `storage/codec.py`,\n"
        "`storage/fragments.py` and `outbound/address_policy.py` with the unit suite (`tests/unit`, hypothesis at its\n"
        "`mutation` profile), then this summary. `make mutation MUTANTS='postbacks.storage.keys*'` runs some of them;\n"
        "mutants not run are left out of the score.\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d}: **{line}**. A timeout counts as killed (the mutant hung).\n\n"
        "| outcome | mutants |\n|---|---|\n" + rows + "\n\n"
        "## Mutants left, by function\n\n| function (outcome) | mutants |\n|---|---|\n" + left + "\n\n" + kept
    )
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
