"""``python -m gateway.sim``: see gateway/sim/cli.py."""

from gateway.sim.cli import main

raise SystemExit(main())
