"""Write ``student_template/public_fixture.json``: the public self-check's checks, inputs and expected outputs.

    python tools/build_public_fixture.py          # rewrite the committed file (make public-fixture)
    python tools/build_public_fixture.py --check  # exit 1 if the file is out of date

The student self-check (``student_template/week6_selfcheck.py``) has no reference solution: it
runs the checks listed here and compares the student's functions with the values stored here.
Everything comes from the assignment: each exercise module's ``public_cases`` and
``PUBLIC_CHECKS`` (see :mod:`assignment.kit.public`), in notebook order, each exercise from its own
random stream of ``PUBLIC_SEED``; the tolerances are the grader's.

Layout: ``{"format", "about", "seed", "tolerances", "exercises": [{"id", "heading"}],
"checks": [{"id", "exercise", "name", "kind", "cases", ...}], "cases": {id: case}}``.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import EXERCISES  # noqa: E402
from assignment.kit.public import PublicCases  # noqa: E402
from grader.config import Tolerances  # noqa: E402

FIXTURE = ROOT / "student_template" / "public_fixture.json"
FORMAT = 3              # 3: init_bounds reads one call case per network (2: the fixture lists the checks)
PUBLIC_SEED = 6_2026    # the public inputs; the hidden probes are seeded per submission
COMMAND = "python tools/build_public_fixture.py"


def build() -> dict:
    """The fixture as a JSON-ready dict (nothing written)."""
    cases = PublicCases(PUBLIC_SEED)
    for exercise in EXERCISES:
        exercise.add_public_cases(cases)
    checks = [entry for exercise in EXERCISES for entry in exercise.public_checks]
    tol = Tolerances()
    return {"format": FORMAT,
            "about": f"Public checks of the Week 6 self-check, their inputs and the reference solution's outputs "
                     f"(written by {COMMAND}; do not edit).",
            "seed": PUBLIC_SEED,
            "tolerances": {"rtol": tol.rtol, "atol": tol.atol, "fd_step": tol.fd_step,
                           "fd_rtol": tol.fd_rtol, "fd_atol": tol.fd_atol},
            "exercises": [{"id": exercise.id, "heading": exercise.heading} for exercise in EXERCISES],
            "checks": checks,
            "cases": cases.cases}


def _is_flat(value) -> bool:
    """A list holding numbers (or strings) or lists of numbers only: printed on one line."""
    def numbers(v):
        return isinstance(v, list) and all(isinstance(x, (int, float, str)) and not isinstance(x, bool) for x in v)
    return isinstance(value, list) and (numbers(value) or all(numbers(v) for v in value))


def dumps(value, indent: int = 0) -> str:
    """JSON with one line per array (readable, and diffs stay small)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(key)}: {dumps(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not _is_flat(value):
        return "[\n" + ",\n".join(inner + dumps(item, indent + 2) for item in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def render() -> str:
    return dumps(build()) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    parser.add_argument("--out", type=Path, default=FIXTURE, help=f"where to write (default {FIXTURE})")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(json.loads(text)['cases'])} cases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
