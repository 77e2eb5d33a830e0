# Every command first makes $(VENV) from requirements.lock (once, and again whenever the lock or
# the interpreter changes), so a fresh clone needs only make and CPython 3.10 to 3.13 (pyproject.toml's
# requires-python). The interpreter (tools/find-python): PYTHON=... when given; else the one that made
# $(VENV); else the newest supported python3.X on PATH. The stamp's name records it, so another
# interpreter remakes the venv from scratch instead of mixing two Pythons' packages.
VENV ?= .venv
INTERPRETER := $(shell tools/find-python --venv '$(VENV)' $(PYTHON) 2>/dev/null)
BASE_PYTHON := $(word 1,$(INTERPRETER))
PY := $(VENV)/bin/python
READY := $(VENV)/.ready-$(if $(BASE_PYTHON),$(shell printf '%s' '$(BASE_PYTHON)' | cksum | cut -d' ' -f1),none)
OUT ?= results
JOBS ?=
# One BLAS thread per process: the networks are tiny, and threads only
# oversubscribe the cores that parallel grading and tests already use.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export MPLBACKEND := Agg

.DEFAULT_GOAL := help

.PHONY: help setup test grade check bench data template example public-fixture gradescope student-bundle clean lock

# make help (or make alone): every command, from the '## ' text on its target's line
help:  ## this list
	@echo "week6-grader: make COMMAND [VARIABLE=value ...]"
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: $(READY)  ## make .venv from requirements.lock (every other command does this first)
	@echo "$(VENV): Python $(word 2,$(INTERPRETER)) ($(BASE_PYTHON))"

$(READY): requirements.lock
	@tools/find-python --venv '$(VENV)' $(PYTHON) >/dev/null
	@echo "Making $(VENV) with Python $(word 2,$(INTERPRETER)) ($(BASE_PYTHON))"
	@$(BASE_PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "$(BASE_PYTHON) has no venv module: install it (Debian/Ubuntu: apt-get install python3-venv, or python$(basename $(word 2,$(INTERPRETER)))-venv)"; exit 1; }
	rm -rf -- '$(VENV)'
	$(BASE_PYTHON) -m venv '$(VENV)'
	$(PY) -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r requirements.lock
	echo '$(INTERPRETER)' > '$@'

# make lock: regenerate requirements.lock from pyproject.toml (after changing a dependency there);
# a developer's step, needs PyPI (tools/lock: the pinned uv, one universal lock for every supported Python)
lock:  ## regenerate requirements.lock from pyproject.toml [UPGRADE=1]
	UPGRADE='$(UPGRADE)' tools/lock

test: $(READY)  ## the project's whole test suite
	$(PY) -m pytest -n 2 -q tests

# make grade SUBMISSIONS=dir|zip|LMS download [ROSTER=roster.csv] [OVERRIDES=overrides.csv] [ONLY=who] [DUE=when]
grade: $(READY)  ## grade SUBMISSION=x.ipynb (default: the example), or a class: SUBMISSIONS=dir|zip [OUT= JOBS= ROSTER= OVERRIDES= ONLY= DUE= SHARD=k/n]
ifdef SUBMISSIONS
	$(PY) -m grader grade-batch "$(SUBMISSIONS)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD)) \
		$(if $(ROSTER),--roster "$(ROSTER)") $(if $(OVERRIDES),--overrides "$(OVERRIDES)") \
		$(if $(ONLY),--only "$(ONLY)") $(if $(DUE),--due "$(DUE)")
else
	$(PY) -m grader grade $(or $(SUBMISSION),examples/example_submission.ipynb) --out $(OUT)
endif

# make merge SHARDS="out/shard-1 out/shard-2" OUT=out/class: one gradebook and class report from shards
.PHONY: merge
merge: $(READY)  ## one gradebook and class report from shards: SHARDS="out/1 out/2" OUT=dir
	$(PY) -m grader merge $(SHARDS) --out "$(OUT)" $(if $(OVERRIDES),--overrides "$(OVERRIDES)")

# make written-answers OUT=dir: OUT/written_answers.html again (the TAs' page of written answers and plots)
.PHONY: written-answers
written-answers: $(READY)  ## OUT/written_answers.html again (the TAs' page of written answers): OUT=dir
	$(PY) -m grader written-answers $(OUT)

check: $(READY)  ## a student's self-check: NOTEBOOK=x.ipynb (public tests only)
	@test -n "$(NOTEBOOK)" || { echo "usage: make check NOTEBOOK=path/to/your_notebook.ipynb"; exit 2; }
	$(PY) -m grader check $(NOTEBOOK)

# make sandbox-check: the sandbox level auto picks here (bwrap, else uid as root, else none: grading
# refuses) and what each level enforces on this machine
.PHONY: sandbox-check robustness
sandbox-check: $(READY)  ## the sandbox level auto picks here, and what each level enforces
	$(PY) -m grader.kernel.sandbox

# make robustness [JOBS=n] [REPEAT=n]: grade the hostile-notebook corpus (tests/robustness) and print a table
robustness: $(READY)  ## grade the hostile-notebook corpus and print a table [JOBS=n] [REPEAT=n: each case n times]
	$(PY) -m tests.robustness.run_corpus $(if $(JOBS),--jobs $(JOBS)) $(if $(REPEAT),--repeat $(REPEAT))

bench: $(READY)  ## benchmarks, measured side by side in one run
	$(PY) -m bench

data: $(READY)  ## regenerate the data sets in data/
	$(PY) data/generate.py

template: $(READY)  ## regenerate the student notebook from assignment/
	$(PY) tools/build_template.py

example: template  ## regenerate the example submission (and the notebook)
	$(PY) examples/make_example.py

# dist/autograder.zip: upload as the assignment's autograder on Gradescope
gradescope: $(READY)  ## dist/autograder.zip for a Gradescope programming assignment
	$(PY) -m grader.gradescope build --out dist/autograder.zip

# student_template/public_fixture.json: the self-check's checks, inputs and expected outputs, from assignment/
public-fixture: $(READY)  ## regenerate the self-check's public fixture from assignment/
	$(PY) tools/build_public_fixture.py

# dist/week6-student.zip: what students download (notebook, data, self-check)
student-bundle: $(READY)  ## dist/week6-student.zip: what students download
	$(PY) tools/build_bundle.py dist/week6-student.zip

clean:  ## remove .venv, OUT and dist/
	rm -rf $(VENV) $(OUT) dist
