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
  (or a folder of that name holding the file).

A folder's notebooks are read as Canvas (or Moodle) names only when all of them
have that form, so a plain ``bob_1_2_x.ipynb`` among ordinary names stays plain.

Keys (the submission's ``OUT/<key>/`` folder and gradebook identity): the
student's id where the download gives one (Gradescope sid, Canvas user id,
Moodle participant id), else the notebook's path below the root without
``.ipynb`` (``sec1/alice.ipynb`` -> ``sec1__alice``; a notebook at the top keeps
its stem, as the contract says). Keys never clash, whatever the case of the
names: a second ``alice`` becomes ``alice~2`` (in sorted order, so stably).

A roster CSV (:func:`read_roster`) adds names, emails, SIS ids and sections.
"""
import csv
import hashlib
import os
import re
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

GRADESCOPE_METADATA = "submission_metadata.yml"
NOTEBOOK_SUFFIX = ".ipynb"
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints")
MAX_ZIP_BYTES = 4 << 30              # unpacked size of a SUBMISSIONS zip (a zip bomb stops here)
MAX_ZIP_FILES = 100_000
CANVAS_NAME = re.compile(r"^(?P<login>[^\W_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.*)$")
KEY_UNSAFE = re.compile(r"[/\\\x00]")
EMPTY_KEYS = {"", ".", ".."}


class SubmissionsError(ValueError):
    """The submissions cannot be read at all (no such path, a broken zip or metadata file)."""


@dataclass
class Submission:
    """One student's notebook and who handed it in.

    path: the notebook on disk; relpath: its path below the SUBMISSIONS root (posix).
    key: unique in the class, names ``OUT/<key>/``. student: an id where known, else a name.
    lms_id: Canvas user id / Moodle participant id; sis_id, login: from the roster.
    submitted_at: ISO 8601 text where the download says when; late: True/False.
    """
    path: Path
    relpath: str
    key: str = ""
    student: str = ""
    name: str = ""
    email: str = ""
    sis_id: str = ""
    login: str = ""
    lms_id: str = ""
    section: str = ""
    submitted_at: str = ""
    late: bool = False
    source: str = "folder"          # folder, canvas, moodle, gradescope
    no_notebook: str = ""           # why a submission holds no notebook to grade (Gradescope: a PDF only, ...)
    group: list = field(default_factory=list)   # Gradescope group members other than the first: [{name, sid, email}]

    def identity(self):
        """What ``OUT/<key>/submission.json`` records (everything but the path on this machine)."""
        data = asdict(self)
        data.pop("path")
        return data

    def names(self):
        """Every text ONLY= or an override may use for this submission (lower case)."""
        texts = {self.key, self.relpath, PurePosixPath(self.relpath).name, self.student, self.name,
                 self.email, self.sis_id, self.login, self.lms_id}
        return {text.lower() for text in texts if text}


@dataclass
class Skipped:
    relpath: str
    reason: str


@dataclass
class Found:
    root: Path
    submissions: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    source: str = "folder"
    roster_unmatched: list = field(default_factory=list)   # roster rows with no submission

    def skipped_summary(self, listed=5):
        """Lines: each reason with its count and the first few files."""
        by_reason = {}
        for item in self.skipped:
            by_reason.setdefault(item.reason, []).append(item.relpath)
        lines = []
        for reason, paths in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(paths[:listed]) + (f", ... ({len(paths) - listed} more)" if len(paths) > listed else "")
            lines.append(f"skipped {len(paths)} ({reason}): {shown}")
        return lines


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
        root = unpack_zip(root, Path(workdir))
    elif not root.is_dir():
        raise SubmissionsError(f"{root} is neither a folder nor a zip of submissions")
    metadata = _find_metadata(root)
    excluded = {Path(e).resolve() for e in exclude}
    found = _gradescope(metadata, excluded) if metadata else _folder_tree(root, excluded)
    if roster is not None:
        apply_roster(found, read_roster(roster) if isinstance(roster, (str, Path)) else roster)
    if due is not None:
        for submission in found.submissions:
            when = _parse_time(submission.submitted_at)
            if when is not None:
                submission.late = submission.late or _after(when, due)
    assign_keys(found.submissions)
    return found


def unpack_zip(path, workdir):
    """Unpack ``path`` under ``workdir/<stem>-<sha>`` (once per content) and return that folder.

    Members that would land outside it (absolute, ``..``) or are links are left out;
    more than :data:`MAX_ZIP_BYTES` unpacked refuses the zip.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = workdir / f"{path.stem}-{digest}"
    done = target / ".unpacked"
    if done.is_file():
        return target
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_FILES or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise SubmissionsError(f"{path}: too large to unpack ({len(members)} files)")
            target.mkdir(parents=True, exist_ok=True)
            for member in members:
                name = PurePosixPath(member.filename.replace("\\", "/"))
                is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
                if member.is_dir() or is_link or name.is_absolute() or ".." in name.parts:
                    continue
                destination = target.joinpath(*name.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        sink.write(chunk)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionsError(f"{path}: cannot unpack ({type(error).__name__}: {error})") from None
    done.write_text("", encoding="utf-8")
    return target


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
        if relative.name == ".unpacked" and len(relative.parts) == 1:
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
    found = Found(root=root, skipped=skipped)
    by_folder = {}
    for path in notebooks:
        by_folder.setdefault(path.parent, []).append(path)
    for folder, paths in sorted(by_folder.items()):
        canvas = [CANVAS_NAME.match(p.name) for p in paths]
        moodle = [MOODLE_NAME.match(p.name) or MOODLE_NAME.match(folder.name + "_") for p in paths]
        for path, canvas_match, moodle_match in zip(paths, canvas, moodle):
            submission = Submission(path=path, relpath=path.relative_to(root).as_posix())
            if all(canvas):
                _canvas(submission, canvas_match)
            elif all(moodle):
                _moodle(submission, moodle_match)
            else:
                submission.student = path.stem
                parent = path.parent.relative_to(root)
                submission.section = parent.as_posix() if parent.parts else ""
            found.submissions.append(submission)
    _one_per_student(found)
    sources = {s.source for s in found.submissions}
    found.source = sources.pop() if len(sources) == 1 else ("mixed" if sources else "folder")
    return found


def _one_per_student(found):
    """One notebook per LMS student: the one named like the template (after the LMS's prefix), else
    the first; the others are listed as skipped (an LMS takes one grade per student)."""
    by_student = {}
    for submission in found.submissions:
        if submission.source in ("canvas", "moodle"):
            by_student.setdefault((submission.source, submission.lms_id), []).append(submission)
    for (_, student), group in by_student.items():
        if len(group) < 2:
            continue
        from grader.gradescope.autograder import TEMPLATE_NAME
        template = Path(TEMPLATE_NAME).stem.lower()
        chosen = next((s for s in group if _original_name(s).lower().startswith(template)), group[0])
        for other in group:
            if other is not chosen:
                found.submissions.remove(other)
                found.skipped.append(Skipped(other.relpath, f"another notebook of student {student} was graded "
                                                            f"({PurePosixPath(chosen.relpath).name})"))


def _original_name(submission):
    """The file name the student uploaded, without the LMS's prefix."""
    name = PurePosixPath(submission.relpath).name
    match = CANVAS_NAME.match(name) or MOODLE_NAME.match(name)
    return match["file"] if match and match["file"] else name


def _canvas(submission, match):
    submission.source = "canvas"
    submission.lms_id = match["user"]
    submission.student = match["user"]
    submission.name = match["login"]          # Canvas's squashed sortable name ("smithjohn"), not a login
    submission.late = bool(match["late"])


def _moodle(submission, match):
    submission.source = "moodle"
    submission.lms_id = match["participant"]
    submission.student = match["participant"]
    submission.name = match["name"].strip()


def _gradescope(metadata_path, excluded=frozenset()):
    import yaml

    root = metadata_path.parent
    try:
        metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SubmissionsError(f"{metadata_path}: not readable YAML ({type(error).__name__})") from None
    if not isinstance(metadata, dict):
        raise SubmissionsError(f"{metadata_path}: expected one entry per submission folder")
    from grader.gradescope.autograder import choose_notebook

    notebooks, skipped = _walk(root, excluded)
    found = Found(root=root, skipped=[s for s in skipped if s.relpath != metadata_path.relative_to(root).as_posix()],
                  source="gradescope")
    in_folder = {}
    for path in notebooks:
        in_folder.setdefault(path.relative_to(root).parts[0], []).append(path)
    for folder, entry in sorted(metadata.items(), key=lambda kv: str(kv[0])):
        folder = str(folder)
        entry = _strip_colons(entry) if isinstance(entry, dict) else {}
        submitters = [_strip_colons(s) for s in entry.get("submitters") or [] if isinstance(s, dict)]
        people = [{k: _text(s.get(k)) for k in ("name", "sid", "email")} for s in submitters]
        candidates = [p for p in in_folder.pop(folder, []) if len(p.relative_to(root).parts) > 1]
        chosen = choose_notebook(sorted(candidates, key=lambda p: (len(p.relative_to(root).parts), p.as_posix())))
        for other in candidates:
            if other != chosen:
                found.skipped.append(Skipped(other.relative_to(root).as_posix(),
                                             f"another notebook of {folder} was graded"))
        first = people[0] if people else {"name": "", "sid": "", "email": ""}
        if chosen is None:       # a submission all the same: it gets a row (no_notebook, 0 points), as on Gradescope
            received = sorted(s.relpath for s in found.skipped if s.relpath.startswith(folder + "/"))
            no_notebook = ("No Jupyter notebook (.ipynb) in this submission; received: "
                           + (", ".join(PurePosixPath(r).name for r in received[:10]) or "nothing"))
        submission = Submission(path=chosen or root / folder, relpath=chosen.relative_to(root).as_posix() if chosen
                                else folder + "/", source="gradescope", no_notebook=no_notebook if chosen is None else "",
                                student=first["sid"] or first["name"] or folder, name=first["name"],
                                email=first["email"], sis_id=first["sid"],
                                submitted_at=_iso(entry.get("created_at")), group=people[1:])
        submission.key = first["sid"] if len(people) == 1 and first["sid"] else folder
        found.submissions.append(submission)
    for folder, paths in sorted(in_folder.items()):
        for path in paths:
            found.skipped.append(Skipped(path.relative_to(root).as_posix(),
                                         f"not in {GRADESCOPE_METADATA}"))
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


# --------------------------------------------------------------------------- keys

def _key_of(submission):
    if submission.key:
        return submission.key
    if submission.source in ("canvas", "moodle") and submission.lms_id:
        return submission.lms_id
    path = PurePosixPath(submission.relpath)
    parts = [*path.parent.parts, path.stem] if path.parent.parts else [path.stem]
    return "__".join(parts)


def assign_keys(submissions):
    """Give each submission a unique key (in place, in relpath order); see the module's doc."""
    submissions.sort(key=lambda s: s.relpath)
    taken = set()
    for submission in submissions:
        base = KEY_UNSAFE.sub("_", _key_of(submission))
        if base in EMPTY_KEYS:
            base = "_" + hashlib.sha256(submission.relpath.encode()).hexdigest()[:8]
        key, n = base, 1
        while key.lower() in taken:
            n += 1
            key = f"{base}~{n}"
        taken.add(key.lower())
        submission.key = key
    return submissions


def select(submissions, text):
    """The one submission that ``text`` names (key, file, path, student, name, email); raises
    :class:`SubmissionsError` when none or several do."""
    wanted = str(text).strip().lower()
    matches = [s for s in submissions if wanted in s.names()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SubmissionsError(f"no submission is {text!r} (give a key, file name, path, student id, name or email)")
    raise SubmissionsError(f"{text!r} names {len(matches)} submissions: "
                           + ", ".join(s.relpath for s in matches[:10]) + "; give its path or key")


# ------------------------------------------------------------------------- roster

ROSTER_FIELDS = {   # roster column (lower case, any of these) -> Submission field
    "sis_id": ("sis user id", "sis_id", "sid", "student id", "student_id", "id number", "matriculation"),
    "lms_id": ("id", "canvas id", "canvas user id", "lms id", "lms_id", "participant", "moodle participant"),
    "name": ("student", "name", "full name", "student name"),
    "email": ("email", "email address", "e-mail"),
    "login": ("sis login id", "login", "username", "login id"),
    "section": ("section",),
}


def read_roster(path):
    """Rows of a roster CSV as dicts with the fields of :data:`ROSTER_FIELDS` (missing ones "")."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            columns = {field_name: next((header[a] for a in aliases if a in header), None)
                       for field_name, aliases in ROSTER_FIELDS.items()}
            if not any(columns.values()):
                raise SubmissionsError(f"{path}: no roster column found (expected some of: "
                                       + ", ".join(a for aliases in ROSTER_FIELDS.values() for a in aliases) + ")")
            rows = [{f: _text(row.get(c)) if c else "" for f, c in columns.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SubmissionsError(f"{path}: not a readable roster CSV ({type(error).__name__})") from None
    return [row for row in rows if any(row.values()) and not row["name"].strip().lower() == "points possible"]


def apply_roster(found, roster):
    """Fill what the download did not say from the roster row that matches each submission
    (by LMS id, SIS id, email, login, or the notebook's stem); rows matching none are kept
    in ``found.roster_unmatched``."""
    used = set()
    for submission in found.submissions:
        for index, row in enumerate(roster):
            if _roster_matches(submission, row):
                used.add(index)
                for field_name in ROSTER_FIELDS:
                    if row[field_name] and not getattr(submission, field_name):
                        setattr(submission, field_name, row[field_name])
                if row["name"] and submission.source in ("canvas", "folder"):
                    submission.name = row["name"]        # the download's name is a login-like squash
                if row["sis_id"]:
                    submission.student = row["sis_id"]
                break
    found.roster_unmatched = [row for index, row in enumerate(roster) if index not in used]


def _roster_matches(submission, row):
    pairs = ((submission.lms_id, row["lms_id"]), (submission.sis_id, row["sis_id"]),
             (submission.email.lower(), row["email"].lower()), (submission.login, row["login"]),
             (PurePosixPath(submission.relpath).stem, row["sis_id"]),
             (PurePosixPath(submission.relpath).stem, row["login"]))
    return any(a and b and a == b for a, b in pairs)
