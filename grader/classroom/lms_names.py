"""What the file names of a Canvas or Moodle download say: whose upload a file is, and which upload is newer.

* Canvas: ``<login>[_LATE]_<user id>_<attachment id>_<uploaded name>``, e.g.
  ``smithjohn_12345_67890_week6_backprop.ipynb``. A student who uploads a file of the same name
  again gets Canvas's ``-N`` suffix on the new one (``..._67999_week6_backprop-1.ipynb``), and
  every upload gets a larger attachment id than the ones before it.
* Moodle: ``<Full Name>_<participant id>_assignsubmission_file_<uploaded name>``, or a folder of
  that name (ending in ``_``) holding the uploaded files.

Neither download says when a file was uploaded, so :func:`upload_order` ranks one student's uploads
by the ``-N`` suffix, then the attachment id; a time the LMS gives (Gradescope's ``created_at``)
comes first where there is one (:func:`grader.classroom.submissions.newest_first`).
"""
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

CANVAS_NAME = re.compile(r"^(?P<login>[^\W_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.*)$")
AGAIN_SUFFIX = re.compile(r"^(?P<stem>.*?)-(?P<n>\d{1,4})$")      # Canvas's "-1", "-2", ... on a name uploaded again


@dataclass(frozen=True)
class LmsName:
    """Who uploaded a file, as its LMS named it.

    source: "canvas" or "moodle"; student: the LMS's id of the student (Canvas user id, Moodle
    participant id); name: Canvas's squashed sortable name ("smithjohn") or Moodle's full name;
    uploaded: the file name the student uploaded (empty for a Moodle folder's own name);
    attachment: Canvas's attachment id (0 for Moodle).
    """
    source: str
    student: str
    name: str
    uploaded: str
    late: bool = False
    attachment: int = 0


def canvas_name(file_name: str) -> LmsName | None:
    """The Canvas reading of a file's name, or None when it is not named as Canvas names uploads."""
    match = CANVAS_NAME.match(file_name)
    if match is None:
        return None
    return LmsName("canvas", match["user"], match["login"], match["file"], bool(match["late"]),
                   int(match["attachment"]))


def moodle_name(file_name: str, folder_name: str = "") -> LmsName | None:
    """The Moodle reading of a file's name, else of its folder's (Moodle's folder-per-student layout)."""
    match = MOODLE_NAME.match(file_name) or MOODLE_NAME.match(folder_name + "_")
    if match is None:
        return None
    uploaded = match["file"] if MOODLE_NAME.match(file_name) else file_name
    return LmsName("moodle", match["participant"], match["name"].strip(), uploaded or file_name)


def uploaded_stem(uploaded: str) -> str:
    """The uploaded name without its extension and Canvas's ``-N`` suffix (lower case): ``week6_backprop``."""
    stem = PurePosixPath(uploaded).stem
    again = AGAIN_SUFFIX.match(stem)
    return (again["stem"] if again else stem).lower()


def upload_order(uploaded: str, attachment: int = 0) -> tuple[int, int]:
    """Larger for a later upload of one student: Canvas's ``-N`` suffix (none is 0), then the attachment id."""
    again = AGAIN_SUFFIX.match(PurePosixPath(uploaded).stem)
    return (int(again["n"]) if again else 0, attachment)
