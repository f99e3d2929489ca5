"""``python -m simcluster``: see simcluster/cli.py."""

from simcluster.cli import main

raise SystemExit(main(prog="python -m simcluster"))
