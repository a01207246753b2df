# `make demo` and `make test` set everything up themselves: a virtual environment in .venv,
# the package installed editable with its test extras, then the job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_BOOK := workbooks/complaints_en.xlsx
DEMO_OUT := build/demo_refreshed.xlsx
DEMO_AS_OF := 2024-10-09T16:00

.PHONY: venv test demo lint bench templates clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check sheetflow tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sheetflow tests benchmarks

demo: $(STAMP)
	$(BIN)/python -m sheetflow.demo $(DEMO_BOOK) --as-of $(DEMO_AS_OF) --out $(DEMO_OUT)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cli.py
	$(BIN)/python benchmarks/bench_refresh.py
	$(BIN)/python benchmarks/bench_route.py
	$(BIN)/python benchmarks/bench_notify.py
	$(BIN)/python benchmarks/bench_write.py 100000
	$(BIN)/python benchmarks/bench_gsheets.py

templates: $(STAMP)
	$(BIN)/python -m sheetflow.io.template_writer workbooks

clean:
	rm -rf $(VENV) build .pytest_cache
