# Two commands for a newcomer: `make demo` and `make test`. Everything else is set up on the way.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev]'
	$(PY) -c "from graph.local_server import build; build()"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	.venv/bin/riskgraph demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/pytest

bench: setup
	$(PY) benchmarks/ingest.py

clean:
	-.venv/bin/riskgraph neo4j stop
	rm -rf .venv .riskgraph graph/server/target
