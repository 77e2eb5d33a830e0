"""make ui-check: the pages people read, rendered in a real browser (headless Chromium) and checked.

``small_class`` builds and grades a small class for real (``.venv``); ``browser`` (its own venv,
``.venv-ui``: selenium, Debian's chromium and chromium-driver) loads every page of it at 1280 px and
fails on horizontal overflow, overlapping boxes, any script, and hostile strings that come out
unescaped or unbounded; ``hostile`` is the corpus of those strings.
"""
