"""Files attached to follow-ups: checked before anything is written, stored under the data folder's
uploads/followups/ (core.uploads: random names, removed again when the transaction does not commit, deleted from
disk once the deletion of their rows has committed)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.uploads import Upload, clean_filename, discard_files, extension_of, stream_size, write_file
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


def check_uploads(files: Iterable | None, existing: int = 0) -> list[Upload]:
    """The files to add (objects with `.filename` and `.stream`, such as werkzeug's FileStorage; empty file
    inputs are skipped), checked for type, size and count. Raises DomainError beside the files field."""
    chosen = [f for f in (files or ()) if f is not None and getattr(f, "filename", None)]
    if existing + len(chosen) > MAX_FILES:
        raise DomainError(_("At most %(n)d files per follow-up.", n=MAX_FILES), FIELD)
    uploads = []
    for item in chosen:
        filename = clean_filename(item.filename)
        extension = extension_of(filename)
        if extension not in ALLOWED_EXTENSIONS:
            raise DomainError(_("%(name)s: this type of file cannot be attached. Allowed: %(types)s.",
                                name=filename or "?", types=", ".join(sorted(ALLOWED_EXTENSIONS))), FIELD)
        size = stream_size(item.stream)
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
    added = []
    for upload in uploads:
        stored_name = write_file(folder, upload.stream)
        attachment = Attachment(filename=upload.filename, stored_name=stored_name,
                                content_type=CONTENT_TYPES[upload.extension], size=upload.size,
                                uploaded_by_id=actor.id if actor is not None else None)
        followup.attachments.append(attachment)
        added.append(attachment)
    db.session.flush()
    return added


def discard(attachments: Iterable[Attachment]) -> None:
    """Delete the files of attachments whose rows this transaction deletes, once it has committed."""
    discard_files(file_path(attachment) for attachment in attachments)


def get_attachment(user: User, attachment_id: int) -> Attachment:
    """An attachment of a follow-up whose customer the user may see; 404 otherwise, so ids reveal nothing."""
    attachment = db.session.scalar(
        select(Attachment).join(FollowUp, Attachment.followup_id == FollowUp.id)
        .join(Customer, FollowUp.customer_id == Customer.id)
        .where(Attachment.id == attachment_id, customer_condition(user)))
    if attachment is None:
        abort(404)
    return attachment
