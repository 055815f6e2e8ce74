# Two commands for a newcomer: `make demo` and `make test`. Everything else is set up on the way.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: setup demo test lint bench clean check

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev]'
	$(PY) -c "from graph.local_server import build; build()"
	touch $(STAMP)

# What pip cannot bring: PyICU (under rigour's normality) is served only as source and builds against ICU's headers.
check:
	@missing=""; \
	python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || missing="$$missing\n  Python 3.11 as python3"; \
	java -version 2>&1 | grep -q 'version "17' || missing="$$missing\n  Java 17 (Debian: openjdk-17-jre-headless)"; \
	command -v mvn >/dev/null || missing="$$missing\n  Maven (Debian: maven)"; \
	command -v pkg-config >/dev/null || missing="$$missing\n  pkg-config (Debian: pkg-config)"; \
	pkg-config --exists icu-uc 2>/dev/null || missing="$$missing\n  ICU's headers, for PyICU (Debian: libicu-dev; macOS: brew install icu4c and put its pkgconfig on PKG_CONFIG_PATH)"; \
	command -v c++ >/dev/null || missing="$$missing\n  a C++ compiler, for PyICU (Debian: g++)"; \
	if [ -n "$$missing" ]; then printf "RiskGraph needs, before \`make\`:$$missing\n" >&2; exit 1; fi

setup: $(STAMP)

demo: setup
	.venv/bin/riskgraph demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports --no-cache
	.venv/bin/pytest -n 2 --dist loadscope --no-loadscope-reorder

bench: setup
	$(PY) benchmarks/ingest.py

clean:
	-.venv/bin/riskgraph neo4j stop
	rm -rf .venv .riskgraph graph/server/target
