# make run | test | bench | notebooks   (each creates .venv on first use)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
OUT := out

# Notebook kernels run in notebooks/, so a relative data folder is made absolute here.
ifdef RECSYS_DATA_DIR
export RECSYS_DATA_DIR := $(abspath $(RECSYS_DATA_DIR))
endif

.PHONY: venv run test bench notebooks clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Execute every notebook on RECSYS_DATASET (default lastfm-2k); executed copies go to out/.
run: $(STAMP)
	mkdir -p $(OUT)
	$(PY) -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=-1 --output-dir $(OUT) $(NOTEBOOKS)
	@echo "executed notebooks are in $(OUT)/"

# Unit tests, then every notebook under nbval (cells marked NBVAL_CHECK_OUTPUT must match).
test: $(STAMP)
	$(PY) -m pytest tests $(NOTEBOOKS) --nbval-lax --nbval-current-env --nbval-cell-timeout=1200 -p no:cacheprovider

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(PY) $$script || exit 1; done

# Re-execute the notebooks in place to refresh their committed outputs (run on lastfm-2k).
notebooks: $(STAMP)
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 $(NOTEBOOKS)

clean:
	rm -rf $(OUT) .pytest_cache
