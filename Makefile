# The README's two commands: `make book` and `make test` (and `make test-fast`, the tests
# not marked slow). All create and reuse .venv; the install step reruns only when
# pyproject.toml changes.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test test-fast verify bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the test extra brings torch 2.13.0 (CPU) for the reference tests and the benchmark
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/python -m lstm_xor runs
	$(BIN)/jupyter-book build book --path-output book -W -n --keep-going

# the Slurm tests (a one-node cluster: tests/slurm/cluster.sh installs Debian's slurm-wlm and munge as root) and
# the driver's --jobs tests run beside the others, on the second core: they mostly wait for jobs and kernels, and
# the packages' install (apt-get, network-bound) runs there too, off the main suite's critical path
SIDE := tests/test_slurm.py tests/test_jobs.py
test: $(STAMP)
	$(BIN)/ruff check .
	(bash tests/slurm/cluster.sh install && $(BIN)/python -m pytest -q -p no:cacheprovider $(SIDE)) \
		> .slurm-tests.log 2>&1 & slurm=$$!; \
	$(BIN)/python -m pytest -q -m "not slurm" $(addprefix --ignore=,$(SIDE)); rest=$$?; \
	wait $$slurm; code=$$?; echo "--- the Slurm and --jobs tests:"; cat .slurm-tests.log; rm -f .slurm-tests.log; \
	test $$rest = 0 && test $$code = 0

# the same without the tests marked slow (notebooks, MPI jobs, the book build): about a minute
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

# re-executes a few committed runs of each report (about 15 minutes) and compares them with their records
verify: $(STAMP)
	$(BIN)/python -m lstm_xor verify

bench: $(STAMP)
	$(BIN)/python -m lstm_xor bench

clean:
	rm -rf book/_build
