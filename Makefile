# The README's two commands: `make run` (install everything, start the app on the
# bundled model) and `make test` (install test needs, run the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Loopback only by default; a deployment behind sign-in sets ADDRESS=0.0.0.0.
ADDRESS ?= 127.0.0.1

.PHONY: install run test dev-install lock browser database lint format bench bench-answers

# llama-cpp-python compiles llama.cpp for "this CPU" by default, and some virtual machines
# report AMX (and so get AMX code) but forbid it: the bundled model then dies with SIGILL.
# A portable AVX2 build runs everywhere this project does.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

# Installs come from the lock files only, each package at its pinned version and checked
# against its hashes. Build tools first (pip, and the build backends), then --no-build-isolation
# so that llama-cpp-python (source only) and this package are built with those checked copies:
# pip checks no hash of the build dependencies it would fetch for an isolated build.
PIP_LOCKED := $(PY) -m pip install --require-hashes --no-build-isolation

$(VENV)/.installed: requirements-build.lock requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements-build.lock
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP_LOCKED) -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m streamlit run streamlit_agent/app.py --server.port $(PORT) --server.address $(ADDRESS)

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP_LOCKED) -r requirements-dev.lock
	touch $@

dev-install: $(VENV)/.dev-installed

# The lock files from the lists a person edits: requirements.txt (runtime), requirements-dev.txt
# (tests, lint) and requirements-build.txt (build tools). Each lock is constrained by the one
# before, so a package has one version in all three. Pins still allowed by those lists are kept;
# `make lock UPGRADE=1` moves everything to the newest allowed, `UPGRADE=pkg1,pkg2` just those.
LOCK_VENV ?= .venv-lock
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	$(if $(filter 1,$(UPGRADE)),--upgrade,$(foreach p,$(subst $(comma), ,$(UPGRADE)),--upgrade-package $(p)))
comma := ,

$(LOCK_VENV)/bin/pip-compile:
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q pip-tools==7.6.2

lock: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -c requirements.lock -o requirements-dev.lock requirements.txt requirements-dev.txt
	$(PIP_COMPILE) -c requirements-dev.lock -o requirements-build.lock requirements-build.txt

# Browser tests drive Debian's Chromium; Playwright's own browser download is not used.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Browser tests need Chromium: sudo apt-get install chromium"; fi; \
	fi

# Store tests use the local PostgreSQL (127.0.0.1:5432, database test) when it can be started.
database:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  fi; \
	fi

# The layers and the absence of import circles first (.importlinter), then every test.
test: dev-install browser database
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# Seconds per turn, the app next to the plain recipe (benchmarks/turns.py; see
# docs/performance.md). About 2.5 minutes a round; TURNS=125 reaches the 120–125 band.
TURNS ?= 60
ROUNDS ?= 3
bench: dev-install
	$(PY) -m benchmarks.turns --turns $(TURNS) --rounds $(ROUNDS)

# Answer pass rates per category, the scripted reference model and the real bundled
# model (benchmarks/answers.py; figures in README). Some 10 minutes on 2 cores.
bench-answers: dev-install
	$(PY) -m benchmarks.answers --model scripted --model bundled

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
