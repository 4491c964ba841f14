"""A coach's visit to the web view in a real browser (headless Chromium), on a real SQLite file and on PostgreSQL.

A coachee answers the pre-session questions keeping one answer private, gives scaling readings, and goes on a safety
hold. Their coach sends /web in chat and opens the link the bot sent them: the caseload (the coachee on hold first),
the coachee's page (the chart loaded, with alt text and the readings as a table; the private answer and the words
behind the hold nowhere in the page), and the confirmation that lifts the hold, done from the keyboard; the coachee
is told. A link used once only shows the expired page. Each page passes axe-core's WCAG 2.2 AA check and is kept
as a screenshot in build/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from bot.config import Config, HttpConfig
from bot.storage import store
from bot.turn import utc_now
from tests.bot.test_digest import checkin
from tests.bot.web.browser.chromium import ROOT, assert_accessible, screenshot, tab_order
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard
from tests.e2e.test_slack_e2e import free_port
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review

pytestmark = pytest.mark.asyncio(loop_scope="module")

COACHEE = "Robin Hart"
OTHERS = ("Ali Khan", "Bea Lowe")  # both before Robin by name, and Bea after Robin by id: on hold comes first
PRIVATE = LATER["anything_else"]
CRISIS = "[crisis] I can't see a way through any of this"
NOTE = "Spoke with Robin by phone; they have support from their GP"
READINGS = ("4", "5", "7")  # pre-session, post-session, check-in
LINK = re.compile(r"https?://\S+/coach/signin/[^\s)>\]]+")
README_IMAGE = ROOT / "docs" / "images" / "web-coachee.png"
README_IMAGE_ENV = "COACHBOT_README_SCREENSHOT"  # 1: this run also redraws the README's screenshot (SQLite run)


@pytest_asyncio.fixture(loop_scope="module")
async def visit(config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    """The bot with the in-memory transport and its HTTP server (with the web view) on a free 127.0.0.1 port; the
    harness speaks as Robin, whose journey the test walks."""
    config = config.model_copy(update={"http": HttpConfig(listen="127.0.0.1", port=free_port())})
    h = make_harness(config, screener)
    with h.app.db.begin() as conn:
        ali = store.add_coachee(conn, coach_id=h.coach_id, name=OTHERS[0], at=h.app.engine.clock())
        robin = store.add_coachee(conn, coach_id=h.coach_id, name=COACHEE, at=h.app.engine.clock())
        store.add_coachee(conn, coach_id=h.coach_id, name=OTHERS[1], at=h.app.engine.clock())
        store.add_identity(conn, transport="memory", external_id="u2", coachee_id=robin.id)
        assert ali.id < robin.id
    robin_harness = Harness(app=h.app, transport=h.transport, coach_id=h.coach_id, coachee_id=robin.id,
                            coachee_user="u2")
    await h.transport.start(h.app.engine.handle)
    await h.app.http.start()
    try:
        yield robin_harness
    finally:
        await h.app.http.stop()
        h.app.engine.close()
        h.app.db.dispose()


async def robins_journey(h: Harness) -> None:
    """Sixteen days ago Robin answered session 1's questions keeping one private; session 1, its actions and a
    check-in gave three readings; an hour ago a message in crisis put coaching on hold."""
    now = utc_now()
    clock = Clock(now - timedelta(days=16))
    h.use_clock(clock)
    await onboard(h)
    await answer_up_to_review(h)
    await h.press("Keep one private")
    await h.press("Anything else")
    await h.press("Send to Alex Coach")
    with h.app.db.begin() as conn:
        for at in (now - timedelta(days=12), now + timedelta(days=2)):
            store.add_session(conn, coachee_id=h.coachee_id, at=at, timezone="Europe/London", number=None)
    clock.now = now - timedelta(days=12) + timedelta(hours=2)
    await record_actions(h, [("Draft a shorter agenda", "in 2 weeks")], scale=READINGS[1])
    await checkin(h, clock, now - timedelta(days=4), READINGS[2], "Shorter agendas", "Done", "/skip", "/skip")
    clock.now = now - timedelta(hours=1)
    await h.say(CRISIS)
    h.use_clock(utc_now)  # the web view's sign-in link expires by the real clock
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "hold"


async def sign_in_link(h: Harness) -> str:
    """The coach sends /web; the one link in the bot's reply, which went to the coach's chat and nobody else's."""
    others_before = {user: len(h.transport.replies_to(user)) for user in ("u1", "u2")}
    replies = await h.say("/web", user=h.coach_user)
    links = [link for reply in replies for link in LINK.findall(reply.text)]
    assert len(links) == 1, [r.text for r in replies]
    assert {user: len(h.transport.replies_to(user)) for user in ("u1", "u2")} == others_before
    return links[0]


async def shown_image_width(page: Page, selector: str) -> int:
    """The image's natural width once it has loaded (0 if it failed to)."""
    return int(await page.locator(selector).evaluate(
        "img => img.complete ? img.naturalWidth : new Promise(done => {"
        " img.addEventListener('load', () => done(img.naturalWidth));"
        " img.addEventListener('error', () => done(0)); })"))


async def tab_to(page: Page, text: str, *, presses: int = 30) -> list[str]:
    """Tab from the top of the page until the focus is on `text`; what was reached on the way."""
    reached: list[str] = []
    for _ in range(presses):
        reached += await tab_order(page, 1)
        if reached[-1] == text:
            return reached
    raise AssertionError(f"Tab never reached {text!r}; it reached {reached}")


async def test_a_coach_signs_in_from_chat_reads_the_caseload_and_a_coachee_and_lifts_the_hold(
        visit: Harness, page: Page, browser: Browser, backend: str, request: pytest.FixtureRequest) -> None:
    h = visit
    await robins_journey(h)
    link = await sign_in_link(h)

    # The caseload, the coachee on hold first.
    response = await page.goto(link)
    assert response is not None and response.ok
    await page.wait_for_url(re.compile(r"/coach/$"))  # the signed-in page moves on by itself
    await expect(page.locator("h1")).to_contain_text("Caseload")
    names = [n.strip() for n in await page.locator("main a").all_inner_texts()]
    listed = [n for n in names if n in (COACHEE, *OTHERS, "Sam Jones")]
    assert sorted(listed) == sorted((COACHEE, *OTHERS, "Sam Jones")) and listed[0] == COACHEE, names
    await assert_accessible(page)
    await screenshot(page, f"caseload-{backend}", request=request)

    # From the keyboard: the skip link comes first, to the content; every coachee's link can be reached after it.
    focusable = await page.locator("a[href], button, input, select, textarea").count()
    reached = await tab_order(page, focusable)
    skip = await page.evaluate("() => document.querySelector('a[href]').getAttribute('href')")
    assert skip.startswith("#") and await page.locator(skip).count() == 1, "the first link skips to the content"
    assert reached[0] == (await page.locator("a[href]").first.inner_text()).strip()
    assert [n for n in reached if n in listed] == listed, reached
    await page.reload()
    await tab_to(page, COACHEE)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(rf"/coach/coachees/{h.coachee_id}$"))
    await expect(page.locator("h1")).to_have_text(COACHEE)

    # What Robin shared, the chart and its numbers; never the private answer nor the words behind the hold.
    chart = "#trend img"
    assert await shown_image_width(page, chart) > 0
    assert (await page.locator(chart).get_attribute("alt") or "").strip()
    cells = [c.strip() for c in await page.locator("table td, table th").all_inner_texts()]
    assert all(reading in cells for reading in READINGS), cells
    text = await page.locator("body").inner_text()
    html = await page.content()
    assert ANSWERS["goal"] in text
    for secret in (PRIVATE, "restructure", "a way through", "[crisis]"):
        assert secret not in text and secret not in html, f"{secret!r} is in the coachee's page"
    await assert_accessible(page)
    await screenshot(page, f"coachee-{backend}", request=request)
    if backend == "sqlite" and os.environ.get(README_IMAGE_ENV) == "1":
        await readme_screenshot(page)

    # Lifting the hold: the page's own link to the confirmation, a note for the coach's own record, then the
    # button, pressed from the keyboard.
    coachee_url = page.url
    await expect(page.locator("#status")).to_contain_text("on hold")
    await page.get_by_role("link", name=re.compile("Lift the hold")).click()
    await page.wait_for_url(re.compile(rf"/coach/coachees/{h.coachee_id}/resume$"))
    note = page.locator('textarea[name="note"]')
    assert await note.evaluate("e => e.labels.length") > 0, "the note field has a label"
    lift = page.get_by_role("button", name=re.compile("Lift the hold"))
    await expect(lift).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, f"confirm-{backend}", request=request)
    await note.focus()
    await page.keyboard.type(NOTE)
    await lift.focus()
    told_before = len(h.transport.replies_to("u2"))
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.split("?")[0] == coachee_url, page.url
    await expect(page.locator("#status")).to_have_text("active")
    await assert_accessible(page)
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "active"
    await h.app.outbox.deliver_due()
    told = [r.text for r in h.transport.replies_to("u2")[told_before:]]
    assert h.app.router.templates.resumed.format(name="Robin", coach="Alex Coach") in told
    assert all(NOTE not in t for t in told), "the coach's note is their own record"

    # The link was for one use: opened again, in a browser with no session, it shows the expired page.
    fresh = await browser.new_context(bypass_csp=True)
    try:
        again = await fresh.new_page()
        response = await again.goto(link)
        assert response is not None and response.status == 403
        assert "Caseload" not in await again.locator("body").inner_text()
        assert COACHEE not in await again.content()
        await assert_accessible(again)
        await screenshot(again, f"expired-{backend}", request=request)
    finally:
        await fresh.close()


async def readme_screenshot(page: Page) -> None:
    """The README's picture of the coachee page: its top (status, chart and readings) at a tablet's width, as a
    small palette PNG."""
    from PIL import Image

    await page.set_viewport_size({"width": 720, "height": 1120})
    path = README_IMAGE.with_suffix(".full.png")
    README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=path)
    with Image.open(path) as shot:
        shot.convert("RGB").quantize(colors=96, method=Image.Quantize.FASTOCTREE).save(README_IMAGE, optimize=True)
    path.unlink()
    await page.set_viewport_size({"width": 960, "height": 720})


async def test_the_link_works_when_clicked_in_a_chat_on_another_site(
        visit: Harness, browser: Browser, backend: str) -> None:
    """Coaches open the link from Slack's or Telegram's web client, another site: the session cookie is
    SameSite=Strict, which a browser leaves off a request whose navigation began on another site, redirects and
    all. Signing in must still land on the caseload, not on the page that says to send /web."""
    from aiohttp import web

    h = visit
    with h.app.db.connect() as conn:
        before = store.get_coachee(conn, h.coachee_id).status
    link = await sign_in_link(h)

    async def chat(_request: web.Request) -> web.Response:
        return web.Response(text=f'<!doctype html><title>Chat</title><a id="link" href="{link}">{link}</a>',
                            content_type="text/html")

    server = web.Application()
    server.add_routes([web.get("/", chat)])
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"http://localhost:{port}/")  # "localhost" is another site than the link's 127.0.0.1
        await page.click("#link")
        await expect(page.locator("h1")).to_contain_text("Caseload")
        assert re.search(r"/coach/$", page.url), page.url
    finally:
        await context.close()
        await runner.cleanup()
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == before
