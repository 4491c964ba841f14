"""Typed configuration: TOML validated by pydantic; every key may also come from the environment or a secrets dir.

The key names and meanings are a fixed contract (see the design notes); add keys, never rename them.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.config_sources import (
    SECRETS_DIR,
    SECRETS_DIR_ENV,
    Layer,
    SourceError,
    from_secrets_dir,
    from_variables,
    merged,
)
from bot.durations import parse_duration
from safety.types import ServiceEntry, default_services


class ConfigError(Exception):
    """A config problem, phrased as the one line the operator sees."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseConfig(_Section):
    url: str = "sqlite:///coachbot.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value


class ConsoleConfig(_Section):
    enabled: bool = True


class LoggingConfig(_Section):
    """The log's shape: readable text, or one JSON object a line for a log collector (docs/OPERATIONS.md)."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"

    @field_validator("format", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("level", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class TelegramConfig(_Section):
    enabled: bool = False
    token: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_interval: float = 0.0
    webhook_url: str = ""
    webhook_path: str = "/telegram"
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = ""
    bot_username: str = ""


class SlackConfig(_Section):
    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token: str = ""
    app_token: str = ""
    signing_secret: str = ""
    api_base_url: str = "https://slack.com/api/"
    listen: str = "127.0.0.1"
    port: int = 3000
    path: str = "/slack/events"


class ScheduleConfig(_Section):
    checkin_every: timedelta = timedelta(days=7)
    checkin_time: time = time(10, 0)
    pre_session_lead: timedelta = timedelta(days=3)
    digest_lead: timedelta = timedelta(hours=24)
    post_session_delay: timedelta = timedelta(hours=2)
    default_timezone: str = "Europe/London"
    nudge_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(days=3)
    snooze_for: timedelta = timedelta(hours=3)
    checkin_weekends: bool = False
    caseload_time: time = time(8, 0)  # Monday, in default_timezone: each coach's caseload overview

    @field_validator(
        "checkin_every", "pre_session_lead", "digest_lead", "post_session_delay", "nudge_after", "expire_after",
        "snooze_for", mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("expected an ISO 8601 duration like 'P3D' or a number of seconds")
        return parse_duration(value)

    @field_validator("checkin_time", "caseload_time", mode="before")
    @classmethod
    def _clock(cls, value: object) -> time:
        if isinstance(value, time):
            return value
        if not isinstance(value, str):
            raise ValueError("expected a time of day like '10:00'")
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day like '10:00'") from None

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (try 'Europe/London')") from None
        return value


DEFAULT_SERVICES: tuple[ServiceEntry, ...] = default_services()


class SafetyConfig(_Section):
    alert: Literal["coach", "coach+safeguarding"] = "coach"
    safeguarding_contact: str = ""
    services_checked: date = date(2026, 11, 1)
    services: tuple[ServiceEntry, ...] = DEFAULT_SERVICES
    # Threads for the sentence model of the screen. Several workers on one machine: give each its share of the cores.
    model_threads: int = Field(default=2, ge=1, le=64)


class SecurityConfig(_Section):
    """Encryption at rest (docs/SECURITY.md): the first key encrypts, every key decrypts. With none configured, a
    SQLite database gets a generated key in a file beside it; otherwise (or with generate_key off) plain text."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # never echo a key

    environment: Literal["development", "production"] = "development"
    encryption_keys: tuple[SecretStr, ...] = ()
    generate_key: bool = True  # no key configured and a SQLite file: generate one into a 0600 file beside it
    invite_valid_for: timedelta = timedelta(days=14)  # how long an unused invite code works

    @field_validator("invite_valid_for", mode="before")
    @classmethod
    def _invite_duration(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("expected an ISO 8601 duration like 'P14D' or a number of seconds")
        return parse_duration(value)

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):  # from COACHBOT_ENCRYPTION_KEYS: newest first, comma-separated
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for n, key in enumerate(value, start=1):
            try:
                Fernet(key.get_secret_value().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(f"key {n} is not a Fernet key (44 characters of url-safe base64; make one with "
                                 "`coachbot db new-key`)") from None
        return value


class PrivacyConfig(_Section):
    """Retention (docs/PRIVACY.md): a daily job deletes a coachee's free text this long after their last session,
    and what is kept about someone who never joined this long after they last wrote."""

    retention_after: timedelta = timedelta(days=365)
    strangers_kept_for: timedelta = timedelta(days=7)

    @field_validator("retention_after", "strangers_kept_for", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("expected an ISO 8601 duration like 'P365D' or a number of seconds")
        return parse_duration(value)


class GroupsConfig(_Section):
    """Peer coaching groups: the smallest group worth running, and how often a group meets unless told otherwise."""

    min_members: int = 3
    every: timedelta = timedelta(days=14)
    session_time: time = time(10, 0)  # the first session's time of day, local, when no start is given

    @field_validator("min_members")
    @classmethod
    def _at_least_two(cls, value: int) -> int:
        if value < 2:
            raise ValueError("a peer group needs at least 2 members")
        return value

    @field_validator("every", mode="before")
    @classmethod
    def _cadence(cls, value: object) -> timedelta:
        if not isinstance(value, timedelta):
            if not isinstance(value, str | int | float):
                raise ValueError("expected an ISO 8601 duration like 'P14D' or a number of seconds")
            value = parse_duration(value)
        if value < timedelta(days=1) or value % timedelta(days=1):
            raise ValueError("give a whole number of days, like 'P14D' or 'P21D'")
        return value

    @field_validator("session_time", mode="before")
    @classmethod
    def _clock(cls, value: object) -> time:
        return ScheduleConfig._clock(value)


class LimitsConfig(_Section):
    """Per sender: a burst of messages, then this many a minute (docs/SECURITY.md); over it, a message is still
    screened and recorded, and the sender told once to slow down. Pending replies per chat are capped too."""

    inbound_burst: int = Field(default=40, ge=1)
    inbound_per_minute: float = Field(default=60.0, gt=0)
    pending_replies_per_chat: int = Field(default=20, ge=1)


class HttpConfig(_Section):
    """Health, readiness and metrics (docs/OPERATIONS.md), served under `coachbot run` beside a platform. The outbox
    counts as stuck, and the bot not ready, once its oldest undelivered message has waited `outbox_stuck_after`."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    outbox_stuck_after: timedelta = timedelta(minutes=5)

    @field_validator("outbox_stuck_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("expected an ISO 8601 duration like 'PT5M' or a number of seconds")
        return parse_duration(value)


class WebConfig(_Section):
    """The coach's web view (docs/WEB.md), served by the [http] server under `coachbot run`. Links in chat start with
    `public_url` (empty: http://{http.listen}:{http.port}); a signed-in browser is signed out after `session_idle`
    unused."""

    enabled: bool = True
    public_url: str = ""
    session_idle: timedelta = timedelta(minutes=30)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a private network), or be empty")
        return value

    @field_validator("session_idle", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("expected an ISO 8601 duration like 'PT30M' or a number of seconds")
        idle = parse_duration(value)
        if idle <= timedelta(0):
            raise ValueError("must be longer than nothing, like 'PT30M'")
        return idle


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    console: ConsoleConfig = ConsoleConfig()
    logging: LoggingConfig = LoggingConfig()
    telegram: TelegramConfig = TelegramConfig()
    slack: SlackConfig = SlackConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    safety: SafetyConfig = SafetyConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    security: SecurityConfig = SecurityConfig()
    groups: GroupsConfig = GroupsConfig()
    limits: LimitsConfig = LimitsConfig()
    http: HttpConfig = HttpConfig()
    web: WebConfig = WebConfig()


# Secrets may live in the environment instead of the file: (section, key) -> variable. These older names are kept;
# every key can also be set as COACHBOT_SECTION__KEY, which wins when both are set.
SECRET_ENV: dict[tuple[str, str], str] = {
    ("telegram", "token"): "COACHBOT_TELEGRAM_TOKEN",
    ("telegram", "secret_token"): "COACHBOT_TELEGRAM_SECRET_TOKEN",
    ("slack", "bot_token"): "COACHBOT_SLACK_BOT_TOKEN",
    ("slack", "app_token"): "COACHBOT_SLACK_APP_TOKEN",
    ("slack", "signing_secret"): "COACHBOT_SLACK_SIGNING_SECRET",
    ("database", "url"): "COACHBOT_DATABASE_URL",
    ("security", "encryption_keys"): "COACHBOT_ENCRYPTION_KEYS",
}

# Short names for the log's two keys, the same as COACHBOT_LOGGING__FORMAT and COACHBOT_LOGGING__LEVEL.
ENV_ALIASES: dict[tuple[str, str], str] = {
    **SECRET_ENV,
    ("logging", "format"): "COACHBOT_LOG_FORMAT",
    ("logging", "level"): "COACHBOT_LOG_LEVEL",
}


def _describe(error: ValidationError, origins: dict[tuple[str, ...], str]) -> str:
    first = error.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (see config.example.toml for the keys)"  # not said: the operator's config error
    origin = origins.get(loc[:2]) or origins.get(loc[:1])
    return f"{'.'.join(loc)}: {message}" + (f" (from {origin})" if origin else "")


def _from_file(chosen: str) -> Layer:
    file = Path(chosen)
    try:
        raw: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {str(file)!r} not found") from None
    except OSError as exc:
        raise ConfigError(f"config file {str(file)!r} can't be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(file)!r} is not valid TOML: {exc}") from None
    where = f"the config file {str(file)!r}"
    origins: dict[tuple[str, ...], str] = {}
    for section, block in raw.items():
        origins[(section,)] = where
        for key in block if isinstance(block, dict) else ():
            origins[(section, key)] = f"{where}, [{section}] {key}"
    return Layer(raw, origins)


def _from_aliases(env: dict[str, str]) -> Layer:
    values: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    for (section, key), variable in ENV_ALIASES.items():
        if env.get(variable):
            values.setdefault(section, {})[key] = env[variable]
            origins[(section, key)] = f"the environment variable {variable}"
    return Layer(values, origins)


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """The TOML file (or the built-in defaults), overlaid by the secrets directory, overlaid by the environment:
    the older secret variables, then COACHBOT_SECTION__KEY."""
    env = dict(os.environ) if environ is None else environ
    chosen = path or env.get("COACHBOT_CONFIG") or None
    secrets_dir = Path(env.get(SECRETS_DIR_ENV) or SECRETS_DIR)
    try:
        layers = [_from_file(str(chosen))] if chosen else []
        layers += [from_secrets_dir(Config, secrets_dir), _from_aliases(env), from_variables(Config, env)]
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    raw = merged(layers)
    try:
        return Config.model_validate(raw.values)
    except ValidationError as exc:
        raise ConfigError(f"config error: {_describe(exc, raw.origins)}") from None
