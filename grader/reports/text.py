"""Text every report shares: values made printable, cut, escaped for Markdown and HTML, and files
written whole or not at all.

Anything shown may come from a submission (values it returned, error messages, file names), so
every helper takes any value, never raises on it, and returns text that encodes to UTF-8.
"""
import math
import os
import re
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


# --------------------------------------------------------------------- plain text

# The characters that reorder the text around them when displayed (Unicode's bidirectional controls):
# a submission's "\u202e" could make a page show something other than what it says.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> str:
    """Any value as a str that encodes to UTF-8 (lone surrogates replaced), with the bidirectional
    controls shown as what they are ("[U+202E]") instead of reordering what follows; None is ""."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif not isinstance(value, str):
        try:
            value = str(value)
        except Exception as exc:  # a __str__ that raises
            value = f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
    value = value.encode("utf-8", "replace").decode("utf-8")
    return BIDI_CONTROLS.sub(lambda match: f"[U+{ord(match.group()):04X}]", value)


def truncate(text: Any, limit: int) -> str:
    """Cut ``text`` to about ``limit`` characters, keeping its start and end around a marker."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    marker = f"\n[... truncated {len(text) - limit:,} characters ...]\n"
    head = max(0, (limit * 3) // 4)
    tail = max(0, limit - head)
    return text[:head] + marker + (text[-tail:] if tail else "")


def one_line(text: Any, limit: int = 160) -> str:
    """A single printable line: whitespace collapsed, control characters dropped, cut to ``limit``."""
    text = " ".join(clean_text(text).split())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


# ------------------------------------------------------------------------ numbers

def finite_number(value: Any, default: float = 0.0) -> float:
    """A finite float for a field that needs a number; ``default`` for anything else (NaN, inf, text)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if math.isfinite(number) else default


def fmt_points(value: Any) -> str:
    """3, 2.5, 0.3333 -> "3", "2.5", "0.33" (anything not a finite number shows as "0")."""
    value = finite_number(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ----------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!{}])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])", re.MULTILINE)


def md_escape(text: Any) -> str:
    """Plain text that Markdown shows as written (no HTML, links or emphasis)."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def md_code(text: Any) -> str:
    """An inline code span that no backtick in ``text`` can close early."""
    text = " ".join(clean_text(text).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(text: Any) -> str:
    """A fenced block longer than any backtick run inside ``text``."""
    text = clean_text(text)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


# -------------------------------------------------------------------------- files

@contextmanager
def replacing(path: "str | os.PathLike[str]") -> Iterator[Path]:
    """Yield ``path``'s ``.tmp`` sibling to write; when the block ends normally it replaces ``path``
    in one step (``os.replace``), so a reader never sees half a file. On an error ``path`` is left
    as it was and the partial ``.tmp`` is removed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_text_atomically(path: "str | os.PathLike[str]", text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`replacing`; return the path."""
    path = Path(path)
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_text_if_changed(path: "str | os.PathLike[str]", text: str) -> bool:
    """Write ``text`` (UTF-8) to ``path`` atomically unless the file holds it already (read back; an
    unreadable file is written), so that a file rebuilt on every run keeps its time when nothing
    changed. True when it wrote."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_text_atomically(path, text)
    return True
