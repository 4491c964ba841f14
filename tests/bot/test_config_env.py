"""Config from the environment and a secrets directory: every key as COACHBOT_SECTION__KEY, the precedence of the
sources, a bad value named by where it came from, and the older secret variables still working."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from bot.cli import main
from bot.config import SECRET_ENV, Config, ConfigError, load_config


def _keys(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], FieldInfo]]:
    """Every leaf key of the config, found by walking the model, so a section added later is covered too."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _keys(annotation, (*path, name))
        else:
            yield (*path, name), info


def _candidates(info: FieldInfo) -> list[object]:
    """Values of the field's type unlike its default, most likely first; the first the model accepts is used."""
    default, annotation = info.default, info.annotation
    if typing.get_origin(annotation) is typing.Literal:
        return [choice for choice in typing.get_args(annotation) if choice != default]
    if annotation is bool:
        return [str(not default).lower()]
    if annotation is int:
        return [str(int(default) + 1), str(int(default) - 1)]
    if annotation is float:
        return [str(float(default) + 1.5)]
    if annotation is str:
        return [f"{default}-from-env", "Europe/Paris", "sqlite:///from-env.db", "from-env", "https://from-env.example"]
    if annotation is timedelta:
        return [f"P{default.days + 1}D", f"PT{int(default.total_seconds()) + 3600}S"]
    if annotation is time:
        return [f"{(default.hour + 1) % 24:02d}:{default.minute:02d}"]
    if annotation is date:
        return [(default + timedelta(days=1)).isoformat()]
    if typing.get_origin(annotation) is tuple:
        (item, _) = typing.get_args(annotation)
        if item is SecretStr:
            return [json.dumps([Fernet.generate_key().decode("ascii")])]
        if default:
            return [json.dumps([entry.model_dump(mode="json") for entry in reversed(default)]),
                    json.dumps([default[0].model_dump(mode="json")] * 2)]
    raise AssertionError(f"no test value for a {annotation}: teach _candidates this type")


def _section_of(path: tuple[str, ...]) -> type[BaseModel]:
    model: type[BaseModel] = Config
    for part in path[:-1]:
        annotation = model.model_fields[part].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation
    return model


def _value_for(path: tuple[str, ...], info: FieldInfo) -> tuple[str, object]:
    """A valid non-default value as the environment gives it, and what the model makes of it."""
    section = _section_of(path)
    for candidate in _candidates(info):
        raw = candidate if isinstance(candidate, str) else str(candidate)
        try:
            parsed = getattr(section.model_validate({path[-1]: json.loads(raw) if raw.startswith("[") else raw}),
                             path[-1])
        except ValidationError:
            continue
        if parsed != info.default:
            return raw, parsed
    raise AssertionError(f"no valid non-default value found for {'.'.join(path)}")


EVERY_KEY = list(_keys(Config))


def _variable(path: tuple[str, ...]) -> str:
    return "COACHBOT_" + "__".join(part.upper() for part in path)


def test_the_walk_finds_every_section_and_key() -> None:
    found = {".".join(path) for path, _ in EVERY_KEY}
    sections = {name for name, info in Config.model_fields.items()
                if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)}
    assert {path[0] for path, _ in EVERY_KEY} == sections
    assert {"schedule.checkin_every", "telegram.port", "safety.services", "logging.format",
            "security.encryption_keys", "database.url"} <= found


@pytest.mark.parametrize(("path", "info"), EVERY_KEY, ids=[".".join(path) for path, _ in EVERY_KEY])
def test_every_config_key_can_be_set_from_the_environment(path: tuple[str, ...], info: FieldInfo) -> None:
    raw, expected = _value_for(path, info)
    config = load_config(None, environ={_variable(path): raw})
    value: object = config
    for part in path:
        value = getattr(value, part)
    assert value == expected
    assert value != info.default


def test_every_key_set_at_once_is_read_back() -> None:
    wanted = {path: _value_for(path, info) for path, info in EVERY_KEY}
    config = load_config(None, environ={_variable(path): raw for path, (raw, _) in wanted.items()})
    for path, (_, expected) in wanted.items():
        value: object = config
        for part in path:
            value = getattr(value, part)
        assert value == expected, ".".join(path)


def test_variable_names_are_not_case_sensitive_and_a_whole_section_may_come_as_json() -> None:
    config = load_config(None, environ={"coachbot_telegram__port": "9090", "COACHBOT_SLACK": '{"port": 3100}'})
    assert config.telegram.port == 9090
    assert config.slack.port == 3100


def test_a_list_of_tables_comes_as_json() -> None:
    services = [{"tier": "crisis", "name": "Samaritans", "contact": "Call 116 123"},
                {"tier": "emergency", "name": "Emergency services", "contact": "Call 999"}]
    config = load_config(None, environ={"COACHBOT_SAFETY__SERVICES": json.dumps(services)})
    assert [(s.tier.value, s.name) for s in config.safety.services] == [("crisis", "Samaritans"),
                                                                         ("emergency", "Emergency services")]


def _secret(directory: Path, name: str, value: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(value + "\n", encoding="utf-8")


def test_secrets_come_from_files_in_the_secrets_directory(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    _secret(secrets, "coachbot_telegram__token", "123:from-file")
    _secret(secrets, "COACHBOT_SLACK__BOT_TOKEN", "xoxb-from-file")
    _secret(secrets, "someone_elses_secret", "not ours")
    config = load_config(None, environ={"COACHBOT_SECRETS_DIR": str(secrets)})
    assert config.telegram.token == "123:from-file"  # the trailing newline of the file is not part of it
    assert config.slack.bot_token == "xoxb-from-file"


def test_a_missing_secrets_directory_is_no_secrets(tmp_path: Path) -> None:
    config = load_config(None, environ={"COACHBOT_SECRETS_DIR": str(tmp_path / "absent")})
    assert config.telegram.token == ""


def test_precedence_environment_then_secrets_then_file_then_defaults(tmp_path: Path) -> None:
    secrets, file = tmp_path / "secrets", tmp_path / "coachbot.toml"
    file.write_text('[telegram]\nport = 1001\nbase_url = "http://127.0.0.1:1/bot"\n', encoding="utf-8")
    _secret(secrets, "coachbot_telegram__port", "1002")
    env = {"COACHBOT_SECRETS_DIR": str(secrets), "COACHBOT_TELEGRAM__PORT": "1003"}

    assert load_config(file, environ=env).telegram.port == 1003
    del env["COACHBOT_TELEGRAM__PORT"]
    assert load_config(file, environ=env).telegram.port == 1002
    (secrets / "coachbot_telegram__port").unlink()
    config = load_config(file, environ=env)
    assert config.telegram.port == 1001
    assert config.telegram.base_url == "http://127.0.0.1:1/bot"  # the rest of the file's section is kept
    assert load_config(None, environ=env).telegram.port == 8443


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    file = tmp_path / "coachbot.toml"
    file.write_text("[telegram]\nport = 1001\n", encoding="utf-8")
    assert load_config(file, environ={"COACHBOT_TELEGRAM__PORT": ""}).telegram.port == 1001


@pytest.mark.parametrize(("environ", "message"), [
    ({"COACHBOT_SCHEDULE__CHECKIN_EVERY": "weekly"},
     "config error: schedule.checkin_every: 'weekly' is not an ISO 8601 duration"),
    ({"COACHBOT_TELEGRAM__PORT": "eighty"}, "config error: telegram.port: Input should be a valid integer"),
    ({"COACHBOT_SAFETY__SERVICES": "[{not json"}, "config error: the environment variable COACHBOT_SAFETY__SERVICES "
                                                  "is not valid JSON"),
    ({"COACHBOT_SCHEDULE__CHECKIN_EVRY": "P1D"}, "config error: schedule.checkin_evry: unknown key"),
    ({"COACHBOT_LOG_FORMAT": "xml"}, "config error: logging.format: Input should be 'text' or 'json'"),
])
def test_a_bad_value_in_the_environment_names_its_variable(
    environ: dict[str, str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ=environ)
    (variable,) = environ
    assert str(caught.value).startswith(message)
    assert variable in str(caught.value)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COACHBOT_CONFIG", raising=False)
    assert main(["coach", "list"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [str(caught.value)]


def test_a_bad_value_in_a_secrets_file_names_the_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    _secret(secrets, "coachbot_security__encryption_keys", '["not-a-fernet-key"]')
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"COACHBOT_SECRETS_DIR": str(secrets)})
    assert str(caught.value).startswith("config error: security.encryption_keys: key 1 is not a Fernet key")
    assert str(secrets / "coachbot_security__encryption_keys") in str(caught.value)
    assert "not-a-fernet-key" not in str(caught.value)  # a key, even a broken one, is never echoed


def test_a_bad_value_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    file = tmp_path / "coachbot.toml"
    file.write_text("[groups]\nmin_members = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file, environ={"COACHBOT_TELEGRAM__PORT": "1"})
    assert str(caught.value) == (f"config error: groups.min_members: a peer group needs at least 2 members "
                                 f"(from the config file {str(file)!r}, [groups] min_members)")


def test_a_secrets_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"the secrets directory .* can.t be used"):
        load_config(None, environ={"COACHBOT_SECRETS_DIR": str(path)})


def test_the_older_secret_variables_still_work() -> None:
    key = Fernet.generate_key().decode("ascii")
    older = Fernet.generate_key().decode("ascii")
    values = {"COACHBOT_TELEGRAM_TOKEN": "123:abc", "COACHBOT_TELEGRAM_SECRET_TOKEN": "hook-secret",
              "COACHBOT_SLACK_BOT_TOKEN": "xoxb-1", "COACHBOT_SLACK_APP_TOKEN": "xapp-1",
              "COACHBOT_SLACK_SIGNING_SECRET": "signing", "COACHBOT_DATABASE_URL": "sqlite:///older.db",
              "COACHBOT_ENCRYPTION_KEYS": f"{key}, {older}"}
    assert set(values) == set(SECRET_ENV.values())
    config = load_config(None, environ=values)
    assert (config.telegram.token, config.telegram.secret_token) == ("123:abc", "hook-secret")
    assert (config.slack.bot_token, config.slack.app_token, config.slack.signing_secret) == ("xoxb-1", "xapp-1",
                                                                                            "signing")
    assert config.database.url == "sqlite:///older.db"
    assert [k.get_secret_value() for k in config.security.encryption_keys] == [key, older]


def test_the_section_key_form_wins_over_an_older_name_and_the_older_beats_the_file(tmp_path: Path) -> None:
    file = tmp_path / "coachbot.toml"
    file.write_text('[telegram]\ntoken = "from-file"\n', encoding="utf-8")
    assert load_config(file, environ={"COACHBOT_TELEGRAM_TOKEN": "older"}).telegram.token == "older"
    both = {"COACHBOT_TELEGRAM_TOKEN": "older", "COACHBOT_TELEGRAM__TOKEN": "newer"}
    assert load_config(file, environ=both).telegram.token == "newer"


def test_the_log_aliases_set_the_logging_keys() -> None:
    config = load_config(None, environ={"COACHBOT_LOG_FORMAT": "JSON", "COACHBOT_LOG_LEVEL": "debug"})
    assert (config.logging.format, config.logging.level) == ("json", "DEBUG")
    both = {"COACHBOT_LOG_FORMAT": "json", "COACHBOT_LOGGING__FORMAT": "text"}
    assert load_config(None, environ=both).logging.format == "text"


def test_coachbot_config_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "coachbot.toml"
    file.write_text('[schedule]\ncheckin_every = "P14D"\n', encoding="utf-8")
    config = load_config(None, environ={"COACHBOT_CONFIG": str(file), "COACHBOT_SCHEDULE__CHECKIN_TIME": "09:30"})
    assert config.schedule.checkin_every == timedelta(days=14)
    assert config.schedule.checkin_time == time(9, 30)
