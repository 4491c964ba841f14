"""Signing in from chat: /web sends a one-time link through the outbox; it opens a session once, within 10 minutes;
the session's cookie is HttpOnly, SameSite=Strict, on /coach, Secure behind https; it ends after the idle time or
on signing out, and the database keeps hashes, never the tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from bot.config import Config, HttpConfig, WebConfig
from bot.storage import schema as t
from bot.storage import store
from bot.types import Reply
from bot.web.links import is_https, public_base, signin_link
from tests.bot.web.site import MOVES_ON, Site, csrf_of, site
from tests.conftest import MarkerScreener, make_harness

__all__ = ["site"]

PAGES = ("/coach/", "/coach/coachees/1", "/coach/coachees/1/chart.svg", "/coach/coachees/1/resume",
         "/coach/groups", "/coach/groups/1")
FORMS = ("/coach/signout", "/coach/coachees/1/resume")


async def test_web_sends_a_link_through_the_outbox_to_the_coachs_own_chat(site: Site) -> None:
    path = await site.link()
    h = site.harness
    with h.app.db.connect() as conn:
        rows = store.outbox_rows(conn, statuses=["sent"])
        links = conn.execute(select(t.web_signin_links)).mappings().all()
    (row,) = [r for r in rows if path in Reply.model_validate_json(r.payload).text]
    assert (row.transport, row.user_id, row.coachee_id) == ("memory", "c1", None)
    token = path.rsplit("/", 1)[1]
    assert len(token) * 4 >= 128
    (link,) = links
    assert link["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and link["coach_id"] == h.coach_id
    assert link["expires_at"] - link["created_at"] == timedelta(minutes=10)
    assert not any(token in str(value) for value in link.values())


async def test_the_link_is_sent_without_a_link_preview_and_other_replies_keep_theirs(site: Site) -> None:
    """A platform fetching the link to preview it would use it up before the coach opens it."""
    (reply,) = await site.harness.say("/web", user="c1")
    assert "/coach/signin/" in reply.text and not reply.link_preview
    assert all(r.link_preview for r in await site.harness.say("/help", user="c1"))


async def test_the_bare_word_works_as_on_slack_and_a_coachee_cant_ask(site: Site) -> None:
    assert (await site.link(text="web")).startswith("/coach/signin/")
    said = await site.harness.texts("/web")  # Sam, a coachee
    assert "/coach/signin/" not in said and "coaches" in said


async def test_a_link_signs_in_once_with_a_strict_http_only_cookie(site: Site) -> None:
    path = await site.link()
    browser = site.browser()
    async with browser.get(site.base + path, allow_redirects=False) as r:
        assert r.status == 200 and MOVES_ON in await r.text()
        cookie = r.cookies["coachbot_session"]
        raw = r.headers["Set-Cookie"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/coach"
    assert not cookie["secure"] and "Secure" not in raw
    status, _, page = await site.get(browser, "/coach/")
    assert status == 200 and "<h1>Caseload</h1>" in page
    with site.harness.app.db.connect() as conn:
        (stored,) = conn.execute(select(t.web_sessions)).mappings().all()
    assert stored["token_hash"] == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert cookie.value not in str(dict(stored))

    again = site.browser()
    status, _, page = await site.get(again, path)
    assert status == 403 and "/web" in page and "<h1>" in page
    assert (await site.get(again, "/coach/"))[:2] == (303, "/coach/signin")


async def test_an_expired_or_unknown_link_is_refused_kindly(site: Site) -> None:
    path = await site.link()
    site.clock.now += timedelta(minutes=10, seconds=1)
    status, _, page = await site.get(site.browser(), path)
    assert status == 403 and "/web" in page and "expired" in page
    status, _, page = await site.get(site.browser(), "/coach/signin/" + "0" * 64)
    assert status == 403 and "/web" in page
    status, _, _ = await site.get(site.browser(), "/coach/signin/" + "x" * 500)
    assert status == 403


async def test_without_a_session_every_page_and_form_sends_you_to_sign_in(site: Site) -> None:
    browser = site.browser()
    for path in PAGES:
        assert (await site.get(browser, path))[:2] == (303, "/coach/signin"), path
    for path in FORMS:
        assert (await site.post(browser, path, {"csrf": "0" * 64}))[:2] == (303, "/coach/signin"), path
    browser.cookie_jar.update_cookies({"coachbot_session": "made-up"})
    assert (await site.get(browser, "/coach/"))[:2] == (303, "/coach/signin")
    status, _, page = await site.get(browser, "/coach/signin")
    assert status == 200 and "/web" in page and "<h1>" in page


async def test_a_session_ends_after_the_idle_time_and_use_keeps_it_open(site: Site) -> None:
    browser = await site.signed_in()
    idle = site.harness.app.config.web.session_idle
    site.clock.now += idle - timedelta(minutes=1)
    assert (await site.get(browser, "/coach/"))[0] == 200  # used: the idle time starts again
    site.clock.now += idle - timedelta(minutes=1)
    assert (await site.get(browser, "/coach/"))[0] == 200
    site.clock.now += idle + timedelta(seconds=1)
    assert (await site.get(browser, "/coach/"))[:2] == (303, "/coach/signin")
    status, _, page = await site.get(browser, "/coach/signin")
    assert status == 200 and "signed out" in page


async def test_signing_out_needs_the_forms_csrf_token_and_ends_the_session_in_the_database(site: Site) -> None:
    browser = await site.signed_in()
    _, _, page = await site.get(browser, "/coach/")
    token = csrf_of(page)
    assert (await site.post(browser, "/coach/signout", {}))[0] == 403
    assert (await site.post(browser, "/coach/signout", {"csrf": "0" * len(token)}))[0] == 403
    other = await site.signed_in()  # another session's token is the wrong one for this session
    _, _, other_page = await site.get(other, "/coach/")
    assert csrf_of(other_page) != token
    assert (await site.post(browser, "/coach/signout", {"csrf": csrf_of(other_page)}))[0] == 403
    assert (await site.get(browser, "/coach/"))[0] == 200  # none of those signed out

    async with browser.post(site.base + "/coach/signout", data={"csrf": token}, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"].startswith("/coach/signin")
        assert r.cookies["coachbot_session"].value == ""
    with site.harness.app.db.connect() as conn:
        ended = [row["ended_at"] for row in conn.execute(select(t.web_sessions).order_by(t.web_sessions.c.id))
                 .mappings()]
    assert ended[0] == site.clock() and ended[1] is None
    assert (await site.get(browser, "/coach/"))[:2] == (303, "/coach/signin")
    assert (await site.get(other, "/coach/"))[0] == 200


def test_links_start_with_the_public_url_and_cookies_are_secure_over_https(config: Config) -> None:
    assert public_base(config) == "http://127.0.0.1:8080" and not is_https(config)
    public = config.model_copy(update={"web": WebConfig(public_url="https://coach.example.org/")})
    assert signin_link(public, "abc") == "https://coach.example.org/coach/signin/abc" and is_https(public)


async def test_behind_https_the_cookie_is_secure(config: Config, screener: MarkerScreener) -> None:
    secure = config.model_copy(update={"http": HttpConfig(port=0),
                                       "web": WebConfig(public_url="https://coach.example.org")})
    h = make_harness(secure, screener)
    await h.transport.start(h.app.engine.handle)
    await h.app.http.start()
    try:
        (reply,) = await h.say("/web", user="c1")
        assert "https://coach.example.org/coach/signin/" in reply.text
        path = "/coach/signin/" + reply.text.split("/coach/signin/")[1].split()[0]
        async with aiohttp.ClientSession() as browser, browser.get(
                f"http://127.0.0.1:{h.app.http.port}{path}", allow_redirects=False) as r:
            assert r.status == 200
            raw = r.headers["Set-Cookie"]
        assert "coachbot_session=" in raw and "Secure" in raw and "HttpOnly" in raw and "SameSite=Strict" in raw
    finally:
        await h.app.http.stop()
        h.app.engine.close()
        h.app.db.dispose()


async def test_the_sign_in_page_sends_a_signed_in_coach_on_to_the_caseload(site: Site) -> None:
    browser = await site.signed_in()
    assert (await site.get(browser, "/coach/signin"))[:2] == (303, "/coach/")
    assert (await site.get(browser, "/coach/"))[0] == 200


async def test_with_the_web_view_off_there_are_no_coach_pages(config: Config, screener: MarkerScreener) -> None:
    off = config.model_copy(update={"http": HttpConfig(port=0), "web": WebConfig(enabled=False)})
    h = make_harness(off, screener)
    await h.app.http.start()
    try:
        async with aiohttp.ClientSession() as browser:
            for path in ("/coach/", "/coach/signin", "/healthz"):
                async with browser.get(f"http://127.0.0.1:{h.app.http.port}{path}", allow_redirects=False) as r:
                    assert r.status == (200 if path == "/healthz" else 404), path
    finally:
        await h.app.http.stop()
        h.app.engine.close()
        h.app.db.dispose()
