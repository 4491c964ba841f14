"""Sign-in links and browser sessions for the coach's web view. A token is shown once (in the coach's chat, or in
their browser's cookie) and only its SHA-256 is kept, so a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from bot.storage import schema as t

__all__ = ["LINK_VALID_FOR", "TOKEN_BYTES", "create_link", "end_session", "known_session", "open_session",
           "purge_web_access", "redeem_link", "session_coach", "token_hash"]

TOKEN_BYTES = 32
"""256 bits from `secrets`, written as hex (no letters a chat could mistake for words)."""
LINK_VALID_FOR = timedelta(minutes=10)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(conn: Connection, *, coach_id: int, at: datetime) -> str:
    """A new single-use sign-in token for this coach, valid for LINK_VALID_FOR; returns the token itself."""
    token = secrets.token_hex(TOKEN_BYTES)
    conn.execute(insert(t.web_signin_links).values(coach_id=coach_id, token_hash=token_hash(token), created_at=at,
                                                   expires_at=at + LINK_VALID_FOR))
    return token


def redeem_link(conn: Connection, *, token: str, at: datetime) -> int | None:
    """Claim an unused, unexpired link atomically; the coach id, or None for a link that is used, old or unknown."""
    row = conn.execute(
        update(t.web_signin_links)
        .where(t.web_signin_links.c.token_hash == token_hash(token), t.web_signin_links.c.used_at.is_(None),
               t.web_signin_links.c.expires_at > at)
        .values(used_at=at).returning(t.web_signin_links.c.coach_id)
    ).first()
    return None if row is None else int(row[0])


def open_session(conn: Connection, *, coach_id: int, at: datetime) -> str:
    """A new browser session; returns its token, for the cookie."""
    token = secrets.token_hex(TOKEN_BYTES)
    conn.execute(insert(t.web_sessions).values(coach_id=coach_id, token_hash=token_hash(token), created_at=at,
                                               last_seen_at=at))
    return token


def session_coach(conn: Connection, *, token: str, at: datetime, idle: timedelta) -> int | None:
    """The coach whose session this is, if it is open and was used within `idle`; using it keeps it open."""
    s = t.web_sessions
    row = conn.execute(
        update(s).where(s.c.token_hash == token_hash(token), s.c.ended_at.is_(None), s.c.last_seen_at > at - idle)
        .values(last_seen_at=at).returning(s.c.coach_id)
    ).first()
    return None if row is None else int(row[0])


def end_session(conn: Connection, *, token: str, at: datetime) -> bool:
    s = t.web_sessions
    return bool(conn.execute(update(s).where(s.c.token_hash == token_hash(token), s.c.ended_at.is_(None))
                             .values(ended_at=at)).rowcount)


def known_session(conn: Connection, *, token: str) -> bool:
    """Whether this token was ever a session (signed out or idle since): such a browser is told it was signed out."""
    s = t.web_sessions
    return conn.execute(select(s.c.id).where(s.c.token_hash == token_hash(token))).first() is not None


def purge_web_access(conn: Connection, *, now: datetime, idle: timedelta) -> int:
    """The daily retention job: links a day past their expiry and sessions a day past their end (signed out, or
    idle too long) are deleted. Returns how many rows went."""
    links, sessions, day = t.web_signin_links, t.web_sessions, timedelta(days=1)
    gone = conn.execute(delete(links).where(links.c.expires_at < now - day)).rowcount
    gone += conn.execute(delete(sessions).where(
        (sessions.c.ended_at < now - day) | (sessions.c.last_seen_at < now - idle - day))).rowcount
    return int(gone)
