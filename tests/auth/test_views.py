"""Signing in and out, lockout, the first-start setup page, password change, language switch."""
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.models import User
from crm_server.extensions import db
from tests.factories import PASSWORD, make_user


def _login(client, username, password, remember=False):
    return client.get("/login") and client.post(
        "/login", data={"username": username, "password": password, "remember": "y" if remember else ""},
        follow_redirects=False)


def test_fresh_install_sends_every_page_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/setup")
    page = client.get("/setup").get_data(as_text=True)
    assert 'name="username"' in page and 'name="csrf_token"' in page


def test_setup_creates_administrator_once(app, client):
    response = client.post("/setup", data={"username": "boss", "display_name": "王总", "password": "Secret123",
                                           "confirm": "Secret123", "company_name": "华东贸易"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user.role.code == "admin" and user.department is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "setup.completed")).actor_id == user.id
    # signed in straight away, and the setup page is gone for good
    assert "王总" in client.get("/").get_data(as_text=True)
    assert client.get("/setup").status_code == 404


def test_setup_rejects_weak_password_beside_the_field(client):
    response = client.post("/setup", data={"username": "boss", "display_name": "王总", "password": "short",
                                           "confirm": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is-invalid" in page
    assert db.session.scalar(select(User)) is None


def test_sign_in_and_out(app, client, admin):
    make_user("sales", username="lily", display_name="李丽")
    db.session.commit()
    response = _login(client, "lily", PASSWORD)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "李丽" in home
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_wrong_password_then_lockout(app, client, admin):
    settings = app.config["CRM_SETTINGS"]
    make_user("sales", username="lily")
    db.session.commit()
    for _ in range(settings.login_max_attempts):
        page = _login(client, "lily", "wrong-password1").get_data(as_text=True)
    assert "locked" in page or "锁定" in page
    # even the right password is refused while locked
    assert _login(client, "lily", PASSWORD).status_code == 200
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.locked")) is not None


def test_disabled_user_cannot_sign_in(app, client, admin):
    make_user("sales", username="gone", is_active=False)
    db.session.commit()
    page = _login(client, "gone", PASSWORD).get_data(as_text=True)
    assert "disabled" in page or "停用" in page


def test_session_cookie_flags(app, client, admin):
    make_user("sales", username="lily")
    db.session.commit()
    response = _login(client, "lily", PASSWORD, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember_cookie


def test_open_redirect_is_refused(app, client, admin):
    make_user("sales", username="lily")
    db.session.commit()
    client.get("/login")
    response = client.post("/login?next=//evil.example/x", data={"username": "lily", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_change_signs_out_other_sessions(app, login_as):
    user = login_as("sales")
    other = app.test_client()
    with other.session_transaction() as s:
        s["_user_id"] = user.get_id()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "NewPass456",
                                                      "confirm": "NewPass456"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302  # the old session token no longer works


def test_password_change_wrong_current_shows_error(app, client, login_as):
    login_as("sales")
    page = client.post("/account/password", data={"current_password": "nope", "new_password": "NewPass456",
                                                  "confirm": "NewPass456"}).get_data(as_text=True)
    assert "is-invalid" in page


def test_language_switch_changes_the_page_language(app, client, login_as):
    user = login_as("sales")
    assert "工作台" in client.get("/").get_data(as_text=True)
    client.post("/language/en", data={"next": "/"})
    assert "Workbench" in client.get("/").get_data(as_text=True)
    assert db.session.get(User, user.id).language == "en"


def test_security_headers_and_healthz(app, client):
    response = client.get("/healthz")
    assert response.json["database"] == "ok" and response.json["status"] == "ok"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_csrf_is_enforced_on_forms(app, client, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user("sales", username="lily")
    db.session.commit()
    response = client.post("/login", data={"username": "lily", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in
