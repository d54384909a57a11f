"""Product pictures: an image checked for type (by its content, not its name) and size, stored under the data
folder's uploads/products/ with a random name; a replaced file goes once the change has committed, a new file
goes again when its transaction does not commit."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event

from ..core.errors import DomainError
from ..extensions import db

# Extension -> the type the picture is served as; the file's first bytes must match.
CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                 "webp": "image/webp"}
_SIGNATURES = {"jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",),
               "gif": (b"GIF87a", b"GIF89a"), "webp": (b"RIFF",)}
MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_REQUEST_SIZE = MAX_FILE_SIZE + 1024 * 1024
FIELD = "picture"

_NEW_FILES = "crm_product_new_pictures"
_DOOMED_FILES = "crm_product_doomed_pictures"


def _extension(filename: str) -> str:
    stem, dot, extension = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rpartition(".")
    return extension.lower() if dot and stem else ""


def check_picture(upload) -> tuple[str, IO[bytes]] | None:
    """The checked picture of a form (an object with `.filename` and `.stream`; None or no file: None) as
    (extension, stream). Raises DomainError beside the picture field."""
    if upload is None or not getattr(upload, "filename", None):
        return None
    extension = _extension(upload.filename)
    if extension not in CONTENT_TYPES:
        raise DomainError(_("A picture must be a JPG, PNG, GIF or WebP image."), FIELD)
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise DomainError(_("The picture file is empty."), FIELD)
    if size > MAX_FILE_SIZE:
        raise DomainError(_("A picture is at most %(mb)d MB.", mb=MAX_FILE_SIZE // (1024 * 1024)), FIELD)
    head = stream.read(16)
    stream.seek(0)
    if not head.startswith(_SIGNATURES[extension]) or (extension == "webp" and head[8:12] != b"WEBP"):
        raise DomainError(_("This file is not the image its name says."), FIELD)
    return extension, stream


def storage_dir() -> Path:
    return current_app.config["CRM_SETTINGS"].uploads_dir / "products"


def picture_path(stored_name: str) -> Path:
    return storage_dir() / stored_name


def content_type(stored_name: str) -> str:
    return CONTENT_TYPES.get(_extension(stored_name), "application/octet-stream")


def store(checked: tuple[str, IO[bytes]]) -> str:
    """Write a checked picture under a random name and return that name; removed again on rollback."""
    extension, stream = checked
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    path = folder / stored_name
    written = db.session().info.setdefault(_NEW_FILES, [])
    with open(path, "xb") as target:
        written.append(path)
        while chunk := stream.read(64 * 1024):
            target.write(chunk)
    return stored_name


def discard(stored_name: str | None) -> None:
    """Delete a picture file once the transaction that stopped using it has committed."""
    if stored_name:
        db.session().info.setdefault(_DOOMED_FILES, []).append(picture_path(stored_name))


def _unlink(paths) -> None:
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:  # still open elsewhere (Windows): orphaned, the data stays right
            logging.getLogger("crm_server").warning("could not delete product picture %s", path)


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
    _unlink(session.info.pop(_NEW_FILES, ()))
    session.info.pop(_DOOMED_FILES, None)
