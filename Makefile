# Arshif: `make demo` and `make test` work as the very first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bytecode test bench bench-distributed clean demo browser serve redis-server fuzz reliability

install: $(STAMP) bytecode

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,parquet,bench,serve,wacz,distributed]'
	touch $(STAMP)

# The project's bytecode beside its sources (__pycache__/), as pip writes it for an installed copy. Without it a
# checkout run from source compiles every module it imports at each start wherever PYTHONDONTWRITEBYTECODE is
# set (as on this project's machines): ~0.25 CPU-s of every `arshif` command, an hourly crawl's and a reparse's
# alike (bench/results.md). A .pyc is used only while its source is unchanged; this compiles the changed ones.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q crawler spiders pipelines

# The import contracts first (pyproject.toml [tool.importlinter]: layers, no Scrapy in the core, no circle).
test: $(STAMP) bytecode browser redis-server
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Headless Chromium for the browser tests (tests/test_serve.py): Debian's package, installed when missing
# and we are root; otherwise a one-line notice (those tests then skip, saying why).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the browser tests ..."; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "no chromium and not root: the browser tests will skip (sudo apt-get install chromium)"; fi; }

# The distributed mode's tests run a real redis-server (Debian package; openssl makes the rediss:// test's
# throwaway certificates): installed here when missing (as root, as CI runs), quiet and instant when there.
redis-server:
	@{ command -v redis-server && command -v openssl; } >/dev/null 2>&1 || { \
	  echo "installing redis-server and openssl (apt-get) ..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server openssl; } >/dev/null \
	  || { echo "make: could not install redis-server/openssl; install those Debian packages" >&2; exit 1; }; }

# Browse demo.db (or DB=...) at http://127.0.0.1:8001/
serve: $(STAMP) bytecode
	$(BIN)/python -m crawler serve --db $(or $(DB),$(DEMO_DB))

# The demo: serve the bundled mirror (pages of real weight, 82-148 KB) in the background, crawl it into
# demo.db, print a summary, stop the mirror (also on Ctrl-C or a failed crawl).
DEMO_DB ?= demo.db
DEMO_ARTICLES ?= 3000
DEMO_WEIGHT ?= real

demo: $(STAMP) bytecode
	@set -e; \
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm; \
	out=$$(mktemp); \
	$(BIN)/python -m crawler mirror --articles $(DEMO_ARTICLES) --weight $(DEMO_WEIGHT) --port 0 >$$out 2>/dev/null & mirror=$$!; \
	trap 'kill $$mirror 2>/dev/null || true; rm -f $$out' EXIT INT TERM; \
	url=; for i in $$(seq 200); do url=$$(head -n 1 $$out); [ -n "$$url" ] && break; sleep 0.1; done; \
	[ -n "$$url" ] || { echo "demo: the mirror did not start" >&2; exit 1; }; \
	echo "mirror: $$url ($(DEMO_ARTICLES) ids, $(DEMO_WEIGHT)-weight pages) → crawling into $(DEMO_DB) ..."; \
	$(BIN)/python -m crawler crawl alhadath --base-url $$url --db $(DEMO_DB) --log-level WARNING

# Benchmarks (bench/): every one, printed and written to bench/results.md (about 10 minutes on 2 cores).
# BENCH_ARGS=--full adds the 100,000-id backfill; --only crawl,scale picks sections; --quick is a smoke run.
BENCH_ARGS ?=

bench: $(STAMP) bytecode redis-server
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# The distributed mode alone: 1/2/4 workers, the writer, Redis memory, and the issue's 3,000-id check that
# 3 workers + 1 writer make the single-process archive (the test suite runs it at 600 ids).
bench-distributed: $(STAMP) bytecode redis-server
	$(BIN)/python bench/bench_distributed.py --compare 3000

# Fuzzing (fuzz/): each atheris harness (extraction, dates, bylines, sitemap/feed XML) for FUZZ_SECONDS;
# prints executions and crashes; crash inputs land in tests/fuzz_regressions/ (replayed by make test).
FUZZ_SECONDS ?= 60

fuzz: $(STAMP)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install --quiet 'atheris>=2.3'
	$(BIN)/python fuzz/run_all.py --seconds $(FUZZ_SECONDS)

# Every hazard class of issue 12 against the mirror; one summary line, bench/reliability-report.json.
reliability: $(STAMP) bytecode
	$(BIN)/python bench/reliability.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
	find crawler spiders pipelines -name __pycache__ -prune -exec rm -rf {} +
