"""The wheel carries templates, static files, migrations and catalogues, and an installed copy finds them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a wheel build must not see: the work of other runs, local data, the tests and the Windows installer.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", ".ci", ".pytest_cache", "__pycache__", "*.pyc",
                                     "*.egg-info", "build", "dist", "data", "test-artifacts", "tests",
                                     "installer")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built by the venv's pip from a copy of the checkout (setuptools writes build/ in the tree)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    out = work / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), "."]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    wheels = list(out.glob("crm_server-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_files(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_wheel_carries_templates_static_migrations(wheel_files):
    for path in ("crm_server/templates/base.html", "crm_server/static/css/app.css",
                 "crm_server/static/vendor/bootstrap/css/bootstrap.min.css",
                 "crm_server/static/vendor/bootstrap/js/bootstrap.bundle.min.js",
                 "crm_server/migrations/env.py", "crm_server/migrations/alembic.ini",
                 "crm_server/migrations/script.py.mako"):
        assert path in wheel_files, f"{path} is missing from the wheel"
    versions = {p for p in wheel_files
                if p.startswith("crm_server/migrations/versions/") and p.endswith(".py")}
    expected = {f"crm_server/migrations/versions/{p.name}"
                for p in (ROOT / "crm_server/migrations/versions").glob("*.py")}
    assert expected and versions == expected


def test_wheel_carries_every_template_static_file_and_catalogue(wheel_files):
    expected = ({f"crm_server/templates/{p}" for p in _tree(ROOT / "templates")}
                | {f"crm_server/static/{p}" for p in _tree(ROOT / "static")}
                | {f"crm_server/translations/{p}" for p in _tree(ROOT / "crm_server/translations")})
    missing = sorted(expected - wheel_files)
    assert not missing, f"{len(missing)} files are missing from the wheel: {missing[:10]}"
    if (ROOT / "crm_server/translations/zh_Hans_CN/LC_MESSAGES/messages.po").is_file():
        assert "crm_server/translations/zh_Hans_CN/LC_MESSAGES/messages.mo" in wheel_files


def test_installed_wheel_finds_its_templates_and_static_files(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    site_packages = Path(subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True).strip())
    # Flask and friends come from the project's venv, added after the fresh site-packages as a plain path
    # (so its .pth files, among them the editable install of this checkout, are not run).
    dependencies = Path(subprocess.check_output(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True).strip())
    (site_packages / "project-dependencies.pth").write_text(f"{dependencies}\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    probe = ("import json, crm_server, crm_server.paths as p; print(json.dumps({"
             "'package': crm_server.__file__, 'templates': str(p.TEMPLATES_DIR), "
             "'static': str(p.STATIC_DIR), 'migrations': str(p.MIGRATIONS_DIR)}))")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    found = json.loads(subprocess.check_output([str(python), "-c", probe], cwd=outside, env=environ,
                                               text=True))

    package_dir = site_packages / "crm_server"
    assert Path(found["package"]).parent == package_dir
    assert Path(found["templates"]) == package_dir / "templates"
    assert Path(found["static"]) == package_dir / "static"
    assert Path(found["migrations"]) == package_dir / "migrations"
    assert (package_dir / "templates" / "base.html").is_file()
    assert (package_dir / "static" / "css" / "app.css").is_file()
