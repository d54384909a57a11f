"""What a person sees in Chromium: first start, signing in and out, languages, administration, phone width."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.core.models import Department, Role, User
from crm_server.extensions import db
from tests.factories import PASSWORD, make_branch, make_department, make_user

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Secret123"
SALES_ROLE = "销售人员"  # the built-in role "sales" as the Chinese UI names it


def _in_db(app, work):
    """Run `work()` on the live server's database in a context of its own, commit, return its plain values."""
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


def _user_values(app, username):
    def work():
        user = db.session.scalar(select(User).where(User.username == username))
        return user and {"display_name": user.display_name, "role": user.role.code, "language": user.language}
    return _in_db(app, work)


@pytest.fixture
def administrator(live_app):
    """The administrator `admin` (管理员) in 上海总部 / 总经办, which also closes the first-start setup page."""
    def work():
        department = make_department("总经办", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
    _in_db(live_app, work)
    return "admin"


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", password)
    page.click("#login-form button[type=submit]")


def sign_out(page):
    page.wait_for_load_state()  # Bootstrap's dropdown works once its script has run
    page.click("#user-menu")
    page.get_by_role("button", name=re.compile("退出|Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login"))


def expect_workbench(page, display_name):
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#me-name")).to_have_text(display_name)
    page.wait_for_load_state()


def test_fresh_install_leads_through_setup_to_a_chinese_workbench(page, live_app):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    form = page.locator("#setup-form")
    form.locator("input[name=username]").fill("boss")
    form.locator("input[name=display_name]").fill("王建国")
    form.locator("input[name=password]").fill(ADMIN_PASSWORD)
    form.locator("input[name=confirm]").fill(ADMIN_PASSWORD)
    form.locator("button[type=submit]").click()

    expect_workbench(page, "王建国")
    expect(page.locator("#user-menu")).to_contain_text("王建国")
    expect(page.locator(".alert-success")).to_contain_text("王建国")  # the welcome message
    expect(page.locator(".app-title")).to_have_text("工作台")  # default language zh_CN
    expect(page).to_have_title(re.compile("^工作台"))
    # the setup page is gone for good, and the administrator is stored
    assert page.request.get("/setup").status == 404
    assert _user_values(live_app, "boss") == {"display_name": "王建国", "role": "admin", "language": None}


def test_sign_out_then_wrong_and_right_password(page, administrator):
    sign_in(page, administrator, PASSWORD)
    expect_workbench(page, "管理员")

    sign_out(page)
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator(".alert-info")).to_be_visible()  # "you have signed out"

    sign_in(page, administrator, "not-the-password1")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.locator("#me-name")).to_have_count(0)

    sign_in(page, administrator, PASSWORD)
    expect_workbench(page, "管理员")


def _switch_language(page, code):
    button = page.locator(f"#language-switch button[data-language={code}]")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_language_switch_on_the_login_page_and_in_the_app(page, live_app, administrator):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("登录")
    _switch_language(page, "en")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#login-form button[type=submit]")).to_have_text("Sign in")

    # the language chosen before signing in carries into the app
    page.fill("#login-form input[name=username]", administrator)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect_workbench(page, "管理员")
    expect(page.locator(".app-title")).to_have_text("Workbench")

    _switch_language(page, "zh_CN")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".app-title")).to_have_text("工作台")
    _switch_language(page, "en")
    expect(page.locator(".app-title")).to_have_text("Workbench")
    _switch_language(page, "zh_CN")
    expect(page.locator(".app-title")).to_have_text("工作台")
    # a signed-in user's choice is kept on the account
    assert _user_values(live_app, administrator)["language"] == "zh_CN"


def _open_from_menu(page, path):
    page.click(f"#app-nav a[href$='{path}']")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_administrator_adds_a_department_and_a_salesperson_who_can_sign_in(page, live_app, administrator):
    sign_in(page, administrator, PASSWORD)
    expect_workbench(page, "管理员")

    # a department in the existing branch
    _open_from_menu(page, "/admin/departments")
    page.click("#new-department")
    form = page.locator("#department-form")
    form.locator("input[name=name]").fill("华东销售部")
    form.locator("select[name=branch_id]").select_option(label="上海总部")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/departments$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".department-name", has_text="华东销售部")).to_be_visible()

    # a salesperson (销售人员, code "sales") in it
    department_id, sales_role_id = _in_db(live_app, lambda: (
        db.session.scalar(select(Department.id).where(Department.name == "华东销售部")),
        db.session.scalar(select(Role.id).where(Role.code == "sales"))))
    _open_from_menu(page, "/admin/users")
    page.click("#new-user")
    form = page.locator("#user-form")
    form.locator("input[name=username]").fill("lily")
    form.locator("input[name=display_name]").fill("李丽")
    form.locator("select[name=role_id]").select_option(value=str(sales_role_id))
    expect(form.locator("select[name=role_id] option:checked")).to_have_text(SALES_ROLE)
    form.locator("select[name=department_id]").select_option(value=str(department_id))
    form.locator("input[name=password]").fill("Welcome123")
    form.locator("input[name=confirm]").fill("Welcome123")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.locator(".alert-success")).to_be_visible()
    row = page.locator("#users-table tbody tr", has_text="lily")
    expect(row).to_contain_text("李丽")
    expect(row).to_contain_text("华东销售部")
    expect(row).to_contain_text(SALES_ROLE)
    assert _user_values(live_app, "lily") == {"display_name": "李丽", "role": "sales", "language": None}

    # the salesperson signs in and sees a workbench without the administration menu
    sign_out(page)
    sign_in(page, "lily", "Welcome123")
    expect_workbench(page, "李丽")
    expect(page.locator("#me-role")).to_have_text(SALES_ROLE)
    expect(page.locator("#app-nav a[href*='/admin/']")).to_have_count(0)
    assert page.request.get("/admin/users").status == 403

    # the administrator's audit log lists what happened
    sign_out(page)
    sign_in(page, administrator, PASSWORD)
    expect_workbench(page, "管理员")
    _open_from_menu(page, "/admin/audit")
    table = page.locator("#audit-table")
    expect(table.locator("tr", has_text="华东销售部").first).to_be_visible()
    expect(table.locator("tr", has_text="李丽").first).to_be_visible()
    actors = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert "管理员" in actors and "李丽" in actors  # the administrator's changes and lily's own sign-in


def test_phone_width_hides_the_sidebar_behind_the_menu_button(page, administrator, artifacts_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, administrator, PASSWORD)
    expect_workbench(page, "管理员")
    sidebar = page.locator("#appSidebar")
    expect(sidebar).to_be_hidden()
    expect(page.locator("#menu-toggle")).to_be_visible()
    # nothing sticks out sideways at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "phone-workbench.png"), full_page=True)

    page.click("#menu-toggle")
    expect(sidebar).to_have_class(re.compile(r"\bshow\b"))
    expect(sidebar).to_be_visible()
    expect(sidebar.locator(".app-nav-link").first).to_be_visible()
    page.wait_for_function("!document.querySelector('#appSidebar').classList.contains('showing')")
    page.screenshot(path=str(artifacts_dir / "phone-menu.png"))

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    expect(sidebar).to_be_visible()
    expect(page.locator("#menu-toggle")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir / "desktop-workbench.png"), full_page=True)
    # the sidebar's light text needs its dark background at every width (Bootstrap's .offcanvas-md clears it)
    background = page.evaluate("getComputedStyle(document.getElementById('appSidebar')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the desktop sidebar has no background"
