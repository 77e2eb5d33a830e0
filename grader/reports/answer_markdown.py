"""A student's written answer (Markdown with LaTeX math) as HTML a reader expects, safe to put in a page.

Rendered offline: markdown-it-py (CommonMark) with mdit-py-plugins' ``dollarmath`` (``$...$``,
``$$...$$``), each formula converted by latex2mathml to MathML, which every current browser draws
without a script or a font download. Everything in it comes from a student's notebook, so:

* raw HTML in the Markdown is shown as text (markdown-it's ``html`` option off);
* links keep only the schemes of :data:`LINK_SCHEMES` (and links inside the page); images are not
  loaded (a remote one would reach outside, an attachment is not there): their text shows instead;
* latex2mathml does not escape everything (``\\text{<script>}`` and ``\\href{javascript:...}`` come out as
  written), so its MathML is rebuilt from an allow-list of MathML elements and attributes
  (:class:`_MathMLFilter`): anything else is shown as text, unbalanced tags are closed;
* bidi controls that reorder the text around them are shown as ``[U+202E]`` (:func:`visible_controls`);
* an answer is cut to :data:`MAX_ANSWER` characters and a formula to :data:`MAX_FORMULA` (a longer one
  is shown as its source).
"""
import html
import re
from functools import cache
from html.parser import HTMLParser

from markupsafe import Markup

MAX_ANSWER = 20_000
MAX_FORMULA = 2_000
LINK_SCHEMES = ("http:", "https:", "mailto:")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
MATHML_ELEMENTS = frozenset("""math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac
    msqrt mroot mstyle mtable mtr mtd mlabeledtr mpadded mphantom menclose merror semantics annotation
    mmultiscripts mprescripts none""".split())
MATHML_ATTRIBUTES = frozenset("""display mathvariant stretchy fence separator form lspace rspace accent accentunder
    columnalign rowalign columnspacing rowspacing columnlines rowlines frame displaystyle scriptlevel linethickness
    width height depth notation movablelimits largeop symmetric minsize maxsize mathcolor mathbackground mathsize
    align bevelled open close separators side columnspan rowspan voffset encoding""".split())
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
SAFE_VALUE = re.compile(r"^[\w#%.,:;()\s+-]*$")      # colours, lengths, keywords: no quotes, no url(...)


def visible_controls(text: str) -> str:
    """``text`` with each bidi control character shown as ``[U+XXXX]`` (it would reorder what follows)."""
    return BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


class _MathMLFilter(HTMLParser):
    """Rebuilds markup keeping only :data:`MATHML_ELEMENTS` with :data:`MATHML_ATTRIBUTES`; every other
    tag is written out as text, text is escaped, and the elements are balanced."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.open = [], []

    def _attributes(self, tag, attrs):
        kept = []
        for name, value in attrs:
            value = "" if value is None else value
            if name == "xmlns" and tag == "math" and value == MATHML_NAMESPACE:
                kept.append(f' xmlns="{MATHML_NAMESPACE}"')
            elif name in MATHML_ATTRIBUTES and SAFE_VALUE.match(value) and "url" not in value.lower():
                kept.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(kept)

    def handle_starttag(self, tag, attrs):
        if tag in MATHML_ELEMENTS:
            self.out.append(f"<{tag}{self._attributes(tag, attrs)}>")
            self.open.append(tag)
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag, attrs):
        if tag in MATHML_ELEMENTS:
            self.out.append(f"<{tag}{self._attributes(tag, attrs)}></{tag}>")
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.out.append(f"</{self.open.pop()}>")
        else:
            self.out.append(html.escape(f"</{tag}>"))

    def handle_data(self, data):
        self.out.append(html.escape(visible_controls(data), quote=False))

    def handle_comment(self, data):
        self.out.append(html.escape(f"<!--{data}-->"))

    def handle_decl(self, decl):
        self.out.append(html.escape(f"<!{decl}>"))

    def handle_pi(self, data):
        self.out.append(html.escape(f"<?{data}>"))

    def unknown_decl(self, data):
        self.out.append(html.escape(f"<![{data}]>"))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def safe_mathml(markup: str) -> str:
    """``markup`` (latex2mathml's output) reduced to allowed MathML, everything else as text."""
    parser = _MathMLFilter()
    parser.feed(markup)
    return parser.result()


def _formula(content: str, options: dict) -> str:
    display = bool(options.get("display_mode"))
    source = f'<code class="tex">{html.escape(visible_controls(content))}</code>'
    if len(content) > MAX_FORMULA:
        return source
    import latex2mathml.converter
    try:
        mathml = latex2mathml.converter.convert(content, display="block" if display else "inline")
    except Exception:        # latex2mathml rejects what it cannot read with many error types: show the source
        return f'<span class="tex-error" title="not LaTeX this page can draw">{source}</span>'
    return safe_mathml(mathml)


def _link_allowed(url: str) -> bool:
    target = url.strip().lower()
    scheme = re.match(r"^[a-z][a-z0-9+.-]*:", target)
    return scheme is None and not target.startswith("//") or bool(scheme and scheme.group() in LINK_SCHEMES)


@cache
def _markdown():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = _link_allowed
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True,
           renderer=_formula)
    return md


def _clean(text: object) -> str:
    return visible_controls("" if text is None else str(text)).encode("utf-8", "replace").decode("utf-8")


def render_answer(text: object) -> Markup:
    """A written answer (Markdown and $...$ math) as safe HTML, its first :data:`MAX_ANSWER` characters
    (see the module's doc)."""
    text = _clean(text)[:MAX_ANSWER]
    try:
        return Markup(_markdown().render(text))
    except RecursionError:      # pathological nesting: shown as written
        return Markup("<pre>") + text + Markup("</pre>")


def answer_model(text: object) -> dict:
    """{"html": :func:`render_answer`, "hidden": characters past :data:`MAX_ANSWER`, not shown}."""
    return {"html": render_answer(text), "hidden": max(0, len(_clean(text)) - MAX_ANSWER)}
