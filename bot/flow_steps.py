"""A coachee's way through a flow inside a turn: start one, take an answer, resume, store what a step gave.

The flows themselves are data (flows/); this applies what the flow runner returns to the turn: replies, the
new position, answers and actions stored in the turn's transaction (only with consent to store), and the
listeners told so the scheduler and groups can follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.config import Config
from bot.facts import flow_context
from bot.listeners import EngineListeners
from bot.storage import store
from bot.storage.records import Coach, Coachee, ConversationData
from bot.turn import TurnState
from bot.types import Reply
from bot.wording import EngineWording
from flows.stepper import FlowContext, FlowRunner, RecordedAnswer, StepResult

__all__ = ["FlowSteps"]


class FlowSteps:
    def __init__(self, *, wording: EngineWording, config: Config, flows: FlowRunner,
                 listeners: EngineListeners) -> None:
        self.wording = wording
        self.config = config
        self.flows = flows
        self.listeners = listeners

    def answer(self, turn: TurnState) -> None:
        """A message that is no command: the answer to the question asked, or where to begin."""
        coachee = turn.coachee
        assert coachee is not None
        position = turn.data.position
        if position is None:
            if coachee.consent_store is None:
                self.start(turn, "onboarding")
            elif turn.data.paused is not None:
                self.resume(turn)
            else:
                turn.replies.append(Reply(text=self.fill(self.wording.idle, turn)))
            return
        step = self.flows.answer(position, self.context(turn), text=turn.msg.text, payload=turn.msg.payload)
        self.apply(turn, step)

    def start(self, turn: TurnState, flow: str) -> None:
        self.apply(turn, self.flows.start(flow, self.context(turn)))

    def resume(self, turn: TurnState) -> None:
        """Back to the paused question (a pause they asked for ends here), or the one still open."""
        assert turn.coachee is not None
        if turn.coachee.status == "paused":
            store.set_coachee_status(turn.conn, turn.coachee.id, "active")
        paused = turn.data.paused
        if paused is None:
            if turn.data.position is not None:
                turn.replies.append(self.flows.question(turn.data.position, self.context(turn)))
            else:
                turn.replies.append(Reply(text=self.wording.nothing_paused))
            return
        turn.update(position=paused, paused=None)
        lead = self.fill(self.wording.resuming, turn)
        turn.replies.append(self.flows.question(paused, self.context(turn), lead=lead))

    def apply(self, turn: TurnState, step: StepResult) -> None:
        coachee = turn.coachee
        assert coachee is not None
        conn, now = turn.conn, turn.now
        if step.profile:
            store.apply_profile(conn, coachee.id, step.profile)
            turn.coachee = coachee = store.get_coachee(conn, coachee.id)
            if any(c.field == "timezone" for c in step.profile):
                self.listeners.calendar_changed(conn, coachee.id, now)
        if coachee.consent_store:
            self.store(conn, coachee, step, now)
        if step.answers:
            self.listeners.flow_stepped(conn, coachee, step, now)
        turn.replies.extend(step.replies)
        position = step.position
        interrupted = turn.data.interrupted
        if position is None and interrupted is not None and not step.snooze:
            # A /journal aside has ended: pick up the flow it interrupted.
            position = interrupted
            turn.replies.append(self.flows.question(interrupted, self.context(turn),
                                                    lead=self.fill(self.wording.back_to_it, turn)))
            turn.update(interrupted=None)
        turn.update(position=position, nudged=False, snoozed=step.snooze)

    def store(self, conn: Connection, coachee: Coachee, step: StepResult, now: datetime) -> None:
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

    def wake_at(self, data: ConversationData, now: datetime) -> datetime | None:
        """When the sweeper should look again: a snooze ending, or a nudge for an unanswered question."""
        if data.position is None:
            return None
        schedule = self.config.schedule
        if data.snoozed:
            return now + schedule.snooze_for
        return now + (schedule.expire_after - schedule.nudge_after if data.nudged else schedule.nudge_after)

    def context(self, turn: TurnState) -> FlowContext:
        assert turn.coachee is not None and turn.coach is not None
        return self.context_for(turn.conn, turn.coachee, turn.coach, turn.now)

    def context_for(self, conn: Connection, coachee: Coachee, coach: Coach, now: datetime) -> FlowContext:
        return flow_context(conn, coachee=coachee, coach=coach, now=now, flows=self.flows,
                            default_timezone=self.config.schedule.default_timezone)

    def fill(self, template: str, turn: TurnState) -> str:
        name = turn.coachee.first_name if turn.coachee else "there"
        return template.format(name=name, coach=turn.coach.name if turn.coach else "your coach",
                               commands=self.wording.command_list())
