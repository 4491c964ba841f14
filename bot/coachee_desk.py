"""The coachee's chat commands: help, pausing and resuming, skipping and going back, a journal entry, their
check-in rhythm, what their coach sees, a copy of their data, and leaving or erasing everything (each asks "are
you sure?" first).

Each command is one method named as its word (bot/commands.py lists them), run inside the coachee's turn and
written in its transaction.
"""

from __future__ import annotations

import logging
from typing import Literal
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.flow_steps import FlowSteps
from bot.listeners import EngineListeners
from bot.safety_desk import send_to_coach
from bot.shared_answers import change_shared, list_shared
from bot.storage import store
from bot.storage.erasure import erase_coachee, export_coachee
from bot.storage.records import NOTICE_PRIORITY, Coachee
from bot.turn import TurnState
from bot.types import Attachment, Button, Reply
from bot.wording import EngineWording
from flows.parsing import Parsed, parse_when, parse_yes_no
from flows.stepper import FlowRunner

__all__ = ["FORGET_PAYLOAD", "MY_DATA_FILE", "STOP_PAYLOAD", "CoacheeDesk", "Confirmable"]

log = logging.getLogger(__name__)

STOP_PAYLOAD = "confirm:stop:"
FORGET_PAYLOAD = "confirm:forget:"
Confirmable = Literal["stop", "forget"]
_CONFIRM_PAYLOADS: dict[Confirmable, str] = {"stop": STOP_PAYLOAD, "forget": FORGET_PAYLOAD}
MY_DATA_FILE = "coachbot-my-data.json"
# not said: words people answer /checkins with
_CHECKIN_EVERY = {"off": 0, "none": 0, "stop": 0, "never": 0, "weekly": 7, "every week": 7, "fortnightly": 14,
                  "every two weeks": 14, "every 2 weeks": 14, "daily": 1, "on": 7}


class CoacheeDesk:
    def __init__(self, *, wording: EngineWording, config: Config, flows: FlowRunner, listeners: EngineListeners,
                 steps: FlowSteps) -> None:
        self.wording = wording
        self.config = config
        self.flows = flows
        self.listeners = listeners
        self.steps = steps

    def help(self, turn: TurnState, word: str, rest: str) -> None:
        turn.replies.append(Reply(text=self.steps.fill(self.wording.help, turn)))

    def privacy(self, turn: TurnState, word: str, rest: str) -> None:
        turn.replies.append(Reply(text=self.steps.fill(self.wording.privacy, turn)))

    def start(self, turn: TurnState, word: str, rest: str) -> None:
        assert turn.coachee is not None
        if turn.coachee.consent_store is None or turn.coachee.consent_store is False:
            self.steps.start(turn, "onboarding")
        else:
            turn.replies.append(Reply(text=self.steps.fill(self.wording.already_joined, turn)))

    def skip(self, turn: TurnState, word: str, rest: str) -> None:
        position = turn.data.position
        skipped = self.flows.skip(position, self.steps.context(turn)) if position else None
        if position is None:
            turn.replies.append(Reply(text=self.wording.nothing_to_skip))
        elif skipped is None:
            turn.replies.append(Reply(text=self.wording.cant_skip))
        else:
            self.steps.apply(turn, skipped)

    def back(self, turn: TurnState, word: str, rest: str) -> None:
        position = turn.data.position
        back = self.flows.back(position, self.steps.context(turn)) if position else None
        if back is None:
            turn.replies.append(Reply(text=self.wording.nothing_back))
        else:
            self.steps.apply(turn, back)

    def pause(self, turn: TurnState, word: str, rest: str) -> None:
        """Only a running question can be paused, so a /resume afterwards always finds what /pause said it kept."""
        if turn.data.position is None:
            words = self.wording.still_paused if turn.data.paused is not None else self.wording.nothing_to_pause
            turn.replies.append(Reply(text=self.steps.fill(words, turn)))
            return
        turn.update(paused=turn.data.position, position=None)
        turn.replies.append(Reply(text=self.steps.fill(self.wording.paused, turn)))

    def resume(self, turn: TurnState, word: str, rest: str) -> None:
        self.steps.resume(turn)

    def stop(self, turn: TurnState, word: str, rest: str) -> None:
        self._ask_to_confirm(turn, "stop")

    def forget(self, turn: TurnState, word: str, rest: str) -> None:
        self._ask_to_confirm(turn, "forget")

    def journal(self, turn: TurnState, word: str, rest: str) -> None:
        self._journal(turn)

    def mydata(self, turn: TurnState, word: str, rest: str) -> None:
        self._my_data(turn)

    def shared(self, turn: TurnState, word: str, rest: str) -> None:
        """What their coach sees (`/shared`, `/shared all`), and `/shared N` to change answer N."""
        assert turn.coachee is not None
        zone = ZoneInfo(turn.coachee.timezone or self.config.schedule.default_timezone)
        words, registry = self.wording.shared, self.flows.registry
        choice = rest.strip().lower().lstrip("#")
        if choice in ("", "all"):
            list_shared(turn, words=words, flows=registry, zone=zone, everything=choice == "all")
        else:
            change_shared(turn, choice, words=words, flows=registry, zone=zone)

    def checkins(self, turn: TurnState, word: str, rest: str) -> None:
        self._checkins(turn, rest)

    def _checkins(self, turn: TurnState, choice: str) -> None:
        """The coachee's own check-in time and frequency: "/checkins 9am", "/checkins fortnightly", "off"."""
        coachee = turn.coachee
        assert coachee is not None
        every = _CHECKIN_EVERY.get(choice.lower())
        when = parse_when(choice, now=turn.now) if choice and every is None else None
        if choice.strip() and every is None and when is None:
            turn.replies.append(Reply(text=self.wording.checkins_unclear.format(choice=choice.strip()[:40],
                                                                                name=coachee.first_name)))
            return
        if every is None and when is None:
            current = coachee.checkin_every_days
            if current == 0:
                turn.replies.append(Reply(text=self.wording.checkins_are_off.format(name=coachee.first_name)))
                return
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
            turn.replies.append(Reply(text=self.steps.fill(self.wording.journal_needs_consent, turn)))
            return
        position = turn.data.position
        if position is not None and position.flow != "journal":
            turn.update(interrupted=position)
        self.steps.start(turn, "journal")

    def _ask_to_confirm(self, turn: TurnState, kind: Confirmable) -> None:
        """/stop and /forget can't be undone, so each asks first, with a button for each answer."""
        words, prefix = getattr(self.wording.confirm, kind), _CONFIRM_PAYLOADS[kind]
        turn.update(confirm=kind)
        turn.replies.append(Reply(text=self.steps.fill(words.question, turn), buttons=(
            Button(label=words.yes, payload=f"{prefix}yes"), Button(label=words.no, payload=f"{prefix}no"))))

    def confirmation(self, turn: TurnState, text: str, kind: Confirmable) -> bool:
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
            turn.replies.append(Reply(text=self.steps.fill(getattr(self.wording.confirm, kind).cancelled, turn)))
            if turn.data.position is not None and coachee.status == "active":
                turn.replies.append(self.flows.question(turn.data.position, self.steps.context(turn)))
        elif kind == "stop":
            self._stop_now(turn, coachee)
        else:
            self._forget_now(turn, coachee)
        return True

    def _stop_now(self, turn: TurnState, coachee: Coachee) -> None:
        store.set_coachee_status(turn.conn, coachee.id, "stopped")
        turn.update(position=None, paused=None, interrupted=None)
        turn.replies.append(Reply(text=self.steps.fill(self.wording.stop_done, turn)))
        assert turn.coach is not None
        send_to_coach(turn, turn.coach.id, Reply(text=self.wording.coach_stopped.format(
            coachee=coachee.name)), kind="notice", priority=NOTICE_PRIORITY)
        log.info("coachee %s left the programme", coachee.id)

    def _my_data(self, turn: TurnState) -> None:
        """A copy of everything held about them, as a JSON file sent to them alone."""
        assert turn.coachee is not None
        export = export_coachee(turn.conn, turn.coachee.id, now=turn.now)
        zone = ZoneInfo(turn.coachee.timezone or self.config.schedule.default_timezone)
        viewed = [self.wording.coach_viewed.format(coach=view.coach,
                                                   when=f"{view.at.astimezone(zone):%-d %B %Y, %H:%M}")
                  for view in export.coach_views]
        text = "\n\n".join([self.steps.fill(self.wording.my_data, turn), *(["\n".join(viewed)] if viewed else [])])
        turn.replies.append(Reply(text=text, attachment=Attachment(
            filename=MY_DATA_FILE, media_type="application/json", data=export.to_json().encode("utf-8"))))
        log.info("coachee %s was sent their data (/mydata)", turn.coachee.id)

    def _forget_now(self, turn: TurnState, coachee: Coachee) -> None:
        erase_coachee(turn.conn, coachee.id)
        turn.erased, turn.coachee = True, None
        turn.replies[:] = [Reply(text=self.wording.forget_done)]  # no name: this row outlives their record
        if turn.coach is not None:
            send_to_coach(turn, turn.coach.id, Reply(text=self.wording.coach_forgot), kind="notice",
                          priority=NOTICE_PRIORITY)
        log.info("coachee %s erased their data (/forget)", coachee.id)
