"""load_config(path) -> Settings: config.ini first, then CRM_<SECTION>_<KEY> environment variables."""
from __future__ import annotations

import configparser
import os
import secrets
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .core.errors import ConfigError
from .paths import default_config_path

# Every key a site may set, with its default. Unknown keys are rejected so a typo is not silently ignored.
DEFAULTS: dict[str, dict[str, str]] = {
    "server": {"host": "127.0.0.1", "port": "8000", "threads": "8", "url_prefix": ""},
    "database": {
        "url": "", "server": "", "port": "", "database": "", "username": "", "password": "",
        "trusted_connection": "no", "driver": "ODBC Driver 18 for SQL Server", "encrypt": "yes",
        "trust_server_certificate": "no", "connect_timeout": "5",
    },
    "security": {
        "secret_key": "", "session_lifetime_hours": "12", "remember_days": "14",
        "login_max_attempts": "5", "login_lockout_minutes": "15", "secure_cookies": "no",
    },
    "mail": {
        "server": "", "port": "25", "username": "", "password": "", "use_tls": "no", "use_ssl": "no",
        "sender": "", "mass_rate_per_minute": "60",
    },
    "app": {
        "company_name": "CRM Server", "default_language": "zh_CN", "timezone": "Asia/Shanghai",
        "currency": "CNY",
    },
    "paths": {"data_dir": ""},
    "jobs": {"enabled": "yes", "backup_keep": "14"},
    "reports": {"chart_font": "", "cache_mb": "64"},
}

LANGUAGES = ("zh_CN", "en")
# Drivers pyodbc may name for SQL Server; a path to the driver library (.so/.dll) is accepted too.
KNOWN_MSSQL_DRIVERS = (
    "ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "SQL Server", "FreeTDS",
    "SQL Server Native Client 11.0",
)
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off", ""}


@dataclass
class Settings:
    """Validated settings. `raw` keeps every section as strings, for display and for modules' own keys."""

    config_path: Path | None
    raw: dict[str, dict[str, str]]
    host: str
    port: int
    threads: int
    url_prefix: str
    data_dir: Path
    database_url: URL
    secret_key: str
    session_lifetime_hours: int
    remember_days: int
    login_max_attempts: int
    login_lockout_minutes: int
    secure_cookies: bool
    company_name: str
    default_language: str
    timezone: str
    currency: str
    jobs_enabled: bool
    backup_keep: int
    mail: dict[str, str] = field(default_factory=dict)

    @property
    def database_dir(self) -> Path:
        return self.data_dir

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.database_url.database:
            return None
        return Path(self.database_url.database)


def _read_raw(path: Path | None, environ) -> dict[str, dict[str, str]]:
    raw = {section: dict(keys) for section, keys in DEFAULTS.items()}
    if path is not None and path.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8-sig")  # Notepad on Windows saves a BOM
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError("-", str(path), None, f"无法读取配置文件：{exc}",
                              f"the file cannot be read: {exc}") from exc
        for section in parser.sections():
            if section not in raw:
                raise ConfigError(section, "-", None, "未知的配置节。", "unknown section.")
            for key, value in parser.items(section):
                if key not in raw[section]:
                    raise ConfigError(section, key, None, "未知的配置项。", "unknown key.")
                raw[section][key] = value.strip()
    for section, keys in raw.items():
        for key in keys:
            env_name = f"CRM_{section.upper()}_{key.upper()}"
            if env_name in environ:
                keys[key] = environ[env_name].strip()
    return raw


def _int(raw, section, key, low, high, zh_what, en_what) -> int:
    value = raw[section][key]
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ConfigError(section, key, value, f"{zh_what}必须是 {low}–{high} 之间的整数。",
                          f"{en_what} must be a whole number from {low} to {high}.")
    return number


def _bool(raw, section, key) -> bool:
    value = raw[section][key].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(section, key, raw[section][key], "只能填 yes 或 no。", "must be yes or no.")


def build_database_url(db: dict[str, str], data_dir: Path) -> URL:
    """The SQLAlchemy URL from [database]: a full url, SQL Server fields, or SQLite in the data folder."""
    if db["url"]:
        try:
            return make_url(db["url"])
        except ArgumentError as exc:
            raise ConfigError("database", "url", db["url"], "不是有效的数据库连接地址（SQLAlchemy URL）。",
                              "is not a valid SQLAlchemy database URL.") from exc
    if db["server"]:
        return _mssql_url(db)
    return URL.create("sqlite", database=str(data_dir / "crm.sqlite3"))


def _mssql_url(db: dict[str, str]) -> URL:
    driver = db["driver"]
    if driver not in KNOWN_MSSQL_DRIVERS and not driver.lower().endswith((".so", ".dll", ".dylib")):
        raise ConfigError("database", "driver", driver,
                          "未知的 SQL Server ODBC 驱动；可用：" + "、".join(KNOWN_MSSQL_DRIVERS) + "，或驱动文件路径。",
                          "unknown SQL Server ODBC driver; use one of: " + ", ".join(KNOWN_MSSQL_DRIVERS)
                          + ", or the path of the driver library.")
    if not db["database"]:
        raise ConfigError("database", "database", "", "使用 SQL Server 时必须填写数据库名。",
                          "the database name is required with SQL Server.")
    trusted = _bool({"database": db}, "database", "trusted_connection")
    if not trusted and not db["username"]:
        raise ConfigError("database", "username", "",
                          "请填写 SQL Server 登录名，或设置 trusted_connection = yes 使用 Windows 登录。",
                          "give a SQL Server login, or set trusted_connection = yes for Windows login.")
    port = None
    if db["port"]:
        port = _int({"database": db}, "database", "port", 1, 65535, "端口", "the port")
    query = {
        "driver": driver,
        "Encrypt": "yes" if _bool({"database": db}, "database", "encrypt") else "no",
        "TrustServerCertificate":
            "yes" if _bool({"database": db}, "database", "trust_server_certificate") else "no",
    }
    if trusted:
        query["Trusted_Connection"] = "yes"
    return URL.create(
        "mssql+pyodbc",
        username=None if trusted else db["username"],
        password=None if trusted else (db["password"] or None),
        host=db["server"], port=port, database=db["database"], query=query,
    )


def _resolve_data_dir(raw, config_path: Path | None) -> Path:
    value = raw["paths"]["data_dir"]
    base = config_path.parent if config_path is not None else Path.cwd()
    data_dir = Path(value).expanduser() if value else base / "data"
    if not data_dir.is_absolute():
        data_dir = base / data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("backups", "logs", "uploads"):
            (data_dir / sub).mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError("paths", "data_dir", str(data_dir), f"无法创建数据文件夹：{exc.strerror}。",
                          f"the data folder cannot be created: {exc.strerror}.") from exc
    return data_dir


def _secret_key(raw, data_dir: Path) -> str:
    """The configured key, else one generated once and kept in the data folder (sessions survive restarts)."""
    if raw["security"]["secret_key"]:
        return raw["security"]["secret_key"]
    key_file = data_dir / "secret_key"
    if key_file.is_file():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_hex(32)
    key_file.write_text(key, encoding="ascii")
    try:
        key_file.chmod(0o600)
    except OSError:  # pragma: no cover - Windows ACLs
        pass
    return key


def load_config(path: str | os.PathLike | None = None, environ=None) -> Settings:
    """Read and validate the settings; raise ConfigError naming the wrong key."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get("CRM_CONFIG"):
        path = environ["CRM_CONFIG"]
        if not Path(path).is_file():
            raise ConfigError("-", "CRM_CONFIG", path, "指定的配置文件不存在。", "the file does not exist.")
    config_path = Path(path).resolve() if path is not None else default_config_path()
    if not config_path.is_file():
        config_path = None
    raw = _read_raw(config_path, environ)

    port = _int(raw, "server", "port", 1, 65535, "端口", "the port")
    threads = _int(raw, "server", "threads", 1, 256, "线程数", "the thread count")
    prefix = raw["server"]["url_prefix"].rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise ConfigError("server", "url_prefix", prefix, "必须以 / 开头，例如 /crm。", "must start with /, e.g. /crm.")
    language = raw["app"]["default_language"]
    if language not in LANGUAGES:
        raise ConfigError("app", "default_language", language, "只支持 zh_CN 或 en。", "must be zh_CN or en.")
    try:
        zoneinfo.ZoneInfo(raw["app"]["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("app", "timezone", raw["app"]["timezone"], "未知的时区，例如 Asia/Shanghai。",
                          "unknown time zone, e.g. Asia/Shanghai.") from exc
    data_dir = _resolve_data_dir(raw, config_path)
    database_url = build_database_url(raw["database"], data_dir)
    _int(raw, "database", "connect_timeout", 1, 300, "连接超时", "the connect timeout")
    _int(raw, "mail", "port", 1, 65535, "端口", "the port")
    _int(raw, "mail", "mass_rate_per_minute", 1, 10000, "群发每分钟封数", "the mass e-mail rate per minute")
    _int(raw, "reports", "cache_mb", 0, 4096, "报表缓存大小（MB）", "the report cache size in MB")
    chart_font = raw["reports"]["chart_font"]
    if chart_font and not Path(chart_font).is_file():
        raise ConfigError("reports", "chart_font", chart_font, "找不到这个字体文件（.ttf / .ttc / .otf）。",
                          "no such font file (.ttf / .ttc / .otf).")
    for key in ("use_tls", "use_ssl"):
        _bool(raw, "mail", key)
    return Settings(
        config_path=config_path, raw=raw, host=raw["server"]["host"] or "127.0.0.1", port=port,
        threads=threads, url_prefix=prefix, data_dir=data_dir, database_url=database_url,
        secret_key=_secret_key(raw, data_dir),
        session_lifetime_hours=_int(raw, "security", "session_lifetime_hours", 1, 24 * 90,
                                    "会话有效期", "the session lifetime"),
        remember_days=_int(raw, "security", "remember_days", 0, 365, "记住登录天数", "remember days"),
        login_max_attempts=_int(raw, "security", "login_max_attempts", 1, 100,
                                "登录失败次数上限", "the login attempt limit"),
        login_lockout_minutes=_int(raw, "security", "login_lockout_minutes", 1, 24 * 60,
                                   "锁定分钟数", "the lockout minutes"),
        secure_cookies=_bool(raw, "security", "secure_cookies"),
        company_name=raw["app"]["company_name"], default_language=language,
        timezone=raw["app"]["timezone"], currency=raw["app"]["currency"] or "CNY",
        jobs_enabled=_bool(raw, "jobs", "enabled"),
        backup_keep=_int(raw, "jobs", "backup_keep", 0, 3650, "备份保留份数", "the backups kept"),
        mail=dict(raw["mail"]),
    )
