"""What flows may know about a coachee, read from storage on demand and at most once per turn."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.storage import store
from bot.storage.records import Coach, Coachee
from flows.registry import FlowRegistry
from flows.spec import Remember
from flows.stepper import ActionItem, AnswerView, FlowContext, FlowRunner


class StoredFacts:
    """FlowFacts over the turn's own connection, so what a flow reads is consistent with what it writes."""

    def __init__(self, conn: Connection, *, coachee_id: int, registry: FlowRegistry) -> None:
        self._conn = conn
        self._coachee_id = coachee_id
        self._registry = registry
        self._remembered: dict[str, str | None] = {}

    @cached_property
    def _readings(self) -> tuple[tuple[int, str | None], ...]:
        return tuple(store.scale_readings(self._conn, self._coachee_id))

    def last_scale(self, *, other_than: str | None = None) -> int | None:
        earlier = [value for value, run in self._readings if other_than is None or run != other_than]
        return earlier[-1] if earlier else None

    def scale_journey(self) -> tuple[int, ...]:
        return tuple(value for value, _ in self._readings)

    def remembered(self, what: Remember) -> str | None:
        if what not in self._remembered:
            self._remembered[what] = store.latest_answer(
                self._conn, coachee_id=self._coachee_id, questions=sorted(self._registry.remembered_questions(what)))
        return self._remembered[what]

    @cached_property
    def _open_actions(self) -> tuple[ActionItem, ...]:
        rows = store.actions_of(self._conn, self._coachee_id, open_only=True)
        return tuple(ActionItem(id=r.id, text=r.text, due=r.due_on) for r in rows)

    def open_actions(self) -> tuple[ActionItem, ...]:
        return self._open_actions

    def run_answers(self, run_id: str) -> tuple[AnswerView, ...]:
        rows = store.run_answers(self._conn, coachee_id=self._coachee_id, run_id=run_id)
        return tuple(AnswerView(question=q, text=text) for q, text in rows)


def flow_context(
    conn: Connection, *, coachee: Coachee, coach: Coach, now: datetime, flows: FlowRunner, default_timezone: str
) -> FlowContext:
    """What a flow may know about this coachee, with today's date in their own time zone."""
    zone = ZoneInfo(coachee.timezone or default_timezone)
    return FlowContext(name=coachee.first_name, coach=coach.name, today=now.astimezone(zone).date(),
                       can_share=bool(coachee.consent_share),
                       facts=StoredFacts(conn, coachee_id=coachee.id, registry=flows.registry))
