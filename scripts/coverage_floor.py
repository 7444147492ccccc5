"""The coverage floor a tier must reach, from pyproject.toml.

- ``all`` (both tiers, what .ci/run runs): ``[tool.coverage.report] fail_under``.
- ``default``: ``[tool.chatgate.tests] default_tier_coverage_floor``. The default tier samples each long
  family and leaves the rest to the e2e tier, so it reaches less than both tiers together.
- ``e2e``: 0. The e2e tier alone covers only its own paths: it is judged together with the default tier.
"""

import sys
import tomllib
from pathlib import Path

tier = sys.argv[1] if len(sys.argv) > 1 else "default"
config = tomllib.loads(Path("pyproject.toml").read_text())["tool"]
floors = {
    "all": config["coverage"]["report"]["fail_under"],
    "default": config["chatgate"]["tests"]["default_tier_coverage_floor"],
    "e2e": 0,
}
if tier not in floors:
    sys.exit(f"coverage_floor.py: unknown tier {tier!r} (one of: {', '.join(floors)})")
print(floors[tier])
