"""Fuzzing the Slack transport: the real Bolt app served over HTTP on 127.0.0.1, the real engine on SQLite.

Every body here is properly signed, so it passes Bolt's signature check and reaches the parsing: random bytes,
text that isn't JSON, JSON of every wrong shape, Events API envelopes whose event is missing, not an object,
of an unknown type or with fields of the wrong types (up to 100 KB of text), and interactivity forms whose
payload is garbage, not JSON, or a block_actions press with fields missing or of the wrong type, some
carrying another coachee's button values. Unsigned requests with garbage signature headers are fuzzed too.

What must hold: never a 500 (a malformed request is 400 or 401, or acknowledged with 200 and ignored, or
Bolt's 404 for nothing to handle it), the server keeps serving real messages afterwards, and nothing is
ever written for another coachee: Sam's conversation, answers and DM stay exactly as they were.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Config, SlackConfig
from bot.ratelimit import NO_LIMITS
from bot.storage import schema as t
from bot.storage import store
from bot.transports.slack import SlackTransport
from bot.types import ConversationKey, InboundMessage
from tests.conftest import Harness, MarkerScreener, make_harness
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.slack_signing import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    SlackRequestSigner,
    block_actions_payload,
    event_envelope,
    message_im_event,
)

JsonDict = dict[str, Any]

SIGNING_SECRET = "coachbot-fuzz-signing-secret"
COACH = "U0COACH"
SAM, SAM_DM = "U0SAM", "D0SAM"
EVE, EVE_DM = "U0EVE", "D0EVE"
TO_SCALING = ("hello", "yes", "yes", "yes", "London", "Chair meetings calmly", "It matters now", "A plan",
              "I'll feel calmer", "Calm rooms", "Some time", "No, it's worth it")

_stamps = itertools.count(1)


def next_ts() -> str:
    return f"1700{next(_stamps):06d}.000100"


# what gets posted

def _repeat(pair: tuple[str, int]) -> str:
    piece, size = pair
    return (piece * (size // len(piece) + 1))[:size]


LONG_TEXT = st.tuples(st.text(min_size=1, max_size=10), st.integers(min_value=3_000, max_value=100_000)).map(_repeat)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=40))
JSON_VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
ODD = st.one_of(JSON_VALUE, LONG_TEXT, st.sampled_from(["", "im", "message", "D0EVE", "U0EVE", "choice-1"]))
USERS = st.one_of(st.sampled_from([EVE, "U0NEW", "W0OTHER", "", "U0BOT"]), ODD)  # never Sam: Slack vouches for him
CHANNELS = st.one_of(st.sampled_from([EVE_DM, "D0NEW", "", "C0GENERAL"]), ODD)
EVENT_KEYS = ("type", "subtype", "channel", "channel_type", "user", "text", "ts", "bot_id", "files", "message",
              "edited", "thread_ts", "event_ts")
# A DM event with some fields dropped or swapped for values of any type, sometimes another event type altogether.
EVENT = st.builds(
    lambda base, drop, swap: {**{k: v for k, v in base.items() if k not in drop}, **swap},
    st.builds(lambda text, user, channel: message_im_event(text, user=user, channel=channel, ts=next_ts()),
              st.one_of(st.text(max_size=200), LONG_TEXT), st.sampled_from([EVE, "U0NEW"]),
              st.sampled_from([EVE_DM, "D0NEW"])),
    st.sets(st.sampled_from(EVENT_KEYS), max_size=4),
    st.dictionaries(st.sampled_from(EVENT_KEYS), st.one_of(
        ODD, st.sampled_from(["message", "im", "message_changed", "file_share", "message_deleted", "app_mention",
                              "reaction_added", "thread_broadcast", "bot_message"]),
        st.fixed_dictionaries({"user": USERS, "text": ODD}, optional={"edited": ODD, "bot_id": ODD}),
        st.fixed_dictionaries({}, optional={"user": USERS, "channel": CHANNELS, "text": ODD})), max_size=4),
)
ENVELOPE = st.one_of(
    st.builds(lambda event, extra: {**event_envelope({}), "event": event, **extra}, st.one_of(EVENT, JSON_VALUE),
              st.dictionaries(st.sampled_from(["type", "event_id", "team_id", "authorizations", "api_app_id"]),
                              JSON_VALUE, max_size=2)),
    st.builds(lambda: {k: v for k, v in event_envelope(message_im_event("x", user=EVE, channel=EVE_DM)).items()
                       if k != "event"}),
    st.builds(lambda challenge: {"type": "url_verification", "challenge": challenge}, ODD),
)
ACTION_PATHS = ("user", "user.id", "actions", "actions.0", "actions.0.value", "actions.0.action_id",
                "actions.0.text", "actions.0.action_ts", "container", "container.channel_id",
                "container.message_ts", "channel", "channel.id", "message", "message.ts", "message.blocks",
                "message.text", "type")


class Rig:
    """The app with its Slack transport listening on a free port; Sam is part-way through pre-session.

    Not a dataclass, so Hypothesis shows a failing example without printing everything the rig has seen.
    """

    def __init__(self, h: Harness, transport: SlackTransport, fake: FakeSlack) -> None:
        self.h, self.transport, self.fake = h, transport, fake
        self.signer = SlackRequestSigner(SIGNING_SECRET)
        self.seen: list[InboundMessage] = []
        self.statuses: list[int] = []
        self.coach_id = 0

    def __repr__(self) -> str:
        return "Rig(one Slack app for every example)"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.transport.port}/slack/events"

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.post(self.url, data=body, headers=headers) as got:
            self.statuses.append(got.status)
            return got.status, await got.text()

    async def signed(self, body: bytes, content_type: str, **headers: str) -> int:
        """Sign the raw bytes as Slack does (v0:timestamp:body, HMAC-SHA256), whatever they are."""
        stamp = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
        status, _ = await self.post(body, {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                                           "X-Slack-Signature": f"v0={digest.hexdigest()}", **headers})
        return status

    async def dm(self, text: str, *, user: str, channel: str) -> int:
        request = self.signer.event(message_im_event(text, user=user, channel=channel, ts=next_ts()))
        status, _ = await self.post(request.content, request.headers)
        await self.h.app.outbox.deliver_due()
        return status

    def add_person(self, user: str, chat: str, *, coach: bool = False) -> None:
        with self.h.app.db.begin() as conn:
            now = self.h.app.engine.clock()
            if coach:
                person = store.add_coach(conn, name="Jo Coach", at=now)
                store.add_identity(conn, transport="slack", external_id=user, coach_id=person.id, chat_id=chat)
                self.coach_id = person.id
                return
            coachee = store.add_coachee(conn, coach_id=self.coach_id, name=user, at=now)
            store.add_identity(conn, transport="slack", external_id=user, coachee_id=coachee.id, chat_id=chat)

    def sams(self) -> dict[str, object]:
        """Everything of Sam's that nobody else's requests may change."""
        with self.h.app.db.connect() as conn:
            identity = store.find_identity(conn, transport="slack", external_id=SAM)
            assert identity is not None and identity.coachee_id is not None
            return {
                "identity": identity,
                "conversation": store.load_conversation(conn, ConversationKey(transport="slack", user=SAM,
                                                                              chat=SAM_DM)),
                "answers": store.answers_of(conn, identity.coachee_id),
                "coachee": store.get_coachee(conn, identity.coachee_id),
                "outbox": conn.execute(select(t.outbox.c.id).where(
                    (t.outbox.c.user_id == SAM) | (t.outbox.c.chat_id == SAM_DM))).all(),
                "posts": [m for m in self.fake.messages if m["channel"] == SAM_DM],
            }

    def sams_buttons(self) -> list[str]:
        question = [m for m in self.fake.messages if m["channel"] == SAM_DM and m.get("blocks")][-1]
        return [str(b["value"]) for b in question["blocks"][-1]["elements"]]

    async def still_serving(self) -> None:
        """A real message from a real person after the fuzzing: acknowledged and handed to the engine."""
        before = len(self.seen)
        assert await self.dm("hello again", user="U0PROBE", channel="D0PROBE") == 200
        assert [(m.key.user, m.text) for m in self.seen[before:]] == [("U0PROBE", "hello again")]


@pytest.fixture
async def rig(config: Config, screener: MarkerScreener, fake_slack: FakeSlack) -> AsyncIterator[Rig]:
    slack = SlackConfig(enabled=True, mode="http", bot_token="xoxb-coachbot-fuzz", signing_secret=SIGNING_SECRET,
                        api_base_url=fake_slack.base_url, port=0)
    app_config = config.model_copy(update={"slack": slack})
    h = make_harness(app_config, screener)
    transport = SlackTransport(slack)
    transport.limits = NO_LIMITS  # pacing has its own tests; here every reply is posted as soon as it's due
    h.app.add_transport(transport)
    the_rig = Rig(h=h, transport=transport, fake=fake_slack)

    async def handle(msg: InboundMessage) -> None:
        the_rig.seen.append(msg)
        await h.app.engine.handle(msg)

    await transport.start(handle)
    try:
        the_rig.add_person(COACH, "D0COACH", coach=True)
        the_rig.add_person(SAM, SAM_DM)
        the_rig.add_person(EVE, EVE_DM)
        for text in TO_SCALING:
            assert await the_rig.dm(text, user=SAM, channel=SAM_DM) == 200
        for text in TO_SCALING[:5]:
            assert await the_rig.dm(text, user=EVE, channel=EVE_DM) == 200
        assert the_rig.sams_buttons()[0] == "pre_session:scaling:1"
        yield the_rig
    finally:
        await transport.stop()
        h.app.db.dispose()


FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


async def check_after(rig: Rig, sams: dict[str, object], seen: int) -> None:
    """Nothing reached Sam's conversation, and nothing was written for him or posted in his DM."""
    await rig.h.app.outbox.deliver_due()
    assert rig.sams() == sams
    assert [m for m in rig.seen[seen:] if m.key.user == SAM or m.key.chat == SAM_DM] == []


@FUZZ
@example(body=b"V\xa9b", content_type=JSON_CONTENT_TYPE)  # not UTF-8: was a 500
@example(body=b"{not json", content_type=JSON_CONTENT_TYPE)  # was a 500
@example(body=b"payload=%7Bnot+json", content_type=FORM_CONTENT_TYPE)  # was a 500
@given(body=st.one_of(st.binary(max_size=2_000), st.text(max_size=500).map(str.encode), LONG_TEXT.map(str.encode)),
       content_type=st.sampled_from([JSON_CONTENT_TYPE, FORM_CONTENT_TYPE, "text/plain", "",
                                     "application/json; charset=latin-1", "application/json; charset=no-such-codec"]))
async def test_any_bytes_signed_are_never_a_500(rig: Rig, body: bytes, content_type: str) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    status = await rig.signed(body, content_type)
    assert status in (200, 400, 401, 404, 413)
    await check_after(rig, sams, seen)
    await rig.still_serving()


@FUZZ
@example(body=[])  # each of these was a 500
@example(body={**event_envelope({}), "event": []})
@example(body={**event_envelope({}), "authorizations": [1]})
@example(body={**event_envelope(message_im_event("hi", user=EVE, channel=EVE_DM)), "event": {
    **message_im_event("hi", user=EVE, channel=EVE_DM), "subtype": "message_changed", "message": "edited"}})
@given(body=st.one_of(ENVELOPE, JSON_VALUE))
async def test_json_of_any_shape_is_never_a_500(rig: Rig, body: Any) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    status = await rig.signed(json.dumps(body).encode(), JSON_CONTENT_TYPE)
    assert status in (200, 400, 404, 413)
    await check_after(rig, sams, seen)
    await rig.still_serving()


def _press(user: Any, channel: Any, value: Any, ts: str) -> JsonDict:
    return block_actions_payload("choice-1", value=value, user_id=user, channel_id=channel, message_ts=ts,
                                 button_text="7")


def _mutate(payload: JsonDict, changes: list[tuple[str, bool, Any]]) -> JsonDict:
    """Drop (or replace with a value of any type) the field at each dotted path that still exists."""
    for path, drop, value in changes:
        *parents, last = path.split(".")
        node: Any = payload
        for part in parents:
            node = node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node) else (
                node.get(part) if isinstance(node, dict) else None)
        if isinstance(node, dict):
            if drop:
                node.pop(last, None)
            else:
                node[last] = value
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            if drop:
                node.pop(int(last))
            else:
                node[int(last)] = value
    return payload


PRESS = st.builds(
    lambda user, channel, value, changes: _mutate(_press(user, channel, value, next_ts()), changes),
    st.sampled_from([EVE, "U0NEW"]), st.sampled_from([EVE_DM, "D0NEW"]),
    st.one_of(st.text(max_size=80), st.sampled_from(["pre_session:goal:x", "safety:check:yes", "confirm:stop:yes"])),
    st.lists(st.tuples(st.sampled_from(ACTION_PATHS), st.booleans(), st.one_of(ODD, USERS, CHANNELS)), max_size=3),
)
FORM = st.one_of(
    st.dictionaries(st.sampled_from(["payload", "command", "text", "user_id", "channel_id", "token"]),
                    st.text(max_size=200), max_size=3),
    st.builds(lambda payload: {"payload": json.dumps(payload)}, JSON_VALUE),
    st.builds(lambda kind, payload: {"payload": json.dumps({**payload, "type": kind})},
              st.sampled_from(["block_actions", "view_submission", "shortcut", "message_action", "interactive_message",
                               "dialog_submission", "block_suggestion"]), st.dictionaries(st.text(max_size=10),
                                                                                           JSON_VALUE, max_size=3)),
    st.builds(lambda body: {"payload": json.dumps(body)[: len(json.dumps(body)) // 2]}, PRESS),  # cut short
)


@FUZZ
@given(form=FORM)
async def test_interactivity_forms_of_any_shape_are_never_a_500(rig: Rig, form: dict[str, str]) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    status = await rig.signed(urlencode(form).encode(), FORM_CONTENT_TYPE)
    assert status in (200, 400, 404, 413)
    await check_after(rig, sams, seen)
    await rig.still_serving()


# A press whose message has no text and whose button has no label leaves chat.update with no text: slack_sdk warns.
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@FUZZ
@example(press=_mutate(_press(EVE, EVE_DM, "x", "1700000000.000100"), [("actions", False, "")]), sams_button=0,
         aimed=False)  # each of these was a 500
@example(press=_mutate(_press(EVE, EVE_DM, "x", "1700000000.000100"), [("channel", False, EVE_DM)]), sams_button=0,
         aimed=False)
@example(press=_mutate(_press(EVE, EVE_DM, "x", "1700000000.000100"), [("user", True, None)]), sams_button=0,
         aimed=False)
@example(press=_mutate(_press(EVE, EVE_DM, "x", "1700000000.000100"), [("actions.0.text", False, "Yes")]),
         sams_button=0, aimed=True)
@given(press=PRESS, sams_button=st.integers(min_value=0, max_value=9), aimed=st.booleans())
async def test_a_malformed_or_misdirected_button_press_is_never_a_500_and_never_answers_for_sam(
    rig: Rig, press: JsonDict, sams_button: int, aimed: bool
) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    actions = press.get("actions")
    if aimed and isinstance(actions, list) and actions and isinstance(actions[0], dict) and "value" in actions[0]:
        actions[0]["value"] = rig.sams_buttons()[sams_button]  # Eve presses what looks like Sam's button
    status = await rig.signed(urlencode({"payload": json.dumps(press)}).encode(), FORM_CONTENT_TYPE)
    assert status in (200, 400, 404, 413)
    await check_after(rig, sams, seen)
    await rig.still_serving()


@settings(FUZZ, max_examples=60)
@example(headers={"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, body=b"{}")  # was a 500
@example(headers={"Content-Type": JSON_CONTENT_TYPE}, body=b"{not json")  # was a 500, before any signature check
@given(headers=st.dictionaries(
    st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "Content-Type", "X-Slack-Retry-Num"]),
    st.one_of(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
              st.sampled_from(["", "v0=", "v0=00", "abc", "-1", "9" * 30, "1e9", str(int(time.time()))])),
    max_size=4), body=st.one_of(st.binary(max_size=300), ENVELOPE.map(lambda e: json.dumps(e).encode())))
async def test_unsigned_requests_with_garbage_headers_are_refused_never_a_500(
    rig: Rig, headers: dict[str, str], body: bytes
) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    status, _ = await rig.post(body, headers)
    assert status in (400, 401, 413)
    assert len(rig.seen) == seen
    await check_after(rig, sams, seen)
    await rig.still_serving()
