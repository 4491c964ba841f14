"""The JSON log: one object a line, ids only, the conversation key hashed, and never what the coachee wrote."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.logs import JsonFormatter, conversation_ref
from bot.types import ConversationKey

ROOT = Path(__file__).resolve().parents[2]
WORDS = "my manager Quillwort shouts at me about the rota"


def test_a_json_line_has_ids_only_and_the_conversation_hashed() -> None:
    key = ConversationKey(transport="telegram", user="555123", chat="777888")
    record = logging.LogRecord("bot.engine", logging.ERROR, __file__, 1, "message %s failed", ("m-1",), None)
    record.__dict__.update(conversation=key, message_id="m-1", transport="telegram", text=WORDS)
    try:
        raise ValueError(WORDS)
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line.keys() == {"time", "level", "logger", "event", "conversation", "message_id", "transport", "error"}
    assert (line["level"], line["logger"], line["event"]) == ("ERROR", "bot.engine", "message m-1 failed")
    assert line["conversation"] == conversation_ref(key) and len(line["conversation"]) == 12
    assert line["error"] == "ValueError"
    raw = json.dumps(line)
    assert "555123" not in raw and "777888" not in raw and "Quillwort" not in raw


def test_a_chat_logged_as_json_at_debug_is_json_on_every_line_without_the_coachees_words(tmp_path: Path) -> None:
    log = tmp_path / "coachbot.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    env.update(PYTHONPATH=str(ROOT), COACHBOT_LOG_FORMAT="json", COACHBOT_LOGGING__LEVEL="DEBUG",
               COACHBOT_LOG_FILE=str(log), COACHBOT_DATABASE__URL=f"sqlite:///{tmp_path / 'c.db'}",
               COACHBOT_SECRETS_DIR=str(tmp_path / "no-secrets"), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--name", "Robin"], input=f"hello\n{WORDS}\n",
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert any(line["level"] == "DEBUG" for line in lines)
    handled = [line for line in lines if line["logger"] == "bot.engine" and "conversation" in line]
    assert len(handled) >= 2 and len({line["conversation"] for line in handled}) == 1
    for line in lines:
        assert {"time", "level", "logger", "event"} <= line.keys()
        text = json.dumps(line)
        assert "Quillwort" not in text and "shouts" not in text
