"""What the engine does with a screen's finding, inside the turn's transaction.

A coachee's message goes through the safety router first: when it decides (a hold, a pause for stress, a
`check` question, the answer to one), the reply, the coach's alert, the status change and the safety event are
written here, and coaching doesn't go on in that turn. Someone who isn't a coachee (a stranger, or a coach)
writing of a crisis is signposted to help and the safeguarding contact is told. Never the words: an alert
names the tier, the time and where the person was pointed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.config import Config
from bot.facts import flow_context
from bot.storage import store
from bot.storage.records import ALERT_PRIORITY, NOTICE_PRIORITY, STRANGER_ALERT_PRIORITY, OutboxKind, unrouted_coach
from bot.turn import TurnState
from bot.types import Button, Reply
from bot.wording import EngineWording
from flows.stepper import FlowRunner
from safety.routing import CHECK_PAYLOAD, Action, SafetyOutcome, SafetyRouter, SafetyState
from safety.types import Screening, Tier

__all__ = ["SafetyDesk", "send_to_coach"]

log = logging.getLogger(__name__)

STRANGER_ALERT_EVERY = timedelta(hours=1)
"""At most one alert an hour about the same stranger, so a flood from one sender can't bury anyone else's."""


class SafetyDesk:
    def __init__(self, *, wording: EngineWording, config: Config, router: SafetyRouter, flows: FlowRunner) -> None:
        self.wording = wording
        self.config = config
        self.router = router
        self.flows = flows

    def screen_coachee(self, turn: TurnState) -> bool:
        """True when safety decided this turn, so no command or flow step follows it."""
        assert turn.coachee is not None
        state = SafetyState(
            tier=turn.conversation.safety_tier,
            pending_check=turn.data.pending_check,
            on_hold=turn.coachee.status == "hold",
            paused_for_stress=turn.coachee.status == "paused",
            replies_on_hold=_replies_on_hold(turn) if turn.coachee.status == "hold" else 0,
        )
        outcome = self.router.route(screening=turn.screening, state=state, text=turn.msg.text,
                                    payload=turn.msg.payload)
        if outcome is None:
            return False
        self._apply(turn, outcome)
        return True

    def signpost_stranger(self, turn: TurnState, screening: Screening) -> None:
        """Someone with no coaching record (or a coach) wrote of a crisis: where to get help, every time, and an
        alert to the safeguarding contact, at most one an hour for the same person, with a count of the rest."""
        templates = self.router.templates
        template = templates.stranger_emergency if screening.tier is Tier.EMERGENCY else templates.stranger_crisis
        turn.replies.append(Reply(text=template.format(services=self.router.services_text(screening.tier))))
        turn.conversation = turn.conversation.model_copy(update={"safety_tier": max(
            turn.conversation.safety_tier, screening.tier)})
        alert_id = None
        contact = self.config.safety.safeguarding_contact
        last, since = store.stranger_alert_history(turn.conn, conversation_id=turn.conversation.id)
        if contact.isdigit() and (last is None or turn.now - last >= STRANGER_ALERT_EVERY):
            alert = templates.stranger_alert.format(
                transport=turn.msg.key.transport, user=turn.msg.key.user, tier=screening.tier.value,
                when=f"{turn.now:%Y-%m-%d %H:%M} UTC",
                routing=", ".join(s.name for s in self.router.services_for(screening.tier)))
            if since:
                alert += templates.stranger_alert_more.format(since=f"{last:%Y-%m-%d %H:%M} UTC", count=since)
            ids = send_to_coach(turn, int(contact), Reply(text=alert), kind="alert",
                                priority=STRANGER_ALERT_PRIORITY)
            alert_id = ids[0] if ids else None
        store.add_safety_event(
            turn.conn, coachee_id=None, conversation_id=turn.conversation.id, tier=screening.tier,
            rules=screening.rules, ruleset_version=screening.ruleset_version, action="stranger_signposted",
            alert_outbox_id=alert_id, at=turn.now,
        )

    def _apply(self, turn: TurnState, outcome: SafetyOutcome) -> None:
        coachee = turn.coachee
        assert coachee is not None
        shown = outcome.tier if outcome.tier >= Tier.STRESS else Tier.CRISIS
        question_open = outcome.action is Action.STRESS and turn.data.position is not None
        reply_text = outcome.reply.format(
            name=coachee.first_name, coach=turn.coach.name if turn.coach else "your coach",
            services=self.router.services_text(shown), first=self.router.first_service_text(shown),
            later=self.router.templates.stress_later if question_open else "",
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
            assert turn.coach is not None
            context = flow_context(turn.conn, coachee=coachee, coach=turn.coach, now=turn.now, flows=self.flows,
                                   default_timezone=self.config.schedule.default_timezone)
            turn.replies.append(self.flows.question(data.paused, context))
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
                    outcome.action.value, extra={"coachee_id": coachee.id, "tier": outcome.tier.value})

    def heard_mistake(self, turn: TurnState) -> None:
        """They say the alert was a mistake: they are thanked, stay on hold (their coach decides, after talking
        with them), and their coach is told that they said so, never in their words."""
        coachee, coach = turn.coachee, turn.coach
        assert coachee is not None and coach is not None
        turn.replies.append(Reply(text=self.wording.mistake_on_hold.format(name=coachee.first_name,
                                                                            coach=coach.name)))
        notice = self.wording.mistake_notice.format(coachee=coachee.name, coachee_id=coachee.id,
                                                    when=f"{turn.now:%Y-%m-%d %H:%M} UTC")
        send_to_coach(turn, coach.id, Reply(text=notice), kind="notice", priority=NOTICE_PRIORITY)
        store.mark_said_mistake(turn.conn, coachee_id=coachee.id, at=turn.now)  # the digest shows it beside the hold
        log.warning("coachee %s says their safety hold was a mistake; their coach has been told", coachee.id,
                    extra={"coachee_id": coachee.id})

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
            ids = send_to_coach(turn, coach_id, Reply(text=text), kind="alert" if outcome.alert else "notice",
                                priority=ALERT_PRIORITY if outcome.alert else NOTICE_PRIORITY)
            first_id = first_id or (ids[0] if ids else None)
        return first_id


def _replies_on_hold(turn: TurnState) -> int:
    """On-hold replies since the hold began, read from the safety events: the reply varies with the count."""
    assert turn.coachee is not None
    count = 0
    for event in reversed(store.safety_events_of(turn.conn, turn.coachee.id, since=None)):
        if event.action != Action.ON_HOLD.value:
            break
        count += 1
    return count


def send_to_coach(turn: TurnState, coach_id: int, reply: Reply, *, kind: OutboxKind, priority: int) -> list[int]:
    """Queue a message to a coach (or the safeguarding contact) in the turn's transaction; its outbox ids."""
    to = store.coach_address(turn.conn, coach_id)
    if to is None:
        log.error("coach %s has no chat to reach them; the %s stays in the outbox as dead", coach_id, kind)
        to = unrouted_coach(coach_id)
    return store.add_outbox(turn.conn, to=to, replies=[reply], kind=kind, at=turn.now,
                            coachee_id=turn.coachee.id if turn.coachee else None, priority=priority)
