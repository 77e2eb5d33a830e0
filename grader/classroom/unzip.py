"""A class handed over as a zip, unpacked safely: nothing lands outside its folder, links are left
out, and a zip bomb stops at :data:`MAX_ZIP_BYTES` unpacked or :data:`MAX_ZIP_FILES` members."""
import hashlib
import zipfile
from pathlib import PurePosixPath

MAX_ZIP_BYTES = 4 << 30              # unpacked size of a SUBMISSIONS zip (a zip bomb stops here)
MAX_ZIP_FILES = 100_000
DONE_MARKER = ".unpacked"            # written last: a folder without it was not unpacked whole


class UnzipError(ValueError):
    """The zip cannot be unpacked (broken, too large)."""


def unpack_zip(path, workdir):
    """Unpack ``path`` under ``workdir/<stem>-<sha>`` (once per content) and return that folder.

    Members that would land outside it (absolute, ``..``) or are links are left out;
    more than :data:`MAX_ZIP_BYTES` unpacked refuses the zip.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = workdir / f"{path.stem}-{digest}"
    done = target / DONE_MARKER
    if done.is_file():
        return target
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_FILES or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise UnzipError(f"{path}: too large to unpack ({len(members)} files)")
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
        raise UnzipError(f"{path}: cannot unpack ({type(error).__name__}: {error})") from None
    done.write_text("", encoding="utf-8")
    return target
