"""Settings from the environment (and a `.env` file beside the working directory).

A bad value stops start-up with one line that names the setting (`SettingsError`); `check_reachable`
then tries what the values point at (the data folder, the database), so that a wrong address is one line
at start too, not a traceback later.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


@dataclass(frozen=True)
class WeComSettings:
    """WeChat customer service (微信客服) through WeCom's API: what the admin console shows."""

    corp_id: str  # 企业ID
    secret: str  # the Secret of 微信客服 (or of an app allowed to call its API)
    token: str  # the callback's Token
    aes_key: str  # the callback's EncodingAESKey (43 characters)
    kf_id: str  # the customer-service account (open_kfid, wk…)
    api_url: str = "https://qyapi.weixin.qq.com"


@dataclass(frozen=True)
class Settings:
    token: str | None
    framework: str  # "ptb" | "aiogram"
    api_url: str | None  # a local Bot API server instead of Telegram's
    webhook_url: str | None
    webhook_secret: str | None
    port: int
    database_url: str
    data_dir: Path
    timezone: ZoneInfo
    retention_days: int
    max_file_mb: int
    log_level: str
    redis_url: str | None = None  # the outgoing rate limit shared by every worker; unset: counted per process
    ocr: bool = True  # read slip photos (the model is loaded at start-up, in the background)
    public_url: str | None = None  # where Telegram's clients reach this server: the case page (Mini App)
    channel: str = "telegram"  # "telegram" | "wecom_kf" (BOT_CHANNEL)
    wecom: WeComSettings | None = None

    @property
    def mode(self) -> str:
        if self.channel == "wecom_kf":
            return "wecom_kf"
        if not self.token:
            return "console"
        return "webhook" if self.webhook_url else "polling"


def _int(env: dict, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def load(env: dict | None = None, *, dotenv: bool = True) -> Settings:
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        env = dict(os.environ)
    token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None
    if token is not None and not _TOKEN.fullmatch(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then the secret of letters, "
            "digits, _ and -): copy it again from @BotFather"
        )
    framework = (env.get("BOT_FRAMEWORK") or "ptb").strip().lower()
    if framework not in ("ptb", "aiogram"):
        raise SettingsError(f"BOT_FRAMEWORK must be 'ptb' or 'aiogram', got {framework!r}")
    api_url = (env.get("TELEGRAM_API_URL") or "").strip().rstrip("/") or None
    if api_url and not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"TELEGRAM_API_URL must start with http:// or https://, got {api_url!r}")
    webhook_url = (env.get("WEBHOOK_URL") or "").strip() or None
    if webhook_url and not webhook_url.startswith("https://"):
        # Telegram calls webhooks over HTTPS only; plain http is for a local Bot API server on this machine
        local = api_url and webhook_url.startswith(("http://127.", "http://localhost", "http://[::1]"))
        if not local:
            raise SettingsError(
                f"WEBHOOK_URL must be an https:// address Telegram can reach, got {webhook_url!r}"
            )
    secret = (env.get("WEBHOOK_SECRET") or "").strip() or None
    if secret and not all(c.isalnum() or c in "_-" for c in secret):
        raise SettingsError("WEBHOOK_SECRET may only hold letters, digits, _ and - (Telegram's rule)")
    data_dir = Path(env.get("DATA_DIR") or "data").expanduser()
    database_url = (env.get("DATABASE_URL") or "").strip() or f"sqlite:///{data_dir / 'assistant.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    redis_url = (env.get("REDIS_URL") or "").strip() or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    ocr = (env.get("OCR") or "on").strip().lower()
    if ocr not in ("on", "off"):
        raise SettingsError(f"OCR must be 'on' or 'off', got {ocr!r}")
    public_url = (env.get("PUBLIC_URL") or "").strip().rstrip("/") or None
    if public_url and not public_url.startswith("https://") and not public_url.startswith("http://127."):
        raise SettingsError("PUBLIC_URL must be an https:// address Telegram's apps can open (the case page)")
    tz_name = env.get("MERCHANT_TZ") or "Asia/Shanghai"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"MERCHANT_TZ is not a known time zone: {tz_name!r}") from None
    channel = (env.get("BOT_CHANNEL") or "telegram").strip().lower()
    if channel not in ("telegram", "wecom_kf"):
        raise SettingsError(f"BOT_CHANNEL must be 'telegram' or 'wecom_kf', got {channel!r}")
    wecom = _wecom(env) if channel == "wecom_kf" else None
    log_level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {env.get('LOG_LEVEL')!r}")
    return Settings(
        token=token,
        framework=framework,
        api_url=api_url,
        webhook_url=webhook_url,
        webhook_secret=secret,
        port=_int(env, "PORT", 8080, 1, 65535),
        database_url=database_url,
        data_dir=data_dir,
        timezone=timezone,
        retention_days=_int(env, "RETENTION_DAYS", 365, 1, 3650),
        max_file_mb=_int(env, "MAX_FILE_MB", 20, 1, 2000),
        log_level=log_level,
        redis_url=redis_url,
        ocr=ocr == "on",
        public_url=public_url,
        channel=channel,
        wecom=wecom,
    )


def _wecom(env: dict) -> WeComSettings:
    """The five values of WeCom's admin console, each checked for the shape WeCom gives it."""

    def need(name: str, pattern: str, what: str) -> str:
        value = (env.get(name) or "").strip()
        if not value:
            raise SettingsError(f"{name} is not set: BOT_CHANNEL=wecom_kf needs {what}")
        if not re.fullmatch(pattern, value):
            raise SettingsError(f"{name} does not look like {what}: copy it again from WeCom's admin console")
        return value

    corp_id = need("WECOM_CORP_ID", r"[A-Za-z0-9]{6,32}", "the corp ID (企业ID, My Company → Company Info)")
    secret = need(
        "WECOM_SECRET", r"[A-Za-z0-9_-]{16,64}", "the Secret of WeChat Customer Service (微信客服 → API)"
    )
    token = need("WECOM_TOKEN", r"[A-Za-z0-9]{1,32}", "the callback Token (letters and digits, at most 32)")
    aes_key = need("WECOM_AES_KEY", r"[A-Za-z0-9]{43}", "the callback EncodingAESKey (43 letters and digits)")
    kf_id = need("WECOM_KF_ID", r"wk[A-Za-z0-9_-]{4,62}", "a customer-service account id (open_kfid, wk…)")
    api_url = (env.get("WECOM_API_URL") or "https://qyapi.weixin.qq.com").strip().rstrip("/")
    if not api_url.startswith(("https://", "http://127.", "http://localhost")):
        raise SettingsError(
            f"WECOM_API_URL must be an https:// address (or a local test server), got {api_url!r}"
        )
    return WeComSettings(corp_id, secret, token, aes_key, kf_id, api_url)


def check_reachable(settings: Settings) -> None:
    """Create and write DATA_DIR, and connect to the database once: each failure is one SettingsError line."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            f"DATA_DIR={str(settings.data_dir)!r} cannot be created or written ({exc.strerror or exc}): "
            "choose a folder this user can write"
        ) from None
    _check_database(settings.database_url)


def _check_database(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(
            "DATABASE_URL is not a database URL (sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SettingsError(
                    f"DATABASE_URL: the folder {str(folder)!r} cannot be created ({exc.strerror or exc})"
                ) from None
        return
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5}, poolclass=_null_pool())
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except NoSuchModuleError:
        raise SettingsError(
            "DATABASE_URL names a database driver this install lacks: use postgresql://"
        ) from None
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if (exc.orig or exc) else ""
        if "does not exist" in reason and "database" in reason:
            hint = f"create it (createdb -h {parsed.host or 'localhost'} {parsed.database}) or fix the name"
        elif "password" in reason or "authentication" in reason or "role" in reason:
            hint = "check the user name and password in the URL"
        else:
            hint = "start the server or fix the host and port"
        raise SettingsError(
            f"DATABASE_URL: cannot use PostgreSQL at {where} ({_short(reason)}): {hint}"
        ) from None


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


def _short(reason: str) -> str:
    """The driver's reason, without the parts of psycopg's message that repeat the address."""
    reason = re.sub(r"^connection failed: ", "", reason)
    reason = re.sub(r'connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed: ', "", reason)
    reason = re.sub(r"^FATAL:\s+", "", reason)
    return reason.strip().rstrip(".")[:160]
