"""config.ini and CRM_* variables become validated settings; a wrong value names its key in Chinese and English."""
from __future__ import annotations

import pytest
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc

from crm_server.config import load_config
from crm_server.core.errors import ConfigError


def _load(tmp_path, text: str = "", **environ):
    path = tmp_path / "config.ini"
    path.write_text(f"[paths]\ndata_dir = {tmp_path / 'data'}\n\n{text}", encoding="utf-8")
    return load_config(path, environ=environ)


def _odbc_string(settings) -> str:
    (connection_string,), _kw = mssql_pyodbc.dialect().create_connect_args(settings.database_url)
    return connection_string


def test_defaults_are_sqlite_in_the_data_folder(tmp_path):
    settings = _load(tmp_path)
    assert settings.is_sqlite
    assert settings.sqlite_path == tmp_path / "data" / "crm.sqlite3"
    assert (settings.port, settings.default_language, settings.timezone) == (8000, "zh_CN", "Asia/Shanghai")
    for sub in ("backups", "logs", "uploads"):
        assert (tmp_path / "data" / sub).is_dir()


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = _load(tmp_path).secret_key
    assert len(first) == 64
    assert _load(tmp_path).secret_key == first


def test_environment_overrides_the_file(tmp_path):
    settings = _load(tmp_path, "[server]\nport = 8100\n", CRM_SERVER_PORT="9000", CRM_APP_COMPANY_NAME="华信科技")
    assert settings.port == 9000
    assert settings.company_name == "华信科技"


def test_crm_config_names_another_file(tmp_path, monkeypatch):
    other = tmp_path / "other.ini"
    other.write_text(f"[paths]\ndata_dir = {tmp_path / 'd2'}\n[server]\nport = 8123\n", encoding="utf-8")
    assert load_config(environ={"CRM_CONFIG": str(other)}).port == 8123
    with pytest.raises(ConfigError, match="CRM_CONFIG"):
        load_config(environ={"CRM_CONFIG": str(tmp_path / "missing.ini")})


def test_notepad_bom_is_accepted(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text(f"[paths]\ndata_dir = {tmp_path / 'data'}\n[app]\ncompany_name = 上海华东贸易\n",
                    encoding="utf-8-sig")
    assert load_config(path, environ={}).company_name == "上海华东贸易"


@pytest.mark.parametrize("text, section, key, chinese", [
    ("[server]\nport = 99999\n", "server", "port", "端口必须是 1–65535 之间的整数"),
    ("[server]\nport = abc\n", "server", "port", "端口"),
    ("[server]\nurl_prefix = crm\n", "server", "url_prefix", "必须以 / 开头"),
    ("[app]\ndefault_language = fr\n", "app", "default_language", "只支持 zh_CN 或 en"),
    ("[app]\ntimezone = Mars/Base\n", "app", "timezone", "未知的时区"),
    ("[security]\nsecure_cookies = maybe\n", "security", "secure_cookies", "只能填 yes 或 no"),
    ("[server]\nprot = 80\n", "server", "prot", "未知的配置项"),
    ("[sever]\nport = 80\n", "sever", "-", "未知的配置节"),
    ("[database]\nurl = not a url\n", "database", "url", "不是有效的数据库连接地址"),
    ("[database]\nserver = db1\ndatabase = crm\nusername = u\ndriver = Oracle\n", "database", "driver",
     "未知的 SQL Server ODBC 驱动"),
    ("[database]\nserver = db1\nusername = u\n", "database", "database", "必须填写数据库名"),
    ("[database]\nserver = db1\ndatabase = crm\n", "database", "username", "trusted_connection = yes"),
    ("[database]\nserver = db1\ndatabase = crm\nusername = u\nport = 0\n", "database", "port", "端口"),
])
def test_a_wrong_value_names_its_key(tmp_path, text, section, key, chinese):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    error = caught.value
    assert (error.section, error.key) == (section, key)
    message = str(error)
    assert f"[{section}] {key}" in message
    assert chinese in message and "Configuration error" in message  # Chinese line, then English


def test_sql_server_login_with_awkward_password_survives_odbc_quoting(tmp_path):
    settings = _load(tmp_path, "[database]\nserver = DBSERVER\\SQLEXPRESS\ndatabase = crm\nusername = crm\n"
                               "password = p;a{ss}@word\ntrust_server_certificate = yes\n")
    assert settings.database_url.drivername == "mssql+pyodbc"
    assert settings.database_url.password == "p;a{ss}@word"
    odbc = _odbc_string(settings)
    assert "DRIVER={ODBC Driver 18 for SQL Server}" in odbc
    assert r"Server=DBSERVER\SQLEXPRESS" in odbc and "Database=crm" in odbc and "UID=crm" in odbc
    # braces around a value with ';', a closing brace doubled: the driver reads back exactly p;a{ss}@word
    assert "PWD={p;a{ss}}@word}" in odbc
    assert "Encrypt=yes" in odbc and "TrustServerCertificate=yes" in odbc


def test_sql_server_windows_login_sends_no_user_or_password(tmp_path):
    settings = _load(tmp_path, "[database]\nserver = dbhost\nport = 1433\ndatabase = crm\n"
                               "trusted_connection = yes\ndriver = ODBC Driver 17 for SQL Server\nencrypt = no\n")
    odbc = _odbc_string(settings)
    assert "Trusted_Connection=yes" in odbc
    assert "UID=" not in odbc and "PWD=" not in odbc
    assert "Server=dbhost,1433" in odbc and "DRIVER={ODBC Driver 17 for SQL Server}" in odbc
    assert "Encrypt=no" in odbc


def test_driver_library_path_is_accepted(tmp_path):
    settings = _load(tmp_path, "[database]\nserver = db1\ndatabase = crm\nusername = u\n"
                               "driver = /opt/microsoft/msodbcsql18/lib64/libmsodbcsql-18.so\n")
    assert "DRIVER={/opt/microsoft/msodbcsql18/lib64/libmsodbcsql-18.so}" in _odbc_string(settings)


def test_full_url_wins(tmp_path):
    settings = _load(tmp_path, "[database]\nurl = postgresql+psycopg://crm:secret@dbhost:5432/crm\n")
    assert settings.database_url.get_backend_name() == "postgresql"
    assert not settings.is_sqlite and settings.sqlite_path is None
