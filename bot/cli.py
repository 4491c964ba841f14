"""`coachbot`: the command line. Its commands, output and exit codes are a fixed contract.

Exit 0 on success, 2 on a usage or config error with one clear line on stderr; where a command
creates something, its id is the last line of stdout; `--json` gives machine-readable output.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot import __version__
from bot.app import App, add_platforms, build_app, console_for, ensure_demo_coachee
from bot.coach_desk import lift_hold
from bot.config import Config, ConfigError, LoggingConfig, load_config
from bot.digest import build_digest, queue_digest
from bot.durations import parse_duration
from bot.groups import GroupError, Groups, parse_start
from bot.listeners import PromptRefused
from bot.logs import configure, keep_libraries_quiet, log_to_file
from bot.names import clean_name
from bot.planning import job_flow
from bot.storage import groups as group_store
from bot.storage import jobs as job_store
from bot.storage import people, store
from bot.storage.crypto import make_key
from bot.storage.erasure import erase_coachee, export_coachee, scrub_freed_pages
from bot.storage.groups import Group
from bot.storage.rekey import rotate
from bot.transfer import MoveRefused, move_coachee
from bot.transports.base import TransportSetupError
from bot.transports.registry import entries, join_hints
from bot.turn import utc_now
from flows.registry import FlowError


class UsageError(Exception):
    """Bad arguments or a missing record: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def record_id(value: str) -> int:
    """A row id as the database can hold it (1 to 2^63 - 1): a bigger number would fail in the driver, not here."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an id: {value!r}") from None
    if not 1 <= number < 2**63:
        raise argparse.ArgumentTypeError(f"no such id: {value}")
    return number


def _parser() -> argparse.ArgumentParser:
    root = _Parser(prog="coachbot", description="A chat-bot front door for a workplace coaching service.")
    root.add_argument("--config", help="config file (TOML); default: $COACHBOT_CONFIG or built-in defaults")
    root.add_argument("--version", action="version", version=f"coachbot {__version__}")
    sub = root.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("run", help="start every enabled transport, the scheduler and the outbox sender")
    chat = sub.add_parser("chat", help="terminal chat as a demo coachee")
    chat.add_argument("--name", help="your name in the chat")
    sub.add_parser("screen", help="screen stdin lines; one JSON object per line on stdout")

    coach = sub.add_parser("coach", help="manage coaches").add_subparsers(dest="action", required=True,
                                                                          parser_class=_Parser)
    coach_add = coach.add_parser("add")
    _person_args(coach_add)
    coach.add_parser("list").add_argument("--json", action="store_true")
    coach_remove = coach.add_parser("remove", help="remove a coach who has no coachees or peer groups left")
    coach_remove.add_argument("id", type=record_id)
    coach_remove.add_argument("--json", action="store_true")
    _rename_args(coach.add_parser("rename", help="correct or change a coach's name"))

    coachee = sub.add_parser("coachee", help="manage coachees").add_subparsers(dest="action", required=True,
                                                                              parser_class=_Parser)
    coachee_add = coachee.add_parser("add")
    coachee_add.add_argument("--coach", type=int, required=True)
    _person_args(coachee_add)
    coachee.add_parser("list").add_argument("--json", action="store_true")
    coachee.add_parser("resume", help="lift a safety hold (the coach's decision)").add_argument("id", type=int)
    coachee_export = coachee.add_parser("export", help="everything held about a coachee, as JSON")
    coachee_export.add_argument("id", type=int)
    coachee_export.add_argument("--json", action="store_true", help="(the output is JSON either way)")
    coachee_erase = coachee.add_parser("erase", help="delete a coachee's personal data; can't be undone")
    coachee_erase.add_argument("id", type=int)
    coachee_erase.add_argument("--yes", action="store_true", help="confirm: required, as nothing is asked")
    coachee_erase.add_argument("--json", action="store_true")
    coachee_move = coachee.add_parser("move", help="move a coachee, with all their history, to another coach")
    coachee_move.add_argument("id", type=record_id)
    coachee_move.add_argument("--coach", type=record_id, required=True, help="the coach they move to")
    coachee_move.add_argument("--json", action="store_true")
    _rename_args(coachee.add_parser("rename", help="correct or change a coachee's name"))

    sub.add_parser("invite", help="a single-use invite code").add_argument("--coach", type=int, required=True)

    session = sub.add_parser("session", help="coaching sessions").add_subparsers(dest="action", required=True,
                                                                                 parser_class=_Parser)
    session_add = session.add_parser("add")
    session_add.add_argument("--coachee", type=int, required=True)
    session_add.add_argument("--at", required=True, help="ISO 8601 time, e.g. 2026-12-01T10:00")
    session_add.add_argument("--number", type=int)
    session_list = session.add_parser("list")
    session_list.add_argument("--coachee", type=int, required=True)
    session_list.add_argument("--json", action="store_true")
    session.add_parser("cancel").add_argument("id", type=int)
    session_move = session.add_parser("move")
    session_move.add_argument("id", type=int)
    session_move.add_argument("--at", required=True, help="ISO 8601 time, e.g. 2026-12-08T10:00")

    schedule = sub.add_parser("schedule", help="what is coming for a coachee, in their local time")
    schedule.add_argument("--coachee", type=int, required=True)
    schedule.add_argument("--json", action="store_true")

    group = sub.add_parser("group", help="peer coaching groups").add_subparsers(dest="action", required=True,
                                                                               parser_class=_Parser)
    group_create = group.add_parser("create", help="a new group; prints its id last")
    group_create.add_argument("--coach", type=int, required=True, help="the coach who leads it")
    group_create.add_argument("--name", required=True)
    group_create.add_argument("--every", help="how often it meets: ISO 8601 (P14D) or seconds; default [groups] every")
    group_create.add_argument("--start", help="the first session, ISO 8601 (default: one cadence from today)")
    for action, what in (("add", "invite a member: they join once they agree to the ground rules"),
                         ("remove", "a member leaves; the sessions to come are re-planned")):
        member = group.add_parser(action, help=what)
        member.add_argument("group", help="the group's id or name")
        member.add_argument("--coachee", type=int, required=True)
    group_plan = group.add_parser("plan", help="the rotation: who brings a challenge at each session")
    group_plan.add_argument("group", help="the group's id or name")
    group_plan.add_argument("--json", action="store_true")
    group.add_parser("list").add_argument("--json", action="store_true")

    prompt = sub.add_parser("prompt", help="start a flow now")
    prompt.add_argument("--coachee", type=int, required=True)
    prompt.add_argument("--flow", required=True)

    digest = sub.add_parser("digest", help="the coach's digest for a coachee (Markdown)")
    digest.add_argument("--coachee", type=record_id, required=True)
    digest.add_argument("--send", action="store_true", help="deliver it to the coach")
    digest.add_argument("--chart", metavar="FILE", help="write the scaling chart to FILE as PNG")

    outbox = sub.add_parser("outbox", help="undelivered and dead-lettered messages (never their text)")
    outbox.add_argument("--dead", action="store_true", help="only dead-lettered messages")
    outbox.add_argument("--json", action="store_true")

    db = sub.add_parser("db", help="database").add_subparsers(dest="action", required=True, parser_class=_Parser)
    db.add_parser("upgrade", help="apply migrations")
    db.add_parser("rotate-key", help="re-encrypt stored text with the first of security.encryption_keys")
    db.add_parser("new-key", help="print a fresh encryption key for security.encryption_keys")
    doctor = sub.add_parser("doctor", help="check config, database, services directory age, transport reachability")
    doctor.add_argument("--json", action="store_true")
    return root


def _person_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True)
    parser.add_argument("--telegram-id")
    parser.add_argument("--slack-id")


def _rename_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=record_id)
    parser.add_argument("--name", required=True, help="the new name")


def _now() -> datetime:
    return utc_now()


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, default=str))


# commands

def cmd_run(app: App, args: argparse.Namespace) -> int:
    config = app.config
    try:
        add_platforms(app)
    except TransportSetupError as exc:
        raise ConfigError(f"config error: {exc}") from None
    platforms = bool(app.transports)
    # Beside a platform, the terminal chat only makes sense at a terminal (not under a service manager).
    with_console = config.console.enabled and (not platforms or sys.stdin.isatty())
    if not platforms and not with_console:
        raise ConfigError("config error: console.enabled: no transport is enabled, so there is nothing to run")
    console = None
    if with_console:
        display = _login_name()
        user = _console_user(display)
        ensure_demo_coachee(app, user=user, name=display, now=_now())
        console = console_for(app, user=user, name=display, log_file=_shown(args.log_file))
    try:
        asyncio.run(app.serve(console=console, ready=_say_ready if platforms else None))
    except (TransportSetupError, OSError) as exc:
        # A rejected token or a port already in use: the operator's to fix, so one clear line.
        raise ConfigError(f"coachbot: could not start: {exc}") from None
    return 0


def _say_ready(names: str) -> None:
    print(f"coachbot running: {names}. Stop with Ctrl-C.", file=sys.stderr, flush=True)


CHAT_LOG = "coachbot.log"
"""Where the log goes while someone chats in the terminal (COACHBOT_LOG_FILE sets another file)."""


def _chat_log(command: str, config: Config) -> Path | None:
    """The log file when this command chats in the terminal, so no warning lands between the bot's lines."""
    platforms = any(entry.enabled(config) for entry in entries())
    chatting = command == "chat" or (command == "run" and config.console.enabled
                                     and (not platforms or sys.stdin.isatty()))
    return Path(os.environ.get("COACHBOT_LOG_FILE") or CHAT_LOG) if chatting else None


def _shown(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _console_user(display: str) -> str:
    return "console-" + "".join(ch for ch in display.lower() if ch.isalnum())[:40]


def cmd_chat(app: App, args: argparse.Namespace) -> int:
    return _chat(app, name=args.name, log_file=_shown(args.log_file))


def _chat(app: App, *, name: str | None, log_file: str | None) -> int:
    display = (name or _login_name()).strip() or "Sam"
    user = _console_user(display)
    ensure_demo_coachee(app, user=user, name=display, now=_now())
    console = console_for(app, user=user, name=display, log_file=log_file)
    asyncio.run(app.serve(console=console))
    return 0


def _login_name() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        return "Sam"
    return "Sam" if login in ("root", "") else login.capitalize()


def cmd_screen(_app: App | None, _args: argparse.Namespace) -> int:
    from safety.stream import run_screen

    return run_screen(sys.stdin, sys.stdout)


def cmd_doctor(_app: App | None, args: argparse.Namespace) -> int:
    """Runs without an app: it must report a broken database or config, not crash on it."""
    from datetime import date

    from bot.doctor import doctor

    return doctor(args.config, as_json=args.json, today=date.today(), out=sys.stdout, err=sys.stderr)


def _name(name: str) -> str:
    """A person's name as stored: trimmed, and refused rather than cut when it's longer than the column, or
    rather than stored as a stand-in when nothing in it can be seen."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise UsageError("--name: give a name of 1 to 200 characters")
    if not clean_name(name, fallback=""):
        raise UsageError("--name: give a name with letters in it, not only invisible or control characters")
    return name


def _renamed(kind: str, record_id: int, *, before: str, after: str) -> int:
    """One line for a rename (or that nothing changed), then the id last, as `add` prints it."""
    print(f"{kind} {record_id} is now {after}" if after != before
          else f"{kind} {record_id} is already called {after}; nothing changed")
    print(record_id)
    return 0


def cmd_coach(app: App, args: argparse.Namespace) -> int:
    with app.db.begin() as conn:
        if args.action == "add":
            coach = store.add_coach(conn, name=_name(args.name), at=_now())
            _add_ids(conn, args, coach_id=coach.id)
            print(coach.id)
            return 0
        if args.action == "rename":
            before = store.get_coach(conn, args.id)
            coach = people.rename_coach(conn, before.id, name=_name(args.name))
            return _renamed("coach", coach.id, before=before.name, after=coach.name)
        if args.action == "remove":
            return _coach_remove(app, conn, args)
        coaches = store.list_coaches(conn)
        rows = [(c, [i.transport for i in store.identities_of(conn, coach_id=c.id)]) for c in coaches]
    if args.json:
        _print_json([{"id": c.id, "name": c.name, "transports": ts} for c, ts in rows])
    else:
        for c, ts in rows:
            print(f"{c.id}\t{c.name}\t{','.join(ts) or '-'}")
    return 0


def _coach_remove(app: App, conn: Connection, args: argparse.Namespace) -> int:
    """Refused while anyone would be left without them: coachees, a peer group, or the service's alerts."""
    coach = store.get_coach(conn, args.id)
    refused = f"coachbot coach remove: coach {coach.id} ({coach.name})"
    ties = people.ties_of(conn, coach.id)
    if ties.coachees:
        ids = ", ".join(map(str, ties.coachees))
        raise UsageError(f"{refused} still has {len(ties.coachees)} coachee{'s' * (len(ties.coachees) > 1)} "
                         f"(id {ids}); move them first: coachbot coachee move ID --coach OTHER")
    if ties.groups:
        groups = ", ".join(f"{name} (group {group_id})" for group_id, name in ties.groups)
        raise UsageError(f"{refused} leads the peer group {groups}, which would be left without a coach")
    if app.config.safety.safeguarding_contact.strip() == str(coach.id):
        raise UsageError(f"{refused} is the safeguarding contact (safety.safeguarding_contact in the config); "
                         "name another coach there first")
    removed = people.remove_coach(conn, coach.id)
    if args.json:
        _print_json({"id": coach.id, "deleted": removed.deleted})
        return 0
    d = removed.deleted
    print(f"removed coach {coach.id} ({coach.name}); deleted with them: chat ids {d['identities']}, invites "
          f"{d['invites']}, messages to them {d['outbox']}, conversations with the bot {d['conversations']}")
    print(coach.id)
    return 0


def _add_ids(conn: object, args: argparse.Namespace, *, coach_id: int | None = None,
             coachee_id: int | None = None) -> None:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    for transport, value in (("telegram", args.telegram_id), ("slack", args.slack_id)):
        if value:
            try:
                store.add_identity(conn, transport=transport, external_id=str(value), coach_id=coach_id,
                                   coachee_id=coachee_id)
            except ValueError as exc:
                raise UsageError(str(exc)) from None


def cmd_coachee(app: App, args: argparse.Namespace) -> int:
    now = _now()
    if args.action == "add":
        with app.db.begin() as conn:
            coachee = store.add_coachee(conn, coach_id=args.coach, name=_name(args.name), at=now)
            _add_ids(conn, args, coachee_id=coachee.id)
        if args.slack_id:
            # On Slack the bot may write first: it opens the DM and starts onboarding.
            asyncio.run(app.engine.prompt(coachee.id, "onboarding"))
            print(f"onboarding for {coachee.name} is in the outbox; the bot will open a Slack DM")
        print(coachee.id)
        return 0
    if args.action in ("export", "erase"):
        return _coachee_data(app, args, now=now)
    if args.action == "move":
        return _coachee_move(app, args, now=now)
    if args.action == "rename":
        with app.db.begin() as conn:
            before = store.get_coachee(conn, args.id)
            coachee = people.rename_coachee(conn, before.id, name=_name(args.name))
        return _renamed("coachee", coachee.id, before=before.name, after=coachee.name)
    with app.db.begin() as conn:
        if args.action == "resume":
            coachee = store.get_coachee(conn, args.id)
            if coachee.status not in ("hold", "paused"):
                print(f"coachee {coachee.id} is not on hold; nothing to lift")
                return 0
            lift_hold(conn, coachee=coachee, coach=store.get_coach(conn, coachee.coach_id), now=now,
                      router=app.router, flows=app.flows, default_timezone=app.config.schedule.default_timezone)
            print(f"hold lifted for coachee {coachee.id}; they have been told")
            return 0
        rows = []
        for c in store.list_coachees(conn):
            identities = store.identities_of(conn, coachee_id=c.id)
            rows.append({"id": c.id, "name": c.name, "coach_id": c.coach_id, "status": c.status,
                         "transport": identities[0].transport if identities else None,
                         "timezone": c.timezone, "consent_store": c.consent_store, "consent_share": c.consent_share})
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']}\t{row['name']}\tcoach {row['coach_id']}\t{row['status']}\t{row['transport'] or '-'}")
    return 0


def _coachee_move(app: App, args: argparse.Namespace, *, now: datetime) -> int:
    contact = app.config.safety.safeguarding_contact.strip()
    safeguarding = int(contact) if contact.isdigit() and app.config.safety.alert == "coach+safeguarding" else None
    try:
        with app.db.begin() as conn:
            moved = move_coachee(conn, coachee_id=args.id, coach_id=args.coach, now=now, wording=app.engine.wording,
                                 flows=app.flows.registry, default_timezone=app.config.schedule.default_timezone,
                                 safeguarding=safeguarding)
    except MoveRefused as exc:
        raise UsageError(f"coachbot coachee move: {exc}") from None
    c, old, new = moved.coachee, moved.old_coach, moved.new_coach
    if args.json:
        _print_json({"id": c.id, "coach_id": new.id, "from_coach_id": old.id, "readdressed": moved.readdressed,
                     "digests": moved.digests, "told": list(moved.told)})
        return 0
    print(f"moved {c.name} (coachee {c.id}) from {old.name} (coach {old.id}) to {new.name} (coach {new.id}), "
          f"with their sessions, answers, check-ins and safety record")
    print(f"waiting messages about them re-addressed to {new.name}: {moved.readdressed}; digests rebuilt for "
          f"{new.name}: {moved.digests}")
    why = "they have left the programme" if c.status == "stopped" else (
        f"they haven't talked to the bot yet, and it will name {new.name} when they do")
    print(f"told: {', '.join(moved.told)}" + ("" if "coachee" in moved.told else f" (not the coachee: {why})"))
    if not moved.new_coach_reachable:
        print(f"coachbot: coach {new.id} has no chat registered, so what is for them waits as a dead letter "
              "(coachbot outbox --dead); tell them yourself", file=sys.stderr)
    print(c.id)
    return 0


def _coachee_data(app: App, args: argparse.Namespace, *, now: datetime) -> int:
    """`coachee export ID`: all of it as JSON on stdout. `coachee erase ID --yes`: all of it deleted, but for
    anonymous safety counts; no message goes to the coachee (the operator is acting on their request)."""
    if args.action == "export":
        with app.db.connect() as conn:
            export = export_coachee(conn, args.id, now=now)
        print(export.to_json())
        return 0
    if not args.yes:
        raise UsageError(f"coachbot coachee erase: this deletes everything held about coachee {args.id} and can't "
                         "be undone; add --yes to confirm")
    with app.db.begin() as conn:
        report = erase_coachee(conn, args.id)
    scrub_freed_pages(app.db)
    if args.json:
        _print_json({"id": report.coachee_id, "deleted": report.deleted,
                     "safety_events_kept": report.safety_events_kept})
    else:
        print(f"erased coachee {report.coachee_id}: {report.total} rows deleted; {report.safety_events_kept} safety "
              "events kept as anonymous counts")
    return 0


def cmd_invite(app: App, args: argparse.Namespace) -> int:
    with app.db.begin() as conn:
        valid_for = app.config.security.invite_valid_for
        code = store.create_invite(conn, coach_id=args.coach, at=_now(), valid_for=valid_for)
    for hint in join_hints(app.config, code):
        print(f"{hint.platform}: {hint.link or hint.message}")
    print(f"Valid for {valid_for.days} days, once." if valid_for.days else f"Valid for {valid_for}, once.")
    print(code)
    return 0


def _session_time(text: str, zone_name: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at: {text!r} is not an ISO 8601 time like 2026-12-01T10:00") from None
    return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone_name))).astimezone(UTC)


def cmd_session(app: App, args: argparse.Namespace) -> int:
    now = _now()
    with app.db.begin() as conn:
        if args.action == "add":
            coachee = store.get_coachee(conn, args.coachee)
            zone_name = coachee.timezone or app.config.schedule.default_timezone
            session = store.add_session(conn, coachee_id=coachee.id, at=_session_time(args.at, zone_name),
                                        timezone=zone_name, number=args.number)
            app.planner.plan_coachee(conn, coachee.id, now=now)
            print(session.id)
            return 0
        if args.action in ("cancel", "move"):
            session = store.get_session(conn, args.id)
            if session.status in ("done", "cancelled"):
                raise UsageError(f"session {session.id} is {session.status}, so it can't be changed")
            if args.action == "cancel":
                session = store.update_session(conn, session.id, status="cancelled")
            else:
                session = store.update_session(conn, session.id, status="moved",
                                               at=_session_time(args.at, session.timezone))
            app.planner.plan_coachee(conn, session.coachee_id, now=now)
            local = session.at.astimezone(ZoneInfo(session.timezone))
            print(f"session {session.number} is {session.status}" + (f": {local:%A %d %B %Y %H:%M} {session.timezone}"
                                                                     if args.action == "move" else ""))
            print(session.id)
            return 0
        sessions = store.list_sessions(conn, coachee_id=args.coachee)
    rows = [{"id": s.id, "number": s.number, "at": s.at.astimezone(ZoneInfo(s.timezone)).isoformat(),
             "timezone": s.timezone, "status": s.status} for s in sessions]
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']}\tsession {row['number']}\t{row['at']}\t{row['status']}")
    return 0


_FLOW_WORDS = {"pre_session": "questions before the session: goals", "follow_up": "questions before the session: "
               "how things have gone", "final_review": "the look back over the programme, after the last session"}
_JOB_WORDS = {"pre_session": "questions before the session", "reminder": "a reminder, if still unanswered",
              "digest": "the coach's digest", "post_session": "the actions agreed, after the session",
              "checkin": "a check-in", "caseload": "the coach's caseload overview",
              "group_prep": "questions before bringing a challenge to a peer group",
              "group_reflect": "a look back before the peer group meets", "group_digest": "the group coach's digest",
              "group_commit": "what they'll do, after a peer group session", "group_close": "a peer group's close"}


def cmd_schedule(app: App, args: argparse.Namespace) -> int:
    with app.db.connect() as conn:
        coachee = store.get_coachee(conn, args.coachee)
        zone = ZoneInfo(coachee.timezone or app.config.schedule.default_timezone)
        pending = job_store.pending_for(conn, coachee_id=coachee.id)
        booked = store.list_sessions(conn, coachee_id=coachee.id)
    sessions = {s.id: s for s in booked}
    of_job = [sessions.get(j.session_id) if j.session_id else None for j in pending]
    flows = [job_flow(j.kind, session, booked) for j, session in zip(pending, of_job, strict=True)]
    rows = [{"kind": j.kind, "flow": flow, "at": j.due_at.astimezone(zone).isoformat(), "timezone": zone.key,
             "session": session.number if session else None} for j, session, flow in zip(pending, of_job, flows,
                                                                                          strict=True)]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print(f"nothing scheduled for {coachee.name}")
    for job, row, flow in zip(pending, rows, flows, strict=True):
        when = job.due_at.astimezone(zone)
        session = f" (session {row['session']})" if row["session"] else ""
        words = _JOB_WORDS[job.kind] if job.kind == "reminder" or flow is None else _FLOW_WORDS.get(
            flow, _JOB_WORDS[job.kind])
        print(f"{when:%a %d %b %Y %H:%M} {zone.key}  {words}{session}")
    return 0


def cmd_group(app: App, args: argparse.Namespace) -> int:
    """Peer coaching groups: create, add and remove members, and the plan. Members join the rotation only once
    they agree to the ground rules in chat; a change tells the coach who leads the group."""
    groups, now = app.groups, _now()
    try:
        with app.db.begin() as conn:
            if args.action == "create":
                return _group_create(app, groups, conn, args, now=now)
            if args.action == "list":
                return _group_list(conn, as_json=args.json)
            group = _group_ref(conn, args.group)
            if args.action == "plan":
                return _group_plan(groups, conn, group, as_json=args.json, now=now)
            coachee = store.get_coachee(conn, args.coachee)
            if args.action == "add":
                print(groups.add_member(conn, group, coachee, now=now, starter=app.engine, exact_reason=True))
            else:
                print(groups.remove_member(conn, group, coachee, now=now, tell_coach=True))
            print(coachee.id)
            return 0
    except GroupError as exc:
        raise UsageError(f"coachbot group {args.action}: {exc}") from None


def _group_ref(conn: Connection, ref: str) -> Group:
    if ref.isdigit():
        return group_store.get_group(conn, int(ref))
    named = [g for g in group_store.list_groups(conn) if g.name.casefold() == " ".join(ref.split()).casefold()]
    if len(named) != 1:
        raise UsageError(f"coachbot group: {'no' if not named else 'more than one'} group called {ref!r}; "
                         "give its id (coachbot group list)")
    return named[0]


def _group_create(app: App, groups: Groups, conn: Connection, args: argparse.Namespace, *, now: datetime) -> int:
    zone = ZoneInfo(app.config.schedule.default_timezone)
    try:
        every = parse_duration(args.every) if args.every else None
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    start = parse_start(args.start, zone) if args.start else None
    group = groups.create(conn, coach_id=args.coach, name=_name(args.name), every=every, start=start, now=now)
    print(f"created {group.name}: every {group.every_days} days from "
          f"{group.start_at.astimezone(zone):%a %d %b %Y %H:%M} {zone.key}; add members with "
          f"coachbot group add {group.id} --coachee ID")
    print(group.id)
    return 0


def _group_list(conn: Connection, *, as_json: bool) -> int:
    rows: list[dict[str, object]] = []
    counts = []
    for g in group_store.list_groups(conn):
        members = group_store.members_of(conn, g.id)
        counts.append((sum(m.in_rotation for m in members), sum(not m.in_rotation for m in members)))
        rows.append({"id": g.id, "name": g.name, "coach_id": g.coach_id, "every_days": g.every_days,
                     "start": g.start_at.astimezone(ZoneInfo(g.timezone)).isoformat(), "timezone": g.timezone,
                     "in_rotation": [m.coachee_id for m in members if m.in_rotation],
                     "waiting": [m.coachee_id for m in members if not m.in_rotation]})
    if as_json:
        _print_json(rows)
    else:
        for row, (agreed, waiting) in zip(rows, counts, strict=True):
            print(f"{row['id']}\t{row['name']}\tcoach {row['coach_id']}\tevery {row['every_days']} days\t"
                  f"{agreed} in the rotation, {waiting} yet to agree")
    return 0


def _group_plan(groups: Groups, conn: Connection, group: Group, *, as_json: bool, now: datetime) -> int:
    sessions = groups.plan(conn, group, now=now)
    if as_json:
        zone = ZoneInfo(group.timezone)
        _print_json({"sessions": [{"number": s.number, "at": s.at.astimezone(zone).isoformat(),
                                   "presenter_id": s.presenter_id, "feedback_from_id": s.feedback_from_id}
                                  for s in sessions]})
    else:
        print(groups.plan_text(conn, group, now=now))
    return 0


def cmd_prompt(app: App, args: argparse.Namespace) -> int:
    try:
        asyncio.run(app.engine.prompt(args.coachee, args.flow))
    except PromptRefused as exc:
        raise UsageError(str(exc)) from None
    print(f"started {args.flow} for coachee {args.coachee}; it is in the outbox")
    return 0


def cmd_digest(app: App, args: argparse.Namespace) -> int:
    now = _now()
    with app.db.begin() as conn:
        # The chart is drawn only to be sent or written: the printed digest carries its text sparkline instead.
        digest = build_digest(conn, coachee_id=args.coachee, flows=app.flows.registry, now=now,
                              chart=args.send or args.chart is not None,
                              default_timezone=app.config.schedule.default_timezone, words=app.engine.wording.digest)
        if args.chart is not None and digest.chart_png is not None:
            _write_chart(args.chart, digest.chart_png)  # before sending: a file that can't be written sends nothing
        if args.send and queue_digest(conn, digest, now=now) is None:
            raise UsageError(f"coach {digest.coach_id} has no chat to send the digest to")
    sys.stdout.write(digest.text)
    if args.chart is not None and digest.chart_png is None:
        print(f"coachbot digest: coachee {args.coachee} has shared no scaling readings yet, so there is no chart "
              f"and nothing was written to {args.chart}", file=sys.stderr)
    return 0


def _write_chart(path: str, png: bytes) -> None:
    """The chart holds the coachee's readings: readable by the operator alone (0600), like their exported data."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(png)
    except OSError as exc:
        raise UsageError(f"coachbot digest: can't write the chart to {path}: {exc.strerror or exc}") from None


OUTBOX_SHOWN = 1000


def cmd_outbox(app: App, args: argparse.Namespace) -> int:
    """What hasn't gone out, oldest first, for the operator: never the text, which is the coachee's own."""
    with app.db.connect() as conn:
        rows = store.outbox_rows(conn, statuses=["dead"] if args.dead else ["pending", "dead"], limit=OUTBOX_SHOWN)
    listed = [{"id": r.id, "kind": r.kind, "transport": r.transport, "chat": r.chat_id, "status": r.status,
               "attempts": r.attempts, "next_attempt": None if r.status == "dead" else r.next_attempt_at.isoformat(),
               "last_error": r.last_error, "created": r.created_at.isoformat()} for r in rows]
    if args.json:
        _print_json(listed)
    elif not listed:
        print("no dead letters" if args.dead else "nothing waiting: every message has been delivered")
    else:
        for row in listed:
            print(f"{row['id']}\t{row['kind']}\t{row['transport']}\t{row['chat']}\t{row['status']}\t"
                  f"{row['attempts']} attempts\tnext {row['next_attempt'] or '-'}\tcreated {row['created']}\t"
                  f"{row['last_error'] or '-'}")
    if len(rows) == OUTBOX_SHOWN:
        print(f"coachbot: only the oldest {OUTBOX_SHOWN} are shown", file=sys.stderr)
    return 0


def cmd_db(app: App, args: argparse.Namespace) -> int:
    if args.action == "rotate-key":
        return cmd_rotate_key(app)
    print("database is up to date")
    return 0


def cmd_rotate_key(app: App) -> int:
    """Every encrypted column, re-encrypted with the newest key (and plain text from before, encrypted)."""
    written = rotate(app.db)
    for column, count in written.items():
        print(f"{column}\t{count} re-encrypted")
    print(f"done: everything stored is now encrypted with the first key ({sum(written.values())} values changed); "
          "the other keys can be removed from security.encryption_keys")
    return 0


def cmd_new_key(_app: App | None, _args: argparse.Namespace) -> int:
    """Needs no config or database: a key for the operator to put first in security.encryption_keys."""
    print(make_key())
    return 0


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {
    "run": cmd_run, "chat": cmd_chat, "coach": cmd_coach, "coachee": cmd_coachee, "invite": cmd_invite,
    "session": cmd_session, "schedule": cmd_schedule, "prompt": cmd_prompt, "digest": cmd_digest, "db": cmd_db,
    "outbox": cmd_outbox, "group": cmd_group,
}


def _configure_logging(config: LoggingConfig | None = None) -> None:
    """Before the config is read, from the environment alone (a bad value there is reported by the config)."""
    if config is None:
        env = os.environ
        fmt = (env.get("COACHBOT_LOGGING__FORMAT") or env.get("COACHBOT_LOG_FORMAT") or "text").strip().lower()
        level = env.get("COACHBOT_LOGGING__LEVEL") or env.get("COACHBOT_LOG_LEVEL") or "WARNING"
        configure(fmt="json" if fmt == "json" else "text", level=level)
    else:
        configure(fmt=config.format, level=config.level)
    keep_libraries_quiet()


def main(argv: Sequence[str] | None = None) -> int:
    _configure_logging()
    try:
        args = _parser().parse_args(argv)
        if args.command == "screen":
            return cmd_screen(None, args)
        if args.command == "doctor":
            return cmd_doctor(None, args)
        if args.command == "db" and args.action == "new-key":
            return cmd_new_key(None, args)
        config: Config = load_config(args.config)
        _configure_logging(config.logging)
        args.log_file = _chat_log(args.command, config)
        if args.log_file is not None:
            log_to_file(args.log_file)
        app = build_app(config)
        return COMMANDS[args.command](app, args)
    except (UsageError, ConfigError, FlowError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except store.NotFound as exc:
        print(f"coachbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
