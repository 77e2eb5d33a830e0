"""The small class the browser check reads: built as a Canvas download, graded for real.

    python -m tools.ui_check.small_class OUT_DIR      # OUT_DIR/class (the download), OUT_DIR/out (graded),
                                                     # OUT_DIR/pages.json (what browser.py checks)

Students (Canvas user ids), each a kind of page a TA meets:
  34567 correct     the example submission
  12345 mistaken    sigma' with a sign slip; an older upload (the blank template) beside it
  23456 blank       the template as handed out
  66666 hostile     the corpus of tools/ui_check/hostile.py everywhere a student writes: its file name,
                    roster name (10,000 characters), written answers (one of 10 MB), printed output
                    (10 MB), a plot cell's output, an exception raised at the top of a cell and by
                    softmax (10 MB messages)
  77777 no notebook a .txt handed in instead (hostile text in it too)
"""
import json
import subprocess
import sys
from pathlib import Path

import nbformat

from examples.notebook_builder import build_example, fill_answers, fill_template, load_template, reference_sources
from tools.ui_check.hostile import BIDI, BIDI_CONTROLS, IMAGE, MARKERS, SCRIPT, hostile_text, huge

TEMPLATE = "week6_backprop.ipynb"
HOSTILE_FILE = f"hostile_66666_70004_{IMAGE}{BIDI[:9]}.ipynb"     # no "/" in a file name
ROSTER = [("Ada Lovelace", "34567"), ("John Smith", "12345"), ("Jane Doe", "23456"),
          (f"Robert {SCRIPT} {BIDI} {IMAGE} " + "x" * 10_000, "66666"), ("Lazy Bones", "77777")]
WRONG_SIGMOID_GRAD = '''def sigmoid_grad(a):
    """sigma'(a), with a sign slip."""
    s = sigmoid(a)
    return s * (1 + s)
'''
RAISING_SOFTMAX = f'''def softmax(A):
    """Raises a 10 MB message that starts and ends with markup."""
    raise ValueError({SCRIPT!r} + "A" * 10_000_000 + {IMAGE!r})
'''


def _cell_with(nb, role_key, value):
    return next(cell for cell in nb.cells if cell.metadata.get("week6", {}).get(role_key) == value)


def hostile_notebook():
    """The example, with the hostile corpus in every field a student controls."""
    nb = fill_template(load_template(), {**reference_sources(), "softmax": RAISING_SOFTMAX})
    nb = fill_answers(nb, {"bonus-q": hostile_text("Long answer: " + "word " * 20_000),
                           "3-q": "See $\\Delta_L = \\frac{1}{N}(Y - T)$.\n\n" + hostile_text(huge())})
    plot = _cell_with(nb, "plot", "1a")
    plot.source = f"print({hostile_text()!r})\n" + plot.source
    nb.cells.append(nbformat.v4.new_code_cell(f"print({hostile_text()!r})\nprint('B' * 10_000_000)"))
    nb.cells.append(nbformat.v4.new_code_cell(f"raise RuntimeError({hostile_text()!r} + 'C' * 10_000_000)"))
    return nb


def build_class(directory: Path) -> Path:
    """The Canvas download (see the module's doc) and its roster, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    notebooks = {
        f"lovelaceada_34567_70001_{TEMPLATE}": build_example(),
        f"smithjohn_12345_70002_{TEMPLATE}": load_template(),
        f"smithjohn_12345_70010_{TEMPLATE.replace('.ipynb', '-1.ipynb')}":
            fill_template(load_template(), {**reference_sources(), "sigmoid_grad": WRONG_SIGMOID_GRAD}),
        f"doejane_23456_70003_{TEMPLATE}": load_template(),
        HOSTILE_FILE: hostile_notebook(),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, str(directory / name))
    (directory / "lazybones_77777_70005_notes.txt").write_text(hostile_text(), encoding="utf-8")
    roster = directory.parent / "roster.csv"
    roster.write_text("Student,ID\n" + "".join(f'"{name}",{sid}\n' for name, sid in ROSTER), encoding="utf-8")
    return directory


def pages(out: Path) -> list[dict]:
    """The pages to check: [{"path" (below out), "hostile": whether the corpus shows on it}]."""
    listed = [{"path": "class_report.html", "hostile": True}, {"path": "written_answers.html", "hostile": True}]
    for folder in sorted(p for p in out.iterdir() if (p / "results.json").is_file()):
        hostile = folder.name == "66666"
        listed.append({"path": f"{folder.name}/feedback.html", "hostile": hostile})
        if (folder / "answers" / "written.html").is_file():
            listed.append({"path": f"{folder.name}/answers/written.html", "hostile": hostile})
    return listed


def main(argv=None) -> int:
    root = Path((argv or sys.argv[1:] or ["results/ui-check"])[0]).resolve()
    directory = build_class(root / "class")
    out = root / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "grade-batch", str(directory), "--out", str(out),
                           "--roster", str(root / "roster.csv"), "--jobs", "2", "--quiet", "--force"])
    if done.returncode != 0:
        print(f"ui-check: grading the small class failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode
    listed = pages(out)
    (root / "pages.json").write_text(json.dumps({"out": str(out), "pages": listed, "markers": MARKERS,
                                                 "bidi_controls": BIDI_CONTROLS}, indent=1), encoding="utf-8")
    print(f"ui-check: {len(listed)} pages of a class of {len(ROSTER)} students in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
