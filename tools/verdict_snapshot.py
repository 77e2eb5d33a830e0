"""The proof that a change of the grader's code changes no verdict: every notebook the test suite
grades as a fixture, graded by the project's own CLI before and after, verdict by verdict.

    python tools/verdict_snapshot.py notebooks DIR           # once, with the OLD code
    python tools/verdict_snapshot.py grade DIR OUT [--jobs 2] # with the old code, then the new
    python tools/verdict_snapshot.py diff OLD/verdicts.json NEW/verdicts.json
    python tools/verdict_snapshot.py verdicts DIR OUT         # OUT/verdicts.json again, no grading

``notebooks`` writes the fixtures of every generator the suite has (tests/grader/fixtures.py,
mistake_fixtures.py, validity_fixtures.py, backprop_fixtures.py, independent_solutions.py, the
robustness corpus, the bundled example, the student template and the stand-alone independent
notebook) into ``DIR/<group>/``, one group per grading configuration the suite gives them (e.g. a
10 s cell timeout for the per-sample loops), and ``DIR/manifest.json``. A file whose bytes an
earlier source already wrote is listed as a duplicate, not written twice. The same files must be
graded by the old and the new code: the probe seed derives from the notebook's bytes. The cells
get counted ids (:mod:`tests.cell_ids`), so unchanged generators write the same bytes again.

``grade`` runs ``python -m grader grade-batch DIR/<group> --out OUT/<group>`` (default sandbox,
``--force``, the group's options) with the reference cache in ``OUT/reference-cache`` (each
snapshot computes its own), then writes ``OUT/verdicts.json``: per notebook, its results.json
without what varies from run to run (:data:`DROPPED`, :data:`DROPPED_IN_TESTS`, :data:`TEXT_RULES`),
everything else kept.

``verdicts DIR OUT`` writes ``OUT/verdicts.json`` again from the results.json files (after a change
of the normalization: compare snapshots normalized by the same rules). ``diff`` prints every
difference, test by test, and exits 1 if there is any.
"""
import argparse
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "manifest.json"
VERDICTS = "verdicts.json"
BATCHES = "batches.json"          # how each grade-batch run ended, and how long it took
# results.json fields that measure the run, not the verdict: (path of keys)
DROPPED = (("execution_time",), ("extra_data", "timings"), ("extra_data", "grader_version"))
# the same inside each test's extra_data: the measured costs of the finite-difference evidence (the
# verdict they lead to stays: score, output, tags, the counts of calls)
DROPPED_IN_TESTS = (("backprop_evidence", "seconds"), ("backprop_evidence", "forward_seconds"),
                    ("backprop_evidence", "cost_ratio"))
# GraderConfig field -> grade-batch option, for the configurations the suite grades fixtures with
OPTIONS = {"cell_timeout": "--cell-timeout", "notebook_timeout": "--notebook-timeout",
           "time_budget": "--time-budget", "train_budget": "--train-budget"}
# everything_sleeps: the budget test_validity grades it with (the default, 540 s, only waits longer)
VALIDITY_CONFIG = {"everything_sleeps": {"time_budget": 45.0}}
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


# ------------------------------------------------------------------ notebooks

def _sources(stage):
    """[(source, name, bytes, config)] of every generator, written through its own code into ``stage``."""
    sys.path.insert(0, str(ROOT))
    from examples.notebook_builder import EXAMPLE_PATH, TEMPLATE_PATH, write_notebook
    from tests.cell_ids import install_counted_cell_ids
    ids = install_counted_cell_ids()        # the same bytes on every run (hence the same probe seeds),
    # installed before the generators are imported: some make their cells as they load
    from tests.grader import backprop_fixtures, fixtures, independent_solutions, mistake_fixtures, validity_fixtures
    from tests.robustness import make_corpus

    out = []
    fixture_config = {f.name: f.config for f in fixtures.FIXTURES}
    with ids.making("fixtures"):
        for path in fixtures.write_all(stage / "fixtures"):
            out.append(("fixtures", path.stem, path.read_bytes(), fixture_config[path.stem]))
    with ids.making("mistakes"):
        mistake_fixtures.write_all(stage / "mistakes")
    out += [("mistakes", p.stem, p.read_bytes(), {}) for p in sorted((stage / "mistakes").iterdir())]
    with ids.making("validity"):
        out += [("validity", p.stem, p.read_bytes(), VALIDITY_CONFIG.get(p.stem, {}))
                for p in validity_fixtures.write_all(stage / "validity")]
    (stage / "backprop").mkdir()
    with ids.making("backprop"):
        for name in sorted({**backprop_fixtures.FINITE_DIFFERENCES, **backprop_fixtures.KNOWN_MISSES,
                            **backprop_fixtures.SLOW_BACKPROP}):
            path = write_notebook(backprop_fixtures.build(name), stage / "backprop" / f"{name}.ipynb")
            out.append(("backprop", name, path.read_bytes(), {}))
    with ids.making("independent"):
        out += [("independent", p.stem, p.read_bytes(), {})
                for p in independent_solutions.write_all(stage / "independent")]
    standalone = independent_solutions.SOLUTIONS_DIR / "week6_independent.ipynb"
    out.append(("independent", standalone.stem, standalone.read_bytes(), {}))
    cases = make_corpus.CASES_BY_NAME
    with ids.making("robustness"):
        for name, path in make_corpus.write_corpus(stage / "robustness").items():
            out.append(("robustness", name, path.read_bytes(), cases[name].config))
    skipped = [case.name for case in make_corpus.CASES if case.large]
    out.append(("example", EXAMPLE_PATH.stem, EXAMPLE_PATH.read_bytes(), {}))
    out.append(("template", TEMPLATE_PATH.stem, TEMPLATE_PATH.read_bytes(), {}))
    return out, skipped


def group_name(config):
    """The folder of the notebooks graded with ``config`` (GraderConfig changes)."""
    unknown = set(config) - set(OPTIONS)
    if unknown:
        raise SystemExit(f"no grade-batch option for the config fields {sorted(unknown)}: add them to OPTIONS")
    return "default" if not config else "+".join(f"{key}={config[key]:g}" for key in sorted(config))


def write_notebooks(out_dir):
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SystemExit(f"{out_dir} is not empty: the snapshot's notebooks are written once")
    with tempfile.TemporaryDirectory(prefix="verdict-snapshot-") as stage:
        sources, skipped = _sources(Path(stage))
    entries, seen, counts = [], {}, {}
    for source, name, data, config in sources:
        counts.setdefault(source, [0, []])
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            counts[source][1].append(f"{name} (= {seen[digest]})")
            continue
        key = f"{source}__{name}"
        group = group_name(config)
        path = out_dir / group / f"{key}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        seen[digest] = key
        counts[source][0] += 1
        entries.append({"key": key, "source": source, "name": name, "group": group, "config": config,
                        "file": str(path.relative_to(out_dir)), "sha256": digest})
    manifest = {"commit": _commit(), "notebooks": entries,
                "not_written": {"robustness": skipped, "reason": "made at test time only (make_corpus --with-large)"}}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for source, (count, duplicates) in counts.items():
        print(f"{source:12s} {count:3d} written" + (f", {len(duplicates)} duplicates not written again: "
                                                    + ", ".join(duplicates) if duplicates else ""))
    print(f"robustness   {len(skipped)} not written: {', '.join(skipped)} (made at test time only)")
    groups = sorted({e['group'] for e in entries})
    print(f"{len(entries)} notebooks in {len(groups)} groups ({', '.join(groups)}) under {out_dir}")


def _commit():
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ------------------------------------------------------------------ grade

def text_rules(notebooks_dir, out_dir, project=ROOT):
    """[(pattern, replacement)] for text that names this run's places (the notebooks, the results,
    the checkout that graded them) rather than the verdict."""
    names = {str(Path(notebooks_dir).resolve()): "<notebooks>", str(Path(out_dir).resolve()): "<out>",
             str(project): "<project>"}
    places = sorted(names, key=len, reverse=True)
    return [(re.compile(re.escape(place)), names[place]) for place in places] + TEXT_RULES


# Text that varies from run to run without the verdict changing: measured durations, and the
# random names of temporary directories. What a duration decided (a timeout, a training cut short)
# stays in the verdict.
TEXT_RULES = [
    (re.compile(r"(/tmp/[A-Za-z0-9_.\-]*?)(tmp|week6[A-Za-z0-9\-]*?-)[A-Za-z0-9_]{8}"), r"\1\2<random>"),
    # a training test's elapsed time: "best accuracy 0.745 over 1 run(s) (90.5 s)"
    (re.compile(r"( run\(s\) \()\d+(?:\.\d+)? s\)"), r"\1<seconds> s)"),
    # a cell cut by what was left of the notebook's budget (configured timeouts are whole seconds)
    (re.compile(r"(ran longer than )\d+\.\d+ s\b"), r"\1<seconds> s"),
]


def normalize(value, rules):
    if isinstance(value, str):
        for pattern, replacement in rules:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [normalize(item, rules) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item, rules) for key, item in value.items()}
    return value


def _drop(data, keys):
    """``data`` without the item at the path ``keys`` (nothing happens where the path is absent)."""
    for key in keys[:-1]:
        data = data.get(key) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data.pop(keys[-1], None)


def verdict(results, rules):
    """``results`` (a results.json) without the fields and text that vary from run to run."""
    results = json.loads(json.dumps(results))
    for keys in DROPPED:
        _drop(results, keys)
    for test in results.get("tests", []):
        for keys in DROPPED_IN_TESTS:
            _drop(test.get("extra_data"), keys)
    return normalize(results, rules)


def grade(notebooks_dir, out_dir, jobs):
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    manifest = json.loads((notebooks_dir / MANIFEST).read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    # the Makefile's environment for grading (one BLAS thread per process), and a cache of our own
    env = {**THREADS, **os.environ, "WEEK6_GRADER_CACHE": str((out_dir / "reference-cache").resolve())}
    runs = {}
    for group in sorted({e["group"] for e in manifest["notebooks"]}):
        config = next(e["config"] for e in manifest["notebooks"] if e["group"] == group)
        command = [sys.executable, "-m", "grader", "grade-batch", str((notebooks_dir / group).resolve()),
                   "--out", str((out_dir / group).resolve()), "--jobs", str(jobs), "--force", "--quiet"]
        for key, value in sorted(config.items()):
            command += [OPTIONS[key], f"{value:g}"]
        print(f"{group}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        with open(out_dir / f"{group}.log", "w", encoding="utf-8") as log:
            code = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        runs[group] = {"exit_status": code, "seconds": round(time.monotonic() - started, 1)}
        print(f"  exit {code}, {runs[group]['seconds']:.0f} s (log: {out_dir / f'{group}.log'})", flush=True)
    graded = {"graded_by": _commit(), "project": str(ROOT), "batches": runs}
    (out_dir / BATCHES).write_text(json.dumps(graded, indent=1) + "\n", encoding="utf-8")
    return write_verdicts(notebooks_dir, out_dir)


def write_verdicts(notebooks_dir, out_dir):
    """OUT/verdicts.json from the results.json files a grading left in OUT (again, e.g. after a
    change of the normalization: both snapshots must be normalized by the same rules)."""
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    manifest = json.loads((notebooks_dir / MANIFEST).read_text(encoding="utf-8"))
    graded = json.loads((out_dir / BATCHES).read_text(encoding="utf-8"))
    rules = text_rules(notebooks_dir, out_dir, graded["project"])
    verdicts = {}
    for entry in manifest["notebooks"]:
        # grade-batch keeps a top-level notebook's stem as its key (grader/classroom/submissions.py)
        path = out_dir / entry["group"] / entry["key"] / "results.json"
        try:
            verdicts[entry["key"]] = verdict(json.loads(path.read_text(encoding="utf-8")), rules)
        except (OSError, ValueError) as error:
            verdicts[entry["key"]] = {"missing_results": f"{type(error).__name__}: {path.relative_to(out_dir)}"}
    snapshot = {"notebooks_commit": manifest["commit"], **graded, "verdicts": verdicts}
    (out_dir / VERDICTS).write_text(json.dumps(snapshot, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    missing = [key for key, v in verdicts.items() if "missing_results" in v]
    seconds = sum(batch["seconds"] for batch in graded["batches"].values())
    print(f"{len(verdicts)} verdicts in {out_dir / VERDICTS}; graded in {seconds:.0f} s"
          + (f"; no results.json for {len(missing)}: {', '.join(missing)}" if missing else ""))
    return 1 if missing else 0


# ------------------------------------------------------------------ diff

ABSENT = "<absent>"


def _tests_by_id(tests):
    """{(number, name, k): test} (k: the k-th test of that number and name)."""
    out, seen = {}, {}
    for test in tests:
        ident = (test.get("number"), test.get("name"))
        seen[ident] = seen.get(ident, 0) + 1
        out[(*ident, seen[ident])] = test
    return out


def _field_changes(old, new, place):
    return [((*place, key), old.get(key, ABSENT), new.get(key, ABSENT)) for key in sorted(set(old) | set(new))
            if old.get(key, ABSENT) != new.get(key, ABSENT)]


def compare(old, new):
    """[(place, old value, new value)] of every difference between two verdicts of one notebook;
    a place is a tuple: (field,), ("extra_data", field), ("test", number, name, k[, field]) or
    ("test order",)."""
    old, new = dict(old), dict(new)
    old_tests, new_tests = old.pop("tests", []) or [], new.pop("tests", []) or []
    old_extra, new_extra = old.pop("extra_data", {}) or {}, new.pop("extra_data", {}) or {}
    found = _field_changes(old, new, ()) + _field_changes(old_extra, new_extra, ("extra_data",))
    a, b = _tests_by_id(old_tests), _tests_by_id(new_tests)
    found += [(("test", *ident), "present", ABSENT) for ident in a if ident not in b]
    found += [(("test", *ident), ABSENT, "present") for ident in b if ident not in a]
    for ident in [i for i in a if i in b]:
        found += _field_changes(a[ident], b[ident], ("test", *ident))
    if [i for i in a if i in b] != [i for i in b if i in a]:
        found.append((("test order",), "", ""))
    return found


def _show(value, limit=300):
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def render(place, old, new):
    """The lines that show one difference: long or multi-line texts as the lines that changed."""
    if place[0] == "test order":
        return ["  tests in another order"]
    if place[0] == "test":
        number, name, k, *field = place[1:]
        where = f"test [{number}] {name}" + (f" (#{k})" if k > 1 else "")
        if not field:
            return [f"  {where}: {'removed' if new == ABSENT else 'added'}"]
        head = f"  {where}: {'.'.join(field)}:"
    else:
        head = f"  {'.'.join(place)}:"
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old + new or len(old + new) > 200):
        changed = [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "-+"]
        return [head] + [f"      {line}" for line in changed]
    return [head, f"      - {_show(old)}", f"      + {_show(new)}"]


def _verdicts(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["verdicts"]


def diff(old_path, new_path, noise_path=None):
    """Print every difference between two snapshots; 1 if any. With ``noise_path`` (another snapshot
    by the old snapshot's code), a difference at a place where the old code's two snapshots differ
    too is printed apart, as noise, and does not count."""
    old, new = _verdicts(old_path), _verdicts(new_path)
    noisy = set()
    if noise_path:
        again = _verdicts(noise_path)
        noisy = {(key, place) for key in old.keys() & again.keys() for place, _, _ in compare(old[key], again[key])}
    differing, noise = 0, 0
    for key in sorted(set(old) | set(new)):
        if key not in new or key not in old:
            print(f"{key}: only in {'the first' if key in old else 'the second'} snapshot")
            differing += 1
            continue
        found = compare(old[key], new[key])
        real = [d for d in found if (key, d[0]) not in noisy]
        if real:
            differing += 1
            print(f"{key}:")
            print("\n".join(line for d in real for line in render(*d)))
        if len(real) < len(found):
            noise += 1
            print(f"{key} (noise: the old code's two snapshots differ there too):")
            print("\n".join(line for d in found if (key, d[0]) in noisy for line in render(*d)))
    print(f"{differing} of {len(set(old) | set(new))} notebooks differ"
          + (f"; {noise} more differ only where the old code differs from itself" if noise_path else ""))
    return 1 if differing else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    notebooks = commands.add_parser("notebooks", help="write every fixture notebook into DIR (once, old code)")
    notebooks.add_argument("dir")
    graded = commands.add_parser("grade", help="grade DIR's notebooks with grade-batch; OUT/verdicts.json")
    graded.add_argument("dir")
    graded.add_argument("out")
    graded.add_argument("--jobs", type=int, default=2)
    again = commands.add_parser("verdicts", help="OUT/verdicts.json again from OUT's results.json files")
    again.add_argument("dir")
    again.add_argument("out")
    compared = commands.add_parser("diff", help="differences between two verdicts.json, test by test")
    compared.add_argument("old")
    compared.add_argument("new")
    compared.add_argument("--noise", metavar="OLD_AGAIN",
                          help="another snapshot by the old code: where it differs from OLD is noise, shown apart")
    args = parser.parse_args(argv)
    if args.command == "notebooks":
        return write_notebooks(args.dir)
    if args.command == "grade":
        return grade(args.dir, args.out, args.jobs)
    if args.command == "verdicts":
        return write_verdicts(args.dir, args.out)
    return diff(args.old, args.new, args.noise)


if __name__ == "__main__":
    sys.exit(main())
