"""The self-check's results and how they are shown: :class:`SelfCheckResults`, the report
(:func:`format_report`) and its printing on any terminal (:func:`print_text`), and the fixture they
are read against (:func:`load_fixture`, :func:`headings`). Used by ``run_selfcheck`` in a notebook and
by the command line's runner (``check_notebook.py``) alike."""
import dataclasses
import json
import sys
import textwrap
from pathlib import Path

try:
    from .public_checks import FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, CheckResult, validate
    from . import selfcheck_files
except ImportError:   # shipped to students next to public_checks.py and selfcheck_files.py
    from public_checks import FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, CheckResult, validate
    import selfcheck_files

LINE_WIDTH = 100

SYMBOLS = {PASSED: "\u2713", FAILED: "\u2717", NOT_IMPLEMENTED: "\u25cb", SKIPPED: "\u00b7"}
ASCII_SYMBOLS = {PASSED: "ok", FAILED: "XX", NOT_IMPLEMENTED: "--", SKIPPED: ".."}


class SelfCheckResults(list):
    """The list of :class:`CheckResult` that run_selfcheck returns; shows as its summary line."""

    def tally(self, status: str = PASSED) -> int:
        """How many results have this status."""
        return sum(1 for result in self if result.status == status)

    @property
    def all_passed(self) -> bool:
        return bool(self) and all(result.passed for result in self)

    def summary(self) -> str:
        parts = [f"{self.tally(FAILED)} failed"] if self.tally(FAILED) else []
        if self.tally(NOT_IMPLEMENTED):
            parts.append(f"{self.tally(NOT_IMPLEMENTED)} not written yet")
        if self.tally(SKIPPED):
            parts.append(f"{self.tally(SKIPPED)} skipped")
        more = f" ({', '.join(parts)})" if parts else ""
        return f"public checks: {self.tally(PASSED)}/{len(self)} passed{more}"

    def write_json(self, path: str | Path) -> None:
        """Write the results as a JSON list of CheckResult fields to ``path`` (for the command line)."""
        Path(path).write_text(json.dumps([dataclasses.asdict(r) for r in self]), encoding="utf-8")

    @classmethod
    def read_json(cls, path: str | Path) -> "SelfCheckResults | None":
        """What write_json wrote, or None if ``path`` holds nothing readable."""
        try:
            return cls(CheckResult(**entry) for entry in json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def __repr__(self):
        return f"<{self.summary()}>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


def load_fixture(path: str | Path | None = None) -> dict:
    """The fixture (default ``selfcheck_files.FIXTURE_PATH``, read when called): its checks, cases and tolerances; OSError or
    ValueError (public_checks.FixtureError) when it cannot be read or is not one this self-check runs."""
    with open(path or selfcheck_files.FIXTURE_PATH, encoding="utf-8") as handle:
        fixture = json.load(handle)
    validate(fixture)
    return fixture


def headings(fixture: dict) -> dict[str, str]:
    """{exercise id: "Exercise 1b: sigmoid, sigmoid_grad"} in notebook order."""
    return {exercise["id"]: exercise["heading"] for exercise in fixture["exercises"]}


def symbols_for(stream) -> dict[str, str]:
    """The status symbols ``stream``'s encoding can show: :data:`SYMBOLS`, else :data:`ASCII_SYMBOLS`."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(SYMBOLS.values()).encode(encoding)
        return SYMBOLS
    except (UnicodeEncodeError, LookupError):
        return ASCII_SYMBOLS


def format_report(results: list, exercises: dict[str, str], symbols: dict[str, str] = SYMBOLS,
                  width: int = LINE_WIDTH) -> str:
    """The terminal report: exercise by exercise (``exercises``: :func:`headings`), then the summary line
    and what it means."""
    title = "Week 6 self-check: public tests"
    lines = [title, "=" * len(title)]
    for exercise, heading in exercises.items():
        mine = [r for r in results if r.exercise == exercise]
        if not mine:
            continue
        passed = sum(r.passed for r in mine)
        lines += ["", f"{heading}  ({passed}/{len(mine)} passed)"]
        for r in mine:
            if r.status == NOT_IMPLEMENTED:
                lines.append(f"  {symbols[r.status]} {r.name}: not written yet")
                lines += textwrap.wrap(r.got, width, initial_indent="      ", subsequent_indent="      ")
                continue
            if r.status == SKIPPED:
                lines.append(f"  {symbols[r.status]} {r.name}: skipped: {r.got}")
                lines += textwrap.wrap(r.hint, width, initial_indent="      ", subsequent_indent="      ")
                continue
            lines.append(f"  {symbols[r.status]} {r.name}")
            if r.status == FAILED:
                for label, text in (("expected", r.expected), ("got", r.got), ("hint", r.hint)):
                    if "\n" in text:   # a table of values (arraycheck.comparison): kept as it is laid out
                        lines += [f"      {label}:"] + ["          " + line for line in text.splitlines()]
                    elif text:
                        lines += textwrap.wrap(text, width, initial_indent=f"      {label + ':':<10}",
                                               subsequent_indent=" " * 16, break_on_hyphens=False)
    lines += ["", results.summary() if isinstance(results, SelfCheckResults) else SelfCheckResults(results).summary()]
    if any(r.status == SKIPPED for r in results):
        lines.append("Skipped checks need the .mat data files in the current directory (next to the notebook).")
    lines += textwrap.wrap("These checks are not your grade: the grader runs hidden tests on other inputs "
                           "(new for every submission) and also checks that your training reaches the "
                           "reference's accuracy.", width)
    return "\n".join(lines)


def print_text(text: str, stream=None) -> None:
    """Print text, replacing what the terminal's encoding cannot show."""
    stream = stream or sys.stdout
    if symbols_for(stream) is ASCII_SYMBOLS:
        for status, symbol in SYMBOLS.items():
            text = text.replace(f"  {symbol} ", f"  {ASCII_SYMBOLS[status]} ")
    encoding = getattr(stream, "encoding", None) or "ascii"
    print(text.encode(encoding, "replace").decode(encoding), file=stream)
