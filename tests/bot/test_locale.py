"""A second language lands in files: a made-up locale, `xx`, runs onboarding and the first session's questions
with every word the coachee and coach are shown coming from its own files."""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from pathlib import Path

import pytest

from bot.config import Config
from bot.locale import ENGLISH, Locale, LocaleError, load_locale
from bot.storage import store
from bot.types import Reply
from safety.types import ServiceEntry
from tests.conftest import Harness, MarkerScreener, make_harness

MARK = "⟪xx⟫"
FLOW_TEXT = frozenset({"say", "question", "hint", "label", "title", "snoozed_say", "skipped_say"})
"""The keys of a flow file that hold words; the rest is structure (names, branches, kinds, synonyms typed)."""


def _toml(value: object) -> str:
    """One TOML value, inline: enough for the wording files (strings, numbers, booleans, arrays, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _marked(value: object, *, words: frozenset[str] | None, key: str = "") -> object:
    """Every line of every string that is wording gets the mark in front; `words` limits it to those keys (None:
    every key but a command's `word`)."""
    if isinstance(value, dict):
        return {k: _marked(v, words=words, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v, words=words, key=key) for v in value]
    if isinstance(value, str) and value and (key in words if words is not None else key != "word"):
        return "\n".join(f"{MARK} {line}" if line.strip() else line for line in value.split("\n"))
    return value


def _write(source: Path, target: Path, *, words: frozenset[str] | None = None) -> None:
    data = _marked(tomllib.loads(source.read_text(encoding="utf-8")), words=words)
    assert isinstance(data, dict)
    target.write_text("".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in data.items()), encoding="utf-8")


def write_test_locale(folder: Path) -> Locale:
    folder.mkdir(parents=True, exist_ok=True)
    _write(ENGLISH.engine_file, folder / "engine.toml")
    _write(ENGLISH.flows_file, folder / "flows.toml")
    _write(ENGLISH.safety_file, folder / "safety.toml")
    (folder / "flows").mkdir(exist_ok=True)
    for flow in sorted(ENGLISH.flow_data.glob("*.toml")):
        _write(flow, folder / "flows" / flow.name, words=FLOW_TEXT)
    return load_locale("xx", folder=folder.parent)


ANSWERS = ("Lead calmer ward meetings", "The new rota starts soon", "A plan for Monday", "I would feel steady",
           "Some evenings", "I handled a hard handover well", "Patience", "My old ward sister", "Nothing more")


def _unmarked(text: str) -> list[str]:
    """Lines that carry words not from the locale's files: everything but the mark, the coachee's own answers,
    names, numbers and markdown, with the marked parts taken out."""
    found = []
    for line in text.splitlines():
        if MARK in line:
            continue
        rest = line
        for known in (*ANSWERS, "Sam Jones", "Sam", "Alex Coach", "London", "Europe/London"):
            rest = rest.replace(known, "")
        if re.search(r"[A-Za-z]{2,}", rest):
            found.append(line)
    return found


def _check(reply: Reply) -> list[str]:
    problems = [f"text: {line!r}" for line in _unmarked(reply.text)]
    if reply.text.strip() and not reply.text.startswith(MARK):
        problems.append(f"starts unmarked: {reply.text[:60]!r}")
    problems += [f"button: {b.label!r}" for b in reply.buttons if not (b.label.startswith(MARK) or b.label.isdigit())]
    return problems


@pytest.fixture
def xx(tmp_path: Path, config: Config) -> Harness:
    locale = write_test_locale(tmp_path / "locales" / "xx")
    services = tuple(ServiceEntry(tier=s.tier, name=f"{MARK} {s.name}", contact=f"{MARK} {s.contact}")
                     for s in config.safety.services)  # the directory is the operator's, in their language
    marked = config.model_copy(update={"safety": config.safety.model_copy(update={"services": services})})
    return make_harness(marked, MarkerScreener(), locale=locale)


async def _press(h: Harness, ending: str) -> list[Reply]:
    """Press the latest button whose payload ends with `ending` (labels are in the locale, payloads are not)."""
    for reply in reversed(h.transport.replies_to(h.coachee_user)):
        for button in reply.buttons:
            if button.payload.endswith(ending):
                return await h.say(payload=button.payload)
    raise AssertionError(f"no button ending {ending!r}")


async def test_a_whole_flow_speaks_only_the_locales_words(xx: Harness) -> None:
    h = xx
    await h.transport.start(h.app.engine.handle)
    seen = [*await h.say("hello")]
    for _ in range(3):
        seen += await _press(h, ":yes")  # start, keep answers, share them
    seen += await h.say("London")
    answers = itertools.cycle(ANSWERS)
    for _ in range(30):
        last = h.transport.replies_to(h.coachee_user)[-1]
        if any(b.payload.endswith(":send") for b in last.buttons):
            break
        if any(b.payload.endswith(":4") for b in last.buttons):
            seen += await _press(h, ":4")
        else:
            seen += await h.say(next(answers))
    assert any(b.payload.endswith(":send") for b in seen[-1].buttons), "the flow never reached its review"
    assert any(a in seen[-1].text for a in ANSWERS[:3])  # the review shows their own words back
    seen += await _press(h, ":send")
    seen += await h.say("/help")
    seen += await h.say("[crisis] it's all too much")  # the safety routing speaks the locale too
    coach = await h.say("/digest Sam", user=h.coach_user)
    assert len(seen) >= 15
    problems = [p for reply in (*seen, *coach) for p in _check(reply)]
    assert problems == []
    with h.app.db.connect() as conn:  # and it really ran: the answers are stored in its own flow's questions
        stored = store.answers_of(conn, h.coachee_id)
    assert {a.text for a in stored} >= set(ANSWERS[:5])


async def test_english_replies_have_no_mark(config: Config) -> None:
    h = make_harness(config, MarkerScreener())
    await h.transport.start(h.app.engine.handle)
    [hello] = await h.say("hello")
    assert MARK not in hello.text and _check(hello) != []  # the check can fail: English is unmarked


def test_a_locale_that_is_not_there_or_incomplete_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocaleError, match="no locale 'zz'"):
        load_locale("zz", folder=tmp_path)
    with pytest.raises(LocaleError, match="no locale"):
        load_locale("../etc", folder=tmp_path)
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "engine.toml").write_text("", encoding="utf-8")
    with pytest.raises(LocaleError, match=r"has no flows\.toml, safety\.toml, flows"):
        load_locale("cy", folder=tmp_path)
    assert load_locale("en") is ENGLISH
