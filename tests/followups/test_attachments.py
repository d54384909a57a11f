"""Attachments: type, size and count limits beside the field, random names on disk, downloads only for those
who may see the customer, and no file left behind by a transaction that did not commit."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers.models import CustomerCollaborator
from crm_server.extensions import db
from crm_server.followups import attachments, services
from crm_server.followups.models import Attachment, FollowUp
from tests import factories

from .test_views import H, followup_form, invalid_fields, page_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def stored_files() -> list[Path]:
    folder = attachments.storage_dir()
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def empty_uploads(app):
    """Each test starts with no stored files (the data folder lives as long as the test session)."""
    for path in stored_files():
        path.unlink()
    yield


@pytest.fixture
def seller(login_as):
    return login_as("sales", display_name="王销售", language="en")


@pytest.fixture
def customer(seller):
    customer = factories.make_customer(seller, "上海华东贸易有限公司")
    db.session.commit()
    return customer


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def test_files_are_stored_under_random_names_and_served_with_their_own(client, seller, customer):
    response = client.post(f"/followups/new?customer_id={customer.id}", content_type="multipart/form-data",
                           data={**followup_form(content="附报价单"),
                                 "files": [upload(PDF, "报价单 v2.pdf"), upload(b"a,b\n1,2\n", "名单.CSV")]})
    assert response.status_code == 302
    followup = db.session.scalar(select(FollowUp))
    items = followup.attachments
    assert [(a.filename, a.content_type, a.size) for a in items] == [
        ("报价单 v2.pdf", "application/pdf", len(PDF)), ("名单.CSV", "text/csv", 8)]
    files = stored_files()
    assert sorted(p.name for p in files) == sorted(a.stored_name for a in items)
    for path in files:
        assert re.fullmatch(r"[0-9a-f]{32}", path.name)  # never the user's file name
    assert (attachments.storage_dir() / items[0].stored_name).read_bytes() == PDF

    page = page_of(client.get(f"/customers/{customer.id}"))
    assert f'href="/followups/attachments/{items[0].id}"' in page and "报价单 v2.pdf" in page

    download = client.get(f"/followups/attachments/{items[0].id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote("报价单 v2.pdf") in disposition
    csv = client.get(f"/followups/attachments/{items[1].id}")
    assert csv.mimetype == "text/csv" and csv.data == b"a,b\n1,2\n"


@pytest.mark.parametrize("files, message", [
    ([upload(b"MZ...", "setup.exe")], "setup.exe: this type of file cannot be attached."),
    ([upload(b"<html>", "page.html")], "cannot be attached"),
    ([upload(b"no extension", "README")], "cannot be attached"),
    ([upload(b"", "empty.pdf")], "empty.pdf is empty."),
    ([upload(PDF, f"f{n}.pdf") for n in range(6)], "At most 5 files per follow-up."),
])
def test_bad_files_are_refused_beside_the_field_and_nothing_is_written(client, seller, customer, files, message):
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}", content_type="multipart/form-data",
                               data={**followup_form(), "files": files}))
    assert invalid_fields(page) == {"files"} and message in page
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0 and stored_files() == []


def test_a_file_over_10_mb_is_refused(client, seller, customer):
    too_big = upload(b"\0" * (attachments.MAX_FILE_SIZE + 1), "scan.pdf")
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}", content_type="multipart/form-data",
                               data={**followup_form(), "files": [too_big, upload(PDF, "ok.pdf")]}))
    assert invalid_fields(page) == {"files"} and "scan.pdf is larger than 10 MB." in page
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0 and stored_files() == []


def test_five_files_of_10_mb_fit_in_one_request(app, client, seller, customer, monkeypatch):
    """More than the site-wide request limit: the follow-up form raises it for itself, before the CSRF check
    reads the form."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    form = page_of(client.get(f"/followups/new?customer_id={customer.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    exactly = b"\0" * attachments.MAX_FILE_SIZE
    files = [upload(exactly, f"part{n}.zip") for n in range(5)]
    response = client.post(f"/followups/new?customer_id={customer.id}", content_type="multipart/form-data",
                           data={**followup_form(), "csrf_token": token, "files": files})
    assert response.status_code == 302
    # elsewhere the site-wide limit stays
    assert client.post("/contacts/new", data={"x": "\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)}).status_code == 413
    assert db.session.scalar(select(func.count(Attachment.id))) == 5 and len(stored_files()) == 5


def test_only_users_who_see_the_customer_may_download(client, login_as, seller, customer):
    followup = services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="附件",
                                     files=[FileStorage(io.BytesIO(PDF), "合同.pdf")])
    db.session.commit()
    attachment_id = followup.attachments[0].id
    url = f"/followups/attachments/{attachment_id}"

    reader = factories.make_user("sales")
    db.session.add(CustomerCollaborator(customer=customer, user=reader, can_edit=False))
    db.session.commit()
    login_as(reader)
    assert client.get(url).data == PDF  # a read-only collaborator may read it

    intruder = login_as("sales")
    own = factories.make_customer(intruder)
    services.log_followup(intruder, own, kind="call", happened_at=utcnow() - H, content="自己的",
                          files=[FileStorage(io.BytesIO(b"mine"), "mine.txt")])
    db.session.commit()
    assert client.get(url).status_code == 404  # another's customer: as if it did not exist
    assert client.get("/followups/attachments/999999").status_code == 404

    with client.session_transaction() as session:
        session.clear()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # once the customer is handed to someone else, its former owner cannot download either
    login_as(seller)
    customer.owner = factories.make_user("sales")
    db.session.commit()
    assert client.get(url).status_code == 404


def test_files_of_a_rolled_back_transaction_are_removed(app, seller, customer):
    services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="将回滚",
                          files=[FileStorage(io.BytesIO(PDF), "a.pdf"), FileStorage(io.BytesIO(PDF), "b.pdf")])
    assert len(stored_files()) == 2  # written once checked, before the commit
    db.session.rollback()
    assert stored_files() == []
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_a_failed_check_writes_nothing(app, seller, customer):
    with pytest.raises(DomainError) as error:
        services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="x",
                              files=[FileStorage(io.BytesIO(PDF), "ok.pdf"),
                                     FileStorage(io.BytesIO(b"x"), "bad.bat")])
    assert error.value.field == "files" and stored_files() == []


def test_edit_adds_and_removes_files_and_deleting_removes_them_after_commit(client, seller, customer):
    followup = services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="带附件",
                                     files=[FileStorage(io.BytesIO(PDF), "old.pdf")])
    db.session.commit()
    old = followup.attachments[0]
    old_path = attachments.file_path(old)
    form = page_of(client.get(f"/followups/{followup.id}/edit"))
    assert "old.pdf" in form and 'name="remove_attachments"' in form
    response = client.post(f"/followups/{followup.id}/edit", content_type="multipart/form-data", data={
        **followup_form(happened_at=services.to_local(followup.happened_at).strftime("%Y-%m-%dT%H:%M"),
                        content="带附件"),
        "remove_attachments": [str(old.id)], "files": [upload(b"\x89PNG....", "photo.png")]})
    assert response.status_code == 302
    db.session.expire_all()
    assert [(a.filename, a.content_type) for a in followup.attachments] == [("photo.png", "image/png")]
    assert not old_path.exists() and len(stored_files()) == 1
    assert client.get(f"/followups/attachments/{old.id}").status_code == 404

    # the five-file limit counts the files already attached
    page = page_of(client.post(f"/followups/{followup.id}/edit", content_type="multipart/form-data", data={
        **followup_form(happened_at=services.to_local(followup.happened_at).strftime("%Y-%m-%dT%H:%M")),
        "files": [upload(PDF, f"more{n}.pdf") for n in range(5)]}))
    assert invalid_fields(page) == {"files"} and len(stored_files()) == 1

    client.post(f"/followups/{followup.id}/delete")
    assert db.session.scalar(select(func.count(Attachment.id))) == 0 and stored_files() == []


def test_clean_filename_keeps_only_the_name():
    assert attachments.clean_filename("C:\\fakepath\\报价.pdf") == "报价.pdf"
    assert attachments.clean_filename("../../etc/passwd.txt") == "passwd.txt"
    long = attachments.clean_filename("名" * 300 + ".docx")
    assert len(long) == 255 and long.endswith(".docx")
