"""Write ``examples/example_submission.ipynb``: the student template filled with the reference solution.

Run ``python examples/make_example.py [OUT.ipynb]`` after ``tools/build_template.py``
(the example is built from the committed template). The work is done by
:mod:`examples.notebook_builder`, which test fixtures use to build other variants.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.notebook_builder import EXAMPLE_PATH, build_example, write_notebook  # noqa: E402


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    print(write_notebook(build_example(), Path(argv[0]) if argv else EXAMPLE_PATH))


if __name__ == "__main__":
    main()
