# The only commands anyone needs. Both create .venv and install when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-year test test-slow test-fuzz lint format bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The embedded Karabakh zone's pathway 2027-2054: what to build when (out/karabakh-pathway/report.html), on 6
# typical days a period to stay within about 3 minutes on the shared 2-core machine; against 8 days its cost
# differs by 2.3% and it builds in the same periods (docs/pathway.md)
run: $(STAMP)
	$(BIN)/greenzone pathway --typical-days 6 --out out/karabakh-pathway

# The single-year plan of the zone's year, 2027 (out/karabakh/report.html)
run-year: $(STAMP)
	$(BIN)/greenzone run --out out/karabakh

# Tests run in one process per core (pytest-xdist), a test file at a time in each, so that a file's fixtures
# (a Dask cluster, a first sweep) are made once. The browser test needs Debian's chromium: installed here when missing (as root on Debian; elsewhere the test
# is skipped, and it fails under CI).
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "chromium is not installed: the browser test will be skipped (it fails when CI is set)"
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1 \
		|| echo "PostgreSQL is not installed: the service's PostgreSQL tests will be skipped"
	$(BIN)/python -m pytest -q -n auto --dist loadfile

test-slow: $(STAMP)
	GREENZONE_FUZZ=slow $(BIN)/python -m pytest -q -m slow

# The whole fuzz suite with many examples (tests/test_fuzz.py; GREENZONE_FUZZ=explore draws new ones each run)
test-fuzz: $(STAMP)
	GREENZONE_FUZZ=slow $(BIN)/python -m pytest -q -m "slow or not slow" tests/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/profiles.py

clean:
	rm -rf out .pytest_cache build *.egg-info src/*.egg-info
