"""Where the repository's files are, for tests and bench scripts wherever they sit."""

from pathlib import Path

REPO = Path(__file__).parents[2]
JOB_SPECS = REPO / "job_specs"  # the real catalog and templates the gateway ships with
EXAMPLES = JOB_SPECS / "examples"
