"""The engine's own reply templates, loaded and checked once at start-up."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.transports.base import JoinHint

REPLIES = Path(__file__).resolve().parent / "replies.toml"

class _Words(BaseModel):
    """Wording is read once at start-up and never changed; a key the code doesn't know is a typo, not an extra."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MenuCommand(_Words):
    """One entry of the command menu: the help text lists them, and a platform with a menu shows them."""

    word: str
    what: str


class ConfirmWording(_Words):
    """An "are you sure?" for something that can't be undone: the question, its two buttons, and a no's reply."""

    question: str
    yes: str
    no: str
    cancelled: str


class Confirmations(_Words):
    stop: ConfirmWording
    forget: ConfirmWording


class Labels(_Words):
    yes: str
    no: str


class Rhythm(_Words):
    """How often check-ins come, in words."""

    usual: str
    off: str
    weekly: str
    fortnightly: str
    every_days: str


class SharedWording(_Words):
    """/shared: which answers the coach sees, and changing one."""

    intro: str
    not_sharing: str
    not_kept: str
    nothing: str
    run: str
    item: str
    state_shared: str
    state_private: str
    more: str
    how: str
    now_shared: str
    now_private: str
    unknown: str


class CaseloadWording(_Words):
    """The coach's Monday overview of their caseload."""

    title: str
    sessions: str
    session_line: str
    no_sessions: str
    quiet: str
    quiet_line: str
    quiet_new_line: str
    nobody: str
    on_hold: str
    unreachable: str
    unreachable_line: str
    paused: str
    left: str


class DigestSections(_Words):
    exceptions: str
    checkins: str
    journal: str
    looking_back: str


class DigestTopics(_Words):
    """The headings answers appear under in the digest's history, by the question they answer."""

    exception: str
    strengths: str
    role_model: str
    helped: str
    keep_doing: str
    relationship: str
    obstacles: str
    overcome: str
    action_done: str
    action_obstacle: str
    action_replan: str


class ActionStatusWords(_Words):
    done: str
    partly: str
    not_yet: str
    open: str
    kept_private: str


class ReadingSources(_Words):
    """Where a scaling reading came from, by the flow that asked."""

    pre_session: str
    checkin: str
    post_session: str
    follow_up: str
    final_review: str


class ChartWording(_Words):
    """The scaling chart's words, and its alt text."""

    axis: str
    session: str
    session_short: str
    alt: str
    alt_one: str
    alt_reading: str
    alt_sessions: str
    alt_session: str


class RoutingWords(_Words):
    """What the service did, by the safety event's action."""

    asked_check_question: str
    check_cleared: str
    stress_support: str
    stress_support_repeat: str
    crisis_hold: str
    emergency_hold: str
    on_hold_reply: str
    on_hold_reply_lifted: str


class DigestWording(_Words):
    """The coach's private digest before a session."""

    title: str
    namesake: str
    """The coachee as the title names them when their coach has another coachee of the same name."""
    next_session: str
    no_session: str
    last_session: str
    on_hold: str
    paused: str
    stopped: str
    not_started: str
    not_kept: str
    not_shared: str
    nothing_shared: str
    kept_answer: str
    kept_answers: str
    kept_reading: str
    kept_readings: str
    for_you: str
    this_session: str
    next_one: str
    this_session_from: str
    this_session_nothing: str
    answer_line: str
    history: str
    before_session: str
    after_session: str
    goal_history: str
    goal_set: str
    goal_kept: str
    goal_changed: str
    goal_new: str
    goal_forward: str
    goal_reason: str
    scaling: str
    scaling_line: str
    readings_line: str
    reading: str
    actions: str
    action_line: str
    action_agreed: str
    action_agreed_after: str
    action_due: str
    action_step: str
    action_overdue: str
    action_note: str
    history_note: str
    safety: str
    safety_since: str
    safety_none: str
    safety_tier: str
    safety_times: str
    safety_mistake: str
    sections: DigestSections
    topics: DigestTopics
    status: ActionStatusWords
    sources: ReadingSources
    chart: ChartWording
    routing: RoutingWords


class GroupWording(_Words):
    """What peer coaching groups say, to the coach who leads a group and to its members."""

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
    digest_title: str
    closing_title: str
    closing_note: str
    feedback_title: str
    feedback_intro: str
    presenter_title: str
    reflection_questions: str
    commit_questions: str
    prep_questions: str
    answers_not_kept: str
    run_not_sent: str
    not_answered: str
    shared_with_group: str


class MovedWording(_Words):
    """A coachee moved to another coach: what they, their new coach and their old coach are told."""

    coachee: str
    new_coach: str
    on_hold: str
    paused: str
    old_coach: str


class EngineWording(_Words):
    stranger: str
    mistake_on_hold: str
    mistake_notice: str
    mistake_phrases: tuple[str, ...]
    bad_invite: str
    invite_tries_used: str
    slow_down: str
    not_taken_in: str
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
    nothing_to_pause: str
    resuming: str
    privacy: str
    stopped: str
    no_store_answer: str
    text_only: str
    back_to_it: str
    journal_needs_consent: str
    stop_done: str
    coach_stopped: str
    my_data: str
    forget_done: str
    forget_expired: str
    coach_forgot: str
    nudge: str
    expired: str
    snooze_over: str
    checkins_now: str
    checkins_off: str
    checkins_are_off: str
    checkins_unclear: str
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
    coach_web_link: str
    coach_viewed: str
    """/mydata: one line for each time their coach opened their page in the web view."""
    unreachable_notice: str
    services_directory: str
    scale_hint: str
    file_saved: str
    console_banner: str
    """The terminal chat's first screen, before anything is typed."""
    console_log: str
    choice_shown: str
    """Slack, in place of the buttons once one is pressed."""
    join_by_link: str
    join_by_message: str
    coach_schedule_usage: str
    coach_schedule_when: str
    coach_scheduled: str
    groups: GroupWording
    moved: MovedWording
    caseload: CaseloadWording
    shared: SharedWording
    digest: DigestWording
    confirm: Confirmations
    labels: Labels
    rhythm: Rhythm
    commands: tuple[MenuCommand, ...]

    @classmethod
    def load(cls, path: Path = REPLIES) -> EngineWording:
        if path == REPLIES:
            return default_wording()
        return cls.read(path)

    @classmethod
    def read(cls, path: Path) -> EngineWording:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))

    def join_ways(self, hints: Sequence[JoinHint]) -> str:
        """How to join on each platform, as one sentence's worth of clauses."""
        ways = "; ".join(self.join_by_link.format(platform=h.platform, link=h.link) if h.link else
                         self.join_by_message.format(platform=h.platform, message=h.message) for h in hints)
        return ways[:1].upper() + ways[1:]

    def command_list(self) -> str:
        return "\n".join(f"/{c.word}: {c.what}" for c in self.commands)


@cache
def default_wording() -> EngineWording:
    """The English wording, read once per process."""
    return EngineWording.read(REPLIES)
