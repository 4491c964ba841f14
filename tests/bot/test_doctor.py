"""`coachbot doctor`: each problem an operator can have shows up as the right line and exit status."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.cli import main
from bot.config import (
    SECRET_ENV,
    Config,
    DatabaseConfig,
    SafetyConfig,
    SlackConfig,
    TelegramConfig,
    load_config,
)
from bot.doctor import Check, check_config, check_database, check_services, check_slack, check_telegram, run_checks
from bot.storage.db import alembic_config, open_engine, upgrade
from safety.types import ServiceEntry, Tier
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.telegram_emulator import EmulatorProcess

TODAY = date(2026, 11, 21)
REPO = Path(__file__).resolve().parents[2]
# A directory with a real contact for every tier: in production, doctor fails on a placeholder.
_REAL_SERVICES = (("emergency", "Emergency services", "Call 999"), ("crisis", "Samaritans", "Call 116 123"),
                  ("stress", "Stress Support and Wellbeing service", "Call 01632 960 123"))
SERVICES_TOML = "".join(f'\n[[safety.services]]\ntier = "{tier}"\nname = "{name}"\ncontact = "{contact}"\n'
                        for tier, name, contact in _REAL_SERVICES)
REAL = tuple(ServiceEntry(tier=Tier(tier), name=name, contact=contact) for tier, name, contact in _REAL_SERVICES)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's environment must not leak a config file or a token into these tests."""
    monkeypatch.delenv("COACHBOT_CONFIG", raising=False)
    for variable in SECRET_ENV.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, trust_env=False) as http:
        yield http


def doctor_cli(tmp_path: Path, toml: str | None, *args: str,
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    argv = ["doctor", *args]
    if toml is not None:
        path = tmp_path / "coachbot.toml"
        path.write_text(toml)
        argv = ["--config", str(path), *argv]
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(out: str, status: str, check: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"{status:<4}  {check}: ")]


def sqlite_toml(tmp_path: Path, extra: str = "") -> str:
    return f'[database]\nurl = "sqlite:///{tmp_path / "doctor.db"}"\n{extra}'


# through the command line

def test_defaults_in_a_fresh_directory_are_fine_and_create_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = doctor_cli(tmp_path, None, capsys=capsys)
    assert code == 0, out + err
    assert lines(out, "ok", "config") and "built-in defaults" in out
    assert lines(out, "ok", "database") and "will be created on first run" in out
    assert not [line for line in out.splitlines() if line.startswith("fail")]
    assert out.splitlines()[-1].startswith("doctor: ") and "0 fail" in out.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_an_old_services_directory_warns_with_its_date_but_exits_0(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor_cli(tmp_path, sqlite_toml(tmp_path, '[safety]\nservices_checked = "2025-01-15"\n'
                                                              + SERVICES_TOML), capsys=capsys)
    assert code == 0
    (warning,) = lines(out, "warn", "services")
    assert "2025-01-15" in warning and "update safety.services_checked" in warning


def test_telegram_enabled_without_a_token_fails_with_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor_cli(tmp_path, sqlite_toml(tmp_path, "[telegram]\nenabled = true\n"), capsys=capsys)
    assert code == 1
    (failure,) = lines(out, "fail", "config")
    assert "telegram.token" in failure and "COACHBOT_TELEGRAM_TOKEN" in failure
    assert not lines(out, "fail", "telegram"), "no platform call without a token"


def test_an_unreachable_database_is_a_failed_check_not_a_traceback(
        tmp_path: Path, closed_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://coachbot:secret@127.0.0.1:{closed_port}/coachbot"
    code, out, err = doctor_cli(tmp_path, f'[database]\nurl = "{url}"\n', capsys=capsys)
    assert code == 1
    (failure,) = lines(out, "fail", "database")
    assert f"127.0.0.1:{closed_port}" in failure and "can't connect" in failure
    assert "secret" not in out and "Traceback" not in out + err
    assert lines(out, "ok", "services") or lines(out, "warn", "services"), "the other checks still run"


@pytest.mark.parametrize("toml", ["[database\n", "[telegram]\nenabeld = true\n"])
def test_a_config_file_that_wont_load_exits_2_with_one_line(
        tmp_path: Path, toml: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = doctor_cli(tmp_path, toml, capsys=capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""


def test_a_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(tmp_path / "nope.toml"), "doctor"])
    err = capsys.readouterr().err
    assert code == 2 and "not found" in err and len(err.strip().splitlines()) == 1


def test_json_output_is_a_list_of_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor_cli(tmp_path, sqlite_toml(tmp_path, '[safety]\nservices_checked = "2025-01-15"\n'),
                              "--json", capsys=capsys)
    rows = json.loads(out)
    assert code == 0
    assert all(set(row) == {"check", "status", "detail"} for row in rows)
    assert {row["check"] for row in rows} == {"packages", "config", "database", "services"}
    assert {"check": "services", "status": "warn"}.items() <= next(r for r in rows if r["check"] == "services").items()


def test_json_output_for_a_broken_config_still_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = doctor_cli(tmp_path, "[database\n", "--json", capsys=capsys)
    assert code == 2 and err.strip()
    assert json.loads(out) == [{"check": "config", "status": "fail", "detail": err.strip()}]


# config

def test_slack_needs_the_secret_for_its_mode() -> None:
    socket_mode = Config(slack=SlackConfig(enabled=True, bot_token="xoxb-1"))
    http_mode = Config(slack=SlackConfig(enabled=True, mode="http", bot_token="xoxb-1", app_token="xapp-1"))
    assert [c.detail for c in check_config(socket_mode, source=None) if c.status == "fail"] == [
        "slack is enabled in socket mode but slack.app_token is empty (set it, or COACHBOT_SLACK_APP_TOKEN)"]
    (failure,) = [c for c in check_config(http_mode, source=None) if c.status == "fail"]
    assert "slack.signing_secret" in failure.detail
    complete = Config(slack=SlackConfig(enabled=True, bot_token="xoxb-1", app_token="xapp-1"))
    assert [c.status for c in check_config(complete, source="bot.toml")] == ["ok"]


def test_telegram_webhook_without_secret_or_https_warns() -> None:
    config = Config(telegram=TelegramConfig(enabled=True, token="1:x", mode="webhook",
                                            webhook_url="http://bot.example.org/telegram"))
    warnings = [c.detail for c in check_config(config, source=None) if c.status == "warn"]
    assert len(warnings) == 2
    assert any("https" in w for w in warnings) and any("secret_token" in w for w in warnings)
    good = Config(telegram=TelegramConfig(enabled=True, token="1:x", mode="webhook", secret_token="s",
                                          webhook_url="https://bot.example.org/telegram"))
    assert [c.status for c in check_config(good, source=None)] == ["ok"]


def test_no_transport_at_all_warns() -> None:
    config = Config.model_validate({"console": {"enabled": False}})
    assert [c.status for c in check_config(config, source=None)] == ["ok", "warn"]


# database

def test_sqlite_pending_migrations_warn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    pending = len(list(ScriptDirectory.from_config(cfg).iterate_revisions("heads", "0001")))
    check = check_database(url)
    assert check.status == "warn"
    assert f"{pending} migration" in check.detail and "coachbot db upgrade" in check.detail


def test_sqlite_at_head_is_ok(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    engine.dispose()
    check = check_database(db_url)
    assert check.status == "ok" and "up to date" in check.detail


def test_a_database_from_a_newer_version_fails_clearly(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    check = check_database(db_url)
    assert check.status == "fail" and "revision 9999" in check.detail and "doesn't know" in check.detail


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    check = check_database(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'new.db'}")
    assert check.status == "ok" and "created on first run" in check.detail
    assert list(tmp_path.iterdir()) == []


def test_sqlite_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    check = check_database(f"sqlite:///{tmp_path / 'plain' / 'new.db'}")
    assert check.status == "fail" and "not a directory" in check.detail


def test_a_file_that_is_not_a_database_fails(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_text("this is not SQLite" * 100)
    check = check_database(f"sqlite:///{tmp_path / 'junk.db'}")
    assert check.status == "fail" and "can't connect" in check.detail


# services directory

def test_services_checked_in_the_future_warns() -> None:
    (check,) = check_services(SafetyConfig(services_checked=date(2027, 3, 1), services=REAL), today=TODAY)
    assert check.status == "warn" and "in the future" in check.detail


def test_services_within_six_months_are_ok() -> None:
    (check,) = check_services(SafetyConfig(services_checked=date(2026, 5, 22), services=REAL), today=TODAY)
    assert check.status == "ok"
    (check,) = check_services(SafetyConfig(services_checked=date(2026, 5, 21), services=REAL), today=TODAY)
    assert check.status == "warn" and "2026-05-21" in check.detail


def test_a_routed_tier_without_a_service_warns() -> None:
    only_crisis = (ServiceEntry(tier=Tier.CRISIS, name="Samaritans", contact="116 123"),)
    (check,) = check_services(SafetyConfig(services_checked=TODAY, services=only_crisis), today=TODAY)
    assert check.status == "warn" and "stress, emergency" in check.detail


@pytest.mark.parametrize("contact", ["REPLACE WITH YOUR SERVICE'S PHONE NUMBER AND EMAIL", "TBC",
                                     "Ask your coaching service for the contact details (the operator sets them)"])
def test_a_placeholder_contact_warns_in_development_and_fails_in_production(contact: str) -> None:
    services = (*REAL[:2], ServiceEntry(tier=Tier.STRESS, name="Stress Support and Wellbeing service", contact=contact))
    safety = SafetyConfig(services_checked=TODAY, services=services)
    (check,) = check_services(safety, today=TODAY)
    assert check.status == "warn" and "Stress Support and Wellbeing service" in check.detail
    (check,) = check_services(safety, today=TODAY, production=True)
    assert check.status == "fail"
    # the example config, as shipped, is not ready for production
    example = load_config(REPO / "config.example.toml", environ={})
    assert any(c.status == "fail" for c in check_services(example.safety, today=example.safety.services_checked,
                                                          production=True))


# transports

def test_telegram_reachable_with_a_valid_token(telegram_emulator: EmulatorProcess, tg_token: str,
                                               client: httpx.Client) -> None:
    telegram = TelegramConfig(enabled=True, token=tg_token, base_url=telegram_emulator.base_url)
    assert check_telegram(telegram, client) == Check("telegram", "ok", "reached as @TestNameBot")


def test_telegram_through_the_cli_against_the_emulator(
        tmp_path: Path, telegram_emulator: EmulatorProcess, tg_token: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACHBOT_TELEGRAM_TOKEN", tg_token)
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    toml = sqlite_toml(tmp_path, f'[telegram]\nenabled = true\nbase_url = "{telegram_emulator.base_url}"\n')
    code, out, _ = doctor_cli(tmp_path, toml, capsys=capsys)
    assert code == 0, out
    assert lines(out, "ok", "telegram") == ["ok    telegram: reached as @TestNameBot"]
    assert tg_token not in out


def test_telegram_unreachable_says_so(closed_port: int, client: httpx.Client) -> None:
    telegram = TelegramConfig(enabled=True, token="1:x", base_url=f"http://127.0.0.1:{closed_port}/bot")
    check = check_telegram(telegram, client)
    assert check.status == "fail"
    assert check.detail.startswith(f"can't reach 127.0.0.1:{closed_port}: ") and "token was not checked" in check.detail


def test_telegram_rejected_token_is_not_called_unreachable() -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/bot1:bad/getMe"
        return httpx.Response(401, json={"ok": False, "error_code": 401, "description": "Unauthorized"})

    with httpx.Client(transport=httpx.MockTransport(platform)) as http:
        check = check_telegram(TelegramConfig(enabled=True, token="1:bad"), http)
    assert check == Check("telegram", "fail", "token rejected (401 Unauthorized): check telegram.token")


def test_slack_valid_bot_token_and_unverifiable_app_token(fake_slack: FakeSlack, client: httpx.Client) -> None:
    slack = SlackConfig(enabled=True, bot_token="xoxb-1", app_token="xapp-1", api_base_url=fake_slack.base_url)
    fake_slack.error_next("apps.connections.open", "unknown_method")  # an API that can't check app tokens
    bot, app = check_slack(slack, client)
    assert bot.status == "ok" and "'Fake Team'" in bot.detail
    assert app.status == "warn" and "couldn't verify the app token" in app.detail
    assert [c.token for c in fake_slack.calls] == ["xoxb-1", "xapp-1"]


def test_slack_app_token_accepted_or_rejected(fake_slack: FakeSlack, client: httpx.Client) -> None:
    slack = SlackConfig(enabled=True, bot_token="xoxb-1", app_token="xapp-1", api_base_url=fake_slack.base_url)
    fake_slack.set_response("apps.connections.open", {"ok": True, "url": "wss://example.invalid/link"})
    assert [c.status for c in check_slack(slack, client)] == ["ok", "ok"]
    fake_slack.set_response("apps.connections.open", {"ok": False, "error": "invalid_auth"})
    _bot, app = check_slack(slack, client)
    assert app.status == "fail" and "app token rejected (invalid_auth)" in app.detail


def test_slack_invalid_bot_token(client: httpx.Client) -> None:
    with FakeSlack(token="xoxb-right") as fake:
        slack = SlackConfig(enabled=True, mode="http", bot_token="xoxb-wrong", signing_secret="s",
                            api_base_url=fake.base_url)
        (check,) = check_slack(slack, client)
    assert check == Check("slack", "fail", "bot token rejected (invalid_auth): check slack.bot_token")


def test_slack_unreachable(closed_port: int, client: httpx.Client) -> None:
    slack = SlackConfig(enabled=True, bot_token="xoxb-1", app_token="xapp-1",
                        api_base_url=f"http://127.0.0.1:{closed_port}/api/")
    (check,) = check_slack(slack, client)
    assert check.status == "fail" and check.detail.startswith(f"can't reach 127.0.0.1:{closed_port}")


def test_run_checks_only_calls_enabled_transports(db_url: str, fake_slack: FakeSlack, client: httpx.Client) -> None:
    config = Config(database=DatabaseConfig(url=db_url),
                    slack=SlackConfig(enabled=False, bot_token="xoxb-1", api_base_url=fake_slack.base_url))
    checks = run_checks(config, source=None, today=TODAY, client=client)
    assert [c.check for c in checks] == ["packages", "config", "database", "services"]
    assert fake_slack.calls == []


# encryption at rest

def test_production_without_an_encryption_key_warns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    production = sqlite_toml(tmp_path, '[security]\nenvironment = "production"\ngenerate_key = false\n' + SERVICES_TOML)
    code, out, _ = doctor_cli(tmp_path, production, capsys=capsys)
    assert code == 0, "a warning, not a failure"
    (warning,) = lines(out, "warn", "config")
    assert "encryption at rest is off in production" in warning and "security.encryption_keys" in warning
    assert "COACHBOT_ENCRYPTION_KEYS" in warning

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("COACHBOT_ENCRYPTION_KEYS", key)
    code, out, _ = doctor_cli(tmp_path, production, capsys=capsys)
    assert code == 0 and not lines(out, "warn", "config")
    assert "production, encryption at rest on (1 key)" in lines(out, "ok", "config")[0]
    assert key not in out

    monkeypatch.delenv("COACHBOT_ENCRYPTION_KEYS")
    code, out, _ = doctor_cli(tmp_path, sqlite_toml(tmp_path, '[security]\ngenerate_key = false\n'), capsys=capsys)
    assert code == 0 and not lines(out, "warn", "config"), "the demo needs no key"
    assert "development, encryption at rest off" in lines(out, "ok", "config")[0]


def test_the_generated_key_is_named_with_a_warning_that_losing_it_loses_the_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor_cli(tmp_path, sqlite_toml(tmp_path), capsys=capsys)
    (ok,) = lines(out, "ok", "config")
    assert code == 0 and not lines(out, "warn", "config")
    assert "encryption at rest on, with the key generated in" in ok and ".db.key" in ok and "loses the data" in ok
    production = sqlite_toml(tmp_path, '[security]\nenvironment = "production"\n' + SERVICES_TOML)
    code, out, _ = doctor_cli(tmp_path, production, capsys=capsys)
    (warning,) = lines(out, "warn", "config")
    assert code == 0 and ".db.key" in warning and "losing it loses the data" in warning
    assert "encryption at rest is off" not in out
    assert not list(tmp_path.glob("*.key")), "doctor looks; it doesn't make a key"
