"""The coach's digest before a session: what the coachee said for that session, a short history, and what the
service did for their safety; only what they agreed to share, and a plain word where they kept something back.

Per session, not a mix: the answers shown as this session's are the questions before it (session 1's pre-session
questions, a later session's follow-up), answered since the last session. Anything older appears only in the
history, with its date and where it came from.

An answer counts as shared once its run was sent (or, for flows shared by consent, as soon as it was given). An
answer left out of a run that was sent was kept private: the digest says so, by count, and never shows it. Runs
never sent (a review still open, a journal entry kept "just for you") are not mentioned at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.chart import Reading, SessionMark, chart_alt, chart_png, source_label
from bot.digest_history import history
from bot.digest_history import sparkline as sparkline
from bot.digest_view import BEFORE, AnswerView, Calendar, heading, one_line
from bot.storage import store
from bot.storage.records import Coachee, SafetyEventRow, Session
from bot.types import Attachment, Reply
from bot.wording import DigestWording, EngineWording
from flows.registry import FlowRegistry

UPCOMING = ("planned", "moved")
CHART_NAME = "scaling.png"


class Digest(BaseModel):
    """One coachee's digest for their coach: Markdown text, and the scaling chart when there are readings."""

    model_config = ConfigDict(frozen=True)

    coach_id: int
    coachee_id: int
    text: str
    readings: tuple[Reading, ...] = ()
    chart_png: bytes | None = None
    chart_alt: str | None = None  # what the chart shows, in words; set whenever there are readings


def consent_refusal(coachee: Coachee, words: DigestWording) -> str | None:
    """Why nothing of theirs can be shown (not started, nothing kept, nothing shared), or None when it can."""
    who = coachee.first_name
    if coachee.consent_store is None:
        return words.not_started.format(who=who)
    if not coachee.consent_store:
        return words.not_kept.format(who=who)
    if not coachee.consent_share:
        return words.not_shared.format(who=who)
    return None


def render_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime | None = None,
    default_timezone: str = "UTC", words: DigestWording | None = None,
) -> str:
    """The digest's text alone, as the coach's /digest command shows it: no chart is drawn."""
    return build_digest(conn, coachee_id=coachee_id, flows=flows, now=now or datetime.now(UTC),
                        default_timezone=default_timezone, chart=False, words=words).text


def send_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str = "UTC",
    session_id: int | None = None, words: DigestWording | None = None,
) -> int | None:
    """Build the digest and queue it for the coach, in the caller's transaction; None if the coach has no chat."""
    digest = build_digest(conn, coachee_id=coachee_id, flows=flows, now=now, default_timezone=default_timezone,
                          session_id=session_id, words=words)
    return queue_digest(conn, digest, now=now)


def queue_digest(conn: Connection, digest: Digest, *, now: datetime) -> int | None:
    """One outbox row of kind "digest" to the coach's first chat: the text, with the chart attached if there is one."""
    identities = store.identities_of(conn, coach_id=digest.coach_id)
    if not identities:
        return None
    attachment = None
    if digest.chart_png is not None:
        attachment = Attachment(filename=CHART_NAME, media_type="image/png", data=digest.chart_png,
                                alt_text=digest.chart_alt)
    (outbox_id,) = store.add_outbox(conn, to=store.address_of(identities[0]), kind="digest", at=now,
                                    replies=[Reply(text=digest.text, attachment=attachment, markdown=True)],
                                    coachee_id=digest.coachee_id)
    return outbox_id


def build_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str = "UTC",
    session_id: int | None = None, chart: bool = True, words: DigestWording | None = None,
) -> Digest:
    """The digest for the coachee's next session (or the session given), as the coach should see it now: what they
    said for that session, then a short history, then what the service did for their safety."""
    w = words or EngineWording.load().digest
    coachee = store.get_coachee(conn, coachee_id)
    coach = store.get_coach(conn, coachee.coach_id)
    sessions = store.list_sessions(conn, coachee_id=coachee_id)
    upcoming, last = _around(sessions, now=now, session_id=session_id)
    zone = ZoneInfo(coachee.timezone or (upcoming.timezone if upcoming else default_timezone))
    since = last.at if last else None
    same_name = coachee.name.casefold()
    namesakes = [c for c in store.list_coachees(conn, coach_id=coach.id) if c.name.casefold() == same_name]
    named = coachee.name if len(namesakes) < 2 else w.namesake.format(coachee=coachee.name, id=coachee.id)
    lines = [w.title.format(coach=coach.name, coachee=named), ""]
    lines += _header(coachee, upcoming, last, zone, w)
    safety = _safety(conn, coachee_id, since=since, zone=zone, words=w)
    refusal = consent_refusal(coachee, w)
    if refusal is not None:
        lines += [refusal, "", *safety]
        return Digest(coach_id=coach.id, coachee_id=coachee_id, text=_join(lines))

    calendar = Calendar(tuple(sorted((s for s in sessions if s.status != "cancelled"), key=lambda s: s.at)))
    view = AnswerView(answers=store.answers_of(conn, coachee_id), since=since, zone=zone, who=coachee.first_name,
                      words=w,
                      calendar=calendar)
    lines += [*_this_session(view, flows, upcoming=upcoming, last=last), ""]
    past = history(conn, coachee_id=coachee_id, view=view, flows=flows, today=now.astimezone(zone).date())
    if past.parts:
        lines += [f"## {w.history}", ""]
    for part in past.parts:
        lines += [*part, ""]
    lines += safety
    png = alt = None
    if past.readings:
        marks = [SessionMark(number=s.number, at=s.at) for s in calendar.sessions
                 if upcoming is None or s.at <= upcoming.at]
        alt = chart_alt(past.readings, marks, zone=zone.key, words=w.chart, sources=w.sources)
        if chart:
            png = chart_png(past.readings, marks, zone=zone.key, words=w.chart, sources=w.sources)
    return Digest(coach_id=coach.id, coachee_id=coachee_id, text=_join(lines), readings=past.readings,
                  chart_png=png, chart_alt=alt)


# sessions

def _around(sessions: Sequence[Session], *, now: datetime, session_id: int | None) -> tuple[Session | None,
                                                                                            Session | None]:
    """The session this digest is for (the next upcoming one, or the one named) and the last one before it that
    happened: marked done, or its time has passed. Cancelled sessions never happened."""
    live = [s for s in sessions if s.status != "cancelled"]
    if session_id is not None:
        upcoming = next((s for s in sessions if s.id == session_id), None)
        if upcoming is None:
            raise store.NotFound(f"no session {session_id} for this coachee")
    else:
        upcoming = min((s for s in live if s.status in UPCOMING and s.at > now), key=lambda s: s.at, default=None)
    past = [s for s in live if s != upcoming and (s.status == "done" or s.at <= now)
            and (upcoming is None or s.at < upcoming.at)]
    return upcoming, max(past, key=lambda s: s.at, default=None)


def _header(coachee: Coachee, upcoming: Session | None, last: Session | None, zone: ZoneInfo,
            w: DigestWording) -> list[str]:
    lines = []
    if upcoming is not None:
        lines.append(w.next_session.format(number=upcoming.number, zone=zone.key,
                                           when=f"{upcoming.at.astimezone(zone):%A %-d %B %Y, %H:%M}"))
    else:
        lines.append(w.no_session)
    if last is not None:
        lines.append(w.last_session.format(number=last.number, when=f"{last.at.astimezone(zone):%A %-d %B %Y}"))
    lines.append("")
    status = {"hold": w.on_hold, "paused": w.paused, "stopped": w.stopped}.get(coachee.status)
    if status is not None:
        lines += [status, ""]
    return lines


# this session

def _this_session(view: AnswerView, flows: FlowRegistry, *, upcoming: Session | None,
                  last: Session | None) -> list[str]:
    """What they said for the session this digest is for: the latest questions before it, answered since the last
    session, exactly as they saw them in their review. Never an earlier session's answers as if they were these."""
    w = view.words
    start, end = (last.at if last else None), (upcoming.at if upcoming else None)
    begun = [(min(a.created_at for a in run), run) for run in view.runs(BEFORE)]
    runs = [run for at, run in begun if (start is None or at >= start) and (end is None or at < end)]
    if not runs and upcoming is None:
        return []
    title = f"## {w.this_session.format(number=upcoming.number) if upcoming else w.next_one}"
    if not runs:
        return [title, w.this_session_nothing.format(who=view.who)]
    run = runs[-1]
    shared = [a for a in run if a.shared]
    lines = [title]
    if shared:
        lines.append(w.this_session_from.format(source=source_label(run[0].flow, w.sources),
                                                day=view.day(max(a.created_at for a in run))))
    lines += [w.answer_line.format(heading=heading(flows, a, w), text=one_line(a.text)) for a in shared]
    return lines + view.kept(len(run) - len(shared), spaced=bool(shared))


# safety

def _safety(conn: Connection, coachee_id: int, *, since: datetime | None, zone: ZoneInfo,
            words: DigestWording) -> list[str]:
    """What the service did and when, since the last session, and whether the coachee said an alert was a
    mistake: tier and routing only, never what was written. Repeats of the same routing in a row are counted, not
    listed."""
    events = store.safety_events_of(conn, coachee_id, since=since)
    title = f"## {words.safety_since if since is not None else words.safety}"
    if not events:
        return [title, words.safety_none]
    grouped: list[tuple[SafetyEventRow, int]] = []
    for event in events:
        if grouped and event.said_mistake_at is None and grouped[-1][0].said_mistake_at is None and (
                grouped[-1][0].tier, grouped[-1][0].action) == (event.tier, event.action):
            grouped[-1] = (grouped[-1][0], grouped[-1][1] + 1)
        else:
            grouped.append((event, 1))
    lines = [title]
    for event, count in grouped:
        level = words.safety_tier.format(tier=event.tier) if event.tier != "none" else ""
        times = words.safety_times.format(count=count) if count > 1 else ""
        routing = routing_words(event.action, words)
        mistake = "" if event.said_mistake_at is None else words.safety_mistake.format(
            when=f"{event.said_mistake_at.astimezone(zone):%-d %b %H:%M}")
        lines.append(f"- {event.at.astimezone(zone):%-d %b %H:%M}{level}: {routing}{times}{mistake}")
    return lines


def routing_words(action: str, words: DigestWording) -> str:
    """What the service did, in the coach's words, for a safety event's action."""
    return words.routing.model_dump().get(action) or action.replace("_", " ")


def _join(lines: Sequence[str]) -> str:
    text = "\n".join(lines).rstrip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"
