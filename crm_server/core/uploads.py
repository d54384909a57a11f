"""Uploaded files, whatever record they belong to: the user's file name cleaned for display, the type checked by
the file's content where it has a signature, written under the data folder with a random name, removed again when
the transaction that added it does not commit, and deleted from disk only once the deletion of its row has
committed. Follow-up attachments and contract files both go through here."""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable

from sqlalchemy import event

from ..extensions import db

_NEW_FILES = "crm_new_files"        # written in this transaction: removed unless it commits
_DOOMED_FILES = "crm_doomed_files"  # rows deleted in this transaction: their files go once it commits

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word / Excel / PowerPoint 97-2003
# The first bytes a file of each type starts with; a type not listed here is accepted by its name.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "tif": (b"II*\x00", b"MM\x00*"), "tiff": (b"II*\x00", b"MM\x00*"),
    "doc": (_OLE,), "xls": (_OLE,), "ppt": (_OLE,),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "pptx": (b"PK\x03\x04",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "rar": (b"Rar!\x1a\x07",), "7z": (b"7z\xbc\xaf\x27\x1c",),
}
# The part an Office Open XML file of each kind must hold.
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
TEXT_TYPES = frozenset({"txt", "csv"})
_CONTROL = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x7f"


@dataclass
class Upload:
    """A checked file, ready to be written."""

    filename: str
    extension: str
    size: int
    stream: IO[bytes]


def clean_filename(name: str | None, max_length: int = 255) -> str:
    """The name the user's file had, without any folder part (some browsers send C:\\fakepath\\...), at most
    `max_length` characters with its extension kept. Used only for display and download, never on disk."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > max_length:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: max_length - len(extension) - 1] + dot + extension) if dot and len(extension) < 20 \
            else name[:max_length]
    return name


def extension_of(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def stream_size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        try:  # a multi-byte character cut at the 8 KB boundary: the text before it must decode
            text = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not any(ch in text for ch in _CONTROL)


def content_matches(extension: str, stream: IO[bytes]) -> bool:
    """Whether the bytes are what the extension says: the type's signature, an Office file's inner part, or
    text that decodes (UTF-8 or GB18030) without control bytes. Types without a known signature pass."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if extension in TEXT_TYPES:
        return _is_text(head)
    if extension not in SIGNATURES:
        return True
    if not head.startswith(SIGNATURES[extension]):
        return False
    part = OOXML_PARTS.get(extension)
    if part is None:
        return True
    try:
        with zipfile.ZipFile(stream) as archive:
            found = any(name.startswith(part) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        found = False
    stream.seek(0)
    return found


def write_file(folder: Path, stream: IO[bytes]) -> str:
    """Copy the stream into `folder` under a new random name (returned). Removed again if the current
    transaction does not commit."""
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = folder / stored_name
    stream.seek(0)
    with open(path, "xb") as target:  # "x": never overwrite, however unlikely a repeated name is
        db.session().info.setdefault(_NEW_FILES, []).append(path)
        shutil.copyfileobj(stream, target)
    return stored_name


def discard_files(paths: Iterable[Path]) -> None:
    """Delete these files once the current transaction (which deletes their rows) has committed."""
    db.session().info.setdefault(_DOOMED_FILES, []).extend(paths)


def _unlink(paths) -> None:
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:  # a file still open elsewhere (Windows): it is orphaned, the data stays right
            logging.getLogger("crm_server").warning("could not delete uploaded file %s", path)


@event.listens_for(db.session, "after_commit")
def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_NEW_FILES, None)
    _unlink(session.info.pop(_DOOMED_FILES, ()))


@event.listens_for(db.session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Still listed: the transaction ended without committing, so its new files must go.
    _unlink(session.info.pop(_NEW_FILES, ()))
    session.info.pop(_DOOMED_FILES, None)
