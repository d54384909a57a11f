"""Files attached to follow-ups: checked before anything is written, stored under the data folder's
uploads/followups/ with a random name, removed again when the transaction that added them does not commit,
and deleted from disk only once the deletion of their rows has committed."""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import event, select

from ..core.errors import DomainError
from ..core.models import User
from ..customers.access import customer_condition
from ..customers.models import Customer
from ..extensions import db
from .models import Attachment, FollowUp

# Extension -> the type the file is served as (never the type the browser claimed when uploading).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
}
ALLOWED_EXTENSIONS = frozenset(CONTENT_TYPES)
MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_FILES = 5
# What one follow-up form may post: every file at its largest, and the text fields.
MAX_REQUEST_SIZE = MAX_FILES * MAX_FILE_SIZE + 1024 * 1024
FIELD = "files"

_NEW_FILES = "crm_followup_new_files"        # written in this transaction: removed unless it commits
_DOOMED_FILES = "crm_followup_doomed_files"  # rows deleted in this transaction: files go once it commits


@dataclass
class Upload:
    """A checked file, ready to be written."""

    filename: str
    extension: str
    size: int
    stream: IO[bytes]


def clean_filename(name: str | None) -> str:
    """The name the user's file had, without any folder part (some browsers send C:\\fakepath\\...),
    at most 255 characters with its extension kept. Used only for display and download, never on disk."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 255 - len(extension) - 1] + dot + extension) if dot and len(extension) < 20 else name[:255]
    return name


def _extension(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def check_uploads(files: Iterable | None, existing: int = 0) -> list[Upload]:
    """The files to add (objects with `.filename` and `.stream`, such as werkzeug's FileStorage; empty file
    inputs are skipped), checked for type, size and count. Raises DomainError beside the files field."""
    chosen = [f for f in (files or ()) if f is not None and getattr(f, "filename", None)]
    if existing + len(chosen) > MAX_FILES:
        raise DomainError(_("At most %(n)d files per follow-up.", n=MAX_FILES), FIELD)
    uploads = []
    for item in chosen:
        filename = clean_filename(item.filename)
        extension = _extension(filename)
        if extension not in ALLOWED_EXTENSIONS:
            raise DomainError(_("%(name)s: this type of file cannot be attached. Allowed: %(types)s.",
                                name=filename or "?", types=", ".join(sorted(ALLOWED_EXTENSIONS))), FIELD)
        size = _size(item.stream)
        if size == 0:
            raise DomainError(_("%(name)s is empty.", name=filename), FIELD)
        if size > MAX_FILE_SIZE:
            raise DomainError(_("%(name)s is larger than %(mb)d MB.", name=filename,
                                mb=MAX_FILE_SIZE // (1024 * 1024)), FIELD)
        uploads.append(Upload(filename, extension, size, item.stream))
    return uploads


def storage_dir() -> Path:
    return current_app.config["CRM_SETTINGS"].uploads_dir / "followups"


def file_path(attachment: Attachment) -> Path:
    return storage_dir() / attachment.stored_name


def store(actor: User | None, followup: FollowUp, uploads: list[Upload]) -> list[Attachment]:
    """Write checked files under random names and add their rows to the follow-up (only flushes). A file
    written here is removed again if the transaction rolls back."""
    if not uploads:
        return []
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    session = db.session()
    written = session.info.setdefault(_NEW_FILES, [])
    added = []
    for upload in uploads:
        stored_name = secrets.token_hex(16)
        path = folder / stored_name
        upload.stream.seek(0)
        with open(path, "xb") as target:  # "x": never overwrite, however unlikely a repeated name is
            written.append(path)
            shutil.copyfileobj(upload.stream, target)
        attachment = Attachment(filename=upload.filename, stored_name=stored_name,
                                content_type=CONTENT_TYPES[upload.extension], size=upload.size,
                                uploaded_by_id=actor.id if actor is not None else None)
        followup.attachments.append(attachment)
        added.append(attachment)
    db.session.flush()
    return added


def discard(attachments: Iterable[Attachment]) -> None:
    """Delete the files of attachments whose rows this transaction deletes, once it has committed."""
    session = db.session()
    doomed = session.info.setdefault(_DOOMED_FILES, [])
    doomed.extend(file_path(attachment) for attachment in attachments)


def _unlink(paths) -> None:
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:  # a file still open elsewhere (Windows): it is orphaned, the data stays right
            logging.getLogger("crm_server").warning("could not delete attachment file %s", path)


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


def get_attachment(user: User, attachment_id: int) -> Attachment:
    """An attachment of a follow-up whose customer the user may see; 404 otherwise, so ids reveal nothing."""
    attachment = db.session.scalar(
        select(Attachment).join(FollowUp, Attachment.followup_id == FollowUp.id)
        .join(Customer, FollowUp.customer_id == Customer.id)
        .where(Attachment.id == attachment_id, customer_condition(user)))
    if attachment is None:
        abort(404)
    return attachment
