"""The deployment files (deploy/) run what they say and agree with the code.

No Docker engine or systemd is needed: the Dockerfile's CMD and the unit's ExecStartPre/ExecStart are parsed out of
the files and run as they are, their paths mapped into a temporary directory, against a real SQLite file and a
Slack platform (the fake Slack Web API on 127.0.0.1), then stopped with SIGTERM as `docker stop` and systemd do.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from bot.config import Config, load_config
from bot.storage.keyfile import key_file_for, sqlite_file
from tests.e2e.test_slack_e2e import BOT_TOKEN, EVENTS_PATH, SIGNING_SECRET, clean_env, free_port, wait_until
from tests.transports.helpers.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
STOP_WAIT = 30.0


def http_defaults() -> tuple[str, int]:
    """The [http] server's default address, from the config model."""
    default = Config().http
    return default.listen, default.port


# --- parsing the files

@dataclass(frozen=True)
class Dockerfile:
    instructions: list[tuple[str, str]]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        lines: list[tuple[str, str]] = []
        pending = ""
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            pending += raw.rstrip().removesuffix("\\") + " " if raw.rstrip().endswith("\\") else raw.strip()
            if not raw.rstrip().endswith("\\"):
                word, _, rest = pending.strip().partition(" ")
                lines.append((word.upper(), rest.strip()))
                pending = ""
        return cls(lines)

    def all(self, word: str) -> list[str]:
        return [rest for name, rest in self.instructions if name == word]

    def last(self, word: str) -> str:
        found = self.all(word)
        assert found, f"no {word} in the Dockerfile"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for rest in self.all("ENV"):
            for part in shlex.split(rest):
                key, _, value = part.partition("=")
                values[key] = value
        return values

    def exec_form(self, word: str) -> list[str]:
        value = json.loads(self.last(word))
        assert isinstance(value, list) and all(isinstance(part, str) for part in value), f"{word} not in exec form"
        return value

    def healthcheck(self) -> list[str]:
        _, _, command = self.last("HEALTHCHECK").partition("CMD ")
        value = json.loads(command)
        assert isinstance(value, list)
        return [str(part) for part in value]


def read_unit(path: Path) -> dict[str, list[str]]:
    """A systemd unit's [Service] settings; a key given twice (Environment=) keeps every value, in order."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


DOCKER = Dockerfile.read(DEPLOY / "Dockerfile")
UNIT = read_unit(DEPLOY / "coachbot.service")


def unit_one(key: str) -> str:
    values = UNIT.get(f"Service.{key}", [])
    assert len(values) == 1, f"{key}= given {len(values)} times in the unit"
    return values[0]


def unit_env() -> dict[str, str]:
    return dict(value.partition("=")[::2] for value in UNIT.get("Service.Environment", []))


def compose() -> dict[str, object]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# --- the files agree with the code

def test_the_image_keeps_the_database_and_its_key_in_its_volume_as_a_user_of_its_own() -> None:
    volume = Path(json.loads(DOCKER.last("VOLUME"))[0])
    config = load_config(environ=DOCKER.env())
    database = sqlite_file(config.database.url)
    key = key_file_for(config.database.url)
    assert database is not None and key is not None
    assert database.parent == volume and key.parent == volume
    assert Path(DOCKER.last("WORKDIR")) == volume  # a relative sqlite:///coachbot.db lands there too
    assert DOCKER.last("USER") not in ("", "root", "0")
    assert any(f"--home-dir {volume}" in run and f"-d {volume}" in run for run in DOCKER.all("RUN"))


def test_the_image_exposes_and_checks_the_http_servers_port_and_health_path() -> None:
    _, port = http_defaults()
    env = DOCKER.env()
    assert int(env["COACHBOT_HTTP__PORT"]) == port
    assert DOCKER.last("EXPOSE") == str(port)
    check = DOCKER.healthcheck()
    copied = [rest.split() for rest in DOCKER.all("COPY") if rest.startswith("deploy/healthcheck.py")]
    assert copied and copied[0][1] in check
    script = _healthcheck_module()
    assert port == script.DEFAULT_PORT and script.PATH == "/healthz"
    assert "curl" not in DOCKER.last("HEALTHCHECK")


def test_the_unit_is_hardened_and_keeps_its_state_in_its_state_directory() -> None:
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "true", "ProtectHome": "true",
                       "PrivateTmp": "true", "PrivateDevices": "true", "RestrictSUIDSGID": "true"}.items():
        assert unit_one(key) == value, key
    assert unit_one("CapabilityBoundingSet") == ""
    state = Path("/var/lib") / unit_one("StateDirectory")
    url = load_config(environ=unit_env()).database.url
    database, key = sqlite_file(url), key_file_for(url)
    assert database is not None and key is not None
    assert database.parent == state and key.parent == state  # ProtectSystem=strict: only the state dir is writable
    assert Path(unit_one("WorkingDirectory")) == state
    assert unit_one("ExecStart").split()[1:] == ["run"]
    assert unit_one("ExecStartPre").split()[1:] == ["db", "upgrade"]
    assert "2" in unit_one("RestartPreventExitStatus").split()  # a config error is not mended by restarting


def test_compose_runs_two_workers_on_one_postgresql_after_one_migration() -> None:
    spec = compose()
    services = spec["services"]
    assert isinstance(services, dict)
    workers = {name: service for name, service in services.items() if name.startswith("worker-")}
    assert len(workers) == 2
    _, port = http_defaults()
    for service in workers.values():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "command" not in service  # the image's CMD: `coachbot run`
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "coachbot_database__url" in service["secrets"]
        assert service["environment"]["COACHBOT_HTTP__PORT"] == str(port)
        assert [mapping.rsplit(":", 1)[1] for mapping in service["ports"]] == [str(port)]
    published = [mapping.rsplit(":", 1)[0] for service in workers.values() for mapping in service["ports"]]
    assert len(set(published)) == 2
    assert services["migrate"]["command"] == ["coachbot", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["image"].startswith("postgres:")
    declared = set(spec["secrets"])
    used = {name for service in services.values() for name in service.get("secrets", [])}
    assert used <= declared


# --- the health check script, against a real HTTP server

def _healthcheck_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def health_server() -> Iterator[tuple[int, list[int]]]:
    """/healthz answers the first status in the list; any other path is 404."""
    answer = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer[0] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], answer
    server.shutdown()
    server.server_close()


def run_healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py")], capture_output=True, text=True,
                          env=clean_env(COACHBOT_HTTP__PORT=str(port)), timeout=STOP_WAIT, check=False)


def test_the_health_check_passes_on_200_and_fails_on_an_error_or_no_server(
    health_server: tuple[int, list[int]]
) -> None:
    port, answer = health_server
    assert run_healthcheck(port).returncode == 0
    answer[0] = 503
    failed = run_healthcheck(port)
    assert failed.returncode == 1 and "503" in failed.stderr
    closed = free_port()
    refused = run_healthcheck(closed)
    assert refused.returncode == 1 and f"127.0.0.1:{closed}/healthz" in refused.stderr


# --- the commands in the files, run

def mapped(command: list[str], paths: dict[str, Path]) -> list[str]:
    """A command from a deploy file with its install and state paths moved to this test's."""
    out = []
    for part in command:
        for old, new in paths.items():
            part = part.replace(old, str(new))
        out.append(str(BIN / part) if part == "coachbot" else part)
    return out


def platform_config(path: Path, fake: FakeSlack, port: int) -> Path:
    """Slack over HTTP against the fake Web API; no database here: the deploy file's environment sets it."""
    path.write_text(
        "[console]\nenabled = false\n\n"
        f"[slack]\nenabled = true\nmode = \"http\"\nbot_token = {json.dumps(BOT_TOKEN)}\n"
        f"signing_secret = {json.dumps(SIGNING_SECRET)}\napi_base_url = {json.dumps(fake.base_url)}\n"
        f"listen = \"127.0.0.1\"\nport = {port}\npath = {json.dumps(EVENTS_PATH)}\n", encoding="utf-8")
    return path


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def run_until_sigterm(command: list[str], *, env: dict[str, str], cwd: Path, slack_port: int, http_port: int,
                      log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   cwd=cwd, env=env)

    def ready() -> bool:
        assert process.poll() is None, log.read_text(errors="replace")
        return listening(slack_port)

    try:
        wait_until(ready, "coachbot run to listen for Slack")
        # `coachbot run` serves [http]: the image's health check must pass against it.
        wait_until(lambda: run_healthcheck(http_port).returncode == 0, "/healthz to answer 200")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_WAIT) == 0, log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace")
    return process


def assert_private_state(state: Path) -> None:
    database, key = state / "coachbot.db", state / "coachbot.db.key"
    assert database.stat().st_size > 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_the_images_cmd_starts_on_its_volume_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    slack_port, http_port = free_port(), free_port()
    env = {key: value.replace("/var/lib/coachbot", str(volume)) for key, value in DOCKER.env().items()}
    env |= {"COACHBOT_HTTP__LISTEN": "127.0.0.1", "COACHBOT_HTTP__PORT": str(http_port)}  # not 0.0.0.0 in a test
    with FakeSlack(token=BOT_TOKEN) as fake:
        env["COACHBOT_CONFIG"] = str(platform_config(tmp_path / "coachbot.toml", fake, slack_port))
        command = mapped(DOCKER.exec_form("CMD"), {"/var/lib/coachbot": volume})
        assert command[1:] == ["run"]
        run_until_sigterm(command, env=clean_env(**env), cwd=volume, slack_port=slack_port, http_port=http_port,
                          log=tmp_path / "stderr.log")
    assert_private_state(volume)
    assert sorted(os.listdir(tmp_path)) == ["coachbot.toml", "stderr.log", "volume"]  # nothing written elsewhere


def test_the_units_commands_upgrade_then_run_in_its_state_directory_and_stop_on_sigterm(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    paths = {"/opt/coachbot/bin": BIN, "/var/lib/coachbot": state}
    env = {key: value.replace("/var/lib/coachbot", str(state)) for key, value in unit_env().items()}
    slack_port, http_port = free_port(), free_port()
    env["COACHBOT_HTTP__PORT"] = str(http_port)
    upgrade = subprocess.run(mapped(unit_one("ExecStartPre").split(), paths), capture_output=True, text=True,
                             cwd=state, env=clean_env(**env), timeout=120, check=False)
    assert upgrade.returncode == 0, upgrade.stderr
    assert_private_state(state)
    with FakeSlack(token=BOT_TOKEN) as fake:
        env["COACHBOT_CONFIG"] = str(platform_config(tmp_path / "coachbot.toml", fake, slack_port))
        run_until_sigterm(mapped(unit_one("ExecStart").split(), paths), env=clean_env(**env), cwd=state,
                          slack_port=slack_port, http_port=http_port, log=tmp_path / "stderr.log")
    assert_private_state(state)
