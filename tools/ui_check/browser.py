"""Load every page of the small class in headless Chromium at 1280 px and check what a reader meets.

    .venv-ui/bin/python tools/ui_check/browser.py OUT_DIR     # OUT_DIR/pages.json from small_class.py

Runs in the browser check's own venv (selenium, tools/ui_check/requirements.txt) with Debian's
chromium and chromium-driver, and imports nothing of the project. For each page it fails on:

* horizontal overflow: the page wider than the 1280 px window (a reader would scroll sideways);
* overlapping boxes: two sibling boxes (cards, table cells, rows, blocks) whose rectangles intersect,
  or a box whose content spills out of it where nothing clips or scrolls it (a card title running
  into its neighbour);
* any script: a <script>, <iframe>, <object>, <embed> or <base> element, an ``on...`` attribute, a
  ``javascript:`` URL, or a Content-Security-Policy refusal in the browser's log;
* the hostile corpus unescaped or unbounded: a bidi control in the page's text, a page over
  :data:`MAX_PAGE_BYTES`, a text run over :data:`MAX_TEXT_RUN` characters, and, on a page the corpus
  reaches, none of its markers shown as text.

First the checks prove they can fail: each page of :data:`SELF_TEST` is broken in one way and must be
flagged for it (a check that never fails would pass every page). Each page gets a screenshot, ``OUT_DIR/screenshots/<page>.png`` (the whole page, at most
:data:`MAX_SCREENSHOT_HEIGHT` px tall). Exit status 0 when every page passes, 1 otherwise, 2 when the
browser cannot be started (an environment failure, not a verdict).
"""
import base64
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

WIDTH, HEIGHT = 1280, 900
MAX_PAGE_BYTES = 6_000_000
MAX_TEXT_RUN = 100_000
MAX_SCREENSHOT_HEIGHT = 12_000
PAGE_TIMEOUT = 60          # seconds to load a page or run a check in it
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = ["--headless=new", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-extensions", "--mute-audio", f"--window-size={WIDTH},{HEIGHT}"]

# Runs in the page (through the driver, which the page's Content-Security-Policy does not govern).
# Returns [problem, ...] for layout and script; the text checks are done in Python on innerText.
CHECKS = r"""
const problems = [];
const BOXES = new Set(["block", "flex", "grid", "table", "table-cell", "table-row", "table-row-group",
  "table-header-group", "list-item", "inline-block", "flow-root", "inline-flex", "inline-grid", "table-caption"]);
const describe = (el) => {
  const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "";
  const text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 60);
  return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
};
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) {
  problems.push(`horizontal overflow: the page is ${root.scrollWidth} px wide in a ${root.clientWidth} px window`);
}
for (const el of document.querySelectorAll("script, iframe, object, embed, frame, frameset, base, applet")) {
  problems.push(`script: a <${el.tagName.toLowerCase()}> element`);
}
for (const el of document.querySelectorAll('meta[http-equiv="refresh" i]')) problems.push("script: a meta refresh");
for (const el of document.querySelectorAll("*")) {
  for (const attr of el.attributes) {
    if (attr.name.toLowerCase().startsWith("on")) problems.push(`script: ${describe(el)} has an ${attr.name} attribute`);
    if (/(^|:)(href|src|action|formaction|data)$/i.test(attr.name) && /^\s*(javascript|vbscript):/i.test(attr.value)) {
      problems.push(`script: ${describe(el)} links to ${attr.value.slice(0, 40)}`);
    }
  }
}
const shown = (el) => {
  const style = getComputedStyle(el);
  if (!BOXES.has(style.display) || style.visibility === "hidden" || style.position === "absolute"
      || style.position === "fixed") return null;
  const rect = el.getBoundingClientRect();
  return rect.width > 0 && rect.height > 0 ? rect : null;
};
for (const parent of document.querySelectorAll("body, body *")) {
  const kids = [];
  for (const child of parent.children) {
    const rect = shown(child);
    if (rect) kids.push([child, rect]);
  }
  for (let i = 0; i < kids.length; i++) {
    for (let j = i + 1; j < kids.length; j++) {
      const [a, ra] = kids[i], [b, rb] = kids[j];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) problems.push(`overlap: ${describe(a)} and ${describe(b)} (${Math.round(w)} x ${Math.round(h)} px)`);
    }
  }
  const style = getComputedStyle(parent);
  if (parent !== document.body && BOXES.has(style.display) && style.overflowX === "visible"
      && parent.clientWidth > 0 && parent.scrollWidth > parent.clientWidth + 1) {
    problems.push(`spill: the content of ${describe(parent)} is ${parent.scrollWidth} px wide in its ${parent.clientWidth} px box`);
  }
}
return problems;
"""
SELF_TEST = {   # name: (a page broken in one way, the problem the checks must report for it)
    "overflow": ('<div style="width:3000px">a table too wide</div>', "horizontal overflow"),
    "overlap": ('<div style="height:60px">card 1</div><div style="height:60px;margin-top:-40px">card 2</div>', "overlap"),
    "spill": ('<div style="width:200px"><p style="white-space:nowrap">' + "title " * 80 + "</p></div>", "spill"),
    "script": ('<p>answer</p><img alt="" src="data:," onerror="document.title=1">', "script"),
    "bidi": ("<p>invoice\u202egnp.exe</p>", "unescaped"),
    "unbounded": ("<p>" + "A" * (MAX_TEXT_RUN + 1) + "</p>", "unbounded"),
}
LONGEST_TEXT = r"""
let longest = 0;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) longest = Math.max(longest, walker.currentNode.nodeValue.length);
return longest;
"""


def _first(paths):
    return next((path for path in paths if Path(path).is_file()), None)


def start_browser(profile: str):
    """A selenium driver of Debian's chromium at WIDTH x HEIGHT CSS pixels (fresh profile, no network use)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver = _first(CHROMIUM), _first(CHROMEDRIVER)
    if not binary or not driver:
        raise RuntimeError("Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = binary
    for flag in FLAGS + [f"--user-data-dir={profile}"] + (["--no-sandbox"] if os.geteuid() == 0 else []):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")         # selenium-manager must not look for a driver online
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    browser.set_page_load_timeout(PAGE_TIMEOUT)
    browser.set_script_timeout(PAGE_TIMEOUT)
    _viewport(browser, HEIGHT)
    return browser


def _viewport(browser, height: int) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})


def screenshot(browser, path: Path) -> None:
    """The whole page (up to MAX_SCREENSHOT_HEIGHT px) as PNG at ``path``: the window is made as tall as
    the page for the shot (Chromium's captureBeyondViewport hung on a page of MathML), then put back."""
    height = min(int(browser.execute_script("return document.documentElement.scrollHeight")), MAX_SCREENSHOT_HEIGHT)
    _viewport(browser, max(height, 1))
    try:
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        _viewport(browser, HEIGHT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def check_page(browser, page: Path, hostile: bool, markers, bidi_controls) -> list[str]:
    """The problems of one page (see the module's doc)."""
    problems = []
    size = page.stat().st_size
    if size > MAX_PAGE_BYTES:
        problems.append(f"unbounded: the page is {size:,} bytes")
    browser.get_log("browser")                          # drop what an earlier page left
    browser.get(page.resolve().as_uri())
    problems += browser.execute_script(CHECKS)
    text = browser.execute_script("return document.body.innerText")
    raw = sorted({f"U+{ord(ch):04X}" for ch in text if ch in bidi_controls})
    if raw:
        problems.append(f"unescaped: bidi control(s) {', '.join(raw)} in the page's text")
    longest = browser.execute_script(LONGEST_TEXT)
    if longest > MAX_TEXT_RUN:
        problems.append(f"unbounded: a text run of {longest:,} characters")
    if hostile and not any(marker in text for marker in markers):
        problems.append(f"the hostile corpus does not show as text here (none of {markers})")
    refused = [entry["message"] for entry in browser.get_log("browser")
               if "Content Security Policy" in entry.get("message", "") or "Refused to" in entry.get("message", "")]
    problems += [f"script: the browser refused {message[:160]}" for message in refused]
    return problems


def self_test(browser, directory: Path) -> list[str]:
    """The SELF_TEST pages the checks let through (should be none)."""
    missed = []
    for name, (body, expected) in SELF_TEST.items():
        page = directory / f"self-test-{name}.html"
        page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>',
                        encoding="utf-8")
        problems = check_page(browser, page, False, [], "\u202e")
        if not any(problem.startswith(expected) for problem in problems):
            missed.append(f"{name}: expected '{expected}', got {problems or 'no problem'}")
    return missed


def main(argv=None) -> int:
    root = Path((argv or sys.argv[1:] or ["results/ui-check"])[0])
    spec = json.loads((root / "pages.json").read_text(encoding="utf-8"))
    out = Path(spec["out"])
    profile = tempfile.mkdtemp(prefix="ui-check-profile-")
    try:
        try:
            browser = start_browser(profile)
        except Exception as error:       # no browser here: an environment failure, not a verdict on the pages
            print(f"ui-check: cannot start headless Chromium: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
        failed = 0
        try:
            missed = self_test(browser, Path(profile))
            for line in missed:
                print(f"FAIL  self-test: the checks let a broken page through: {line}")
            if missed:
                return 1
            print(f"ok    self-test: the checks flag each of {len(SELF_TEST)} broken pages")
            for entry in spec["pages"]:
                page = out / entry["path"]
                shot = root / "screenshots" / (entry["path"].replace("/", "__").replace(".html", ".png"))
                try:
                    problems = check_page(browser, page, entry["hostile"], spec["markers"], spec["bidi_controls"])
                    screenshot(browser, shot)
                except Exception as error:    # a page that hangs or crashes the tab (a driver error, a timeout of
                                              # its HTTP client) fails; the other pages are still checked
                    problems = [f"the browser could not load or check it: {type(error).__name__}: {str(error)[:200]}"]
                failed += bool(problems)
                print(f"{'FAIL' if problems else 'ok  '}  {entry['path']}  ({shot})")
                for problem in problems[:20]:
                    print(f"        {problem}")
                if len(problems) > 20:
                    print(f"        ... {len(problems) - 20} more")
        finally:
            browser.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print(f"ui-check: {len(spec['pages']) - failed} of {len(spec['pages'])} pages pass at {WIDTH} px")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
