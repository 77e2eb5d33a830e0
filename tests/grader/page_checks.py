"""What a page must never hold, checked without a browser (make ui-check checks the same in Chromium).

:func:`script_problems` parses a page with the standard library's HTML parser, as a browser would
tokenize it, and lists every way it could run code: a <script>, <iframe>, <object>, <embed> or <base>
element, an ``on...`` attribute, a ``javascript:`` URL. :func:`text_of` is the page's text (what a
reader sees, markup removed).
"""
import re
from html.parser import HTMLParser

ACTIVE = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.text, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE:
            self.problems.append(f"a <{tag}> element")
        if tag in ("style", "title"):
            self.skip += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript):", value or "", re.I):
                self.problems.append(f"<{tag} {name}={value[:30]}>")

    def handle_endtag(self, tag):
        if tag in ("style", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def _scan(page: str) -> _Scan:
    scan = _Scan()
    scan.feed(page)
    scan.close()
    return scan


def script_problems(page: str) -> list[str]:
    """Every way ``page`` could run a script (empty for a safe page)."""
    return _scan(page).problems


def text_of(page: str) -> str:
    """The text a reader sees in ``page`` (entities decoded, markup, styles and the title left out)."""
    return "".join(_scan(page).text)
