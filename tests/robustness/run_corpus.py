"""Grade the whole robustness corpus and print one line per case (``make robustness``).

    python -m tests.robustness.run_corpus [--jobs N] [--case NAME ...] [--no-sandbox]

Columns: the case, how it ended (status, and each hostile cell's end),
score / honest part (the most it may score), seconds, LEAK (what it saw that
it must not), ESCAPE (what it changed or left outside its working directory)
and the verdict. Exit status 1 when any case differs from its declaration.
First it prints what this machine enforces (``python -m grader.sandbox``).
"""
import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader import sandbox  # noqa: E402
from grader.config import GraderConfig  # noqa: E402
from tests.robustness.harness import CaseResult, grade_case  # noqa: E402
from tests.robustness.make_corpus import CASES, CASES_BY_NAME  # noqa: E402


def outcome(result):
    if result.status != "graded":
        return result.status
    ends = ", ".join(f"{label}={status}" for label, (status, _) in result.cells.items())
    return f"graded ({ends})" if ends else "graded"


def _grade_one(job):
    """Grade one case (in a worker process); the result without its GradingRun, which does not pickle."""
    name, directory, overrides = job
    try:
        result = grade_case(CASES_BY_NAME[name], directory, overrides)
    except Exception as error:   # report the case as failed, go on with the others
        result = CaseResult(name, status="harness_error", problems=[f"{type(error).__name__}: {error}"])
    result.run = None
    print(f"  {name}: {'ok' if result.ok else 'FAIL'} ({result.seconds:.0f} s)", flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--case", action="append", choices=sorted(CASES_BY_NAME), help="only these cases")
    parser.add_argument("--no-sandbox", action="store_true", help="UNSAFE: grade the hostile notebooks unconfined")
    args = parser.parse_args(argv)
    cases = [CASES_BY_NAME[name] for name in args.case] if args.case else CASES
    overrides = {"sandbox": False} if args.no_sandbox else {}

    ok, why = sandbox.check_bwrap()
    print("sandbox:", "available" if ok else f"NOT available: {why}")
    for key, value in sandbox.enforcement(GraderConfig(**overrides)).items():
        print(f"  {key:17s} {value}")
    print(flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="week6-robustness-") as tmp:
        jobs = [(case.name, str(Path(tmp) / case.name), overrides) for case in cases]
        if args.jobs > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(_grade_one, jobs))
        else:
            results = [_grade_one(job) for job in jobs]

    header = f"{'case':16s} {'outcome':72s} {'score':>11s} {'time':>7s} {'leaked':>6s} {'escaped':>7s}  verdict"
    print(header)
    print("-" * len(header))
    for result in results:
        print(f"{result.name:16s} {outcome(result)[:72]:72s} {result.score:5g} / {result.honest:<3g} "
              f"{result.seconds:6.1f}s {len(result.leaks):6d} {len(result.escapes):7d}  "
              f"{'ok' if result.ok else 'FAIL'}")
    failed = [result for result in results if not result.ok]
    for result in failed:
        print(f"\n{result.name}:")
        for kind, items in (("problem", result.problems), ("leak", result.leaks), ("escape", result.escapes)):
            for item in items:
                print(f"  {kind}: {item}")
    print(f"\n{len(results) - len(failed)} of {len(results)} cases as declared; "
          f"{sum(len(r.leaks) for r in results)} leaks, {sum(len(r.escapes) for r in results)} escapes; "
          f"{time.monotonic() - started:.0f} s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
