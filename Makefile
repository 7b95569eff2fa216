# make run | test | test-portable | bench | notebooks | explorer | workshop | data-pack | check-setup
# (each creates .venv on first use, except check-setup, which only looks)
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

.PHONY: venv run test test-portable bench notebooks explorer workshop data-pack check-setup clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

# Executed notebooks keep text progress bars, not widgets that show "0%" without their kernel.
run notebooks: export RECSYS_PROGRESS := text

# Execute every notebook on RECSYS_DATASET (default lastfm-2k); executed copies go to out/.
run: $(STAMP)
	mkdir -p $(OUT)
	$(PY) -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=-1 --output-dir $(OUT) $(NOTEBOOKS)
	@echo "executed notebooks are in $(OUT)/"

PYTEST := $(PY) -m pytest tests $(NOTEBOOKS) --nbval-lax --nbval-current-env --nbval-cell-timeout=1200 -p no:cacheprovider

# Unit tests, then every notebook under nbval (cells marked NBVAL_CHECK_OUTPUT must match).
test: $(STAMP)
	$(PYTEST)

# The same on one thread, with numba compiling for a generic x86-64 CPU (no AVX, no FMA): our
# kernels then round differently, as they would on a reader's machine. Checked outputs and
# assertions must not depend on the processor or the thread count. (OPENBLAS_CORETYPE is left alone.)
test-portable: $(STAMP)
	NUMBA_CPU_NAME=generic NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTEST)

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(PY) $$script || exit 1; done

# Re-execute the notebooks in place to refresh their committed outputs (run on lastfm-2k).
notebooks: $(STAMP)
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 $(NOTEBOOKS)

# The explorer as one offline page, out/explorer.html, on RECSYS_DATASET (default lastfm-2k).
# MIN_LISTENERS=N shows only artists with at least N listeners (default: 10, raised until at most 60,000 are left);
# METHODS=LSA,ALS picks methods (default: LSA,ALS,LMF,BPR).
explorer: $(STAMP)
	$(PY) -m recsys_utils.explorer_page --output $(OUT)/explorer.html $(if $(MIN_LISTENERS),--min-listeners $(MIN_LISTENERS)) $(if $(METHODS),--methods $(METHODS))

# Student copies (solutions replaced by stubs, no outputs), teacher copies and WORKSHOP.md in out/workshop/;
# the guide is also copied to ./WORKSHOP.md, which the README links (a test keeps it current).
workshop: $(STAMP)
	$(PY) -m recsys_utils workshop --output $(OUT)/workshop --guide WORKSHOP.md

# One archive for a room without internet: the project, a wheel of every package, the Last.fm 2K data.
data-pack: $(STAMP)
	$(PY) -m recsys_utils data-pack --output $(OUT)/similar-music-pack.tar

# What this laptop lacks for the workshop (runs with whatever Python is there; installs nothing).
check-setup:
	@if [ -x $(PY) ]; then $(PY) -m recsys_utils check-setup; else $(PYTHON) -m recsys_utils check-setup; fi

clean:
	rm -rf $(OUT) .pytest_cache
