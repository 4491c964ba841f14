"""The session cookie, the CSRF token tied to it, and the headers every page carries.

The CSRF token is an HMAC of the session's own token, so it needs no storage, changes with every session and can't
be made without the cookie; it is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

__all__ = ["COOKIE", "COOKIE_PATH", "HEADERS", "clear_cookie", "csrf_token", "csrf_valid", "set_cookie"]

COOKIE = "coachbot_session"
COOKIE_PATH = "/coach"
# not said: the browser's security headers
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # a sign-in link's token never leaves in a Referer
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # a coachee's page is not kept on a shared computer's disk
}


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode("utf-8"), b"coachbot-web-csrf", hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(session_token).encode(), sent.encode("utf-8"))


def set_cookie(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    """HttpOnly and SameSite=Strict, on /coach only; no Max-Age, so it goes when the browser closes (the session
    itself ends on the server after the idle time)."""
    response.set_cookie(COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=secure)


def clear_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Strict")
