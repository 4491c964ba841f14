"""Config: defaults with no file, the example file is valid, and errors are one clear line with exit 2."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, HttpConfig, WebConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_means_the_built_in_defaults() -> None:
    config = load_config(None, environ={})
    assert config.database.url == "sqlite:///coachbot.db"
    assert config.console.enabled and not config.telegram.enabled
    assert config.schedule.checkin_every.days == 7


def test_the_example_file_is_valid_and_documents_the_defaults() -> None:
    example = load_config(ROOT / "config.example.toml", environ={})
    defaults = load_config(None, environ={})
    assert example.telegram == defaults.telegram.model_copy(update={"bot_username": ""})
    assert example.schedule == defaults.schedule
    assert example.http == defaults.http == HttpConfig(enabled=True, listen="127.0.0.1", port=8080,
                                                       outbox_stuck_after=timedelta(minutes=5))
    assert {s.name for s in example.safety.services} == {s.name for s in defaults.safety.services}
    assert example.web == defaults.web == WebConfig(enabled=True, public_url="", session_idle=timedelta(minutes=30))


def test_the_web_views_idle_time_and_address_read_as_documented(tmp_path: Path) -> None:
    file = tmp_path / "web.toml"
    file.write_text('[web]\npublic_url = "https://coach.example.org/"\nsession_idle = "PT45M"\n', encoding="utf-8")
    config = load_config(file, environ={})
    assert config.web.public_url == "https://coach.example.org" and config.web.session_idle == timedelta(minutes=45)
    assert load_config(None, environ={"COACHBOT_WEB__SESSION_IDLE": "600"}).web.session_idle == timedelta(minutes=10)
    for bad in ('session_idle = "soon"', 'session_idle = 0', 'public_url = "coach.example.org"'):
        file.write_text(f"[web]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"^config error: web\.(session_idle|public_url): "):
            load_config(file, environ={})


def test_secrets_come_from_the_environment() -> None:
    config = load_config(None, environ={"COACHBOT_TELEGRAM_TOKEN": "123:abc"})
    assert config.telegram.token == "123:abc"


@pytest.mark.parametrize(("content", "message"), [
    ('[telegram]\nmode = "carrier-pigeon"\n', "config error: telegram.mode: Input should be 'polling' or 'webhook'"),
    ('[schedule]\ncheckin_every = "weekly"\n', "config error: schedule.checkin_every: 'weekly' is not an ISO 8601"),
    ('[schedule]\ndefault_timezone = "Mars/Olympus"\n', "config error: schedule.default_timezone: 'Mars/Olympus'"),
    ('[databse]\nurl = "x"\n', "config error: databse: unknown key"),
    ('[http]\noutbox_stuck_after = "soon"\n', "config error: http.outbox_stuck_after: 'soon' is not an ISO 8601"),
    ('[database]\nurl = "mysql://x"\n', "config error: database.url: must be a sqlite"),
    ("[telegram\n", "is not valid TOML"),
    ("[safety]\nmodel_threads = 0\n", "config error: safety.model_threads"),
])
def test_config_errors_give_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError):
        load_config(path, environ={})
    assert main(["--config", str(path), "coach", "list"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_missing_config_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "/nonexistent/coachbot.toml", "coach", "list"]) == 2
    assert "not found" in capsys.readouterr().err
