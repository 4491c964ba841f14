"""The engine's own reply templates, loaded and checked once at start-up."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

REPLIES = Path(__file__).resolve().parent / "replies.toml"

COMMANDS = (
    ("/help", "what you can do"),
    ("/skip", "skip an optional question"),
    ("/back", "change your previous answer"),
    ("/pause", "pause our conversation"),
    ("/resume", "carry on after a pause"),
    ("/journal", "note down a private reflection"),
    ("/checkins", "when check-ins come: /checkins 9am, /checkins fortnightly, /checkins off"),
    ("/privacy", "what I keep and who sees it"),
    ("/mydata", "a copy of everything I keep about you"),
    ("/forget", "delete everything I keep about you"),
    ("/stop", "leave the coaching programme"),
)


class GroupWording(BaseModel):
    """What peer coaching groups say, to the coach who leads a group and to its members."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usage: str
    none: str
    listing: str
    listing_line: str
    no_next: str
    next_session: str
    which_group: str
    new_usage: str
    exists: str
    new_when: str
    created: str
    member_usage: str
    invited: str
    invited_again: str
    already: str
    not_sent: str
    not_started: str
    not_now: str
    left: str
    not_member: str
    agreed: str
    declined: str
    plan: str
    plan_line: str
    presents: str
    feedback: str
    closing: str
    done: str
    under_minimum: str
    on_hold: str
    closed: str
    invite: str
    prep: str
    reflect: str
    reflect_commitments: str
    commit: str
    removed: str
    shared: str


class EngineWording(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stranger: str
    bad_invite: str
    already_joined: str
    help: str
    unknown_command: str
    idle: str
    cant_skip: str
    nothing_to_skip: str
    nothing_back: str
    paused: str
    still_paused: str
    nothing_paused: str
    resuming: str
    privacy: str
    stopped: str
    no_store_answer: str
    text_only: str
    back_to_it: str
    journal_needs_consent: str
    stop_confirm: str
    stop_cancelled: str
    stop_done: str
    coach_stopped: str
    my_data: str
    forget_confirm: str
    forget_cancelled: str
    forget_done: str
    forget_expired: str
    coach_forgot: str
    nudge: str
    expired: str
    snooze_over: str
    checkins_now: str
    checkins_off: str
    checkins_every: str
    checkins_time: str
    coach_hello: str
    coach_only: str
    coach_caseload: str
    coach_no_caseload: str
    coach_resumed: str
    coach_not_held: str
    coach_who: str
    coach_which: str
    coach_invite: str
    coach_schedule_usage: str
    coach_schedule_when: str
    coach_scheduled: str
    groups: GroupWording

    @classmethod
    def load(cls, path: Path = REPLIES) -> EngineWording:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))

    @staticmethod
    def command_list() -> str:
        return "\n".join(f"{name}: {what}" for name, what in COMMANDS)
