"""The hostile corpus: strings a student controls, put in every field a page shows.

Each must come out escaped (shown as text, never markup or script) and bounded (a 10 MB message does
not make a 10 MB page). The browser check (tools/ui_check/browser.py) and the unit tests of the pages
(tests/grader/classroom/test_class_pages.py) use it; the browser check imports nothing of the project,
so it reads :data:`MARKERS` from the JSON the class builder writes.
"""
SCRIPT = "<script>alert('xss')</script>"
IMAGE = "<img src=x onerror=alert(1)>"
TEXTAREA = "</textarea><b>closed</b>"
BIDI = "\u202egnp.exe\u202c \u2066isolated\u2069"            # right-to-left override, isolates
JAVASCRIPT_LINK = "[click](javascript:alert(1))"
TEX_SCRIPT = r"$\text{<script>alert(2)</script>}$ and $\href{javascript:alert(3)}{x}$"
HUGE = 10_000_000                                               # characters of the "10 MB" messages

STRINGS = [SCRIPT, IMAGE, TEXTAREA, BIDI, JAVASCRIPT_LINK, TEX_SCRIPT]
MARKERS = ["<script>", "onerror=alert"]     # text that must show, as text, on a page the corpus reaches
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def hostile_text(extra: str = "") -> str:
    """Every string of the corpus, one per line (and ``extra``)."""
    return "\n".join(STRINGS + ([extra] if extra else []))


def huge(prefix: str = SCRIPT) -> str:
    """A :data:`HUGE`-character message that starts and ends with markup."""
    return prefix + "A" * (HUGE - 2 * len(prefix)) + prefix
