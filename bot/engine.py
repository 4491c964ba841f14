"""The engine: every inbound message goes lock → de-duplicate → screen → route → one transaction → deliver.

Nothing here knows about Telegram or Slack; transports hand in InboundMessage and get Replies via the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.coach_desk import CoachDesk
from bot.coachee_desk import FORGET_PAYLOAD, CoacheeDesk
from bot.commands import COMMANDS, coach_words, handler_name
from bot.config import Config
from bot.flow_steps import FlowSteps
from bot.inbound_limit import replies_may_pile_up, take
from bot.listeners import NO_LISTENERS, EngineListeners, PromptRefused
from bot.locks import KeyedLocks
from bot.safety_desk import SafetyDesk
from bot.screening import BatchScreener
from bot.storage import outbox as outbox_rows
from bot.storage import store
from bot.storage.dead_inbound import add_dead
from bot.storage.erasure import FAREWELL, scrub_freed_pages
from bot.storage.records import SAFETY_REPLY_PRIORITY, Conversation, Identity
from bot.transports.base import TurnFailed
from bot.turn import TurnState, database_unavailable, utc_now
from bot.types import ConversationKey, InboundMessage, Reply
from bot.wording import EngineWording
from flows.stepper import FlowRunner, Position
from safety.routing import SafetyRouter
from safety.types import Screening, ScreenRequest, Tier, Turn

log = logging.getLogger(__name__)

DEAD_AFTER_TRIES = 3
"""A message whose turn fails this often for a reason of its own is set aside, so it can't hold up its chat."""
REMEMBERED_FAILURES = 1000

RECENT_TURNS = 6
INVITE_TRIES = 5
"""Invite codes a sender may try that don't work, per `INVITE_WINDOW`; the rest wait."""
INVITE_WINDOW = timedelta(hours=1)
# not said: an operator's reason a flow was refused (coachbot prompt prints it)
_STATUS_WORDS = {"hold": "on a safety hold (their coach lifts it)", "stopped": "no longer in the programme",
                 "paused": "paused after sounding under strain (they resume it)"}
_AFTER_STOP = frozenset(c.word for c in COMMANDS if c.audience == "coachee" and c.after_stop)
_BARE = frozenset(c.word for c in COMMANDS if c.audience == "coachee" and c.bare)
_WITH_TEXT = tuple(f"{c.word} " for c in COMMANDS if c.audience == "coachee" and c.bare and c.takes_text)
_ON_HOLD = frozenset({"help", "privacy", "shared", "mydata", "forget"})
"""A coachee's own rights and help, which a safety hold never takes away."""
_JOIN = re.compile(r"^\s*(?:/start|join)\s+([A-Za-z0-9_\-]{4,64})\s*$", re.IGNORECASE)


class Screener(Protocol):
    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening: ...

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]: ...


@dataclass(frozen=True, slots=True)
class _Early:
    """A message screened before its transaction, against the conversation as it was read then."""

    context: tuple[Turn, ...]
    screening: Screening



def _ids(msg: InboundMessage, **more: str | int) -> dict[str, object]:
    """The log's structured fields for one message (bot/logs.py): ids only, the conversation key hashed there."""
    return {"transport": msg.key.transport, "conversation": msg.key, "message_id": msg.message_id, **more}


class Engine:
    def __init__(
        self,
        *,
        db: Database,
        flows: FlowRunner,
        screener: Screener,
        router: SafetyRouter,
        config: Config,
        clock: Callable[[], datetime] = utc_now,
        listeners: EngineListeners = NO_LISTENERS,
        wording: EngineWording | None = None,
    ) -> None:
        self.db = db
        self.flows = flows
        self.screener = screener
        self.router = router
        self.config = config
        self.clock = clock
        self.listeners = listeners
        self.wording = wording or EngineWording.load()
        self._locks = KeyedLocks()
        self._failed_tries: OrderedDict[str, int] = OrderedDict()  # message id -> failed turns, this process
        self._steps = FlowSteps(wording=self.wording, config=config, flows=flows, listeners=listeners)
        self._coachee_desk = CoacheeDesk(wording=self.wording, config=config, flows=flows, listeners=listeners,
                                         steps=self._steps)
        self._coach_desk = CoachDesk(wording=self.wording, config=config, flows=flows, router=router,
                                     listeners=listeners, starter=self)
        owners = {"coachee": self._coachee_desk, "coach": self._coach_desk}
        self._handlers: dict[tuple[str, str], Callable[[TurnState, str, str], None]] = {
            (c.audience, c.word): getattr(owners[c.audience], handler_name(c)) for c in COMMANDS}  # no handler: fails
        self._coach_only = coach_words()
        self._group_words = frozenset(c.word for c in COMMANDS if c.group)
        self._batch = BatchScreener(screener)
        self._safety = SafetyDesk(wording=self.wording, config=config, router=router, flows=flows)
        self._mistake = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in self.wording.mistake_phrases) + r")\b")

    async def handle(self, msg: InboundMessage) -> None:
        """Handle one message. Raises TurnFailed if nothing could be stored, so it isn't acknowledged."""
        started, outcome = time.perf_counter(), "set_aside"
        async with self._locks.hold(msg.key):
            early = await self._screen_early(msg)
            for attempt in range(3):
                try:
                    # In a thread: a database lock held elsewhere waits there, never on the event loop.
                    outcome = await asyncio.to_thread(self._turn, msg, early)
                    log.debug("%s message %s handled", msg.key.transport, msg.message_id, extra=_ids(msg))
                    break
                except store.StaleConversation:
                    log.warning("conversation changed under a turn; retrying (attempt %d)", attempt + 1,
                                extra=_ids(msg, attempt=attempt + 1))
                except Exception as exc:
                    log.exception("turn failed for %s message %s", msg.key.transport, msg.message_id, extra=_ids(msg))
                    retryable = database_unavailable(exc)
                    if not retryable and await self._set_aside(msg, exc):
                        break
                    raise TurnFailed(type(exc).__name__, retryable=retryable) from exc
            else:
                raise TurnFailed("conversation kept changing underneath", retryable=False)
        self.listeners.outbox_written()
        self.listeners.turn_handled(msg.key.transport, outcome, time.perf_counter() - started)

    async def _set_aside(self, msg: InboundMessage, exc: Exception) -> bool:
        """The same message failed DEAD_AFTER_TRIES times for a reason of its own: keep it aside, tell the sender
        kindly, and let the platform move on. False (the turn stays failed) before then, or if that fails too."""
        tries = self._failed_tries.pop(msg.message_id, 0) + 1
        self._failed_tries[msg.message_id] = tries
        while len(self._failed_tries) > REMEMBERED_FAILURES:
            self._failed_tries.popitem(last=False)
        if tries < DEAD_AFTER_TRIES:
            return False
        try:
            await asyncio.to_thread(self._store_aside, msg, type(exc).__name__)
        except Exception:
            log.exception("%s message %s could not be set aside either", msg.key.transport, msg.message_id,
                          extra=_ids(msg))
            return False
        self._failed_tries.pop(msg.message_id, None)
        log.error("%s message %s failed %d times (%s): set aside, and the sender told", msg.key.transport,
                  msg.message_id, tries, type(exc).__name__, extra=_ids(msg, attempt=tries))
        return True

    def _store_aside(self, msg: InboundMessage, reason: str) -> None:
        now = self.clock()
        with self.db.begin() as conn:
            if not store.record_receipt(conn, transport=msg.key.transport, message_id=msg.message_id, at=now):
                return  # stored after all, by another try
            conversation = store.load_conversation(conn, msg.key)
            if conversation is not None:  # so the receipt goes with the person's data
                store.link_receipt(conn, transport=msg.key.transport, message_id=msg.message_id,
                                   conversation_id=conversation.id)
            sender = store.find_sender(conn, transport=msg.key.transport, external_id=msg.key.user)
            coachee_id = sender.coachee.id if sender is not None and sender.coachee is not None else None
            add_dead(conn, msg, coachee_id=coachee_id, reason=reason, at=now)
            store.add_outbox(conn, to=msg.key, replies=[Reply(text=self.wording.not_taken_in)], kind="reply",
                             at=now, coachee_id=coachee_id, priority=SAFETY_REPLY_PRIORITY)

    async def prompt(self, coachee_id: int, flow: str) -> None:
        """Start a flow now, as `coachbot prompt` does. Never while on a safety hold."""
        self.flows.registry.spec(flow)
        key = self.address(coachee_id)
        async with self._locks.hold(key):
            await asyncio.to_thread(self._prompt, coachee_id, flow, key)
        self.listeners.outbox_written()

    def _prompt(self, coachee_id: int, flow: str, key: ConversationKey) -> None:
        now = self.clock()
        with self.db.begin() as conn:
            self.start_flow_in(conn, coachee_id=coachee_id, flow=flow, key=key, now=now)

    def address(self, coachee_id: int) -> ConversationKey:
        """Where a coachee is talked to: their latest conversation, or their first registered chat."""
        with self.db.connect() as conn:
            key = store.current_address(conn, coachee_id)
            if key is None:
                store.get_coachee(conn, coachee_id)  # NotFound for a made-up id
                raise PromptRefused(f"coachee {coachee_id} hasn't joined on any chat yet")
            return key

    def locked(self, key: ConversationKey) -> AbstractAsyncContextManager[None]:
        """The per-conversation lock, for work (the scheduler's) that writes to a conversation outside a turn."""
        return self._locks.hold(key)

    def start_flow_in(
        self, conn: Connection, *, coachee_id: int, flow: str, key: ConversationKey, now: datetime
    ) -> None:
        """Start `flow` within the caller's transaction; raises PromptRefused when it mustn't start now."""
        coachee = store.get_coachee(conn, coachee_id)
        if coachee.status in ("hold", "stopped", "paused"):
            raise PromptRefused(f"coachee {coachee_id} is {_STATUS_WORDS[coachee.status]}")
        if coachee.consent_store is None and flow != "onboarding":
            raise PromptRefused(f"coachee {coachee_id} hasn't finished onboarding yet")
        conversation = store.load_conversation(conn, key) or store.create_conversation(
            conn, key, coachee_id=coachee_id, at=now)
        coach = store.get_coach(conn, coachee.coach_id)
        step = self.flows.start(flow, self._steps.context_for(conn, coachee, coach, now))
        # A new flow replaces whatever was unanswered, cleanly: answers given so far stay stored.
        data = conversation.data.model_copy(update={"position": step.position, "paused": None, "confirm": None,
                                                    "interrupted": None, "nudged": False, "snoozed": False})
        if coachee.consent_store:
            self._steps.store(conn, coachee, step, now)
        store.add_outbox(conn, to=key, replies=step.replies, kind="prompt", at=now, coachee_id=coachee_id)
        store.save_conversation(conn, conversation.model_copy(
            update={"data": data, "wake_at": self._steps.wake_at(data, now)}), at=now)

    def remind_in(self, conn: Connection, *, coachee_id: int, flow: str, key: ConversationKey, now: datetime) -> bool:
        """One reminder for a flow still unanswered; False when it was answered (or already nudged)."""
        conversation = store.load_conversation(conn, key)
        coachee = store.get_coachee(conn, coachee_id)
        if conversation is None or coachee.status != "active":
            return False
        data = conversation.data
        position = data.position
        if position is None or position.flow != flow or data.nudged:
            return False
        ctx = self._steps.context_for(conn, coachee, store.get_coach(conn, coachee.coach_id), now)
        reply = self.flows.question(position, ctx, lead=self.wording.nudge.format(name=coachee.first_name))
        data = data.model_copy(update={"nudged": True, "confirm": None})
        store.add_outbox(conn, to=key, replies=[reply], kind="prompt", at=now, coachee_id=coachee_id)
        store.save_conversation(conn, conversation.model_copy(
            update={"data": data, "wake_at": self._steps.wake_at(data, now)}), at=now)
        return True

    async def wake_due(self, *, limit: int = 200) -> int:
        """Nudge unanswered questions once, expire them later, and re-ask snoozed check-ins. Returns how many."""
        keys = await asyncio.to_thread(self._due_conversations, limit)
        woken = 0
        for key in keys:
            async with self._locks.hold(key):
                try:
                    woken += await asyncio.to_thread(self._wake, key)
                except store.StaleConversation:
                    log.info("conversation changed while waking it; it will be looked at again")
        if woken:
            self.listeners.outbox_written()
        return woken

    def _due_conversations(self, limit: int) -> list[ConversationKey]:
        with self.db.connect() as conn:
            return list(store.due_conversations(conn, now=self.clock(), limit=limit))

    def _wake(self, key: ConversationKey) -> bool:
        now = self.clock()
        with self.db.begin() as conn:
            conversation = store.load_conversation(conn, key)
            if conversation is None or conversation.wake_at is None or conversation.wake_at > now:
                return False
            data = conversation.data
            coachee = store.get_coachee(conn, conversation.coachee_id) if conversation.coachee_id else None
            position = data.position
            if position is None or coachee is None or coachee.status != "active":
                # On hold, paused or gone: no nudges. The conversation wakes again when they write.
                store.save_conversation(conn, conversation.model_copy(update={"wake_at": None}), at=now)
                return False
            coach = store.get_coach(conn, coachee.coach_id)
            ctx = self._steps.context_for(conn, coachee, coach, now)
            name = coachee.first_name
            if data.snoozed:
                reply = self.flows.question(position, ctx, lead=self.wording.snooze_over.format(name=name))
                data = data.model_copy(update={"snoozed": False, "nudged": False})
            elif not data.nudged:
                reply = self.flows.question(position, ctx, lead=self.wording.nudge.format(name=name))
                data = data.model_copy(update={"nudged": True})
            else:
                reply = Reply(text=self.wording.expired.format(name=name))
                log.info("coachee %s: unanswered %s flow expired", coachee.id, position.flow)
                data = data.model_copy(update={"position": None, "nudged": False, "interrupted": None})
            # Asked something since, a pending "are you sure?" lapses: a "yes" now answers this, never that.
            data = data.model_copy(update={"confirm": None})
            store.add_outbox(conn, to=key, replies=[reply], kind="prompt", at=now, coachee_id=coachee.id)
            store.save_conversation(conn, conversation.model_copy(
                update={"data": data, "wake_at": self._steps.wake_at(data, now)}), at=now)
        return True

    def close(self) -> None:
        """Stop the screening thread (a batch under way finishes first)."""
        self._batch.close()

    # the turn

    async def _screen_early(self, msg: InboundMessage) -> _Early | None:
        """Screen before the transaction, batched with the other turns waiting now and off the event loop.

        The turn checks the conversation it then locks still has the turns read here; if another
        worker changed it meanwhile, the turn screens again inside its transaction.
        """
        if msg.text is None:
            return None
        try:
            # A read on the loop: under WAL a writer elsewhere never blocks it, and the batch gathers this tick.
            conversation = self._conversation(msg.key)
            context = conversation.data.recent if conversation is not None else ()
            screening = await self._batch.screen(ScreenRequest.of(msg.text, context=context, at=self.clock()))
        except Exception:
            log.warning("early screen failed for %s message %s; the turn screens it", msg.key.transport,
                        msg.message_id, exc_info=True, extra=_ids(msg))
            return None
        return _Early(tuple(context), screening)

    def _conversation(self, key: ConversationKey) -> Conversation | None:
        with self.db.connect() as conn:
            return store.load_conversation(conn, key)

    def _turn(self, msg: InboundMessage, early: _Early | None = None) -> str:
        """One turn in one transaction; returns its outcome for the metrics: the tier, "unscreened" or "duplicate"."""
        now = self.clock()
        with self.db.begin() as conn:
            store.lock_conversation(conn, msg.key)
            if not store.record_receipt(conn, transport=msg.key.transport, message_id=msg.message_id, at=now):
                log.info("duplicate %s message %s ignored", msg.key.transport, msg.message_id, extra=_ids(msg))
                return "duplicate"
            sender = store.find_sender(conn, transport=msg.key.transport, external_id=msg.key.user)
            identity = sender.identity if sender is not None else None
            conversation = store.load_conversation(conn, msg.key)
            if conversation is None and identity is not None:
                conversation = self._follow_to_new_chat(conn, identity, msg.key)
            if conversation is None:
                conversation = store.create_conversation(
                    conn, msg.key, coachee_id=identity.coachee_id if identity else None, at=now)
            # The receipt keeps its conversation, so it goes when the person's data is erased.
            store.link_receipt(conn, transport=msg.key.transport, message_id=msg.message_id,
                               conversation_id=conversation.id)
            # The screen runs before any flow logic, on every free-text message, answers included.
            screening = None
            if msg.text is not None:
                recent = tuple(conversation.data.recent)
                screening = early.screening if early is not None and early.context == recent else \
                    self.screener.screen(msg.text, context=recent, at=now)
            turn = TurnState(conn=conn, msg=msg, now=now, conversation=conversation, identity=identity,
                         screening=screening)
            if sender is not None:
                turn.coachee, turn.coach, turn.unreachable = sender.coachee, sender.coach, sender.unreachable
            self._route(turn)
            if turn.erased:
                # Written after the erasure, in its transaction: the goodbye belongs to no one's record.
                store.add_outbox(conn, to=msg.key, replies=turn.replies, kind=FAREWELL, at=now, coachee_id=None)
            else:
                self._remember(turn)
                turn.conversation = turn.conversation.model_copy(
                    update={"wake_at": self._steps.wake_at(turn.conversation.data, now)})
                risky = screening is not None and screening.tier >= Tier.CHECK
                store.add_outbox(conn, to=msg.key, replies=turn.replies, kind="reply", at=now,
                                 coachee_id=turn.coachee.id if turn.coachee else None,
                                 priority=SAFETY_REPLY_PRIORITY if risky else 0)
                if turn.replies and replies_may_pile_up(turn.data.allowance, limits=self.config.limits):
                    outbox_rows.collapse_stale(conn, to=msg.key, keep=self.config.limits.pending_replies_per_chat)
                store.save_conversation(conn, turn.conversation, at=now)
        if turn.erased:
            scrub_freed_pages(self.db)
        return "unscreened" if screening is None else screening.tier.value

    def _follow_to_new_chat(
        self, conn: Connection, identity: Identity, key: ConversationKey
    ) -> Conversation | None:
        """Someone registered before they ever wrote (a Slack user id, not yet a DM channel) writes from their
        real chat: that chat becomes their address, and the conversation already under way moves with them."""
        if identity.chat_id == key.chat:
            return None
        store.set_identity_chat(conn, transport=key.transport, external_id=key.user, chat_id=key.chat)
        old = store.load_conversation(conn, store.address_of(identity))
        if old is None:
            return None
        return store.move_conversation(conn, old, chat_id=key.chat)

    def _over_inbound_limit(self, turn: TurnState) -> bool:
        """Past the sender's allowance: the message was screened and is recorded, but not taken as an answer;
        the sender is told once. A message screened for any risk is always acted on."""
        within, left = take(turn.data.allowance, turn.data.allowance_at, now=turn.now, limits=self.config.limits)
        turn.update(allowance=left, allowance_at=turn.now)
        if within:
            if turn.data.slowed:
                turn.update(slowed=False)
            return False
        if turn.screening is not None and turn.screening.tier >= Tier.CHECK:
            return False
        if not turn.data.slowed:
            turn.replies.append(Reply(text=self.wording.slow_down))
            turn.update(slowed=True)
        log.warning("%s sender over the inbound limit: message %s recorded, not answered", turn.msg.key.transport,
                    turn.msg.message_id, extra=_ids(turn.msg))
        return True

    def _route(self, turn: TurnState) -> None:
        if self._over_inbound_limit(turn):
            return
        if turn.unreachable:
            store.set_unreachable(turn.conn, transport=turn.msg.key.transport, external_id=turn.msg.key.user, at=None)
        if turn.msg.unsupported is not None and (turn.screening is None or turn.screening.tier is Tier.NONE):
            # A photo's caption or an edit is screened like any text, but never taken as an answer.
            turn.replies.append(Reply(text=self._steps.fill(self.wording.text_only, turn)))
            return
        if turn.identity is not None and turn.identity.coach_id is not None:
            self._coach_turn(turn)
            return
        if turn.coachee is None:
            self._stranger_turn(turn)
            return
        if turn.coachee.status == "hold" and self._still_theirs_on_hold(turn):
            return
        if self._safety.screen_coachee(turn):
            turn.update(confirm=None)  # a pending "are you sure?" lapses: the next "yes" may answer the safety question
            return
        coachee = turn.coachee
        text = (turn.msg.text or "").strip()
        if turn.data.confirm == "forget" and self._coachee_desk.confirmation(turn, text, "forget"):
            return
        if (turn.msg.payload or "").startswith(FORGET_PAYLOAD):
            turn.replies.append(Reply(text=self.wording.forget_expired))  # a button from an older question
            return
        bare = text.lower().rstrip("!. ")
        if coachee.status == "stopped" and (bare.split() or [""])[0].lstrip("/").split("@")[0] not in _AFTER_STOP:
            turn.replies.append(Reply(text=self._steps.fill(self.wording.stopped, turn)))
            return
        if turn.data.confirm == "stop" and self._coachee_desk.confirmation(turn, text, "stop"):
            return
        if text.startswith("/") or bare in _BARE or bare.startswith(_WITH_TEXT):
            # Slack keeps "/word" for its own slash commands, so a message that is just the word works too.
            self._command(turn, text if text.startswith("/") else "/" + bare)
            return
        if coachee.status == "paused":
            turn.replies.append(Reply(text=self._steps.fill(self.wording.still_paused, turn)))
            return
        self._steps.answer(turn)

    def _still_theirs_on_hold(self, turn: TurnState) -> bool:
        """On a safety hold coaching stops, but what is theirs goes on: help, privacy, their data and its erasure,
        and saying the alert was a mistake. A message with any sign of risk goes to the safety routing first."""
        if turn.screening is not None and turn.screening.tier is not Tier.NONE:
            return False
        text = (turn.msg.text or "").strip()
        if turn.data.confirm == "forget" and self._coachee_desk.confirmation(turn, text, "forget"):
            return True
        bare = text.lower().rstrip("!. ")
        word = (bare.split() or [""])[0].lstrip("/").split("@")[0]
        if word in _ON_HOLD and (text.startswith("/") or bare in _BARE):
            self._command(turn, text if text.startswith("/") else "/" + bare)
            return True
        if self._mistake.search(bare.replace("\u2019", "'")):
            self._safety.heard_mistake(turn)
            return True
        return False

    # strangers and joining

    def _stranger_turn(self, turn: TurnState) -> None:
        screening = turn.screening
        if screening is not None and screening.tier >= Tier.CRISIS:
            self._safety.signpost_stranger(turn, screening)
            return
        match = _JOIN.match(turn.msg.text or "")
        if match is None:
            turn.replies.append(Reply(text=self.wording.stranger))
            return
        misses = tuple(at for at in turn.data.invite_misses if turn.now - at < INVITE_WINDOW)
        if len(misses) >= INVITE_TRIES:
            # Not even looked at: a guesser learns nothing from this try, a person is told when to try again.
            turn.update(invite_misses=misses)
            turn.replies.append(Reply(text=self.wording.invite_tries_used))
            log.warning("%s sender: invite code tries used up for the hour", turn.msg.key.transport)
            return
        coach_id = store.redeem_invite(turn.conn, code=match.group(1), at=turn.now)
        if coach_id is None:
            turn.update(invite_misses=(*misses, turn.now))
            turn.replies.append(Reply(text=self.wording.bad_invite))
            return
        name = turn.msg.display_name or ""
        coachee = store.add_coachee(turn.conn, coach_id=coach_id, name=name, at=turn.now)
        store.mark_invite_used_by(turn.conn, code=match.group(1), coachee_id=coachee.id)
        store.add_identity(turn.conn, transport=turn.msg.key.transport, external_id=turn.msg.key.user,
                           coachee_id=coachee.id, chat_id=turn.msg.key.chat)
        turn.coachee, turn.coach = coachee, store.get_coach(turn.conn, coach_id)
        turn.conversation = turn.conversation.model_copy(update={"coachee_id": coachee.id})
        log.info("coachee %s joined coach %s by invite", coachee.id, coach_id,
                 extra=_ids(turn.msg, coachee_id=coachee.id, coach_id=coach_id))
        self._steps.start(turn, "onboarding")

    # commands

    def _command(self, turn: TurnState, text: str) -> None:
        word, _, rest = text.partition(" ")
        word = word.lower().split("@")[0].removeprefix("/")
        handler = self._handlers.get(("coachee", word))
        if handler is not None:
            handler(turn, word, rest.strip())
        elif word in self._coach_only:
            turn.replies.append(Reply(text=self.wording.coach_only))
        else:
            turn.replies.append(Reply(text=self.wording.unknown_command.format(
                commands=self.wording.command_list())))

    # coaches

    def _coach_turn(self, turn: TurnState) -> None:
        coach = turn.coach
        assert coach is not None
        screening = turn.screening
        if screening is not None and screening.tier >= Tier.CRISIS:
            self._safety.signpost_stranger(turn, screening)
            return
        text = (turn.msg.text or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower().split("@")[0].removeprefix("/")
        handler = self._handlers.get(("coach", word))
        if handler is None or (word in self._group_words and self.listeners.group_command is None):
            turn.replies.append(Reply(text=self.wording.coach_hello.format(name=coach.name)))
        else:
            handler(turn, word, rest.strip())

    # helpers

    def _remember(self, turn: TurnState) -> None:
        """Keep the last few turns so the next screen can read short follow-ups in context."""
        recent = list(turn.data.recent)
        if turn.msg.text:
            recent.append(Turn(speaker="coachee", text=turn.msg.text[:500], at=turn.now))
        if turn.replies:
            recent.append(Turn(speaker="bot", text=turn.replies[-1].text[:300], at=turn.now))
        turn.update(recent=tuple(recent[-RECENT_TURNS:]))


__all__ = ["Engine", "Position", "PromptRefused", "Screener", "TurnFailed"]
