"""Encryption at rest: people's words never reach the database file in the clear once a key is set, rows from
before still read, rotation moves everything to the newest key, and a wrong key is one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.app import App, build_app
from bot.cli import main
from bot.config import Config, ConfigError, DatabaseConfig, SecurityConfig, load_config
from bot.storage import crypto, store
from bot.storage.crypto import EncryptionKeyError, install_keys
from bot.storage.db import open_engine
from bot.storage.rekey import encrypted_columns, rotate
from bot.types import ConversationKey, Reply
from flows.stepper import NewAction, RecordedAnswer
from safety.types import Tier
from tests.conftest import Harness, MarkerScreener, make_harness, onboard
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DUE = date(2026, 11, 27)
ACTION = "Book a 1:1 with each band 6"
WORRY = "[stress] the night shifts are wearing me down"
# Each is only ever in an encrypted column: an answer, the review (outbox), an action, the last turns (conversation).
SECRETS = (ANSWERS["goal"], LATER["anything_else"], ACTION, "night shifts are wearing", "test.stress")
COLUMNS = {("answers", "text"), ("conversations", "data"), ("outbox", "payload"), ("actions", "text"),
           ("safety_events", "rules")}


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The key ring is process-wide: each test starts, and leaves, with none."""
    monkeypatch.delenv("COACHBOT_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("COACHBOT_CONFIG", raising=False)
    install_keys([])
    yield
    install_keys([])


@pytest.fixture
def config(db_url: str) -> Config:
    """Tests here start from plain text, as a database from before encryption (or with generate_key off) is;
    the generated key has tests of its own."""
    return Config.model_validate({"database": {"url": db_url}, "security": {"generate_key": False}})


@pytest.fixture
def default_config(db_url: str) -> Config:
    return Config(database=DatabaseConfig(url=db_url))


def keyed(config: Config, *keys: str) -> Config:
    return config.model_copy(update={"security": SecurityConfig.model_validate({"encryption_keys": list(keys)})})


def db_path(config: Config) -> Path:
    return Path(config.database.url.removeprefix("sqlite:///"))


def raw_bytes(config: Config) -> bytes:
    """The database as it lies on disk: the file and its write-ahead log (SQLite; a server's files are its own)."""
    if not config.database.url.startswith("sqlite"):
        return b""
    path = db_path(config)
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def raw_values(config: Config) -> dict[tuple[str, str], list[str]]:
    """Every stored value of the encrypted columns, read with plain SQL (no column types in the way)."""
    engine = open_engine(config.database.url)
    try:
        with engine.connect() as conn:
            return {(table, column): [r[0] for r in conn.execute(text(f"SELECT {column} FROM {table} ORDER BY id"))
                                      if r[0] is not None]
                    for table, column in encrypted_columns()}
    finally:
        engine.dispose()


async def walk(h: Harness) -> None:
    """Onboarding, session 1's questions to the review and sent, two actions, then a message that gets routed."""
    await h.transport.start(h.app.engine.handle)
    await onboard(h)
    await answer_up_to_review(h)
    await h.press("Send to Alex Coach")
    await record_actions(h, [(ACTION, "friday"), ("Draft a shorter agenda", "in 2 weeks")])
    await h.say(WORRY)


def read_back(app: App, coachee_id: int) -> tuple[dict[str, str | None], list[str], str, list[str]]:
    """Answers, actions, the conversation's recent turns and every outbox reply, through the app's own reads."""
    with app.db.connect() as conn:
        answers = {a.question: a.text for a in store.answers_of(conn, coachee_id)}
        actions = [a.text for a in store.actions_of(conn, coachee_id)]
        conversation = store.conversation_of(conn, coachee_id)
        outbox = store.outbox_rows(conn, statuses=["pending", "sent", "dead"])
    assert conversation is not None
    recent = " ".join(turn.text for turn in conversation.data.recent)
    return answers, actions, recent, [Reply.model_validate_json(r.payload).text for r in outbox]


def test_the_columns_that_hold_peoples_words_are_the_encrypted_ones() -> None:
    # A message set aside (its turn kept failing) keeps its words encrypted too, as does a coach's note on lifting a
    # hold; a walk makes neither.
    assert set(encrypted_columns()) == COLUMNS | {("dead_inbound", "text"), ("hold_notes", "note")}


async def test_with_a_key_no_personal_text_reaches_the_database_file(config: Config, screener: MarkerScreener) -> None:
    config = keyed(config, KEY_A)
    h = make_harness(config, screener)
    await walk(h)
    answers, actions, recent, replies = read_back(h.app, h.coachee_id)
    h.app.db.dispose()

    assert answers["goal"] == ANSWERS["goal"] and answers["anything_else"] == LATER["anything_else"]
    assert ACTION in actions and "night shifts are wearing" in recent
    assert any(ANSWERS["goal"] in text for text in replies), "the review summary repeats the answers"
    stored = raw_values(config)
    assert all(stored[column] for column in COLUMNS), "every encrypted column has rows to look at"
    for column, values in stored.items():
        assert all(v.startswith("fernet:") for v in values), column
    on_disk = raw_bytes(config)
    for secret in SECRETS:
        assert secret.encode() not in on_disk
        assert not any(secret in v for values in stored.values() for v in values)


async def test_without_a_configured_key_sqlite_generates_one_and_postgresql_stores_plain_text(
    default_config: Config, screener: MarkerScreener
) -> None:
    """The embedded default is encrypted with no set-up: a key generated into a 0600 file next to the database.
    PostgreSQL has no such place, so there the same walk is stored as plain text (doctor warns in production)."""
    config = default_config
    h = make_harness(config, screener)
    await walk(h)
    answers, _, _, _ = read_back(h.app, h.coachee_id)
    h.app.db.dispose()
    assert answers["goal"] == ANSWERS["goal"]
    stored = raw_values(config)
    values = [v for column in stored.values() for v in column]
    if not config.database.url.startswith("sqlite"):
        assert not any(v.startswith("fernet:") for v in values)
        for secret in SECRETS:
            assert any(secret in v for v in values)
        return
    key_file = db_path(config).with_name("coachbot.db.key")
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct(db_path(config).stat().st_mode & 0o777) == "0o600"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in db_path(config).parent.glob("coachbot.db*"))
    assert all(stored[column] for column in COLUMNS) and all(v.startswith("fernet:") for v in values)
    on_disk = raw_bytes(config)
    key = Fernet(key_file.read_text().strip().encode())
    clear = [key.decrypt(v.removeprefix("fernet:").encode()).decode() for v in values]
    for secret in SECRETS:
        assert secret.encode() not in on_disk
        assert any(secret in v for v in clear), "the words are there, under the generated key"
    # A restart finds the same key: everything reads back, and no second key is made.
    install_keys([])
    again = build_app(config, screener=screener)
    assert read_back(again, h.coachee_id)[0] == answers
    again.db.dispose()
    assert list(db_path(config).parent.glob("*.key")) == [key_file]


@pytest.mark.sqlite_only
def test_a_looser_database_or_key_file_is_made_private_at_start(default_config: Config) -> None:
    config = default_config
    build_app(config).db.dispose()
    key_file = db_path(config).with_name("coachbot.db.key")
    db_path(config).chmod(0o644)
    key_file.chmod(0o644)
    build_app(config).db.dispose()
    assert {oct(p.stat().st_mode & 0o777) for p in (db_path(config), key_file)} == {"0o600"}


@pytest.mark.sqlite_only
def test_a_damaged_key_file_is_one_clear_line_and_nothing_is_overwritten(default_config: Config) -> None:
    config = default_config
    build_app(config).db.dispose()
    key_file = db_path(config).with_name("coachbot.db.key")
    key_file.write_text("not a key\n")
    with pytest.raises(ConfigError, match="doesn't hold an encryption key"):
        build_app(config)
    assert key_file.read_text() == "not a key\n"


def seed(app: App, *, answer: str, action: str, reply: str) -> int:
    """One of each kind of encrypted row, written through the store."""
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=NOW)
        coachee = store.add_coachee(conn, coach_id=coach.id, name="Sam Jones", at=NOW)
        key = ConversationKey(transport="memory", user=f"u{coachee.id}", chat=f"u{coachee.id}")
        store.add_answers(conn, coachee_id=coachee.id, at=NOW, shared=True, answers=[
            RecordedAnswer(flow="journal", run_id="r1", question="entry", text=answer)])
        store.add_actions(conn, coachee_id=coachee.id, at=NOW, actions=[NewAction(run_id="r1", text=action, due=DUE)])
        store.add_outbox(conn, to=key, replies=[Reply(text=reply)], kind="reply", at=NOW, coachee_id=coachee.id)
        conversation = store.create_conversation(conn, key, coachee_id=coachee.id, at=NOW)
        store.save_conversation(conn, conversation, at=NOW)
        store.add_safety_event(conn, coachee_id=coachee.id, conversation_id=conversation.id, tier=Tier.STRESS,
                               rules=["test.stress"], ruleset_version="test", action="routed", alert_outbox_id=None,
                               at=NOW)
    return coachee.id


def texts_of(app: App, coachee_id: int) -> tuple[list[str | None], list[str], list[str]]:
    with app.db.connect() as conn:
        answers = [a.text for a in store.answers_of(conn, coachee_id)]
        actions = [a.text for a in store.actions_of(conn, coachee_id)]
        replies = [Reply.model_validate_json(r.payload).text for r in store.outbox_rows(conn, statuses=["pending"])
                   if r.coachee_id == coachee_id]
    return answers, actions, replies


def test_rows_from_before_encryption_still_read_and_rotation_encrypts_them(
        config: Config, screener: MarkerScreener) -> None:
    plain = build_app(config, screener=screener)
    old = seed(plain, answer="Slept badly all week", action="Ask for the early rota", reply="Noted: slept badly")
    plain.db.dispose()

    app = build_app(keyed(config, KEY_A), screener=screener)
    new = seed(app, answer="Better after the walk", action="Walk at lunch", reply="Noted: the walk")
    assert texts_of(app, old) == (["Slept badly all week"], ["Ask for the early rota"], ["Noted: slept badly"])
    assert texts_of(app, new) == (["Better after the walk"], ["Walk at lunch"], ["Noted: the walk"])
    assert "Slept badly all week" in raw_values(config)[("answers", "text")]

    written = rotate(app.db, batch=1)  # a page at a time, as on a big database
    assert written["answers.text"] == 1 and written["actions.text"] == 1 and written["outbox.payload"] == 1
    assert all(v.startswith("fernet:") for values in raw_values(config).values() for v in values)
    for before in ("Slept badly all week", "Ask for the early rota", "Noted: slept badly"):
        assert before.encode() not in raw_bytes(config), "no readable copy left in free space or the log"
    assert texts_of(app, old) == (["Slept badly all week"], ["Ask for the early rota"], ["Noted: slept badly"])
    assert sum(rotate(app.db).values()) == 0, "a second run has nothing left to do"
    app.db.dispose()


def test_plain_text_that_looks_like_a_token_comes_back_as_it_was(config: Config, screener: MarkerScreener) -> None:
    app = build_app(config, screener=screener)
    tricky = ["fernet:not a token", "plain:x", ""]
    key = ConversationKey(transport="memory", user="u1", chat="u1")
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="C", at=NOW)
        coachee = store.add_coachee(conn, coach_id=coach.id, name="E", at=NOW)
        store.add_outbox(conn, to=key, replies=[Reply(text="hi")], kind="reply", at=NOW, coachee_id=None)
        store.add_actions(conn, coachee_id=coachee.id, at=NOW,
                          actions=[NewAction(run_id="r1", text=t, due=DUE) for t in tricky])
    with app.db.connect() as conn:
        assert [a.text for a in store.actions_of(conn, coachee.id)] == tricky
    install_keys([KEY_A])
    rotate(app.db)
    with app.db.connect() as conn:
        assert [a.text for a in store.actions_of(conn, coachee.id)] == tricky
    app.db.dispose()


def test_rotation_from_one_key_to_the_next(
        config: Config, screener: MarkerScreener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = build_app(keyed(config, KEY_A), screener=screener)
    coachee = seed(app, answer="Dreading Monday", action="Plan Monday", reply="Noted: Monday")
    app.db.dispose()
    before = raw_values(config)
    toml = tmp_path / "coachbot.toml"
    toml.write_text(f'[database]\nurl = "{config.database.url}"\n')

    # Step 1: the new key first, the old one kept; then rotate.
    monkeypatch.setenv("COACHBOT_ENCRYPTION_KEYS", f"{KEY_B}, {KEY_A}")
    assert main(["--config", str(toml), "db", "rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "answers.text\t1 re-encrypted" in out and KEY_A not in out and KEY_B not in out
    after = raw_values(config)
    assert all(after[c] and after[c] != before[c] for c in COLUMNS)

    # Step 2: the old key removed. Everything still reads with the new key alone.
    monkeypatch.setenv("COACHBOT_ENCRYPTION_KEYS", KEY_B)
    app = build_app(load_config(toml), screener=screener)
    assert texts_of(app, coachee) == (["Dreading Monday"], ["Plan Monday"], ["Noted: Monday"])
    with app.db.connect() as conn:
        conversation = store.conversation_of(conn, coachee)
    assert conversation is not None
    app.db.dispose()

    # And nothing is left that the old key alone can read.
    install_keys([KEY_A])
    for values in after.values():
        for value in values:
            with pytest.raises(EncryptionKeyError):
                crypto.decrypt(value)


def test_a_wrong_key_is_one_clear_line_without_the_key(
        config: Config, screener: MarkerScreener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = build_app(keyed(config, KEY_A), screener=screener)
    coachee = seed(app, answer="Dreading Monday", action="Plan Monday", reply="Noted: Monday")
    app.db.dispose()

    app = build_app(keyed(config, KEY_B), screener=screener)
    with pytest.raises(EncryptionKeyError) as raised:
        texts_of(app, coachee)
    assert str(raised.value) == crypto.WRONG_KEY
    assert "the encryption key doesn't match; check security.encryption_keys" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    app.db.dispose()

    toml = tmp_path / "coachbot.toml"
    toml.write_text(f'[database]\nurl = "{config.database.url}"\n[security]\ngenerate_key = false\n')
    for keys in (KEY_B, ""):
        monkeypatch.setenv("COACHBOT_ENCRYPTION_KEYS", keys)
        assert main(["--config", str(toml), "outbox"]) == 2
        captured = capsys.readouterr()
        (line,) = captured.err.strip().splitlines()
        assert line.startswith("cannot decrypt stored data: ")
        assert ("doesn't match" in line) if keys else ("no encryption key is configured" in line)
        assert KEY_A not in captured.out + captured.err and KEY_B not in captured.out + captured.err
        assert "Monday" not in captured.out + captured.err


def test_keys_come_from_the_environment_newest_first_and_are_never_shown() -> None:
    config = load_config(None, environ={"COACHBOT_ENCRYPTION_KEYS": f" {KEY_B} ,{KEY_A},"})
    assert [k.get_secret_value() for k in config.security.encryption_keys] == [KEY_B, KEY_A]
    assert KEY_A not in repr(config) and KEY_B not in str(config) and KEY_B not in config.model_dump_json()
    assert load_config(None, environ={}).security.encryption_keys == ()


def test_a_key_that_is_not_a_fernet_key_is_a_config_error_without_the_value(tmp_path: Path) -> None:
    bad = "hunter2-not-a-key"
    with pytest.raises(ConfigError) as raised:
        load_config(None, environ={"COACHBOT_ENCRYPTION_KEYS": f"{KEY_A},{bad}"})
    assert str(raised.value).startswith("config error: security.encryption_keys: key 2 is not a Fernet key")
    assert bad not in str(raised.value) and KEY_A not in str(raised.value)
    path = tmp_path / "coachbot.toml"
    path.write_text(f'[security]\nencryption_keys = ["{bad}"]\nenvironment = "production"\n')
    with pytest.raises(ConfigError, match="key 1 is not a Fernet key"):
        load_config(path, environ={})


def test_new_key_prints_a_usable_key_and_touches_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["db", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert list(tmp_path.iterdir()) == []
    assert main(["db", "new-key"]) == 0
    assert capsys.readouterr().out.strip() != key


def test_rotate_key_without_a_key_says_what_to_do(
        config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "coachbot.toml"
    toml.write_text(f'[database]\nurl = "{config.database.url}"\n[security]\ngenerate_key = false\n')
    assert main(["--config", str(toml), "db", "rotate-key"]) == 2
    err = capsys.readouterr().err
    assert "no encryption key is configured" in err and "coachbot db new-key" in err

