"""Gradescope's autograder image built and run in a real Docker engine, as Gradescope does it.

For the container test (``make gradescope-test``, tests/grader/gradescope/container) and the
bench (bench/gradescope_container.py). The engine is the one ``docker`` reaches (``DOCKER_HOST``;
``tools/with-dockerd`` starts one of its own).

* **The base image**: Docker Hub is out of reach, so a Debian root file system made with
  ``debootstrap --variant=minbase`` (with ``python3``, as Gradescope's base images have one) and
  ``docker import``. The root file system is cached as a tarball under
  ``~/.cache/week6-grader-ci/`` (:data:`CACHE_DIR`), keyed by everything that makes it (suite,
  packages, mirror, the host's extra CA certificates) and made again after :data:`ROOTFS_MAX_DAYS`.
  Where this machine reaches the network through a proxy with a CA of its own
  (``/usr/local/share/ca-certificates``), the image trusts that CA too (apt, and pip through
  ``/etc/pip.conf``): without it setup.sh could not download the wheels.
* **The autograder image**: the zip unpacked into ``/autograder/source``, ``run_autograder``
  copied to ``/autograder/``, then ``apt-get update && bash setup.sh`` and the clean-up, as in
  Gradescope's own Dockerfile for autograders (:data:`DOCKERFILE`). The build uses the host's
  network (the engine may have no bridge); the containers run with none.
* **A grading**: a container that idles (``sleep infinity`` under Docker's init), the notebook
  written to ``/autograder/submission/``, ``/autograder/run_autograder`` run in it by ``docker exec``
  as Gradescope's harness does, so that whatever the grading leaves running is still there to see.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "week6-grader-ci"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "ca-certificates")
ROOTFS_MAX_DAYS = 30                 # then debootstrap again: the suite's point releases move on
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
BASE_REPOSITORY = "week6-gradescope-base"
IMAGE_REPOSITORY = "week6-gradescope"
SUBMISSION = "/autograder/submission/week6_backprop.ipynb"
RESULTS = "/autograder/results/results.json"
DOCKERFILE = """\
FROM {base}
COPY source /autograder/source
RUN cp /autograder/source/run_autograder /autograder/run_autograder && chmod +x /autograder/run_autograder
RUN apt-get update && bash /autograder/source/setup.sh && apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*
"""
# Lists every process but the container's init, its idle command and this lister: (pid, uid, command line).
PROCESSES = """
import json, os
me, found = os.getpid(), []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        uid = int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("Uid:")).split()[1])
        command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode(errors="replace").strip()
        state = next(l for l in open(f"/proc/{pid}/status") if l.startswith("State:")).split()[1]
    except (OSError, StopIteration):
        continue
    if int(pid) not in (1, me) and command != "sleep infinity" and state != "Z":
        found.append((int(pid), uid, command))
print(json.dumps(found))
"""


def docker(*args, input=None, timeout=600, check=True, env=None):
    """``docker ARGS`` (the engine of ``DOCKER_HOST``): its CompletedProcess (text), RuntimeError on failure
    when ``check``."""
    done = subprocess.run(["docker", *args], input=input, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DOCKER_BUILDKIT": "0", **(env or {})})
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def engine_problem():
    """None where a Docker engine answers, else why not (one line)."""
    if shutil.which("docker") is None:
        return "no docker command on PATH (tools/with-dockerd installs Debian's docker.io and starts an engine)"
    try:
        done = docker("version", "--format", "{{.Server.Version}}", check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 30 s"
    if done.returncode != 0:
        return f"no Docker engine answers at {os.environ.get('DOCKER_HOST') or 'the default socket'}: " \
               f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    return None


def engine_version():
    return docker("version", "--format", "{{.Server.Version}}").stdout.strip()


# --------------------------------------------------------------------------- the base image

def _host_cas():
    return sorted(HOST_CA_DIR.glob("*.crt")) if HOST_CA_DIR.is_dir() else []


def base_key(suite):
    """What makes the root file system of ``suite``, hashed: its cache key."""
    digest = hashlib.sha256(json.dumps([suite, BASE_PACKAGES, MIRROR]).encode())
    for ca in _host_cas():
        digest.update(ca.name.encode() + b"\0" + ca.read_bytes())
    return f"{suite}-{digest.hexdigest()[:12]}"


def _debootstrap(suite, target):
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root (run make gradescope-test as root)")
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is missing (apt-get install debootstrap; tools/with-dockerd does)")
    subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", suite, str(target),
                    MIRROR], check=True, capture_output=True, text=True, timeout=1800)
    cas = _host_cas()
    if cas:         # this machine's egress proxy signs with a CA of its own: the image must trust it too
        for ca in cas:
            shutil.copy(ca, target / "usr/local/share/ca-certificates" / ca.name)
        subprocess.run(["chroot", str(target), "update-ca-certificates"], check=True, capture_output=True, timeout=120)
        (target / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")


def rootfs_tarball(suite, log=print):
    """The cached root file system of ``suite`` (a .tar.gz), made with debootstrap when missing or stale."""
    tarball = CACHE_DIR / f"rootfs-{base_key(suite)}.tar.gz"
    if tarball.is_file() and time.time() - tarball.stat().st_mtime < ROOTFS_MAX_DAYS * 86400:
        return tarball
    CACHE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    started = time.monotonic()
    log(f"debootstrap {suite} (cached afterwards in {CACHE_DIR}) ...")
    work = Path(tempfile.mkdtemp(prefix=f"week6-rootfs-{suite}-"))
    try:
        _debootstrap(suite, work / "root")
        partial = tarball.with_suffix(".partial")
        with open(partial, "wb") as out:
            tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(work / "root"), "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-1"], stdin=tar.stdout, stdout=out, check=True)
            if tar.wait() != 0:
                raise RuntimeError(f"tar of the {suite} root file system failed")
        os.replace(partial, tarball)
        for old in CACHE_DIR.glob(f"rootfs-{suite}-*.tar.gz"):      # an older key's tarball of the suite
            if old != tarball:
                old.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"debootstrap {suite}: {time.monotonic() - started:.0f} s")
    return tarball


def base_image(suite, log=print):
    """The base image of ``suite`` in the engine (imported from the cached root file system when missing)."""
    tag = f"{BASE_REPOSITORY}:{base_key(suite)}"
    if docker("image", "inspect", tag, check=False).returncode != 0:
        docker("import", str(rootfs_tarball(suite, log)), tag, timeout=600)
    return tag


# --------------------------------------------------------------------------- the autograder image

@dataclass
class Build:
    tag: str
    ok: bool
    seconds: float
    log: str


def unpack(zip_path, target):
    """Unzip as ``unzip`` does: the permission bits stored in the archive kept."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, target))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


def build_image(zip_path, base, tag=None, fresh=True):
    """Build the autograder image of ``zip_path`` on ``base`` as Gradescope does; a :class:`Build`
    (``ok`` False with the log when setup.sh fails). ``fresh``: no layer of an earlier build reused."""
    digest = hashlib.sha256(Path(zip_path).read_bytes()).hexdigest()[:12]
    tag = tag or f"{IMAGE_REPOSITORY}:{base.split(':', 1)[1]}-{digest}"
    context = Path(tempfile.mkdtemp(prefix="week6-gradescope-build-"))
    try:
        unpack(zip_path, context / "source")
        (context / "Dockerfile").write_text(DOCKERFILE.format(base=base))
        started = time.monotonic()
        done = docker("build", "--network", "host", *(["--no-cache"] if fresh else []), "-t", tag, str(context),
                      check=False, timeout=3600)
        return Build(tag, done.returncode == 0, time.monotonic() - started, done.stdout + done.stderr)
    finally:
        shutil.rmtree(context, ignore_errors=True)


# --------------------------------------------------------------------------- a grading

@dataclass
class Grading:
    status: int                 # run_autograder's exit status
    seconds: float              # its wall time, seen from outside
    stdout: str
    results_text: str           # /autograder/results/results.json as written

    @property
    def results(self):
        return json.loads(self.results_text)


class Container:
    """An idle container of ``image`` (Docker's init as pid 1), no network, under ``seccomp``: None for
    the engine's default profile, else a profile file. ``start_seconds``: from ``docker run`` until it
    runs a command."""

    def __init__(self, image, seccomp=None):
        options = ["--security-opt", f"seccomp={seccomp}"] if seccomp else []
        started = time.monotonic()
        self.id = docker("run", "-d", "--init", "--network", "none", *options, image, "sleep", "infinity").stdout.strip()
        self.exec("true")
        self.start_seconds = time.monotonic() - started

    def exec(self, *command, input=None, timeout=1800, check=True, workdir=None, env=None):
        options = (["-i"] if input is not None else []) + (["-w", workdir] if workdir else [])
        options += [f"--env={key}={value}" for key, value in (env or {}).items()]
        return docker("exec", *options, self.id, *command, input=input, timeout=timeout, check=check)

    def write(self, path, text, mode="644"):
        self.exec("sh", "-c", f'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod {mode} "$1"', "sh", path, input=text)

    def read(self, path):
        return self.exec("cat", path).stdout

    def processes(self):
        """[(pid, uid, command line)] of every process left but init and the idle command."""
        return [tuple(p) for p in json.loads(self.exec("python3", "-c", PROCESSES).stdout)]

    def grade(self, notebook_text, metadata=None):
        """Put the notebook where Gradescope does and run run_autograder: a :class:`Grading`."""
        self.write(SUBMISSION, notebook_text)
        if metadata is not None:
            self.write("/autograder/submission_metadata.json", json.dumps(metadata))
        started = time.monotonic()
        done = self.exec("/autograder/run_autograder", check=False, workdir="/autograder")
        seconds = time.monotonic() - started
        return Grading(done.returncode, seconds, done.stdout + done.stderr, self.read(RESULTS))

    def remove(self):
        docker("rm", "-f", self.id, check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
