"""`make mutation`'s last step: the score of the run in mutants/, printed and written to docs/mutation.md."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.85


def main() -> int:
    subprocess.run([str(Path(sys.executable).parent / "mutmut"), "export-cicd-stats"], cwd=ROOT, check=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    # Mutants no test reaches count against the score: an untested line is not a killed mutant.
    judged = stats["killed"] + stats["survived"] + stats["no_tests"] + stats["timeout"] + stats["suspicious"]
    killed = stats["killed"] + stats["timeout"]
    score = killed / judged if judged else 0.0
    line = f"{killed} of {judged} mutants killed: {score:.1%} (target {TARGET:.0%})"
    print(line)
    rows = "\n".join(f"| {name} | {value} |" for name, value in sorted(stats.items()))
    (ROOT / "docs" / "mutation.md").write_text(
        "# Mutation score of the domain\n\n"
        "`make mutation` runs mutmut on `layers/postbacks/postbacks/domain/` with the pure unit suite\n"
        "(`tests/unit`, hypothesis at its `mutation` profile), then this summary.\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d}: **{line}**. A timeout counts as killed (the mutant hung).\n\n"
        "| outcome | mutants |\n|---|---|\n" + rows + "\n"
    )
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
