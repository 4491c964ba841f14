"""The engine: every inbound message goes lock → de-duplicate → screen → route → one transaction → deliver.

Nothing here knows about Telegram or Slack; transports hand in InboundMessage and get Replies via the outbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.coach_desk import CoachDesk
from bot.commands import COMMANDS, coach_words, handler_name
from bot.config import Config
from bot.facts import flow_context
from bot.listeners import NO_LISTENERS, EngineListeners, PromptRefused
from bot.locks import KeyedLocks
from bot.screening import BatchScreener
from bot.storage import store
from bot.storage.erasure import FAREWELL, erase_coachee, export_coachee, scrub_freed_pages
from bot.storage.records import Coach, Coachee, Conversation, ConversationData, Identity, OutboxKind
from bot.transports.base import TurnFailed
from bot.turn import TurnState, database_unavailable, utc_now
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Reply
from bot.wording import EngineWording
from flows.parsing import Parsed, parse_when, parse_yes_no
from flows.stepper import FlowContext, FlowRunner, Position, RecordedAnswer, StepResult
from safety.routing import CHECK_PAYLOAD, SafetyOutcome, SafetyRouter, SafetyState
from safety.types import Screening, ScreenRequest, Tier, Turn

log = logging.getLogger(__name__)

RECENT_TURNS = 6
# not said: an operator's reason a flow was refused (coachbot prompt prints it)
_STATUS_WORDS = {"hold": "on a safety hold (their coach lifts it)", "stopped": "no longer in the programme",
                 "paused": "on a pause they asked for"}
ALERT_PRIORITY = 100
NOTICE_PRIORITY = 50
STOP_PAYLOAD = "confirm:stop:"
FORGET_PAYLOAD = "confirm:forget:"
Confirmable = Literal["stop", "forget"]
_CONFIRM_PAYLOADS: dict[Confirmable, str] = {"stop": STOP_PAYLOAD, "forget": FORGET_PAYLOAD}
MY_DATA_FILE = "coachbot-my-data.json"
# not said: words people answer /checkins with
_CHECKIN_EVERY = {"off": 0, "none": 0, "stop": 0, "never": 0, "weekly": 7, "every week": 7, "fortnightly": 14,
                  "every two weeks": 14, "every 2 weeks": 14, "daily": 1, "on": 7}
_AFTER_STOP = frozenset(c.word for c in COMMANDS if c.audience == "coachee" and c.after_stop)
_BARE = frozenset(c.word for c in COMMANDS if c.audience == "coachee" and c.bare)
_WITH_TEXT = tuple(f"{c.word} " for c in COMMANDS if c.audience == "coachee" and c.bare and c.takes_text)
_JOIN = re.compile(r"^\s*(?:/start|join)\s+([A-Za-z0-9_\-]{4,64})\s*$", re.IGNORECASE)


class Screener(Protocol):
    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening: ...

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]: ...


@dataclass(frozen=True, slots=True)
class _Early:
    """A message screened before its transaction, against the conversation as it was read then."""

    context: tuple[Turn, ...]
    screening: Screening


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
        self._coach_desk = CoachDesk(wording=self.wording, config=config, flows=flows, router=router,
                                     listeners=listeners, starter=self)
        owners = {"coachee": self, "coach": self._coach_desk}
        self._handlers: dict[tuple[str, str], Callable[[TurnState, str, str], None]] = {
            (c.audience, c.word): getattr(owners[c.audience], handler_name(c)) for c in COMMANDS}  # no handler: fails
        self._coach_only = coach_words()
        self._group_words = frozenset(c.word for c in COMMANDS if c.group)
        self._batch = BatchScreener(screener)

    async def handle(self, msg: InboundMessage) -> None:
        """Handle one message. Raises TurnFailed if nothing could be stored, so it isn't acknowledged."""
        async with self._locks.hold(msg.key):
            early = await self._screen_early(msg)
            for attempt in range(3):
                try:
                    self._turn(msg, early)
                    break
                except store.StaleConversation:
                    log.warning("conversation changed under a turn; retrying (attempt %d)", attempt + 1)
                except Exception as exc:
                    log.exception("turn failed for %s message %s", msg.key.transport, msg.message_id)
                    raise TurnFailed(type(exc).__name__, retryable=database_unavailable(exc)) from exc
            else:
                raise TurnFailed("conversation kept changing underneath", retryable=False)
        self.listeners.outbox_written()

    async def prompt(self, coachee_id: int, flow: str) -> None:
        """Start a flow now, as `coachbot prompt` does. Never while on a safety hold."""
        self.flows.registry.spec(flow)
        key = self.address(coachee_id)
        async with self._locks.hold(key):
            now = self.clock()
            with self.db.begin() as conn:
                self.start_flow_in(conn, coachee_id=coachee_id, flow=flow, key=key, now=now)
        self.listeners.outbox_written()

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
        step = self.flows.start(flow, self._context_for(conn, coachee, coach, now))
        # A new flow replaces whatever was unanswered, cleanly: answers given so far stay stored.
        data = conversation.data.model_copy(update={"position": step.position, "paused": None, "confirm": None,
                                                    "interrupted": None, "nudged": False, "snoozed": False})
        if coachee.consent_store:
            self._store_step(conn, coachee, step, now)
        store.add_outbox(conn, to=key, replies=step.replies, kind="prompt", at=now, coachee_id=coachee_id)
        store.save_conversation(conn, conversation.model_copy(
            update={"data": data, "wake_at": self._wake_at(data, now)}), at=now)

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
        ctx = self._context_for(conn, coachee, store.get_coach(conn, coachee.coach_id), now)
        reply = self.flows.question(position, ctx, lead=self.wording.nudge.format(name=coachee.first_name))
        data = data.model_copy(update={"nudged": True, "confirm": None})
        store.add_outbox(conn, to=key, replies=[reply], kind="prompt", at=now, coachee_id=coachee_id)
        store.save_conversation(conn, conversation.model_copy(
            update={"data": data, "wake_at": self._wake_at(data, now)}), at=now)
        return True

    async def wake_due(self, *, limit: int = 200) -> int:
        """Nudge unanswered questions once, expire them later, and re-ask snoozed check-ins. Returns how many."""
        with self.db.connect() as conn:
            keys = store.due_conversations(conn, now=self.clock(), limit=limit)
        woken = 0
        for key in keys:
            async with self._locks.hold(key):
                try:
                    woken += self._wake(key)
                except store.StaleConversation:
                    log.info("conversation changed while waking it; it will be looked at again")
        if woken:
            self.listeners.outbox_written()
        return woken

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
            ctx = self._context_for(conn, coachee, coach, now)
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
                update={"data": data, "wake_at": self._wake_at(data, now)}), at=now)
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
            with self.db.connect() as conn:
                conversation = store.load_conversation(conn, msg.key)
            context = conversation.data.recent if conversation is not None else ()
            screening = await self._batch.screen(ScreenRequest.of(msg.text, context=context, at=self.clock()))
        except Exception:
            log.warning("early screen failed for %s message %s; the turn screens it", msg.key.transport,
                        msg.message_id, exc_info=True)
            return None
        return _Early(tuple(context), screening)

    def _turn(self, msg: InboundMessage, early: _Early | None = None) -> None:
        now = self.clock()
        with self.db.begin() as conn:
            store.lock_conversation(conn, msg.key)
            if not store.record_receipt(conn, transport=msg.key.transport, message_id=msg.message_id, at=now):
                log.info("duplicate %s message %s ignored", msg.key.transport, msg.message_id)
                return
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
                    update={"wake_at": self._wake_at(turn.conversation.data, now)})
                store.add_outbox(conn, to=msg.key, replies=turn.replies, kind="reply", at=now,
                                 coachee_id=turn.coachee.id if turn.coachee else None)
                store.save_conversation(conn, turn.conversation, at=now)
        if turn.erased:
            scrub_freed_pages(self.db)

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

    def _route(self, turn: TurnState) -> None:
        if turn.unreachable:
            store.set_unreachable(turn.conn, transport=turn.msg.key.transport, external_id=turn.msg.key.user, at=None)
        if turn.msg.unsupported is not None and (turn.screening is None or turn.screening.tier is Tier.NONE):
            # A photo's caption or an edit is screened like any text, but never taken as an answer.
            turn.replies.append(Reply(text=self._fill(self.wording.text_only, turn)))
            return
        if turn.identity is not None and turn.identity.coach_id is not None:
            self._coach_turn(turn)
            return
        if turn.coachee is None:
            self._stranger_turn(turn)
            return
        if self._safety(turn):
            turn.update(confirm=None)  # a pending "are you sure?" lapses: the next "yes" may answer the safety question
            return
        coachee = turn.coachee
        text = (turn.msg.text or "").strip()
        if turn.data.confirm == "forget" and self._confirmation(turn, text, "forget"):
            return
        if (turn.msg.payload or "").startswith(FORGET_PAYLOAD):
            turn.replies.append(Reply(text=self.wording.forget_expired))  # a button from an older question
            return
        bare = text.lower().rstrip("!. ")
        if coachee.status == "stopped" and (bare.split() or [""])[0].lstrip("/").split("@")[0] not in _AFTER_STOP:
            turn.replies.append(Reply(text=self._fill(self.wording.stopped, turn)))
            return
        if turn.data.confirm == "stop" and self._confirmation(turn, text, "stop"):
            return
        if text.startswith("/") or bare in _BARE or bare.startswith(_WITH_TEXT):
            # Slack keeps "/word" for its own slash commands, so a message that is just the word works too.
            self._command(turn, text if text.startswith("/") else "/" + bare)
            return
        if coachee.status == "paused":
            turn.replies.append(Reply(text=self._fill(self.wording.still_paused, turn)))
            return
        self._flow_turn(turn)

    # safety

    def _safety(self, turn: TurnState) -> bool:
        assert turn.coachee is not None
        state = SafetyState(
            tier=turn.conversation.safety_tier,
            pending_check=turn.data.pending_check,
            on_hold=turn.coachee.status == "hold",
            paused_for_stress=turn.coachee.status == "paused",
        )
        outcome = self.router.route(screening=turn.screening, state=state, text=turn.msg.text,
                                    payload=turn.msg.payload)
        if outcome is None:
            return False
        self._apply_safety(turn, outcome)
        return True

    def _apply_safety(self, turn: TurnState, outcome: SafetyOutcome) -> None:
        coachee = turn.coachee
        assert coachee is not None
        reply_text = outcome.reply.format(
            name=coachee.first_name, coach=turn.coach.name if turn.coach else "your coach",
            services=self.router.services_text(outcome.tier if outcome.tier >= Tier.STRESS else Tier.CRISIS),
        )
        buttons: tuple[Button, ...] = ()
        if outcome.check_buttons:
            buttons = (Button(label=self.wording.labels.yes, payload=f"{CHECK_PAYLOAD}yes"),
                       Button(label=self.wording.labels.no, payload=f"{CHECK_PAYLOAD}no"))
        turn.replies.append(Reply(text=reply_text, buttons=buttons))
        data = turn.data
        changes: dict[str, object] = {"pending_check": outcome.pending_check}
        if outcome.pause_flow and data.position is not None:
            changes.update(paused=data.position, position=None)
        if outcome.resume_flow and data.paused is not None:
            changes.update(position=data.paused, paused=None)
            turn.replies.append(self.flows.question(data.paused, self._context(turn)))
        turn.update(**changes)
        turn.conversation = turn.conversation.model_copy(update={"safety_tier": outcome.tier})
        if outcome.hold and coachee.status != "hold":
            store.set_coachee_status(turn.conn, coachee.id, "hold")
        elif outcome.notice and coachee.status == "active":
            store.set_coachee_status(turn.conn, coachee.id, "paused")
        alert_id = None
        if outcome.alert or outcome.notice:
            alert_id = self._alert_coach(turn, outcome)
        screening = turn.screening
        store.add_safety_event(
            turn.conn, coachee_id=coachee.id, conversation_id=turn.conversation.id, tier=outcome.tier,
            rules=screening.rules if screening else ("routing.check_answer",),
            ruleset_version=screening.ruleset_version if screening else "n/a", action=outcome.action.value,
            alert_outbox_id=alert_id, at=turn.now,
        )
        log.warning("safety routing: coachee %s tier %s action %s", coachee.id, outcome.tier.value,
                    outcome.action.value)

    def _alert_coach(self, turn: TurnState, outcome: SafetyOutcome) -> int | None:
        coachee, coach = turn.coachee, turn.coach
        assert coachee is not None and coach is not None
        template = self.router.templates.alert if outcome.alert else self.router.templates.stress_notice
        text = template.format(
            coachee=coachee.name, coachee_id=coachee.id, tier=outcome.tier.value,
            when=f"{turn.now:%Y-%m-%d %H:%M} UTC",
            routing=", ".join(outcome.services) or self.wording.services_directory,
        )
        recipients = [coach.id]
        contact = self.config.safety.safeguarding_contact
        if outcome.alert and self.config.safety.alert == "coach+safeguarding" and contact.isdigit():
            recipients.append(int(contact))
        first_id: int | None = None
        for coach_id in dict.fromkeys(recipients):
            ids = self._send_to_coach(turn, coach_id, Reply(text=text), kind="alert" if outcome.alert else "notice",
                                      priority=ALERT_PRIORITY if outcome.alert else NOTICE_PRIORITY)
            first_id = first_id or (ids[0] if ids else None)
        return first_id

    def _send_to_coach(self, turn: TurnState, coach_id: int, reply: Reply, *, kind: OutboxKind,
                       priority: int) -> list[int]:
        identities = store.identities_of(turn.conn, coach_id=coach_id)
        if not identities:
            log.error("coach %s has no chat to reach them; the %s stays in the outbox as dead", coach_id, kind)
            to = ConversationKey(transport="unrouted", user=f"coach-{coach_id}", chat=f"coach-{coach_id}")
        else:
            to = store.address_of(identities[0])
        return store.add_outbox(turn.conn, to=to, replies=[reply], kind=kind, at=turn.now,
                                coachee_id=turn.coachee.id if turn.coachee else None, priority=priority)

    # strangers and joining

    def _stranger_turn(self, turn: TurnState) -> None:
        screening = turn.screening
        if screening is not None and screening.tier >= Tier.CRISIS:
            self._stranger_safety(turn, screening)
            return
        match = _JOIN.match(turn.msg.text or "")
        if match is None:
            turn.replies.append(Reply(text=self.wording.stranger))
            return
        coach_id = store.redeem_invite(turn.conn, code=match.group(1), at=turn.now)
        if coach_id is None:
            turn.replies.append(Reply(text=self.wording.bad_invite))
            return
        name = (turn.msg.display_name or "").strip()[:200] or "there"
        coachee = store.add_coachee(turn.conn, coach_id=coach_id, name=name, at=turn.now)
        store.mark_invite_used_by(turn.conn, code=match.group(1), coachee_id=coachee.id)
        store.add_identity(turn.conn, transport=turn.msg.key.transport, external_id=turn.msg.key.user,
                           coachee_id=coachee.id, chat_id=turn.msg.key.chat)
        turn.coachee, turn.coach = coachee, store.get_coach(turn.conn, coach_id)
        turn.conversation = turn.conversation.model_copy(update={"coachee_id": coachee.id})
        log.info("coachee %s joined coach %s by invite", coachee.id, coach_id)
        self._start_flow(turn, "onboarding")

    def _stranger_safety(self, turn: TurnState, screening: Screening) -> None:
        templates = self.router.templates
        template = templates.stranger_emergency if screening.tier is Tier.EMERGENCY else templates.stranger_crisis
        turn.replies.append(Reply(text=template.format(services=self.router.services_text(screening.tier))))
        turn.conversation = turn.conversation.model_copy(update={"safety_tier": max(
            turn.conversation.safety_tier, screening.tier)})
        alert_id = None
        contact = self.config.safety.safeguarding_contact
        if contact.isdigit():
            alert = self.router.templates.stranger_alert.format(
                transport=turn.msg.key.transport, user=turn.msg.key.user, tier=screening.tier.value,
                when=f"{turn.now:%Y-%m-%d %H:%M} UTC",
                routing=", ".join(s.name for s in self.router.services_for(screening.tier)))
            ids = self._send_to_coach(turn, int(contact), Reply(text=alert), kind="alert", priority=ALERT_PRIORITY)
            alert_id = ids[0] if ids else None
        store.add_safety_event(
            turn.conn, coachee_id=None, conversation_id=turn.conversation.id, tier=screening.tier,
            rules=screening.rules, ruleset_version=screening.ruleset_version, action="stranger_signposted",
            alert_outbox_id=alert_id, at=turn.now,
        )

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

    # the coachee's commands, one method each (bot/commands.py lists them)

    def _coachee_help(self, turn: TurnState, word: str, rest: str) -> None:
        turn.replies.append(Reply(text=self._fill(self.wording.help, turn)))

    def _coachee_privacy(self, turn: TurnState, word: str, rest: str) -> None:
        turn.replies.append(Reply(text=self._fill(self.wording.privacy, turn)))

    def _coachee_start(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coachee is not None
        if turn.coachee.consent_store is None or turn.coachee.consent_store is False:
            self._start_flow(turn, "onboarding")
        else:
            turn.replies.append(Reply(text=self._fill(self.wording.already_joined, turn)))

    def _coachee_skip(self, turn: TurnState, word: str, rest: str) -> None:
        position = turn.data.position
        skipped = self.flows.skip(position, self._context(turn)) if position else None
        if position is None:
            turn.replies.append(Reply(text=self.wording.nothing_to_skip))
        elif skipped is None:
            turn.replies.append(Reply(text=self.wording.cant_skip))
        else:
            self._apply_step(turn, skipped)

    def _coachee_back(self, turn: TurnState, word: str, rest: str) -> None:
        position = turn.data.position
        back = self.flows.back(position, self._context(turn)) if position else None
        if back is None:
            turn.replies.append(Reply(text=self.wording.nothing_back))
        else:
            self._apply_step(turn, back)

    def _coachee_pause(self, turn: TurnState, word: str, rest: str) -> None:
        if turn.data.position is not None:
            turn.update(paused=turn.data.position, position=None)
        turn.replies.append(Reply(text=self._fill(self.wording.paused, turn)))

    def _coachee_resume(self, turn: TurnState, word: str, rest: str) -> None:
        self._resume(turn)

    def _coachee_stop(self, turn: TurnState, word: str, rest: str) -> None:
        self._ask_to_confirm(turn, "stop")

    def _coachee_forget(self, turn: TurnState, word: str, rest: str) -> None:
        self._ask_to_confirm(turn, "forget")

    def _coachee_journal(self, turn: TurnState, word: str, rest: str) -> None:
        self._journal(turn)

    def _coachee_mydata(self, turn: TurnState, word: str, rest: str) -> None:
        self._my_data(turn)

    def _coachee_checkins(self, turn: TurnState, word: str, rest: str) -> None:
        self._checkins(turn, rest)

    def _checkins(self, turn: TurnState, choice: str) -> None:
        """The coachee's own check-in time and frequency: "/checkins 9am", "/checkins fortnightly", "off"."""
        coachee = turn.coachee
        assert coachee is not None
        every = _CHECKIN_EVERY.get(choice.lower())
        when = parse_when(choice, now=turn.now) if choice and every is None else None
        if every is None and when is None:
            current = coachee.checkin_every_days
            rhythm = self.wording.rhythm
            how_often = {None: rhythm.usual, 0: rhythm.off, 7: rhythm.weekly, 14: rhythm.fortnightly}.get(
                current, rhythm.every_days.format(days=current))
            turn.replies.append(Reply(text=self.wording.checkins_now.format(
                name=coachee.first_name, often=how_often, at=coachee.checkin_time or
                f"{self.config.schedule.checkin_time:%H:%M}")))
            return
        if every is not None:
            store.set_checkin_preferences(turn.conn, coachee.id, every_days=every)
            done = self.wording.checkins_off if every == 0 else self.wording.checkins_every.format(days=every)
        else:
            assert when is not None
            store.set_checkin_preferences(turn.conn, coachee.id, time_of_day=f"{when:%H:%M}")
            done = self.wording.checkins_time.format(at=f"{when:%H:%M}")
        turn.replies.append(Reply(text=done))
        self.listeners.calendar_changed(turn.conn, coachee.id, turn.now)

    def _journal(self, turn: TurnState) -> None:
        """A private note between sessions; an unfinished flow waits and picks up afterwards."""
        assert turn.coachee is not None
        if turn.coachee.consent_store is not True:
            turn.replies.append(Reply(text=self._fill(self.wording.journal_needs_consent, turn)))
            return
        position = turn.data.position
        if position is not None and position.flow != "journal":
            turn.update(interrupted=position)
        self._start_flow(turn, "journal")

    def _ask_to_confirm(self, turn: TurnState, kind: Confirmable) -> None:
        """/stop and /forget can't be undone, so each asks first, with a button for each answer."""
        words, prefix = getattr(self.wording.confirm, kind), _CONFIRM_PAYLOADS[kind]
        turn.update(confirm=kind)
        turn.replies.append(Reply(text=self._fill(words.question, turn), buttons=(
            Button(label=words.yes, payload=f"{prefix}yes"), Button(label=words.no, payload=f"{prefix}no"))))

    def _confirmation(self, turn: TurnState, text: str, kind: Confirmable) -> bool:
        """The answer to "are you sure?"; False when they moved on to something else (nothing is done)."""
        coachee = turn.coachee
        assert coachee is not None
        payload, prefix = turn.msg.payload or "", _CONFIRM_PAYLOADS[kind]
        answer = payload.removeprefix(prefix) if payload.startswith(prefix) else None
        if answer not in (None, "yes", "no"):
            answer = None  # a malformed button is no answer, never a yes
        if answer is None and not text.startswith("/"):
            parsed = parse_yes_no(text)
            answer = parsed.value if isinstance(parsed, Parsed) else None
        turn.update(confirm=None)
        if answer is None:
            return False
        if answer != "yes":
            turn.replies.append(Reply(text=self._fill(getattr(self.wording.confirm, kind).cancelled, turn)))
            if turn.data.position is not None and coachee.status == "active":
                turn.replies.append(self.flows.question(turn.data.position, self._context(turn)))
        elif kind == "stop":
            self._stop_now(turn, coachee)
        else:
            self._forget_now(turn, coachee)
        return True

    def _stop_now(self, turn: TurnState, coachee: Coachee) -> None:
        store.set_coachee_status(turn.conn, coachee.id, "stopped")
        turn.update(position=None, paused=None, interrupted=None)
        turn.replies.append(Reply(text=self._fill(self.wording.stop_done, turn)))
        assert turn.coach is not None
        self._send_to_coach(turn, turn.coach.id, Reply(text=self.wording.coach_stopped.format(
            coachee=coachee.name)), kind="notice", priority=NOTICE_PRIORITY)
        log.info("coachee %s left the programme", coachee.id)

    def _my_data(self, turn: TurnState) -> None:
        """A copy of everything held about them, as a JSON file sent to them alone."""
        assert turn.coachee is not None
        export = export_coachee(turn.conn, turn.coachee.id, now=turn.now)
        turn.replies.append(Reply(text=self._fill(self.wording.my_data, turn), attachment=Attachment(
            filename=MY_DATA_FILE, media_type="application/json", data=export.to_json().encode("utf-8"))))
        log.info("coachee %s was sent their data (/mydata)", turn.coachee.id)

    def _forget_now(self, turn: TurnState, coachee: Coachee) -> None:
        erase_coachee(turn.conn, coachee.id)
        turn.erased, turn.coachee = True, None
        turn.replies[:] = [Reply(text=self.wording.forget_done)]  # no name: this row outlives their record
        if turn.coach is not None:
            self._send_to_coach(turn, turn.coach.id, Reply(text=self.wording.coach_forgot), kind="notice",
                                priority=NOTICE_PRIORITY)
        log.info("coachee %s erased their data (/forget)", coachee.id)

    def _resume(self, turn: TurnState) -> None:
        assert turn.coachee is not None
        if turn.coachee.status == "paused":
            store.set_coachee_status(turn.conn, turn.coachee.id, "active")
        paused = turn.data.paused
        if paused is None:
            if turn.data.position is not None:
                turn.replies.append(self.flows.question(turn.data.position, self._context(turn)))
            else:
                turn.replies.append(Reply(text=self.wording.nothing_paused))
            return
        turn.update(position=paused, paused=None)
        lead = self._fill(self.wording.resuming, turn)
        turn.replies.append(self.flows.question(paused, self._context(turn), lead=lead))

    # coaches

    def _coach_turn(self, turn: TurnState) -> None:
        coach = turn.coach
        assert coach is not None
        screening = turn.screening
        if screening is not None and screening.tier >= Tier.CRISIS:
            self._stranger_safety(turn, screening)
            return
        text = (turn.msg.text or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower().split("@")[0].removeprefix("/")
        handler = self._handlers.get(("coach", word))
        if handler is None or (word in self._group_words and self.listeners.group_command is None):
            turn.replies.append(Reply(text=self.wording.coach_hello.format(name=coach.name)))
        else:
            handler(turn, word, rest.strip())

    # flows

    def _flow_turn(self, turn: TurnState) -> None:
        coachee = turn.coachee
        assert coachee is not None
        position = turn.data.position
        if position is None:
            if coachee.consent_store is None:
                self._start_flow(turn, "onboarding")
            elif turn.data.paused is not None:
                self._resume(turn)
            else:
                turn.replies.append(Reply(text=self._fill(self.wording.idle, turn)))
            return
        step = self.flows.answer(position, self._context(turn), text=turn.msg.text, payload=turn.msg.payload)
        self._apply_step(turn, step)

    def _start_flow(self, turn: TurnState, flow: str) -> None:
        self._apply_step(turn, self.flows.start(flow, self._context(turn)))

    def _apply_step(self, turn: TurnState, step: StepResult) -> None:
        coachee = turn.coachee
        assert coachee is not None
        conn, now = turn.conn, turn.now
        if step.profile:
            store.apply_profile(conn, coachee.id, step.profile)
            turn.coachee = coachee = store.get_coachee(conn, coachee.id)
            if any(c.field == "timezone" for c in step.profile):
                self.listeners.calendar_changed(conn, coachee.id, now)
        if coachee.consent_store:
            self._store_step(conn, coachee, step, now)
        if step.answers:
            self.listeners.flow_stepped(conn, coachee, step, now)
        turn.replies.extend(step.replies)
        position = step.position
        interrupted = turn.data.interrupted
        if position is None and interrupted is not None and not step.snooze:
            # A /journal aside has ended: pick up the flow it interrupted.
            position = interrupted
            turn.replies.append(self.flows.question(interrupted, self._context(turn),
                                                    lead=self._fill(self.wording.back_to_it, turn)))
            turn.update(interrupted=None)
        turn.update(position=position, nudged=False, snoozed=step.snooze)

    def _store_step(self, conn: Connection, coachee: Coachee, step: StepResult, now: datetime) -> None:
        """Answers, actions and sharing decisions, all in the turn's transaction."""
        by_flow: dict[str, list[RecordedAnswer]] = {}
        for answer in step.answers:
            by_flow.setdefault(answer.flow, []).append(answer)
        for flow, answers in by_flow.items():
            shared = self.flows.registry.spec(flow).sharing == "consent" and bool(coachee.consent_share)
            store.add_answers(conn, coachee_id=coachee.id, answers=answers, at=now, shared=shared)
        store.add_actions(conn, coachee_id=coachee.id, actions=step.new_actions, at=now)
        store.update_actions(conn, coachee_id=coachee.id, updates=step.action_updates, at=now)
        if coachee.consent_share:
            for share in step.shares:
                store.share_run(conn, coachee_id=coachee.id, run_id=share.run_id, private=share.private)

    def _wake_at(self, data: ConversationData, now: datetime) -> datetime | None:
        """When the sweeper should look again: a snooze ending, or a nudge for an unanswered question."""
        if data.position is None:
            return None
        schedule = self.config.schedule
        if data.snoozed:
            return now + schedule.snooze_for
        return now + (schedule.expire_after - schedule.nudge_after if data.nudged else schedule.nudge_after)

    # helpers

    def _context(self, turn: TurnState) -> FlowContext:
        assert turn.coachee is not None and turn.coach is not None
        return self._context_for(turn.conn, turn.coachee, turn.coach, turn.now)

    def _context_for(self, conn: Connection, coachee: Coachee, coach: Coach, now: datetime) -> FlowContext:
        return flow_context(conn, coachee=coachee, coach=coach, now=now, flows=self.flows,
                            default_timezone=self.config.schedule.default_timezone)

    def _fill(self, template: str, turn: TurnState) -> str:
        name = turn.coachee.first_name if turn.coachee else "there"
        return template.format(name=name, coach=turn.coach.name if turn.coach else "your coach",
                               commands=self.wording.command_list())

    def _remember(self, turn: TurnState) -> None:
        """Keep the last few turns so the next screen can read short follow-ups in context."""
        recent = list(turn.data.recent)
        if turn.msg.text:
            recent.append(Turn(speaker="coachee", text=turn.msg.text[:500], at=turn.now))
        if turn.replies:
            recent.append(Turn(speaker="bot", text=turn.replies[-1].text[:300], at=turn.now))
        turn.update(recent=tuple(recent[-RECENT_TURNS:]))


__all__ = ["Engine", "Position", "PromptRefused", "Screener", "TurnFailed"]
