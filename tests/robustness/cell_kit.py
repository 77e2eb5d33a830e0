"""What every hostile cell of the corpus shares: its marker line and how it reports a leak.

Hostile cells begin with ``# week6-robustness: <label>`` (the tests find their cell by that
label); what a cell sees that it must not, it prints after ``LEAK:``.
"""
import textwrap

import nbformat

MARKER = "# week6-robustness: "
LEAK = "LEAK:"


def hostile(label, source):
    """A code cell labelled ``label`` running ``source`` (dedented)."""
    return nbformat.v4.new_code_cell(MARKER + label + "\n" + textwrap.dedent(source).strip("\n"))
