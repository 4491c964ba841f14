"""The coach's web view on the [http] server: every page and form, each behind the coach's own session.

Authorisation is the chat commands' rule: a coach sees only their own coachees and groups. A coachee who isn't
theirs, one who was erased and an id that never existed all get the same "not found" page. Database work runs in a
thread, as the engine's does, so a slow query never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.chart import chart_svg
from bot.coach_desk import lift_hold
from bot.config import Config
from bot.groups import Groups
from bot.storage import groups as gstore
from bot.storage import store
from bot.storage.coach_views import add_hold_note, record_view
from bot.storage.records import Coach, Coachee
from bot.storage.web_access import end_session, known_session, open_session, redeem_link, session_coach
from bot.web.caseload_view import caseload_rows
from bot.web.coachee_view import coachee_page, gather
from bot.web.groups_view import group_page
from bot.web.links import is_https
from bot.web.pages import STYLE, Pages
from bot.web.security import COOKIE, clear_cookie, csrf_token, csrf_valid, set_cookie
from bot.wording import EngineWording
from flows.stepper import FlowRunner
from safety.routing import SafetyRouter

__all__ = ["NOTE_LIMIT", "CoachWeb"]

log = logging.getLogger(__name__)

NOTE_LIMIT = 4000
"""The most of a coach's note kept (characters); a longer one is cut there."""
LIFT_TRIES = 3


@dataclass(frozen=True)
class Signed:
    """A request from a signed-in coach: who, and the token of their session (for its CSRF token)."""

    coach: Coach
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def _minutes(length: timedelta) -> str:
    minutes = max(1, int(length.total_seconds() // 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"  # not said: a number and its unit


def _see_other(location: str) -> web.Response:
    """A 303 that carries a cookie change with it."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


class CoachWeb:
    def __init__(self, *, db: Database, config: Config, flows: FlowRunner, router: SafetyRouter,
                 wording: EngineWording, groups: Groups, clock: Callable[[], datetime],
                 written: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.config = config
        self.flows = flows
        self.router = router
        self.wording = wording
        self.groups = groups
        self.clock = clock
        self.written = written
        """Wakes the outbox sender after a form wrote a message (the coachee told their hold is lifted)."""
        self.pages = Pages()
        self.secure = is_https(config)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/coach", self._home),
            web.get("/coach/", self.caseload),
            web.get("/coach/style.css", self._style),
            web.get("/coach/signin", self.signin_help),
            web.get("/coach/signin/{token}", self.signin),
            web.post("/coach/signout", self.signout),
            web.get("/coach/coachees/{id}", self.coachee),
            web.get("/coach/coachees/{id}/chart.svg", self.chart),
            web.get("/coach/coachees/{id}/resume", self.resume_form),
            web.post("/coach/coachees/{id}/resume", self.resume),
            web.get("/coach/groups", self.group_list),
            web.get("/coach/groups/{id}", self.group),
        ]

    # helpers

    def _page(self, template: str, signed: Signed | None, *, status: int = 200, **context: Any) -> web.Response:
        return self.pages.html(template, status=status, coach=signed.coach if signed else None,
                               csrf=signed.csrf if signed else "", now=self.clock(), **context)

    async def _db(self, work: Callable[[Connection], Any]) -> Any:
        def run() -> Any:
            with self.db.begin() as conn:
                return work(conn)
        return await asyncio.to_thread(run)

    async def _signed(self, request: web.Request) -> Signed:
        """The signed-in coach; anyone else is sent to the page that says how to sign in."""
        token = request.cookies.get(COOKIE)
        if token:
            now, idle = self.clock(), self.config.web.session_idle

            def find(conn: Connection) -> Coach | None:
                coach_id = session_coach(conn, token=token, at=now, idle=idle)
                return None if coach_id is None else store.get_coach(conn, coach_id)
            coach = await self._db(find)
            if coach is not None:
                return Signed(coach=coach, token=token)
        raise web.HTTPSeeOther("/coach/signin")

    async def _csrf(self, request: web.Request, signed: Signed) -> dict[str, str] | web.Response:
        form = await request.post()
        sent = form.get("csrf")
        if not csrf_valid(signed.token, sent if isinstance(sent, str) else None):
            log.warning("web: a form was sent without its CSRF token, or with a wrong one")
            return self._page("refused.html", signed, status=403)
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _not_found(self, signed: Signed) -> web.Response:
        return self._page("not_found.html", signed, status=404)

    @staticmethod
    def _own(conn: Connection, coach: Coach, raw_id: str) -> Coachee | None:
        """The coachee, if the id is one of this coach's: the one question every coachee page asks first."""
        if not raw_id.isdigit() or len(raw_id) > 18:
            return None
        try:
            coachee = store.get_coachee(conn, int(raw_id))
        except store.NotFound:
            return None
        return coachee if coachee.coach_id == coach.id else None

    # signing in and out

    async def _home(self, request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/coach/")

    async def _style(self, request: web.Request) -> web.FileResponse:
        # not said: a media type
        return web.FileResponse(STYLE, headers={"Content-Type": "text/css; charset=utf-8",
                                                "Cache-Control": "max-age=3600"})

    async def signin_help(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE)
        ended = False
        if token:
            now, idle = self.clock(), self.config.web.session_idle

            def look(conn: Connection) -> tuple[bool, bool]:
                return (session_coach(conn, token=token, at=now, idle=idle) is not None,
                        known_session(conn, token=token))
            still_open, ended = await self._db(look)
            if still_open:
                raise web.HTTPSeeOther("/coach/")
        response = self._page("signin.html", None, signed_out="out" in request.query, ended=ended,
                              idle_minutes=_minutes(self.config.web.session_idle))
        if token:
            clear_cookie(response, secure=self.secure)
        return response

    async def signin(self, request: web.Request) -> web.Response:
        token, now = request.match_info["token"], self.clock()

        def claim(conn: Connection) -> str | None:
            coach_id = redeem_link(conn, token=token, at=now)
            return None if coach_id is None else open_session(conn, coach_id=coach_id, at=now)
        session = await self._db(claim) if len(token) <= 128 else None
        if session is None:
            log.info("web: a sign-in link that is used, expired or unknown was opened")
            return self._page("signin_failed.html", None, status=403)
        # A page that moves on to the caseload, not a redirect: a link opened from a chat's web client starts on
        # another site, and the browser would leave the SameSite=Strict cookie off every request of that
        # navigation, the redirect's too. The refresh is this site's own navigation, so the cookie goes with it.
        response = self._page("signed_in.html", None)
        set_cookie(response, session, secure=self.secure)
        return response

    async def signout(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        form = await self._csrf(request, signed)
        if isinstance(form, web.Response):
            return form
        now = self.clock()
        await self._db(lambda conn: end_session(conn, token=signed.token, at=now))
        response = _see_other("/coach/signin?out=1")
        clear_cookie(response, secure=self.secure)
        return response

    # the caseload

    async def caseload(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        now = self.clock()
        rows = await self._db(lambda conn: caseload_rows(
            conn, coach_id=signed.coach.id, now=now, flows=self.flows.registry,
            default_timezone=self.config.schedule.default_timezone))
        return self._page("caseload.html", signed, rows=rows)

    # a coachee

    async def coachee(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        now, words = self.clock(), self.wording.digest

        def read(conn: Connection) -> Any:
            coachee = self._own(conn, signed.coach, request.match_info["id"])
            if coachee is None:
                return None
            gathered = gather(conn, coachee_id=coachee.id, flows=self.flows.registry, now=now,
                              default_timezone=self.config.schedule.default_timezone, words=words)
            page = coachee_page(conn, gathered, flows=self.flows.registry, now=now, words=words)
            record_view(conn, coach_id=signed.coach.id, coachee_id=coachee.id, at=now)
            return page
        page = await self._db(read)
        if page is None:
            return self._not_found(signed)
        log.info("web: coach %s viewed coachee %s's page", signed.coach.id, page.id)
        return self._page("coachee.html", signed, page=page, done=request.query.get("done", ""))

    async def chart(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        now, words = self.clock(), self.wording.digest

        def draw(conn: Connection) -> bytes | None:
            coachee = self._own(conn, signed.coach, request.match_info["id"])
            if coachee is None:
                return None
            g = gather(conn, coachee_id=coachee.id, flows=self.flows.registry, now=now,
                       default_timezone=self.config.schedule.default_timezone, words=words)
            if not g.readings:
                return None
            return chart_svg(g.readings, g.marks, zone=g.zone.key, words=words.chart, sources=words.sources)
        svg = await self._db(draw)
        if svg is None:
            return self._not_found(signed)
        # not said: the image's own headers
        return web.Response(body=svg, content_type="image/svg+xml",
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    # lifting a hold

    async def resume_form(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        coachee = await self._db(lambda conn: self._own(conn, signed.coach, request.match_info["id"]))
        if coachee is None:
            return self._not_found(signed)
        return self._page("resume.html", signed, coachee=coachee, limit=NOTE_LIMIT)

    async def resume(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        form = await self._csrf(request, signed)
        if isinstance(form, web.Response):
            return form
        note = form.get("note", "").strip()[:NOTE_LIMIT]
        now = self.clock()

        def lift(conn: Connection) -> str | None:
            coachee = self._own(conn, signed.coach, request.match_info["id"])
            if coachee is None:
                return None
            if coachee.status not in ("hold", "paused"):
                return "not_held"
            lift_hold(conn, coachee=coachee, coach=signed.coach, now=now, router=self.router, flows=self.flows,
                      default_timezone=self.config.schedule.default_timezone)
            if note:
                add_hold_note(conn, coach_id=signed.coach.id, coachee_id=coachee.id, note=note, at=now)
            log.info("web: coach %s lifted coachee %s's hold", signed.coach.id, coachee.id)
            return "lifted"
        for attempt in range(LIFT_TRIES):
            try:
                done = await self._db(lift)
                break
            except store.StaleConversation:
                if attempt == LIFT_TRIES - 1:
                    raise
        if done is None:
            return self._not_found(signed)
        self.written()
        raise web.HTTPSeeOther(f"/coach/coachees/{request.match_info['id']}?done={done}")

    # groups

    async def group_list(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        groups = await self._db(lambda conn: gstore.list_groups(conn, coach_id=signed.coach.id))
        return self._page("groups.html", signed, groups=groups)

    async def group(self, request: web.Request) -> web.Response:
        signed = await self._signed(request)
        raw, now = request.match_info["id"], self.clock()

        def read(conn: Connection) -> Any:
            if not raw.isdigit() or len(raw) > 18:
                return None
            try:
                found = gstore.get_group(conn, int(raw))
            except store.NotFound:
                return None
            if found.coach_id != signed.coach.id:
                return None
            return group_page(conn, found, groups=self.groups, now=now)
        page = await self._db(read)
        if page is None:
            return self._not_found(signed)
        return self._page("group.html", signed, page=page)
