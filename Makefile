# Every command first makes $(VENV) from requirements.lock (once, and again whenever the lock or
# the interpreter changes), so a fresh clone needs only make and a supported CPython (pyproject.toml's
# requires-python, as tools/find-python --supported prints it). The interpreter (tools/find-python):
# PYTHON=... when given; else the one that made $(VENV); else the newest supported python3.X on PATH.
# The stamp's name records it, so another interpreter remakes the venv from scratch instead of mixing
# two Pythons' packages.
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
#            [ASSIGNMENT="Week 6 (1234)"] [LMS=canvas,moodle] [UNGRADED=blank|zero]
# On a Slurm cluster: SLURM=n [PARTITION= TIME_LIMIT= CPUS= MEM= EXTRA_SBATCH="--account=x --qos=y" DRY_RUN=1 NO_WAIT=1]
# (python -m grader slurm; SUBMISSIONS, OUT and this folder on a filesystem every node sees)
grade: $(READY)  ## grade SUBMISSION=x.ipynb (default: the example), or a class: SUBMISSIONS=dir|zip [OUT= JOBS= ROSTER= OVERRIDES= ONLY= DUE= SHARD=k/n ASSIGNMENT= LMS= UNGRADED= SLURM=n]
ifdef SUBMISSIONS
ifdef SLURM
	$(if $(ONLY)$(SHARD)$(JOBS),$(error SLURM=n grades the whole class in n shares, with JOBS from each task's CPUS: leave out ONLY=, SHARD= and JOBS=))
	$(PY) -m grader slurm "$(SUBMISSIONS)" --out "$(OUT)" --tasks $(SLURM) $(if $(PARTITION),--partition "$(PARTITION)") \
		$(if $(TIME_LIMIT),--time "$(TIME_LIMIT)") $(if $(CPUS),--cpus $(CPUS)) $(if $(MEM),--mem "$(MEM)") \
		$(foreach option,$(EXTRA_SBATCH),--sbatch="$(option)") $(if $(ROSTER),--roster "$(ROSTER)") \
		$(if $(OVERRIDES),--overrides "$(OVERRIDES)") $(if $(DUE),--due "$(DUE)") $(if $(DRY_RUN),--dry-run) $(if $(NO_WAIT),--no-wait) \
		$(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(LMS),--lms "$(LMS)") $(if $(UNGRADED),--ungraded "$(UNGRADED)")
else
	$(PY) -m grader grade-batch "$(SUBMISSIONS)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD)) \
		$(if $(ROSTER),--roster "$(ROSTER)") $(if $(OVERRIDES),--overrides "$(OVERRIDES)") \
		$(if $(ONLY),--only "$(ONLY)") $(if $(DUE),--due "$(DUE)") $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") \
		$(if $(LMS),--lms "$(LMS)") $(if $(UNGRADED),--ungraded "$(UNGRADED)")
endif
else
	$(PY) -m grader grade $(or $(SUBMISSION),examples/example_submission.ipynb) --out $(OUT)
endif

# make merge SHARDS="out/shard-1 out/shard-2" OUT=out/class: one gradebook and class report from shards
.PHONY: merge
merge: $(READY)  ## one gradebook and class report from shards: SHARDS="out/1 out/2" OUT=dir
	$(PY) -m grader merge $(SHARDS) --out "$(OUT)" $(if $(OVERRIDES),--overrides "$(OVERRIDES)") \
		$(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(LMS),--lms "$(LMS)") $(if $(UNGRADED),--ungraded "$(UNGRADED)")

# make written-answers OUT=dir: OUT/written_answers.html again (the TAs' page of written answers and plots)
.PHONY: written-answers
written-answers: $(READY)  ## OUT/written_answers.html again (the TAs' page of written answers): OUT=dir
	$(PY) -m grader written-answers $(OUT)

# make ui-check: a small class graded for real (correct, mistaken, blank, hostile, a .txt), then its class report,
# TAs' page, feedback and written pages in headless Chromium at 1280 px (tools/ui_check); screenshots in
# UI_OUT/screenshots. Debian's chromium and chromium-driver (installed as root when missing); selenium in a
# venv of its own (UI_VENV), from tools/ui_check/requirements.txt.
UI_OUT ?= $(OUT)/ui-check
UI_VENV ?= .venv-ui
.PHONY: ui-check
ui-check: $(READY)  ## the class pages and feedback of a small class in headless Chromium at 1280 px [UI_OUT=dir]
	tools/ui_check/install-chromium
	@test -x '$(UI_VENV)/bin/python' || $(BASE_PYTHON) -m venv '$(UI_VENV)'
	'$(UI_VENV)/bin/python' -m pip install --quiet --disable-pip-version-check --require-hashes -r tools/ui_check/requirements.txt
	$(PY) -m tools.ui_check.small_class '$(UI_OUT)'
	'$(UI_VENV)/bin/python' tools/ui_check/browser.py '$(UI_OUT)'

check: $(READY)  ## a student's self-check: NOTEBOOK=x.ipynb (public tests only)
	@test -n "$(NOTEBOOK)" || { echo "usage: make check NOTEBOOK=path/to/your_notebook.ipynb"; exit 2; }
	$(PY) -m grader check $(NOTEBOOK)

# make sandbox-check: the sandbox level auto picks here (bwrap, else uid as root, else none: grading
# refuses) and what each level enforces on this machine
.PHONY: sandbox-check robustness
sandbox-check: $(READY)  ## the sandbox level auto picks here, and what each level enforces
	$(PY) -m grader.kernel.sandbox

# make gradescope-test: the autograder zip built into an image as Gradescope does (a debootstrapped Debian base,
# setup.sh in the build) and graded in real containers under three seccomp profiles; as root, with a Docker
# engine of its own (tools/with-dockerd installs docker.io and debootstrap where missing, stops dockerd after)
.PHONY: gradescope-test
gradescope-test: $(READY)  ## the Gradescope image built and graded in real Docker containers (root; installs docker.io)
	tools/with-dockerd env WEEK6_GRADESCOPE_CONTAINER_TEST=1 $(PY) -m pytest -p no:xdist -q -rA tests/grader/gradescope/container

# make robustness [JOBS=n] [REPEAT=n]: grade the hostile-notebook corpus (tests/robustness) and print a table
robustness: $(READY)  ## grade the hostile-notebook corpus and print a table [JOBS=n] [REPEAT=n: each case n times]
	$(PY) -m tests.robustness.run_corpus $(if $(JOBS),--jobs $(JOBS)) $(if $(REPEAT),--repeat $(REPEAT))

# make slurm-test: a one-node Slurm cluster on this machine (Debian's munge, slurmctld, slurmd; installed
# with apt-get as root when missing; its own slurm.conf in a temporary directory, daemons stopped by pid)
# grades a class of 12 through `python -m grader slurm` and compares with a local run; prints the overhead.
# Its temporary files in a directory of its own, removed afterwards (not among pytest's numbered ones)
.PHONY: slurm-test
slurm-test: $(READY)  ## a real one-node Slurm cluster grades a class of 12 as a job array (root installs Slurm)
	@base="$$(mktemp -d -t week6-slurm-test.XXXXXX)"; \
	$(PY) -m pytest -p no:xdist -p no:cacheprovider -q -rA --basetemp="$$base/pytest" tests/slurm/real_cluster.py; \
	status=$$?; rm -rf -- "$$base"; exit $$status

# make kubernetes-check: cluster/kubernetes/*.yaml against the Kubernetes API schema of the oldest version they need
# (1.29: backoffLimitPerIndex) and of the newest kubernetes-validate knows, in a venv of its own (.venv-k8s)
K8S_VALIDATE := kubernetes-validate==1.37.0
.PHONY: kubernetes-check
kubernetes-check:  ## check the Kubernetes manifests (cluster/kubernetes/) against the API schema
	@test -x .venv-k8s/bin/python || $(BASE_PYTHON) -m venv .venv-k8s
	.venv-k8s/bin/python -m pip install --quiet --disable-pip-version-check '$(K8S_VALIDATE)'
	for version in 1.29.0 1.37.0; do \
		.venv-k8s/bin/kubernetes-validate --strict --kubernetes-version $$version cluster/kubernetes/*.yaml || exit 1; \
	done

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

# make sid-check (root; .ci/run runs it): Debian sid's own python3.14 and python3.15 in a debootstrap tree
# (kept a day in ~/.cache/week6-grader-ci), each given .ci/quick-check in a fresh clone (tools/sid-check)
.PHONY: sid-check
sid-check:  ## the grader on Debian sid's own Python 3.14 and 3.15, in a debootstrap tree (root) [SID_PYTHONS=]
	tools/sid-check

clean:  ## remove .venv, OUT and dist/
	rm -rf $(VENV) $(OUT) dist
