"""Where config values come from besides the TOML file: every key from the environment as COACHBOT_SECTION__KEY,
and from a secrets directory (files named coachbot_section__key), read by pydantic-settings' own sources. Each
value keeps a note of its source, so a bad one is named by the variable or file it came from.

Precedence, highest first: environment > secrets directory > TOML file > built-in defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from pydantic_settings.sources import EnvSettingsSource, NestedSecretsSettingsSource, SecretsSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

__all__ = ["DELIMITER", "PREFIX", "SECRETS_DIR", "SECRETS_DIR_ENV", "Layer", "SourceError", "from_secrets_dir",
           "from_variables", "merged"]

PREFIX = "COACHBOT_"
DELIMITER = "__"
SECRETS_DIR_ENV = "COACHBOT_SECRETS_DIR"
SECRETS_DIR = Path("/run/secrets")


class SourceError(Exception):
    """A source that could not be read at all, phrased as the operator's one line."""


@dataclass(frozen=True)
class Layer:
    """One source's values, section by section, and a phrase naming where each (section,) or (section, key) came
    from: 'the environment variable COACHBOT_HTTP__PORT'."""

    values: dict[str, Any]
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_nested_delimiter=DELIMITER, case_sensitive=False,
                                      env_ignore_empty=True, extra="ignore")


@cache
def _settings_class(model: type[BaseModel]) -> type[BaseSettings]:
    """The config's sections as a settings class: pydantic-settings' sources read fields from one."""
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in model.model_fields.items()}
    return create_model(f"{model.__name__}Settings", __base__=_Settings, **fields)


class _Variables(EnvSettingsSource):
    """pydantic-settings' reading of COACHBOT_SECTION__KEY, from the mapping given rather than os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, str]) -> None:
        self._given = dict(variables)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._given, case_sensitive=False, ignore_empty=True)


def _read(model: type[BaseModel], variables: Mapping[str, str], describe: str) -> dict[str, Any]:
    settings = _settings_class(model)
    try:
        return _Variables(settings, variables)()
    except SettingsError:
        for name, value in variables.items():  # which one: each alone, to name it
            try:
                _Variables(settings, {name: value})()
            except SettingsError:
                raise SourceError(f"config error: {describe.format(name=name)} is not valid JSON (a list, or a "
                                  "list of tables such as [[safety.services]], is given as JSON)") from None
        raise SourceError(f"config error: {describe.format(name='a value')} can't be read") from None


def _origins(values: dict[str, Any], names: Sequence[str], describe: str) -> dict[tuple[str, ...], str]:
    """For each section and key read, the variable (or file) it came from: SECTION__KEY, else the whole SECTION."""
    by_lower = {name.lower(): name for name in names}
    origins: dict[tuple[str, ...], str] = {}
    for section, block in values.items():
        whole = by_lower.get(f"{PREFIX}{section}".lower())
        keys = block if isinstance(block, dict) else {}
        for key in keys:
            name = by_lower.get(f"{PREFIX}{section}{DELIMITER}{key}".lower(), whole)
            if name is not None:
                origins[(section, key)] = describe.format(name=name)
                origins.setdefault((section,), describe.format(name=name))
        if whole is not None:
            origins[(section,)] = describe.format(name=whole)
    return origins


def from_variables(model: type[BaseModel], environ: Mapping[str, str]) -> Layer:
    """Every COACHBOT_SECTION__KEY (or a whole COACHBOT_SECTION as a JSON table) in the environment."""
    ours = {name: value for name, value in environ.items() if name.upper().startswith(PREFIX)}
    describe = "the environment variable {name}"
    values = _read(model, ours, describe)
    return Layer(values, _origins(values, list(ours), describe))


def from_secrets_dir(model: type[BaseModel], directory: Path) -> Layer:
    """Files named coachbot_section__key (any case) in the secrets directory, each holding one value; a missing
    directory is no secrets at all."""
    settings = _settings_class(model)
    try:
        source = NestedSecretsSettingsSource(SecretsSettingsSource(settings), secrets_dir=directory,
                                             secrets_dir_missing="ok", secrets_prefix=PREFIX.lower(),
                                             secrets_nested_delimiter=DELIMITER)
    except SettingsError as exc:
        raise SourceError(f"config error: the secrets directory {str(directory)!r} can't be used: {exc}") from None
    except OSError as exc:
        raise SourceError(f"config error: the secrets directory {str(directory)!r} can't be read: "
                          f"{exc.strerror}") from None
    files = {name: value for name, value in source.env_vars.items() if value is not None}
    describe = "the secrets file " + str(directory / "{name}")
    values = _read(model, files, describe)
    return Layer(values, _origins(values, list(files), describe))


def merged(layers: Sequence[Layer]) -> Layer:
    """The layers laid over each other, lowest first: a later layer's key replaces an earlier one's, and the rest
    of each section is kept."""
    values: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    for layer in layers:
        for section, block in layer.values.items():
            below = values.get(section)
            if isinstance(block, dict) and isinstance(below, dict):
                values[section] = {**below, **block}
            else:
                values[section] = dict(block) if isinstance(block, dict) else block
        origins.update(layer.origins)
    return Layer(values, origins)
