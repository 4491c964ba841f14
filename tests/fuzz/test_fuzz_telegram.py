"""Fuzzing the Telegram transport: `inbound_from` on any update PTB can build, and the webhook server.

Updates are drawn as Bot API JSON and built by PTB's own `Update.de_json`: messages with and without text,
sender or chat, media, captions and edits, button presses with and without data or message, chats of every
type (and of types Telegram doesn't have yet), and update types the bot never asked for (polls, chat members,
inline queries, reactions, business messages, boosts, payments, and names nobody has invented yet).
`inbound_from` must never raise, and must return None or a message that names exactly the person and
private chat the update came from. Then the webhook server, with the right secret token, is sent bodies of
every wrong shape and updates of every kind, some pressing another coachee's buttons: never a 500, it keeps
serving, and nothing is written for the other coachee.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Bot, Update
from telegram.constants import ChatType

from bot.config import Config, TelegramConfig
from bot.storage import schema as t
from bot.storage import store
from bot.transports.telegram import MEDIA_KINDS, TelegramTransport, inbound_from
from bot.types import ConversationKey, InboundMessage
from tests.conftest import Harness, MarkerScreener, make_harness
from tests.transports.helpers.telegram_emulator import MEDIA_SAMPLES, EmulatorProcess

JsonDict = dict[str, Any]

BOT = Bot("123456:fuzz-token-never-used")  # de_json only: nothing is sent
SECRET = "fuzz-Secret_token-1"
SAM, EVE, PROBE = 7101, 7102, 7199
TO_SCALING = ("hello", "yes", "yes", "yes", "London", "Chair meetings calmly", "It matters now", "A plan",
              "I'll feel calmer", "Calm rooms", "Some time", "No, it's worth it")

_ids = itertools.count(1)


def _repeat(pair: tuple[str, int]) -> str:
    piece, size = pair
    return (piece * (size // len(piece) + 1))[:size]


TEXT = st.one_of(st.text(max_size=200), st.sampled_from(["", " ", "/start", "/start abc", "\x00", "\u202e"]),
                 st.tuples(st.text(min_size=1, max_size=8), st.integers(4_000, 100_000)).map(_repeat))
IDS = st.integers(min_value=-(2**52), max_value=2**52).filter(lambda n: n not in (SAM, PROBE))
STAMP = st.integers(min_value=0, max_value=2**31 - 1)
USER = st.fixed_dictionaries({"id": st.one_of(st.sampled_from([EVE, 7103]), st.integers(1, 2**40).filter(
                                  lambda n: n not in (SAM, PROBE))),
                              "is_bot": st.sampled_from([False, False, False, True]),
                              "first_name": st.text(max_size=20)},
                             optional={"last_name": st.text(max_size=10), "username": st.text(max_size=10),
                                       "language_code": st.sampled_from(["en", "", "xx"])})
OTHER_CHAT = st.fixed_dictionaries(
    {"id": IDS, "type": st.one_of(st.sampled_from(["private", "group", "supergroup", "channel", "sender"]),
                                  st.text(max_size=12))},
    optional={"title": st.text(max_size=20), "first_name": st.text(max_size=20), "is_forum": st.booleans()})
MEDIA = st.sets(st.sampled_from(sorted(MEDIA_SAMPLES)), max_size=2).map(
    lambda kinds: {kind: MEDIA_SAMPLES[kind] for kind in kinds})


@st.composite
def person_and_chat(draw: st.DrawFn) -> tuple[JsonDict, JsonDict]:
    """Mostly a person in their own private chat (as Telegram always has it), sometimes any chat at all."""
    user = draw(USER)
    own = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    return user, draw(st.one_of(st.just(own), st.just(own), OTHER_CHAT))


@st.composite
def message(draw: st.DrawFn, user: JsonDict, chat: JsonDict, *, edited: bool = False) -> JsonDict:
    body: JsonDict = {"message_id": draw(st.integers(1, 2**31)), "date": draw(STAMP), "chat": chat}
    if draw(st.integers(0, 9)) > 0:
        body["from"] = user
    if draw(st.integers(0, 2)) > 0:
        body["text"] = draw(TEXT)
    body.update(draw(MEDIA))
    if "text" not in body and draw(st.booleans()):
        body["caption"] = draw(TEXT)
    if edited or draw(st.integers(0, 9)) == 0:
        body["edit_date"] = draw(STAMP)
    if draw(st.integers(0, 9)) == 0:
        body["sender_chat"] = draw(OTHER_CHAT)
    if draw(st.integers(0, 9)) == 0:
        body["new_chat_members"] = [user]
    return body


@st.composite
def callback_query(draw: st.DrawFn, user: JsonDict, chat: JsonDict, data: st.SearchStrategy[str]) -> JsonDict:
    query: JsonDict = {"id": str(draw(st.integers(1, 2**63))), "from": user, "chat_instance": draw(st.text(max_size=8))}
    if draw(st.integers(0, 4)) > 0:
        query["data"] = draw(data)
    shown = draw(st.integers(0, 3))
    if shown == 1:  # a message the bot can no longer see (date 0)
        query["message"] = {"message_id": draw(st.integers(1, 2**31)), "date": 0, "chat": chat}
    elif shown > 1:
        query["message"] = {**draw(message(user, chat)), "from": {"id": 1, "is_bot": True, "first_name": "bot"},
                            "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "x:y:yes"}]]}}
    if draw(st.integers(0, 9)) == 0:
        query["inline_message_id"] = "inline-1"
    return query


@st.composite
def other_kinds(draw: st.DrawFn, user: JsonDict, chat: JsonDict) -> JsonDict:
    """Updates the bot never asked for, each just valid enough for PTB to build."""
    member = {"status": draw(st.sampled_from(["member", "left", "kicked"])), "user": user}
    if member["status"] == "kicked":
        member["until_date"] = 0
    boost_source = {"source": "premium", "user": user}
    kinds: dict[str, JsonDict] = {
        "channel_post": draw(message(user, {"id": -100123, "type": "channel", "title": "News"})),
        "edited_channel_post": draw(message(user, {"id": -100123, "type": "channel", "title": "News"}, edited=True)),
        "business_message": {**draw(message(user, chat)), "business_connection_id": "b1"},
        "edited_business_message": {**draw(message(user, chat, edited=True)), "business_connection_id": "b1"},
        "deleted_business_messages": {"business_connection_id": "b1", "chat": chat, "message_ids": [1, 2]},
        "inline_query": {"id": "iq1", "from": user, "query": draw(TEXT), "offset": ""},
        "chosen_inline_result": {"result_id": "r1", "from": user, "query": draw(TEXT)},
        "poll": {"id": "p1", "question": draw(st.text(min_size=1, max_size=30)), "total_voter_count": 0,
                 "options": [{"persistent_id": "o1", "text": "a", "voter_count": 0}], "is_closed": False,
                 "is_anonymous": True, "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
                 "members_only": False},
        "poll_answer": {"poll_id": "p1", "option_ids": [0], "option_persistent_ids": ["o1"], "user": user},
        "my_chat_member": {"chat": chat, "from": user, "date": draw(STAMP), "old_chat_member": member,
                           "new_chat_member": member},
        "chat_member": {"chat": chat, "from": user, "date": draw(STAMP), "old_chat_member": member,
                        "new_chat_member": member},
        "chat_join_request": {"chat": chat, "from": user, "user_chat_id": user["id"], "date": draw(STAMP)},
        "message_reaction": {"chat": chat, "message_id": 1, "date": draw(STAMP), "user": user, "old_reaction": [],
                             "new_reaction": [{"type": "emoji", "emoji": "👍"}]},
        "message_reaction_count": {"chat": chat, "message_id": 1, "date": draw(STAMP), "reactions": []},
        "chat_boost": {"chat": chat, "boost": {"boost_id": "b1", "add_date": 0, "expiration_date": 10,
                                               "source": boost_source}},
        "removed_chat_boost": {"chat": chat, "boost_id": "b1", "remove_date": 0, "source": boost_source},
        "pre_checkout_query": {"id": "pc1", "from": user, "currency": "GBP", "total_amount": 100,
                               "invoice_payload": draw(TEXT)},
        "shipping_query": {"id": "s1", "from": user, "invoice_payload": "x", "shipping_address": {
            "country_code": "GB", "state": "", "city": "L", "street_line1": "a", "street_line2": "", "post_code": "x"}},
        "purchased_paid_media": {"from": user, "paid_media_payload": "x"},
        draw(st.text(min_size=1, max_size=20).filter(lambda k: not hasattr(Update, k))): {"id": 1, "from": user},
    }
    return {name: kinds[name] for name in draw(st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=2,
                                                        unique=True))}


@st.composite
def update(draw: st.DrawFn, data: st.SearchStrategy[str] = TEXT) -> JsonDict:
    """One update as Telegram would send it (usually one kind; sometimes two, which Telegram never does)."""
    user, chat = draw(person_and_chat())
    body: JsonDict = {"update_id": draw(st.integers(1, 2**31))}
    kind_of = st.sampled_from(["message", "message", "edited_message", "callback_query", "callback_query", "other"])
    kinds = {draw(kind_of) for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 1, 2, 0])))}
    for kind in sorted(kinds):
        if kind == "message":
            body["message"] = draw(message(user, chat))
        elif kind == "edited_message":
            body["edited_message"] = draw(message(user, chat, edited=True))
        elif kind == "callback_query":
            body["callback_query"] = draw(callback_query(user, chat, data))
        else:
            body.update(draw(other_kinds(user, chat)))
    return body


def readable_private_text(data: JsonDict) -> bool:
    """A plain text message from a person in their private chat, and nothing else: it must reach the engine."""
    sent = data.get("message")
    return (set(data) == {"update_id", "message"} and isinstance(sent.get("text"), str)
            and not sent.get("from", {}).get("is_bot", True) and sent["chat"].get("type") == "private"
            and "sender_chat" not in sent)


@settings(max_examples=400, deadline=None)
@given(data=update())
def test_inbound_from_never_raises_and_names_exactly_the_sender_and_their_private_chat(data: JsonDict) -> None:
    built = Update.de_json(data, BOT)
    msg = inbound_from(built)

    event("ignored" if msg is None else "a payload" if msg.payload else msg.unsupported or "text")
    if msg is None:
        assert not readable_private_text(data)
        return
    user, chat = built.effective_user, built.effective_chat
    assert user is not None and chat is not None
    assert chat.type == ChatType.PRIVATE and not user.is_bot
    assert msg.key == ConversationKey(transport="telegram", user=str(user.id), chat=str(chat.id))
    assert msg.display_name == (user.first_name or None)
    query = built.callback_query
    if query is not None:
        assert msg.payload == query.data and query.data
        assert msg.message_id == f"cb:{query.id}" and msg.text is None
    elif built.edited_message is not None:
        edited = built.edited_message
        assert msg.unsupported == "edited" and msg.text == (edited.text or edited.caption)
        assert msg.message_id.startswith(f"e:{chat.id}:{edited.message_id}:")
    else:
        sent = built.message
        assert sent is not None and msg.message_id == f"m:{chat.id}:{sent.message_id}"
        if sent.text is not None:
            assert (msg.text, msg.unsupported) == (sent.text, None)
        else:
            assert msg.unsupported in MEDIA_KINDS and msg.text == sent.caption


# the webhook server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Wait for a condition; the timeout only bounds a hang, nothing here measures time."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)


class Rig:
    """The app with the Telegram transport's webhook server on a free port; Sam is part-way through pre-session."""

    def __init__(self, h: Harness, transport: TelegramTransport, url: str) -> None:
        self.h, self.transport, self.url = h, transport, url
        self.seen: list[InboundMessage] = []

    def __repr__(self) -> str:
        return "Rig(one webhook server for every example)"

    async def post(self, content: bytes) -> int:
        async with httpx.AsyncClient(trust_env=False, timeout=10.0) as http:
            response = await http.post(self.url, content=content, headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET})
        return response.status_code

    async def still_serving(self) -> None:
        """A real message after the fuzzing is answered 200 and reaches the engine, after whatever came first."""
        number = next(_ids)
        person = {"id": PROBE, "is_bot": False, "first_name": "Pat"}
        probe = {"update_id": 10**9 + number, "message": {"message_id": 10**9 + number, "date": int(time.time()),
                                                          "chat": {**person, "type": "private"}, "from": person,
                                                          "text": "hello again"}}
        assert await self.post(json.dumps(probe).encode()) == 200
        wanted = f"m:{PROBE}:{10**9 + number}"
        await eventually(lambda: any(m.message_id == wanted for m in self.seen))

    def sams(self) -> dict[str, object]:
        with self.h.app.db.connect() as conn:
            identity = store.find_identity(conn, transport="telegram", external_id=str(SAM))
            assert identity is not None and identity.coachee_id is not None
            return {
                "conversation": store.load_conversation(conn, sams_key()),
                "answers": store.answers_of(conn, identity.coachee_id),
                "coachee": store.get_coachee(conn, identity.coachee_id),
                "outbox": conn.execute(select(t.outbox.c.id).where(
                    (t.outbox.c.user_id == str(SAM)) | (t.outbox.c.chat_id == str(SAM)))).all(),
            }

    def sams_buttons(self) -> list[str]:
        with self.h.app.db.connect() as conn:
            conversation = store.load_conversation(conn, sams_key())
        assert conversation is not None and conversation.data.position is not None
        position = conversation.data.position
        return [f"{position.flow}:{position.state}:{n}" for n in range(1, 11)]


def sams_key() -> ConversationKey:
    return ConversationKey(transport="telegram", user=str(SAM), chat=str(SAM))


@pytest.fixture
async def rig(
    config: Config, screener: MarkerScreener, telegram_emulator: EmulatorProcess, tg_token: str
) -> AsyncIterator[Rig]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    telegram = TelegramConfig(enabled=True, token=tg_token, base_url=telegram_emulator.base_url,
                              base_file_url=telegram_emulator.base_file_url, mode="webhook", listen="127.0.0.1",
                              port=port, webhook_path="/telegram", webhook_url=url, secret_token=SECRET)
    h = make_harness(config, screener)
    transport = TelegramTransport(telegram)
    h.app.add_transport(transport)
    the_rig = Rig(h, transport, url)

    async def handle(msg: InboundMessage) -> None:
        the_rig.seen.append(msg)
        await h.app.engine.handle(msg)

    with h.app.db.begin() as conn:
        coachee = store.add_coachee(conn, coach_id=h.coach_id, name="Sam Jones", at=h.app.engine.clock())
        store.add_identity(conn, transport="telegram", external_id=str(SAM), coachee_id=coachee.id,
                           chat_id=str(SAM))
    for n, text in enumerate(TO_SCALING):
        await h.app.engine.handle(InboundMessage(key=sams_key(), message_id=f"m:{SAM}:{n}", text=text,
                                                 received_at=h.app.engine.clock()))
    await transport.start(handle)
    try:
        assert the_rig.sams_buttons()[0] == "pre_session:scaling:1"
        yield the_rig
    finally:
        await transport.stop()
        h.app.db.dispose()


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30))
JSON_VALUE = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=10)
WRONG_SHAPES = st.one_of(
    JSON_VALUE,
    st.dictionaries(st.sampled_from(["update_id", "message", "callback_query", "edited_message", "poll"]),
                    JSON_VALUE, max_size=3),
    st.builds(lambda update, key, value: {**update, key: value}, update(),
              st.sampled_from(["update_id", "message", "callback_query", "edited_message"]), JSON_VALUE),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


async def check_after(rig: Rig, sams: dict[str, object], seen: int) -> None:
    await rig.still_serving()
    assert rig.sams() == sams
    assert [m for m in rig.seen[seen:] if m.key.user == str(SAM) or m.key.chat == str(SAM)] == []


@FUZZ
@given(body=WRONG_SHAPES)
async def test_the_webhook_answers_json_of_any_shape_without_a_500(rig: Rig, body: Any) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    # PTB's server answers 400 to what it can't build into an Update, and 200 to what it can.
    assert await rig.post(json.dumps(body).encode()) in (200, 400)
    await check_after(rig, sams, seen)


@FUZZ
@given(body=update(data=st.one_of(TEXT, st.integers(0, 9).map(str))), aimed=st.integers(0, 9))
async def test_the_webhook_takes_any_kind_of_update_and_never_answers_for_another_coachee(
    rig: Rig, body: JsonDict, aimed: int
) -> None:
    sams, seen = rig.sams(), len(rig.seen)
    query = body.get("callback_query")
    if query is not None and query.get("data", "").isdigit():
        query["data"] = rig.sams_buttons()[aimed]  # Eve (or someone) presses what looks like Sam's button
    assert await rig.post(json.dumps(body).encode()) == 200
    await check_after(rig, sams, seen)


@settings(FUZZ, max_examples=30)
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
async def test_the_webhook_keeps_serving_after_a_body_that_is_not_json(rig: Rig, body: bytes) -> None:
    """PTB's own webhook handler answers 500 to a body that isn't UTF-8 JSON, before any of our code runs, so
    the status isn't asserted here; what must still hold is that it keeps serving and hands nothing over."""
    sams, seen = rig.sams(), len(rig.seen)
    await rig.post(body)
    await check_after(rig, sams, seen)
    assert [m.key.user for m in rig.seen[seen:]] == [str(PROBE)]
