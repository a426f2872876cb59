# Two commands for a fresh machine (Python 3 with venv and pip is all it needs):
#   make demo   the instructor pipeline end to end, offline, on a synthetic CIFAR-10
#   make test   the test suite
# Both create or reuse the virtual environment .venv/ and install what they need into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-slow lint lock release release-check bench notebooks-real mutation clean-venv

# The grading environment first, exactly as locked (the Gradescope bundle's setup.sh installs the
# same file), then the rest of the tools, constrained so they cannot move a locked version.
$(STAMP): requirements.txt requirements-dev.txt requirements-grading.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-grading.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c requirements-grading.lock
	@touch $(STAMP)

# Re-resolve the grading lock from requirements-grading.in, for every Python from 3.10 (Gradescope's
# Ubuntu 22.04 image) up, with a marker per version where they differ.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile --universal --python-version 3.10 --custom-compile-command "make lock" --annotation-style line \
		requirements-grading.in -o requirements-grading.lock

# The instructor's tools have a file of their own (included by requirements-dev.txt): a change
# there reinstalls too.
$(STAMP): requirements-instructor.txt

demo: $(STAMP)
	$(PY) -m autograder demo

# Everything but the `slow` tests: unit and end-to-end (marked `e2e`).
test: $(STAMP)
	$(PY) -m pytest

# The quick tier for day-to-day work: unit tests only (no kernels, subprocess pipelines or batches),
# spread over two processes (pytest-xdist; grading sandboxes each claim a uid of their own).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not e2e" -n 2

# Long or data-heavy checks (marked "slow"); not part of `make test`.
test-slow: $(STAMP)
	$(PY) -m pytest -m slow

# Lint and type checks, configured in pyproject.toml; CI runs them before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The student-facing tests (release, student repository, self-check, packager, setup cell, loader,
# notebooks on synthetic data) under Python 3.12, Colab's, in a virtual environment of its own:
# the student requirements, the instructor's tools the release needs, and the test runner.
# .ci/run calls it when a 3.12 interpreter exists (PY312=/path/to/python3.12 picks another).
PY312   ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12)))
VENV312 := .venv-py312
STUDENT_TESTS := tests/test_student_repo.py tests/test_release.py tests/test_check.py tests/test_submit.py \
	tests/test_notebooks.py tests/test_notebook_setup.py tests/test_data_utils.py
.PHONY: test-student-py312
$(VENV312)/.installed: requirements.txt requirements-instructor.txt
	@test -n "$(PY312)" || { echo "no Python 3.12 found: set PY312=/path/to/python3.12" >&2; exit 1; }
	@test -x $(VENV312)/bin/python || $(PY312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV312)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-instructor.txt \
		"pytest>=8.0" "pytest-timeout>=2.2"
	@touch $@

test-student-py312: $(VENV312)/.installed
	$(VENV312)/bin/python --version
	$(VENV312)/bin/python -m pytest $(STUDENT_TESTS)

release: $(STAMP)
	$(PY) -m autograder release

release-check: $(STAMP)
	$(PY) -m autograder release --check

clean-venv:
	rm -rf $(VENV)

# Speed as ratios against peers measured in the same run (docs/PERFORMANCE.md): the reference
# code against scikit-learn, SciPy, PyTorch and GEMM; grade-all against nbgrader autograde.
bench: $(STAMP)
	$(PY) bench/run.py
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/grading_throughput.py --submissions 200 --notebook-submissions 12

# The solution notebooks end to end on the real CIFAR-10: times and accuracies per notebook.
# Needs the data: `bash get_datasets.sh`, or CIFAR10_DIR=/path/to/cifar-10-batches-py.
notebooks-real: $(STAMP)
	$(PY) -m autograder.check_notebooks_real

# Mutation testing of the hidden tests (cosmic-ray, tools/mutation.py): every mutant of a solution
# region must lose points when graded. Writes build/mutation/ and prints the report (docs/MUTATION.md).
MUTATION := build/mutation
mutation: $(STAMP)
	$(PY) tools/mutation.py prepare $(MUTATION)
	cd $(MUTATION) && $(CURDIR)/$(VENV)/bin/cosmic-ray init cosmic-ray.toml session.sqlite
	cd $(MUTATION) && $(CURDIR)/$(VENV)/bin/cr-filter-pragma session.sqlite
	cd $(MUTATION) && $(CURDIR)/$(VENV)/bin/cosmic-ray exec cosmic-ray.toml session.sqlite
	cd $(MUTATION) && $(CURDIR)/$(VENV)/bin/cr-report session.sqlite --show-output | tee report.txt | tail -5


# The same for the grader's judges (checks/): the fairness suite's submissions are graded once,
# then every mutant of checks/ judges what they returned (tools/judge_mutation.py). Two kit copies
# run side by side, judging.py in one and the part files in the other (about an hour on 2 cores).
JUDGE_MUTATION := build/judges
JUDGE_SHARDS := judging:judging parts:plans,knn,losses,linear_classifier
JUDGE_SESSIONS := $(foreach shard,$(JUDGE_SHARDS),$(JUDGE_MUTATION)/$(firstword $(subst :, ,$(shard)))/session.sqlite)
.PHONY: mutation-judges
mutation-judges: $(STAMP)
	$(PY) tools/judge_mutation.py record $(JUDGE_MUTATION)/cache.pickle
	for shard in $(JUDGE_SHARDS); do name=$${shard%%:*}; \
	  $(PY) tools/judge_mutation.py prepare $(JUDGE_MUTATION)/$$name --cache $(JUDGE_MUTATION)/cache.pickle \
	    --modules $$(echo $${shard#*:} | tr , ' ') || exit 1; \
	  (cd $(JUDGE_MUTATION)/$$name && rm -f session.sqlite \
	    && $(CURDIR)/$(VENV)/bin/cosmic-ray init cosmic-ray.toml session.sqlite \
	    && $(CURDIR)/$(PY) $(CURDIR)/tools/judge_mutation.py skip-annotations session.sqlite \
	    && $(CURDIR)/$(VENV)/bin/cosmic-ray exec cosmic-ray.toml session.sqlite) & \
	done; wait
	$(PY) tools/judge_mutation.py report $(JUDGE_SESSIONS) | tee $(JUDGE_MUTATION)/report.txt

# After adding a test for a survivor: the survivors of the last run are judged again with today's
# tests (refused if the judges themselves changed: then run mutation-judges again).
.PHONY: mutation-judges-survivors
mutation-judges-survivors: $(STAMP)
	for shard in $(JUDGE_SHARDS); do name=$${shard%%:*}; \
	  $(PY) tools/judge_mutation.py refresh $(JUDGE_MUTATION)/$$name || exit 1; \
	  (cd $(JUDGE_MUTATION)/$$name && $(CURDIR)/$(VENV)/bin/cosmic-ray exec cosmic-ray.toml session.sqlite) & \
	done; wait
	$(PY) tools/judge_mutation.py report $(JUDGE_SESSIONS) | tee $(JUDGE_MUTATION)/report.txt