# The two commands of the README: `make dev` runs the product on its embedded default,
# `make test` installs everything the tests need and runs the checks.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Real services the tests start themselves (never mocked): ZooKeeper for discovery, rclone to
# check our obscured passwords with rclone's own reveal, HAProxy to reach published endpoints the
# way marathon-lb publishes them; jq, which the README's walkthroughs use (and a test runs them);
# Apache with mod_auth_openidc to check deploy/apache/ with the real modules and to put in front
# of the web UI, and Chromium, which the browser tests drive through Playwright (no browser is
# downloaded); docker-compose to check docker-compose.yml (`docker-compose config`); prometheus
# for promtool, which checks and unit-tests the alert rules in deploy/prometheus/.
APT_PACKAGES := zookeeper rclone haproxy jq apache2 libapache2-mod-auth-openidc chromium \
	docker-compose prometheus
# A real OpenID provider for the auth tests (oidc-provider-mock), which needs Python 3.12: it gets
# its own environment, run by the tests as a subprocess.
# What `make bench` compares the gateway with and drives it by: wrk (load), Apache with
# mod_auth_openidc (the seed's setup in front of Marathon).
BENCH_PACKAGES := wrk apache2 libapache2-mod-auth-openidc
OP_VENV ?= .venv-op
OP_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)

.PHONY: dev test lint typecheck unit system-packages constraints bench-packages bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(OP_VENV)/.installed:
	$(OP_PYTHON) -m venv $(OP_VENV)
	$(OP_VENV)/bin/python -m pip install --quiet 'oidc-provider-mock>=0.4.4,<0.5'
	touch $@

# Options for gateway dev, e.g. make dev ARGS="--port 8080 --info-file dev-info.json"
dev: $(BIN)/.installed
	$(BIN)/gateway dev $(ARGS)

system-packages bench-packages: PACKAGES = $(if $(filter bench-packages,$@),$(BENCH_PACKAGES),$(APT_PACKAGES))
system-packages bench-packages:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The read path side by side (bench/read_path.py): prints figures, starts everything itself.
# Options, e.g. make bench ARGS="--duration 5 --others 10,1000 --profile /tmp/profile"
bench: $(BIN)/.installed bench-packages
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.read_path $(ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check gateway simcluster tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: $(BIN)/.installed $(OP_VENV)/.installed system-packages lint typecheck
	$(BIN)/pytest

# The exact versions the Docker image installs: the runtime dependencies resolved afresh.
constraints:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet .
	{ echo "# Exact versions the gateway image installs (pip install -c constraints.txt .); regenerate with"; \
	  echo "# \`make constraints\` after changing the dependencies in pyproject.toml."; \
	  .venv-lock/bin/python -m pip freeze --exclude gateway; } > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) $(OP_VENV) .pytest_cache .mypy_cache .ruff_cache
