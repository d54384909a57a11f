"""Files kept with a contract (the signed scan, annexes): checked by their content before anything is written,
stored under the data folder's uploads/contracts/ (core.uploads: random names, removed again when the transaction
does not commit, deleted from disk once the deletion of their rows has committed), and served only to users who
may see the contract."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.uploads import Upload, clean_filename, content_matches, discard_files, extension_of, stream_size, write_file
from ..core.models import User
from ..extensions import db
from .access import contract_condition
from .models import Contract, ContractAttachment

# Extension -> the type the file is served as (never the type the browser claimed when uploading).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
    "zip": "application/zip",
}
ALLOWED_EXTENSIONS = frozenset(CONTENT_TYPES)
SCAN_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png", "tif", "tiff"})  # what a signed scan may be
MAX_FILE_SIZE = 20 * 1024 * 1024
MAX_FILES = 30  # per contract
MAX_REQUEST_SIZE = MAX_FILE_SIZE + 1024 * 1024
FIELD = "file"


def check_upload(item, existing: int = 0, signed_scan: bool = False) -> Upload:
    """The file to add (an object with `.filename` and `.stream`, such as werkzeug's FileStorage), checked for
    type (by its content, not its name alone), size and count. Raises DomainError beside the file field."""
    if item is None or not getattr(item, "filename", None):
        raise DomainError(_("Choose a file."), FIELD)
    if existing >= MAX_FILES:
        raise DomainError(_("At most %(n)d files per contract.", n=MAX_FILES), FIELD)
    filename = clean_filename(item.filename, 200)
    extension = extension_of(filename)
    if extension not in ALLOWED_EXTENSIONS:
        raise DomainError(_("%(name)s: this type of file cannot be attached. Allowed: %(types)s.",
                            name=filename or "?", types=", ".join(sorted(ALLOWED_EXTENSIONS))), FIELD)
    if signed_scan and extension not in SCAN_EXTENSIONS:
        raise DomainError(_("A signed scan must be a PDF or an image (%(types)s).",
                            types=", ".join(sorted(SCAN_EXTENSIONS))), FIELD)
    size = stream_size(item.stream)
    if size == 0:
        raise DomainError(_("%(name)s is empty.", name=filename), FIELD)
    if size > MAX_FILE_SIZE:
        raise DomainError(_("%(name)s is larger than %(mb)d MB.", name=filename,
                            mb=MAX_FILE_SIZE // (1024 * 1024)), FIELD)
    if not content_matches(extension, item.stream):
        raise DomainError(_("%(name)s is not a real .%(ext)s file (its content does not match its name).",
                            name=filename, ext=extension), FIELD)
    return Upload(filename, extension, size, item.stream)


def storage_dir() -> Path:
    return current_app.config["CRM_SETTINGS"].uploads_dir / "contracts"


def file_path(attachment: ContractAttachment) -> Path:
    return storage_dir() / attachment.stored_name


def store(actor: User | None, contract: Contract, upload: Upload, signed_scan: bool = False) -> ContractAttachment:
    """Write a checked file under a random name and add its row to the contract (only flushes). The file is
    removed again if the transaction rolls back."""
    stored_name = write_file(storage_dir(), upload.stream)
    attachment = ContractAttachment(filename=upload.filename, stored_name=stored_name,
                                    content_type=CONTENT_TYPES[upload.extension], size=upload.size,
                                    is_signed_scan=signed_scan,
                                    uploaded_by_id=actor.id if actor is not None else None)
    contract.attachments.append(attachment)
    db.session.flush()
    return attachment


def discard(attachments: Iterable[ContractAttachment]) -> None:
    """Delete the files of attachments whose rows this transaction deletes, once it has committed."""
    discard_files(file_path(attachment) for attachment in attachments)


def get_attachment(user: User, contract_id: int, attachment_id: int) -> ContractAttachment:
    """A file of a contract the user may see; 404 otherwise, so ids reveal nothing."""
    attachment = db.session.scalar(
        select(ContractAttachment).join(Contract, ContractAttachment.contract_id == Contract.id)
        .where(ContractAttachment.id == attachment_id, ContractAttachment.contract_id == contract_id,
               contract_condition(user)))
    if attachment is None:
        abort(404)
    return attachment
