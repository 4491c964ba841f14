"""`coachbot doctor`: find what would stop the bot working (or keep people safe) before a coachee does.

Each check gives one line, `ok|warn|fail  <check>: <detail>`, so an operator can read it and a script
can grep it; `--json` gives the same as a list of {"check", "status", "detail"}. Nothing here changes
anything: the database is never created or migrated, and the platform calls only ask questions.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.config import Config, ConfigError, SafetyConfig, SlackConfig, TelegramConfig, load_config
from bot.own_packages import foreign_packages
from bot.storage.db import alembic_config, current_revision
from bot.storage.keyfile import generated_key_file
from safety.types import Tier

Status = Literal["ok", "warn", "fail"]

TIMEOUT = 5.0  # seconds: long enough for a slow network, short enough that a hung one is obvious
SERVICES_MAX_AGE_DAYS = 183  # about six months: phone numbers and opening hours drift
ROUTED_TIERS = (Tier.STRESS, Tier.CRISIS, Tier.EMERGENCY)  # the tiers that show the services directory
SLACK_AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                               "not_allowed_token_type"})


@dataclass(frozen=True)
class Check:
    """One finding; the wording of `detail` is for people, `status` is for scripts."""

    check: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.check}: {self.detail}"


# config

def check_config(config: Config, *, source: str | None) -> list[Check]:
    """Settings that load but can't work: a transport switched on without the secrets it needs, etc."""
    enabled = [name for name, on in (("console", config.console.enabled), ("telegram", config.telegram.enabled),
                                     ("slack", config.slack.enabled)) if on]
    where = f"loaded {source}" if source else "built-in defaults (no --config or COACHBOT_CONFIG)"
    note = f"transports: {', '.join(enabled)}" if enabled else "no transports"
    if enabled == ["console"]:
        note += " (console only: fine for a demo, coachees need Telegram or Slack)"
    note += f"; {config.security.environment}, {_encryption(config)}"
    found = [Check("config", "ok", f"{where}; {note}")]
    key_file = generated_key_file(config)
    if config.security.environment == "production" and not config.security.encryption_keys and key_file is None:
        found.append(Check("config", "warn", "encryption at rest is off in production: answers, conversations and "
                                             "messages are stored as plain text; set security.encryption_keys (or "
                                             "COACHBOT_ENCRYPTION_KEYS), then run `coachbot db rotate-key` to "
                                             "encrypt what is already stored (see docs/SECURITY.md)"))
    if key_file is not None and config.security.environment == "production":
        found.append(Check("config", "warn", f"the encryption key is in {key_file}"
                           + ("" if key_file.exists() else " (generated at the first start)")
                           + ", next to the database: keep a copy somewhere else, because losing it loses the data "
                             "it encrypts, and a backup holding both files holds the data readable (or set "
                             "security.encryption_keys; see docs/SECURITY.md)"))
    if not enabled:
        found.append(Check("config", "warn", "no transport is enabled, so `coachbot run` will refuse to start "
                                             "(fine for a machine that only runs admin commands)"))
    found += _telegram_settings(config.telegram) + _slack_settings(config.slack)
    if config.safety.alert == "coach+safeguarding" and not config.safety.safeguarding_contact:
        found.append(Check("config", "warn", "safety.alert is 'coach+safeguarding' but safety.safeguarding_contact "
                                             "is empty, so only the coach is alerted"))
    return found


def _encryption(config: Config) -> str:
    count = len(config.security.encryption_keys)
    if count:
        return f"encryption at rest on ({count} key{'s' if count != 1 else ''})"
    key_file = generated_key_file(config)
    if key_file is None:
        return "encryption at rest off"
    return (f"encryption at rest on, with the key generated in {key_file}: keep a copy elsewhere, losing it loses "
            "the data")


def _telegram_settings(telegram: TelegramConfig) -> list[Check]:
    if not telegram.enabled:
        return []
    found: list[Check] = []
    if not telegram.token:
        found.append(Check("config", "fail", "telegram is enabled but telegram.token is empty "
                                             "(set it, or COACHBOT_TELEGRAM_TOKEN)"))
    if telegram.mode == "webhook":
        if not telegram.webhook_url:
            found.append(Check("config", "fail", "telegram.mode is 'webhook' but telegram.webhook_url is empty"))
        elif not telegram.webhook_url.startswith("https://"):
            found.append(Check("config", "warn", f"telegram.webhook_url {telegram.webhook_url!r} is not https://; "
                                                 "Telegram only delivers webhooks over HTTPS"))
        if not telegram.secret_token:
            found.append(Check("config", "warn", "telegram webhook without telegram.secret_token: anyone who finds "
                                                 "the URL can post fake updates (set it, or "
                                                 "COACHBOT_TELEGRAM_SECRET_TOKEN)"))
    return found


def _slack_settings(slack: SlackConfig) -> list[Check]:
    if not slack.enabled:
        return []
    needed = [("bot_token", slack.bot_token, "COACHBOT_SLACK_BOT_TOKEN")]
    if slack.mode == "socket":
        needed.append(("app_token", slack.app_token, "COACHBOT_SLACK_APP_TOKEN"))
    else:
        needed.append(("signing_secret", slack.signing_secret, "COACHBOT_SLACK_SIGNING_SECRET"))
    return [Check("config", "fail", f"slack is enabled in {slack.mode} mode but slack.{key} is empty "
                                    f"(set it, or {variable})")
            for key, value, variable in needed if not value]


# database

def check_packages() -> Check:
    """`safety` and `flows` are also PyPI packages' names: say if one of theirs would be imported instead."""
    problems = foreign_packages()
    if problems:
        return Check("packages", "fail", "; ".join(problems) + "; install coachbot in its own virtual environment")
    return Check("packages", "ok", "bot, flows and safety are this project's own")


def check_database(url: str, *, timeout: float = TIMEOUT) -> Check:
    """Reachable, at the latest migration, and (SQLite) somewhere it can write; creates nothing."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return Check("database", "fail", "database.url is not a database URL")
    if parsed.get_backend_name() == "sqlite":
        return _check_sqlite(parsed.database, timeout=timeout)
    label = f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": max(1, round(timeout))})
    except ModuleNotFoundError as exc:
        return Check("database", "fail", f"{label}: driver {exc.name!r} is not installed "
                                         "(install coachbot with the 'postgres' extra)")
    return _schema(engine, label)


def _check_sqlite(database: str | None, *, timeout: float) -> Check:
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return Check("database", "warn", "in-memory SQLite: nothing is kept between runs")
    path = Path(database).expanduser()
    label = f"SQLite file {path}"
    if not path.exists():
        existing = next(p for p in (path.parent, *path.parent.parents) if p.exists())
        if not existing.is_dir():
            return Check("database", "fail", f"{label} can't be created: {existing} is not a directory")
        if not os.access(existing, os.W_OK | os.X_OK):
            return Check("database", "fail", f"{label} can't be created: {existing} is not writable")
        return Check("database", "ok", f"{label} does not exist yet; it will be created on first run")
    if not path.is_file():
        return Check("database", "fail", f"{label} is not a file")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        return Check("database", "fail", f"{label}: the file or its directory is not writable "
                                         "(SQLite keeps its journal next to the file)")
    uri = path.resolve().as_uri() + "?mode=rw"  # rw, not rwc: never create a file as a side-effect
    engine = create_engine("sqlite://", poolclass=NullPool,
                           creator=lambda: sqlite3.connect(uri, uri=True, timeout=timeout))
    return _schema(engine, label)


def _schema(engine: Engine, label: str) -> Check:
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        return Check("database", "fail", f"{label}: can't connect: {_first_line(getattr(exc, 'orig', None) or exc)}")
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        pending = list(script.iterate_revisions("heads", current or "base"))
    except (CommandError, RevisionError):
        return Check("database", "fail", f"{label} is at revision {current}, which this version of coachbot "
                                         "doesn't know (was it upgraded by a newer version?)")
    if not pending:
        return Check("database", "ok", f"{label}: connected; schema up to date (revision {current})")
    count = f"{len(pending)} migration{'s' if len(pending) != 1 else ''} pending"
    state = "no schema yet" if current is None else f"at revision {current}"
    return Check("database", "warn", f"{label}: connected, {state}; {count}, run `coachbot db upgrade`")


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# services directory

# Words of a contact that was never filled in: the example config's and the built-in stress entry's.
_PLACEHOLDER = re.compile(r"\b(?:replace|todo|tbc|tbd|xxx+|placeholder)\b|ask your coaching service for the contact",
                          re.IGNORECASE)

def check_services(safety: SafetyConfig, *, today: date, production: bool = False) -> list[Check]:
    """The numbers shown to someone in crisis must be current, real, and cover every tier that shows them."""
    checked = safety.services_checked
    age = (today - checked).days
    found: list[Check] = []
    if age > SERVICES_MAX_AGE_DAYS:
        found.append(Check("services", "warn", f"services directory last checked {checked.isoformat()} "
                                               f"({age} days ago): check every number, then update "
                                               "safety.services_checked"))
    elif age < 0:
        found.append(Check("services", "warn", f"safety.services_checked {checked.isoformat()} is in the future: "
                                               "set it to the day the numbers were last checked"))
    missing = [tier.value for tier in ROUTED_TIERS if not any(s.tier is tier for s in safety.services)]
    if missing:
        found.append(Check("services", "warn", f"no service listed for {', '.join(missing)}: people routed there "
                                               "get no one to contact (add [[safety.services]] entries)"))
    unset = [s.name for s in safety.services if not s.contact.strip() or _PLACEHOLDER.search(s.contact)]
    if unset:
        found.append(Check("services", "fail" if production else "warn",
                           f"no real contact set for {', '.join(unset)}: people routed there would be told to "
                           "contact no one (set its contact in [[safety.services]])"))
    if not found:
        found.append(Check("services", "ok", f"{len(safety.services)} services, checked {checked.isoformat()} "
                                             f"({age} days ago)"))
    return found


# transports

def _host(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _unreachable(check: str, url: str, exc: httpx.TransportError) -> Check:
    reason = f"no answer within {TIMEOUT:g} s" if isinstance(exc, httpx.TimeoutException) else _first_line(exc)
    return Check(check, "fail", f"can't reach {_host(url)}: {reason} (a network or platform problem; "
                                "the token was not checked)")


def check_telegram(telegram: TelegramConfig, client: httpx.Client) -> Check:
    """getMe tells apart a bad token (the platform answers no) from no platform at all."""
    try:
        response = client.get(f"{telegram.base_url}{telegram.token}/getMe")
    except httpx.TransportError as exc:
        return _unreachable("telegram", telegram.base_url, exc)
    body = _json(response)
    if response.status_code in (401, 404):
        reason = "401 Unauthorized" if response.status_code == 401 else "404 Not Found: malformed token?"
        return Check("telegram", "fail", f"token rejected ({reason}): check telegram.token")
    if response.status_code != 200 or not body.get("ok"):
        description = body.get("description") or response.reason_phrase
        return Check("telegram", "fail", f"unexpected answer from {_host(telegram.base_url)}: "
                                         f"HTTP {response.status_code} {description}")
    username = (body.get("result") or {}).get("username", "?")
    return Check("telegram", "ok", f"reached as @{username}")


def check_slack(slack: SlackConfig, client: httpx.Client) -> list[Check]:
    """auth.test for the bot token; in socket mode, apps.connections.open for the app token too."""
    found = [_slack_bot(slack, client)]
    if slack.mode == "socket" and slack.app_token and found[0].status == "ok":
        found.append(_slack_app(slack, client))
    return found


def _slack_call(slack: SlackConfig, client: httpx.Client, method: str, token: str) -> httpx.Response:
    return client.post(f"{slack.api_base_url.rstrip('/')}/{method}", headers={"Authorization": f"Bearer {token}"})


def _slack_ask(slack: SlackConfig, client: httpx.Client, *, check: str, method: str, token: str,
               rejected: str) -> tuple[httpx.Response, dict[str, Any], str] | Check:
    """One Slack method: the response, its body and its error code; or the check's failure when Slack is away
    or refuses the token (`rejected` says what to do about it)."""
    try:
        response = _slack_call(slack, client, method, token)
    except httpx.TransportError as exc:
        return _unreachable(check, slack.api_base_url, exc)
    body = _json(response)
    error = str(body.get("error") or "")
    if error in SLACK_AUTH_ERRORS:
        return Check(check, "fail", rejected.format(error=error))
    return response, body, error


def _slack_bot(slack: SlackConfig, client: httpx.Client) -> Check:
    asked = _slack_ask(slack, client, check="slack", method="auth.test", token=slack.bot_token,
                       rejected="bot token rejected ({error}): check slack.bot_token")
    if isinstance(asked, Check):
        return asked
    response, body, error = asked
    if response.status_code != 200 or not body.get("ok"):
        return Check("slack", "fail", f"unexpected answer from {_host(slack.api_base_url)} to auth.test: "
                                      f"HTTP {response.status_code} {error or response.reason_phrase}")
    return Check("slack", "ok", f"reached workspace {body.get('team', '?')!r} as {body.get('user', '?')}")


def _slack_app(slack: SlackConfig, client: httpx.Client) -> Check:
    asked = _slack_ask(slack, client, check="slack socket", method="apps.connections.open", token=slack.app_token,
                       rejected="app token rejected ({error}): socket mode needs an app-level token "
                                "(xapp-...) with connections:write")
    if isinstance(asked, Check):
        return asked
    response, body, error = asked
    if response.status_code == 404 or error == "unknown_method":
        return Check("slack socket", "warn", f"couldn't verify the app token: {_host(slack.api_base_url)} doesn't "
                                             "know apps.connections.open")
    if response.status_code != 200 or not body.get("ok"):
        return Check("slack socket", "fail", f"unexpected answer to apps.connections.open: "
                                             f"HTTP {response.status_code} {error or response.reason_phrase}")
    return Check("slack socket", "ok", "app token accepted (socket mode can connect)")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# putting it together

def run_checks(config: Config, *, source: str | None, today: date, client: httpx.Client | None = None) -> list[Check]:
    """Every check, in the order an operator would fix them; transports only when enabled and configured."""
    found = [check_packages(), *check_config(config, source=source)]
    found.append(check_database(config.database.url))
    found += check_services(config.safety, today=today, production=config.security.environment == "production")
    wants_telegram = config.telegram.enabled and bool(config.telegram.token)
    wants_slack = config.slack.enabled and bool(config.slack.bot_token)
    if wants_telegram or wants_slack:
        with ExitStack() as stack:
            http = client or stack.enter_context(httpx.Client(timeout=TIMEOUT))  # close only what we opened
            if wants_telegram:
                found.append(check_telegram(config.telegram, http))
            if wants_slack:
                found += check_slack(config.slack, http)
    return found


def exit_status(checks: list[Check]) -> int:
    """1 when anything failed; warnings alone still exit 0 so scripts can tell the two apart."""
    return 1 if any(c.status == "fail" for c in checks) else 0


def summary(checks: list[Check]) -> str:
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "warn", "fail")}
    return f"doctor: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail"


def doctor(path: str | None, *, as_json: bool, today: date, out: TextIO, err: TextIO,
           environ: Mapping[str, str] | None = None) -> int:
    """The command: a config that won't load is a usage error (exit 2), anything else is a finding."""
    env = dict(os.environ if environ is None else environ)
    source = path or env.get("COACHBOT_CONFIG") or None
    try:
        config = load_config(path, environ=env)
    except ConfigError as exc:
        if as_json:
            out.write(json.dumps([asdict(Check("config", "fail", str(exc)))], indent=2) + "\n")
        err.write(f"{exc}\n")
        return 2
    checks = run_checks(config, source=source, today=today)
    if as_json:
        out.write(json.dumps([asdict(c) for c in checks], indent=2) + "\n")
    else:
        out.write("".join(c.line() + "\n" for c in checks) + summary(checks) + "\n")
    return exit_status(checks)
