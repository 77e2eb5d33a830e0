"""A one-node Slurm cluster on this machine, for ``make slurm-test``: Debian's munged, slurmctld and slurmd,
configured in a directory of the test's own, started in the foreground and stopped by pid.

    with one_node_cluster(tmp_path) as cluster:
        subprocess.run(["sbatch", ...], env=cluster.env)     # SLURM_CONF points at the test's slurm.conf

Nothing is written outside that directory but what Slurm's process tracking makes: with
``proctrack/cgroup`` slurmd makes ``slurm_<node>`` cgroups, removed again when the cluster stops. That
plugin is tried first (it kills whatever a job leaves behind, sessions of its own included); where it
cannot start or run a job (a container without cgroup controllers), ``proctrack/linuxproc`` (the process
tree) is used instead. ``TaskPlugin=task/none``: no CPU binding or memory cgroup per task, as a container
rarely allows them; the grader's own limits still hold. As root, missing packages are installed with
apt-get; otherwise :class:`ClusterUnavailable` says what to install.
"""
import os
import shutil
import signal
import socket
import string
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


PACKAGES = {"munged": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd", "sbatch": "slurm-client"}
PROCTRACK = ("proctrack/cgroup", "proctrack/linuxproc")
CGROUP_ROOT = Path("/sys/fs/cgroup")
START_TIMEOUT = 90.0          # seconds for the node to be idle, and for the first job to run
CONF_TEMPLATE = Path(__file__).with_name("slurm.conf.in")


class ClusterUnavailable(RuntimeError):
    """Slurm cannot be installed or started here; the message says why."""


def ensure_installed() -> None:
    """Install the missing Debian packages (as root), else say which are missing."""
    missing = sorted({package for command, package in PACKAGES.items()
                      if shutil.which(command) is None and not Path("/usr/sbin", command).exists()})
    if not missing:
        return
    if os.geteuid() != 0:
        raise ClusterUnavailable(f"Slurm is not installed and this is not root: apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ClusterUnavailable(f"{' '.join(argv)} failed: {done.stderr.strip()[-2000:]}")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _daemon(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


@dataclass
class Cluster:
    root: Path
    conf: Path
    env: dict
    proctrack: str = ""
    processes: list = field(default_factory=list)      # [(name, Popen)], stopped in reverse order
    node: str = "localnode"
    failures: list = field(default_factory=list)       # why the process trackers tried before it did not start

    def run(self, *argv: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """A Slurm command (sbatch, squeue, scontrol, scancel) against this cluster."""
        done = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def start(self, name: str, argv: list[str]) -> None:
        log = open(self.root / f"{name}.out", "ab")
        self.processes.append((name, subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                      stdin=subprocess.DEVNULL)))
        log.close()

    def stop(self) -> None:
        while self.processes:
            name, process = self.processes.pop()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = []
        for path in sorted(self.root.glob("*.log")) + sorted(self.root.glob("*.out")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            text.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(text)


def _cgroups() -> set:
    """The ``slurm*`` cgroups there are now (slurmd's proctrack/cgroup makes them)."""
    return {path for path in CGROUP_ROOT.glob("*/slurm*") if path.is_dir()} | \
        {path for path in CGROUP_ROOT.glob("slurm*") if path.is_dir()}


def _remove_cgroups(made: set) -> None:
    for top in made:
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)) + [top]:
            try:
                directory.rmdir()
            except OSError:
                pass


def _wait_until(predicate, timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for name, process in cluster.processes:
            if process.poll() is not None:
                raise ClusterUnavailable(f"{name} exited ({process.returncode}) before {what}\n{cluster.log_tail()}")
        time.sleep(0.5)
    raise ClusterUnavailable(f"no {what} within {timeout:g} s\n{cluster.log_tail()}")


def _start(root: Path, proctrack: str) -> Cluster:
    for sub in ("state", "spool", "munge", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "munge", 0o700)
    os.chmod(root / "run", 0o755)
    key = root / "munge" / "munge.key"
    if not key.exists():
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o400)
    ctld_port, slurmd_port = free_ports(2)
    memory_mb = int(int(Path("/proc/meminfo").read_text().split()[1]) / 1024) - 1024
    conf = root / "slurm.conf"
    model = {"root": str(root), "socket": str(root / "run" / "munge.socket"), "host": socket.gethostname(),
             "ctld_port": ctld_port, "slurmd_port": slurmd_port, "cpus": os.cpu_count() or 1,
             "memory_mb": memory_mb, "proctrack": proctrack, "node": "localnode"}
    conf.write_text(string.Template(CONF_TEMPLATE.read_text(encoding="utf-8")).substitute(model), encoding="utf-8")
    (root / "cgroup.conf").write_text("CgroupPlugin=autodetect\n", encoding="utf-8")
    env = {**os.environ, "SLURM_CONF": str(conf)}
    cluster = Cluster(root=root, conf=conf, env=env, proctrack=proctrack)
    try:
        _run_daemons(cluster, key, model)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _run_daemons(cluster: Cluster, key: Path, model: dict) -> None:
    root, conf = cluster.root, cluster.conf
    cluster.start("munged", [_daemon("munged"), "--foreground", "--force", f"--key-file={key}",
                             f"--socket={model['socket']}", f"--pid-file={root / 'run' / 'munged.pid'}",
                             f"--log-file={root / 'munged.log'}", f"--seed-file={root / 'munge' / 'seed'}"])
    _wait_until(lambda: Path(model["socket"]).exists(), 30, "munge socket", cluster)
    cluster.start("slurmctld", [_daemon("slurmctld"), "-D", "-i", "-f", str(conf)])
    time.sleep(1.0)
    cluster.start("slurmd", [_daemon("slurmd"), "-D", "-N", "localnode", "-f", str(conf)])

    def idle():
        done = cluster.run("sinfo", "--noheader", "--format=%t", check=False)
        return done.returncode == 0 and done.stdout.strip() == "idle"
    _wait_until(idle, START_TIMEOUT, "idle node", cluster)
    probe = cluster.run("sbatch", "--wait", "--quiet", f"--output={root / 'probe-%j.log'}", "--mem=100M",
                        "--wrap", "true", check=False, timeout=START_TIMEOUT)
    if probe.returncode != 0:
        raise ClusterUnavailable(f"a first job did not run with {cluster.proctrack}: {probe.stderr.strip()}\n"
                                 f"{cluster.log_tail()}")


@contextmanager
def one_node_cluster(root: Path):
    """A running one-node cluster in ``root``; its daemons stopped (by pid) when the block ends."""
    ensure_installed()
    before = _cgroups()
    failures = []
    cluster = None
    try:
        for proctrack in PROCTRACK:
            attempt = Path(root) / proctrack.split("/")[1]
            try:
                cluster = _start(attempt, proctrack)
                break
            except ClusterUnavailable as error:
                failures.append(f"{proctrack}: {error}")
        if cluster is None:
            raise ClusterUnavailable("Slurm did not start:\n" + "\n".join(failures))
        cluster.failures = failures
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        _remove_cgroups(_cgroups() - before)
