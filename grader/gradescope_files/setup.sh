#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image
# (an Ubuntu image; the zip is unpacked into /autograder/source). It installs:
#   * Python 3.11: the image's own python3.11 when it has one, else Ubuntu's
#     python3.11 package, else the deadsnakes PPA (ppa:deadsnakes/ppa), which
#     carries 3.11 for every supported Ubuntu release;
#   * a virtual environment at $AUTOGRADER_ROOT/venv with the exact versions
#     of requirements.lock.
# AUTOGRADER_ROOT (default /autograder) and AUTOGRADER_VENV move things for a
# trial run elsewhere.
set -euxo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends ca-certificates

if ! command -v python3.11 >/dev/null 2>&1; then
    if ! apt-cache show python3.11 >/dev/null 2>&1; then
        apt-get install -y --no-install-recommends software-properties-common gnupg
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
    fi
    apt-get install -y --no-install-recommends python3.11
fi
# Debian/Ubuntu ship the venv module (ensurepip) separately.
if ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends python3.11-venv
fi

python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -r "$SOURCE/requirements.lock"

# Fail the image build now, not at the first submission, if the grader cannot import.
cd "$SOURCE"
OMP_NUM_THREADS=1 MPLBACKEND=Agg "$VENV/bin/python" -c 'import grader.pipeline, grader.gradescope, reference'
# The reference's trained outcomes are the same for every submission: train them once, now, into the
# grader's on-disk cache (grader/reference_cache.py; run_autograder points at the same directory).
# If this fails, or the cache does not match at grading time, each grading trains them itself.
WEEK6_GRADER_CACHE="${WEEK6_GRADER_CACHE:-$ROOT/reference-cache}" OMP_NUM_THREADS=1 "$VENV/bin/python" -c \
    'from grader.config import GraderConfig; from grader.reference_outcomes import reference_training; [reference_training(e, GraderConfig().train_restarts) for e in ("1", "2", "3")]' || true
# For the build log only: the sandbox level auto picks here (the answer at grading time may differ).
"$VENV/bin/python" -m grader.sandbox || true
