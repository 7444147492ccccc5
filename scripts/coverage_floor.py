"""The coverage floor a tier must reach (read from pyproject.toml's [tool.coverage.report] fail_under).

The e2e tier alone covers only the end-to-end paths, so its floor is 0: it is judged together with the
default tier (``scripts/test --all``, what .ci/run runs).
"""

import sys
import tomllib
from pathlib import Path

tier = sys.argv[1] if len(sys.argv) > 1 else "default"
floor = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["coverage"]["report"]["fail_under"]
print(0 if tier == "e2e" else floor)
