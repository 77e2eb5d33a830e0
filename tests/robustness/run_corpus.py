"""Grade the whole robustness corpus under each sandbox level and print one line per case and level
(``make robustness``).

    python -m tests.robustness.run_corpus [--jobs N] [--case NAME ...] [--sandbox LEVEL ...] [--repeat N]

Levels: bwrap and uid unless ``--sandbox`` names others (``none`` is UNSAFE: hostile
notebooks unconfined). Columns: the level, the case, how it ended (status, and each
hostile cell's end), score / honest part (the most it may score), seconds, LEAK (what it
saw that it must not), ESCAPE (what it changed or left outside its working directory)
and the verdict. ``--repeat N`` grades each case N times and ends with the scores of each
case and level, run by run (the same notebook must score the same every time). Exit status 1
when any case differs from its declaration, or a level cannot be made here. First it prints
what each level enforces on this machine.
"""
import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader.config import GraderConfig  # noqa: E402
from grader.kernel import sandbox# noqa: E402
from tests.robustness.harness import CaseResult, grade_case  # noqa: E402
from tests.robustness.make_corpus import CASES, CASES_BY_NAME  # noqa: E402

DEFAULT_LEVELS = ("bwrap", "uid")


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
    print(f"  {overrides['sandbox']} {name}: {'ok' if result.ok else 'FAIL'} ({result.seconds:.0f} s)", flush=True)
    return overrides["sandbox"], result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--case", action="append", choices=sorted(CASES_BY_NAME), help="only these cases")
    parser.add_argument("--sandbox", action="append", choices=[l for l in sandbox.LEVELS if l != "auto"],
                        help=f"grade under this level (repeatable; default: {' and '.join(DEFAULT_LEVELS)})")
    parser.add_argument("--repeat", type=int, default=1, help="grade each case this many times")
    args = parser.parse_args(argv)
    cases = [CASES_BY_NAME[name] for name in args.case] if args.case else CASES
    levels = args.sandbox or list(DEFAULT_LEVELS)

    unavailable = []
    for level in levels:
        ok, why = sandbox.level_check(level)
        print(f"{level}: " + ("available" if ok else f"NOT available: {why}"))
        if ok:
            for key, value in sandbox.enforcement(GraderConfig(sandbox=level), level).items():
                print(f"  {key:17s} {value}")
        else:
            unavailable.append(level)
    print(flush=True)
    levels = [level for level in levels if level not in unavailable]

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="week6-robustness-") as tmp:
        jobs = [(case.name, str(Path(tmp) / level / case.name / str(run)), {"sandbox": level})
                for run in range(args.repeat) for level in levels for case in cases]
        if args.jobs > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(_grade_one, jobs))
        else:
            results = [_grade_one(job) for job in jobs]

    header = (f"{'level':6s} {'case':17s} {'outcome':68s} {'score':>11s} {'time':>7s} {'leaked':>6s} "
              f"{'escaped':>7s}  verdict")
    print(header)
    print("-" * len(header))
    for level, result in results:
        print(f"{level:6s} {result.name:17s} {outcome(result)[:68]:68s} {result.score:5g} / {result.honest:<3g} "
              f"{result.seconds:6.1f}s {len(result.leaks):6d} {len(result.escapes):7d}  "
              f"{'ok' if result.ok else 'FAIL'}" + (f" (not tested: {'; '.join(result.not_tested)})"
                                                     if result.not_tested else ""))
    failed = [(level, result) for level, result in results if not result.ok]
    for level, result in failed:
        print(f"\n{level} {result.name}:")
        for kind, items in (("problem", result.problems), ("leak", result.leaks), ("escape", result.escapes)):
            for item in items:
                print(f"  {kind}: {item}")
    if args.repeat > 1:
        print("\nscores, run by run:")
        for level in levels:
            for case in cases:
                scores = [f"{result.score:g}" for where, result in results if where == level and result.name == case.name]
                print(f"  {level:6s} {case.name:17s} {' '.join(scores)}"
                      + ("" if len(set(scores)) == 1 else "   DIFFER"))
    print(f"\n{len(results) - len(failed)} of {len(results)} gradings as declared; "
          f"{sum(len(r.leaks) for _, r in results)} leaks, {sum(len(r.escapes) for _, r in results)} escapes; "
          f"{time.monotonic() - started:.0f} s in all"
          + (f"; levels that cannot be made here: {', '.join(unavailable)}" if unavailable else ""))
    return 1 if failed or unavailable else 0


if __name__ == "__main__":
    sys.exit(main())
