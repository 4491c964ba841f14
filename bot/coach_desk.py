"""The coach's chat commands: their caseload, lifting a hold, a digest, an invite, booking a session, groups.

Each command is one method named as its word (bot/commands.py lists them), run inside the coach's turn and
written in its transaction. Nothing here sees a coachee who isn't on the asking coach's caseload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.config import Config
from bot.digest import render_digest
from bot.facts import flow_context
from bot.listeners import EngineListeners, FlowStarter
from bot.storage import store
from bot.storage.records import Coach, Coachee
from bot.storage.web_access import LINK_VALID_FOR, create_link
from bot.transports.registry import join_hints
from bot.turn import TurnState
from bot.types import ConversationKey, Reply
from bot.web.links import signin_link
from bot.wording import EngineWording
from flows.parsing import parse_when
from flows.stepper import FlowRunner
from safety.routing import Action, SafetyRouter
from safety.types import Tier

__all__ = ["CoachDesk", "lift_hold"]


class CoachDesk:
    def __init__(self, *, wording: EngineWording, config: Config, flows: FlowRunner, router: SafetyRouter,
                 listeners: EngineListeners, starter: FlowStarter) -> None:
        self.wording = wording
        self.config = config
        self.flows = flows
        self.router = router
        self.listeners = listeners
        self.starter = starter

    def help(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coach is not None
        turn.replies.append(Reply(text=self.wording.coach_hello.format(name=turn.coach.name)))

    def coachees(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coach is not None
        caseload = store.list_coachees(turn.conn, coach_id=turn.coach.id)
        lines = "\n".join(f"• {c.name} (id {c.id}): {c.status}" for c in caseload)
        turn.replies.append(Reply(text=self.wording.coach_caseload.format(lines=lines) if caseload
                                  else self.wording.coach_no_caseload))

    def resume(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coach is not None
        found = self._find_coachee(turn, rest)
        if found is not None:
            turn.replies.append(Reply(text=self._lift_hold(turn.conn, found, turn.coach, turn.now)))

    def digest(self, turn: TurnState, word: str, rest: str) -> None:
        found = self._find_coachee(turn, rest)
        if found is not None:
            turn.replies.append(Reply(text=render_digest(
                turn.conn, coachee_id=found.id, flows=self.flows.registry, now=turn.now,
                default_timezone=self.config.schedule.default_timezone, words=self.wording.digest), markdown=True))

    def invite(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coach is not None
        valid_for = self.config.security.invite_valid_for
        code = store.create_invite(turn.conn, coach_id=turn.coach.id, at=turn.now, valid_for=valid_for)
        turn.replies.append(Reply(text=self.wording.coach_invite.format(
            code=code, ways=self.wording.join_ways(join_hints(self.config, code)), days=valid_for.days)))

    def web(self, turn: TurnState, word: str, rest: str) -> None:
        """A one-time link to the web view, in the coach's own chat (the turn's reply goes through the outbox)."""
        assert turn.coach is not None
        token = create_link(turn.conn, coach_id=turn.coach.id, at=turn.now)
        minutes = int(LINK_VALID_FOR.total_seconds() // 60)
        turn.replies.append(Reply(text=self.wording.coach_web_link.format(link=signin_link(self.config, token),
                                                                          minutes=minutes), link_preview=False))

    def schedule(self, turn: TurnState, word: str, rest: str) -> None:
        self._book(turn, rest)

    def group(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coach is not None and self.listeners.group_command is not None
        turn.replies.append(self.listeners.group_command(turn.conn, turn.coach, word, rest, now=turn.now,
                                                         starter=self.starter))

    def _book(self, turn: TurnState, rest: str) -> None:
        """`/schedule NAME WHEN`: book the coachee's next session, read in their own time zone."""
        assert turn.coach is not None
        caseload = store.list_coachees(turn.conn, coach_id=turn.coach.id)
        words = rest.split()
        for cut in range(len(words) - 1, 0, -1):
            name, when = " ".join(words[:cut]).lower(), " ".join(words[cut:])
            matches = [c for c in caseload if name in (c.name.lower(), c.first_name.lower(), str(c.id))]
            if len(matches) == 1:
                break
        else:
            turn.replies.append(Reply(text=self.wording.coach_schedule_usage))
            return
        coachee = matches[0]
        zone = ZoneInfo(coachee.timezone or self.config.schedule.default_timezone)
        at = parse_when(when, now=turn.now.astimezone(zone))
        if at is None or at <= turn.now:
            turn.replies.append(Reply(text=self.wording.coach_schedule_when.format(when=when)))
            return
        session = store.add_session(turn.conn, coachee_id=coachee.id, at=at.astimezone(UTC), timezone=zone.key,
                                    number=None)
        self.listeners.calendar_changed(turn.conn, coachee.id, turn.now)
        turn.replies.append(Reply(text=self.wording.coach_scheduled.format(
            number=session.number, coachee=coachee.name, when=f"{at:%A %-d %B %Y, %H:%M}", zone=zone.key)))

    def _find_coachee(self, turn: TurnState, query: str) -> Coachee | None:
        assert turn.coach is not None
        caseload = store.list_coachees(turn.conn, coach_id=turn.coach.id)
        matches = [c for c in caseload if query and (query.lower() in c.name.lower() or query == str(c.id))]
        exact = [c for c in matches if c.name.lower() == query.lower() or query == str(c.id)]
        if len(exact) == 1 or len(matches) == 1:
            return (exact or matches)[0]
        if not matches:
            turn.replies.append(Reply(text=self.wording.coach_who.format(query=query or "that")))
        else:
            turn.replies.append(Reply(text=self.wording.coach_which.format(
                query=query, names=", ".join(f"{c.name} (id {c.id})" for c in matches))))
        return None

    def _lift_hold(self, conn: Connection, coachee: Coachee, coach: Coach, now: datetime) -> str:
        if coachee.status not in ("hold", "paused"):
            return self.wording.coach_not_held.format(coachee=coachee.name)
        lift_hold(conn, coachee=coachee, coach=coach, now=now, router=self.router, flows=self.flows,
                  default_timezone=self.config.schedule.default_timezone)
        return self.wording.coach_resumed.format(coachee=coachee.name)


def lift_hold(
    conn: Connection, *, coachee: Coachee, coach: Coach, now: datetime, router: SafetyRouter, flows: FlowRunner,
    default_timezone: str,
) -> None:
    """The coach's decision: coaching resumes, the conversation's tier resets, and the coachee is told."""
    store.set_coachee_status(conn, coachee.id, "active")
    conversation = store.conversation_of(conn, coachee.id)
    store.add_safety_event(conn, coachee_id=coachee.id, conversation_id=conversation.id if conversation else None,
                           tier=Tier.NONE, rules=(), ruleset_version="n/a", action=Action.ON_HOLD.value + "_lifted",
                           alert_outbox_id=None, at=now)
    if conversation is None:
        return
    replies = [Reply(text=router.templates.resumed.format(name=coachee.first_name, coach=coach.name))]
    data = conversation.data
    if data.paused is not None:
        ctx = flow_context(conn, coachee=coachee, coach=coach, now=now, flows=flows,
                           default_timezone=default_timezone)
        replies.append(flows.question(data.paused, ctx))
        data = data.model_copy(update={"position": data.paused, "paused": None})
    data = data.model_copy(update={"pending_check": False})
    store.save_conversation(conn, conversation.model_copy(update={"safety_tier": Tier.NONE, "data": data}), at=now)
    key = ConversationKey(transport=conversation.transport, user=conversation.user_id, chat=conversation.chat_id)
    store.add_outbox(conn, to=key, replies=replies, kind="reply", at=now, coachee_id=coachee.id)
