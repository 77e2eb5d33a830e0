"""Find a class's submissions, as an LMS hands them over, and say who each one is.

    found = find_submissions("downloads/", workdir="out/.submissions")
    found.submissions   # [Submission], sorted by relpath, each with a unique key
    found.skipped       # [Skipped(relpath, reason)]: every file that is not graded, and why

``SUBMISSIONS`` may be

* a folder tree: every ``*.ipynb`` (any case) below it, checkpoints and hidden
  folders left out (and listed as skipped);
* a ``.zip`` of any of these: unpacked (safely) under ``workdir``;
* Gradescope's "Export Submissions": ``submission_<id>/`` folders and
  ``submission_metadata.yml`` (read with PyYAML): each folder's submitters
  (``:name:``, ``:sid:``, ``:email:``) and ``:created_at:``; a folder without a
  notebook is a submission all the same (``no_notebook`` says what it held);
* a Canvas download: ``<name>[_LATE]_<user id>_<attachment id>_<file>``, e.g.
  ``smithjohn_12345_67890_week6_backprop.ipynb``;
* a Moodle download: ``<Full Name>_<participant id>_assignsubmission_file_<file>``
  (or a folder of that name holding the file) (:mod:`grader.classroom.lms_names`).

A folder's notebooks are read as Canvas (or Moodle) names only when all of them
have that form, so a plain ``bob_1_2_x.ipynb`` among ordinary names stays plain.

Nobody vanishes: every file is accounted for. A student of an LMS download has one submission,
whatever they uploaded: the notebook graded is the newest of those named like the assignment's
(``week6_backprop*``), else the newest of all (:func:`newest_first`), and the student's other files
(older uploads, a ``.txt``, a PDF) are listed with it (``Submission.other_files``); a student whose
files hold no notebook is a submission all the same (``no_notebook`` says what they held), as is a
Gradescope submission without one. Only the files that belong to no student (a README beside the
downloads, hidden files, checkpoints) are ``Found.skipped``.

Each submission gets a unique key, its ``OUT/<key>/`` (:mod:`grader.classroom.keys`); a zip is
unpacked by :mod:`grader.classroom.unzip`.

A roster CSV (:mod:`grader.classroom.roster`) adds names, emails, SIS ids and sections. What a search
finds is :mod:`grader.classroom.submission_records`'s.
"""
import os
import re
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

import yaml

from grader.classroom.keys import assign_keys
from grader.classroom.lms_names import LmsName, canvas_name, moodle_name, upload_order, uploaded_stem
from grader.classroom.roster import RosterError, apply_roster, read_roster
from grader.classroom.submission_records import Found, Skipped, Submission, SubmissionsError
from grader.classroom.unzip import DONE_MARKER, UnzipError, unpack_zip
from grader.handed_in import TEMPLATE_NAME, choose_notebook

GRADESCOPE_METADATA = "submission_metadata.yml"
NOTEBOOK_SUFFIX = ".ipynb"
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints")


# ------------------------------------------------------------------------ finding

def find_submissions(root, workdir=None, roster=None, due=None, exclude=()):
    """The submissions under ``root`` (a folder or a .zip); see the module's doc.

    workdir: where a zip is unpacked (required for a zip). exclude: folders inside ``root``
    not to look into (the grader's own OUT), listed as skipped. roster: a path to a
    roster CSV, or rows from :func:`read_roster`. due: a datetime; a submission
    handed in after it (where the download says when) is late.
    Raises :class:`SubmissionsError` when ``root`` cannot be read.
    """
    root = Path(root)
    if root.is_file() and zipfile.is_zipfile(root):
        if workdir is None:
            raise SubmissionsError(f"{root} is a zip: it needs a folder to be unpacked into")
        try:
            root = unpack_zip(root, Path(workdir))
        except UnzipError as error:
            raise SubmissionsError(str(error)) from None
    elif not root.is_dir():
        raise SubmissionsError(f"{root} is neither a folder nor a zip of submissions")
    metadata = _find_metadata(root)
    excluded = {Path(e).resolve() for e in exclude}
    found = _gradescope(metadata, excluded) if metadata else _folder_tree(root, excluded)
    if roster is not None:
        try:
            apply_roster(found, read_roster(roster) if isinstance(roster, (str, Path)) else roster)
        except RosterError as error:
            raise SubmissionsError(str(error)) from None
    if due is not None:
        for submission in found.submissions:
            when = _parse_time(submission.submitted_at)
            if when is not None:
                submission.late = submission.late or _after(when, due)
    assign_keys(found.submissions)
    return found


def _find_metadata(root):
    """Gradescope's metadata file at the root or one folder down (a zip often wraps its export)."""
    for candidate in [root / GRADESCOPE_METADATA, *sorted(root.glob(f"*/{GRADESCOPE_METADATA}"))]:
        if candidate.is_file() and not _ignored(candidate.relative_to(root)):
            return candidate
    return None


def _ignored(relative):
    return any(part.startswith(".") or part in IGNORED_PARTS for part in relative.parts)


def _is_notebook(path):
    return path.suffix.lower() == NOTEBOOK_SUFFIX


def _files(root, excluded, skipped):
    """Every file below ``root`` (links included, never followed), ``excluded`` folders left out."""
    for folder, dirs, files in os.walk(root):
        folder = Path(folder)
        for name in list(dirs):
            if (folder / name).resolve() in excluded:
                dirs.remove(name)
                skipped.append(Skipped((folder / name).relative_to(root).as_posix() + "/", "the grader's output folder"))
        yield from (folder / name for name in files)
        yield from (folder / name for name in dirs if (folder / name).is_symlink())


def _walk(root, excluded=frozenset()):
    """(notebooks, skipped) of the tree: every file accounted for."""
    notebooks, skipped = [], []
    for path in sorted(_files(root, excluded, skipped)):
        relative = path.relative_to(root)
        if relative.name == DONE_MARKER and len(relative.parts) == 1:
            continue
        relpath = relative.as_posix()
        if _ignored(relative):
            skipped.append(Skipped(relpath, "hidden file or checkpoint"))
        elif not _is_notebook(path):
            skipped.append(Skipped(relpath, "not a notebook"))
        elif path.is_symlink():
            skipped.append(Skipped(relpath, "a link, not a file"))
        else:
            notebooks.append(path)
    return notebooks, skipped


def _folder_tree(root, excluded=frozenset()):
    notebooks, skipped = _walk(root, excluded)
    found = Found(root=root, files=len(notebooks) + len(skipped))
    by_folder = {}
    for path in notebooks:
        by_folder.setdefault(path.parent, []).append(path)
    lms_folders = {}                  # folder -> "canvas" / "moodle": every notebook in it is named by that LMS
    for folder, paths in sorted(by_folder.items()):
        names = _lms_names(folder, paths)
        if names:
            lms_folders[folder] = names[0].source
        for path, name in zip(paths, names or [None] * len(paths)):
            submission = Submission(path=path, relpath=path.relative_to(root).as_posix())
            if name is not None:
                _from_lms(submission, name)
            else:
                submission.student = path.stem
                parent = path.parent.relative_to(root)
                submission.section = parent.as_posix() if parent.parts else ""
            found.submissions.append(submission)
    sources = {s.source for s in found.submissions}
    found.source = sources.pop() if len(sources) == 1 else ("mixed" if sources else "folder")
    _one_per_student(found)
    found.skipped = _students_other_files(found, skipped, lms_folders)
    return found


def _lms_names(folder, paths):
    """[LmsName] of the folder's notebooks when one LMS names all of them, else None."""
    for parse in (canvas_name, lambda name: moodle_name(name, folder.name)):
        names = [parse(path.name) for path in paths]
        if all(names):
            return names
    return None


def _from_lms(submission, name: LmsName):
    submission.source = name.source
    submission.lms_id = name.student
    submission.student = name.student
    submission.name = name.name       # Canvas: its squashed sortable name ("smithjohn"), not a login
    submission.late = submission.late or name.late


def _lms_name(submission):
    file_name = PurePosixPath(submission.relpath).name
    folder = PurePosixPath(submission.relpath).parent.name
    return canvas_name(file_name) if submission.source == "canvas" else moodle_name(file_name, folder)


def newest_first(submissions):
    """One student's notebooks, the one to grade first: named like the assignment's notebook
    (``week6_backprop*``) before any other, then the newest: by the time the LMS gives, else by
    Canvas's ``-N`` suffix and attachment id (:func:`grader.classroom.lms_names.upload_order`)."""
    template = Path(TEMPLATE_NAME).stem.lower()

    def rank(submission):
        name = _lms_name(submission)
        uploaded = name.uploaded if name else PurePosixPath(submission.relpath).name
        when = _parse_time(submission.submitted_at)
        return (uploaded_stem(uploaded).startswith(template), when.timestamp() if when else 0.0,
                upload_order(uploaded, name.attachment if name else 0))
    return sorted(submissions, key=rank, reverse=True)


def _one_per_student(found):
    """One submission per LMS student (an LMS takes one grade each): :func:`newest_first`'s first
    notebook is graded; the others are listed with it, in its ``other_files``."""
    by_student = {}
    for submission in found.submissions:
        if submission.source in ("canvas", "moodle"):
            by_student.setdefault((submission.source, submission.lms_id), []).append(submission)
    for group in by_student.values():
        if len(group) < 2:
            continue
        chosen, *others = newest_first(group)
        chosen_name = PurePosixPath(chosen.relpath).name
        for other in others:
            found.submissions.remove(other)
            same = uploaded_stem(_lms_name(other).uploaded) == uploaded_stem(_lms_name(chosen).uploaded)
            chosen.other_files.append(Skipped(other.relpath, f"an older upload: the newest, {chosen_name}, was graded"
                                              if same else f"another notebook: {chosen_name} was graded"))


def _students_other_files(found, skipped, lms_folders):
    """Give each LMS-named file that is not a notebook to its student: listed with the student's
    submission, or a submission of its own (``no_notebook``) for a student with no notebook.
    Returns what is left: the files of no student."""
    by_student = {(s.source, s.lms_id): s for s in found.submissions if s.source in ("canvas", "moodle")}
    left, without_notebook = [], {}
    for item in skipped:
        path = found.root / item.relpath
        source = lms_folders.get(path.parent) or (found.source if path.parent not in lms_folders else None)
        name = None
        if item.reason == "not a notebook" and source == "canvas":
            name = canvas_name(path.name)
        elif item.reason == "not a notebook" and source == "moodle":
            name = moodle_name(path.name, path.parent.name)
        if name is None:
            left.append(item)
        elif (name.source, name.student) in by_student:
            by_student[(name.source, name.student)].other_files.append(item)
        else:
            without_notebook.setdefault((name.source, name.student), []).append((item, name))
    for (_, student), items in sorted(without_notebook.items()):
        (first, name), rest = items[0], items[1:]
        submission = Submission(path=found.root / first.relpath, relpath=first.relpath,
                                other_files=[item for item, _ in rest])
        _from_lms(submission, name)
        for _, other in rest:
            submission.late = submission.late or other.late
        submission.no_notebook = ("No Jupyter notebook (.ipynb) among the files handed in: "
                                  + ", ".join(PurePosixPath(item.relpath).name for item, _ in items[:10])
                                  + (f" ... ({len(items)} files)" if len(items) > 10 else ""))
        found.submissions.append(submission)
    return left


def _gradescope(metadata_path, excluded=frozenset()):
    root = metadata_path.parent
    try:
        metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SubmissionsError(f"{metadata_path}: not readable YAML ({type(error).__name__})") from None
    if not isinstance(metadata, dict):
        raise SubmissionsError(f"{metadata_path}: expected one entry per submission folder")
    notebooks, skipped = _walk(root, excluded)
    metadata_relpath = metadata_path.relative_to(root).as_posix()
    skipped = [item for item in skipped if item.relpath != metadata_relpath]
    found = Found(root=root, source="gradescope", files=len(notebooks) + len(skipped))   # the metadata is not handed in
    in_folder = {}
    for path in notebooks:
        in_folder.setdefault(path.relative_to(root).parts[0], []).append(path)
    not_notebooks, folders = {}, {str(folder) for folder in metadata}
    for item in skipped:
        folder = PurePosixPath(item.relpath).parts[0]
        if item.reason == "not a notebook" and folder in folders and "/" in item.relpath:
            not_notebooks.setdefault(folder, []).append(item)
        else:
            found.skipped.append(item)
    for folder, entry in sorted(metadata.items(), key=lambda kv: str(kv[0])):
        folder = str(folder)
        entry = _strip_colons(entry) if isinstance(entry, dict) else {}
        submitters = [_strip_colons(s) for s in entry.get("submitters") or [] if isinstance(s, dict)]
        people = [{k: _text(s.get(k)) for k in ("name", "sid", "email")} for s in submitters]
        candidates = [p for p in in_folder.pop(folder, []) if len(p.relative_to(root).parts) > 1]
        chosen = choose_notebook(sorted(candidates, key=lambda p: (len(p.relative_to(root).parts), p.as_posix())))
        others = [Skipped(other.relative_to(root).as_posix(), f"another notebook: {chosen.name} was graded")
                  for other in candidates if other != chosen] + not_notebooks.pop(folder, [])
        first = people[0] if people else {"name": "", "sid": "", "email": ""}
        no_notebook = ""
        if chosen is None:       # a submission all the same: it gets a row (no_notebook, 0 points), as on Gradescope
            received = sorted(item.relpath for item in others)
            no_notebook = ("No Jupyter notebook (.ipynb) in this submission; received: "
                           + (", ".join(PurePosixPath(r).name for r in received[:10]) or "nothing"))
        submission = Submission(path=chosen or root / folder, relpath=chosen.relative_to(root).as_posix() if chosen
                                else folder + "/", source="gradescope", no_notebook=no_notebook,
                                student=first["sid"] or first["name"] or folder, name=first["name"],
                                email=first["email"], sis_id=first["sid"], other_files=others,
                                submitted_at=_iso(entry.get("created_at")), group=people[1:])
        submission.key = first["sid"] if len(people) == 1 and first["sid"] else folder
        found.submissions.append(submission)
    for folder, paths in sorted(in_folder.items()):
        for path in paths:
            found.skipped.append(Skipped(path.relative_to(root).as_posix(),
                                         f"not in {GRADESCOPE_METADATA}"))
    for items in not_notebooks.values():
        found.skipped += items
    found.skipped.sort(key=lambda item: item.relpath)
    return found


def _strip_colons(entry):
    """Gradescope writes Ruby-symbol keys (``:name:``); PyYAML reads them as ':name'."""
    return {str(k).lstrip(":"): v for k, v in entry.items()}


def _text(value):
    return "" if value is None else str(value).strip()


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    when = _parse_time(_text(value))
    return when.isoformat() if when else _text(value)


def _parse_time(text):
    if isinstance(text, datetime):
        return text
    text = _text(text)
    if not text:
        return None
    for candidate in (text, re.sub(r"(\.\d{6})\d+", r"\1", text).replace(" -", "-").replace(" +", "+")):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _after(when, due):
    if (when.tzinfo is None) != (due.tzinfo is None):     # one of them without a zone: compare wall clocks
        when, due = when.replace(tzinfo=None), due.replace(tzinfo=None)
    return when > due


def parse_due(text):
    """``--due`` text (ISO 8601, e.g. ``2026-12-01T23:59`` or with ``+01:00``) -> datetime."""
    when = _parse_time(text)
    if when is None:
        raise SubmissionsError(f"--due {text!r}: expected a date and time like 2026-12-01T23:59")
    return when
