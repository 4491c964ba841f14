"""The browser set-up on its own, against a tiny page served on 127.0.0.1: Debian's Chromium starts under Playwright,
axe-core finds (and names) real accessibility failures and passes a page without them, Tab moves through the page
as a keyboard user's would, and screenshots land in build/screenshots/ as PNGs. Also: a missing browser skips with
its reason, or fails the run where COACHBOT_REQUIRE_BROWSER says it must run."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from _pytest.outcomes import Failed, Skipped
from aiohttp import web
from playwright.async_api import Page

from tests.bot.web.browser.chromium import (
    REQUIRE_BROWSER_ENV,
    SKIP_PREFIX,
    assert_accessible,
    axe_violations,
    browser_unavailable_reason,
    screenshot,
    tab_order,
    unavailable,
)

in_module_loop = pytest.mark.asyncio(loop_scope="module")

CALM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Caseload</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>a { display: inline-block; padding: 0.5rem; }</style></head>
<body><a href="#main">Skip to content</a><nav aria-label="Pages"><a href="/calm">Caseload</a></nav>
<main id="main"><h1>Caseload</h1><p>Two coachees.</p>
<form method="post"><label for="note">Note</label><textarea id="note" name="note"></textarea>
<button type="submit">Save</button></form></main></body></html>"""

BROKEN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken</h1><img id="chart" src="/chart.png"><input id="unlabelled" type="text">
<p id="faint" style="color:#ccc;background:#fff">Hard to read</p></main></body></html>"""

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest_asyncio.fixture(loop_scope="module")
async def site() -> AsyncIterator[str]:
    """The two pages on a free 127.0.0.1 port; the base URL."""
    pages = web.Application()
    pages.add_routes([web.get("/calm", _calm), web.get("/broken", _broken), web.get("/chart.png", _chart)])
    runner = web.AppRunner(pages, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _calm(_request: web.Request) -> web.Response:
    return web.Response(text=CALM, content_type="text/html")


async def _broken(_request: web.Request) -> web.Response:
    return web.Response(text=BROKEN, content_type="text/html")


async def _chart(_request: web.Request) -> web.Response:
    return web.Response(body=PNG, content_type="image/png")


@in_module_loop
async def test_a_calm_page_has_no_violations_and_is_kept_as_a_screenshot(
        page: Page, site: str, request: pytest.FixtureRequest) -> None:
    await page.goto(f"{site}/calm")
    assert await axe_violations(page) == []
    await assert_accessible(page)
    path = await screenshot(page, "setup-calm", request=request)
    data = path.read_bytes()
    assert data[:8] == PNG[:8]
    width, _height = struct.unpack(">II", data[16:24])
    assert width == page.viewport_size["width"] if page.viewport_size else width > 0
    assert ("screenshot", str(Path("build/screenshots/setup-calm.png"))) in request.node.user_properties


@in_module_loop
async def test_a_broken_page_fails_the_check_naming_each_rule_and_element(page: Page, site: str) -> None:
    await page.goto(f"{site}/broken")
    found = {v.rule: v for v in await axe_violations(page)}
    assert found["image-alt"].impact == "critical" and found["image-alt"].targets == ("#chart",)
    assert found["label"].targets == ("#unlabelled",)
    assert found["color-contrast"].impact == "serious" and found["color-contrast"].targets == ("#faint",)
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page)
    for line in ("image-alt (critical)", "#chart", "label (critical)", "#unlabelled", "color-contrast (serious)",
                 "#faint"):
        assert line in str(failure.value)


@in_module_loop
async def test_tab_reaches_the_skip_link_first_then_the_links_and_the_form(page: Page, site: str) -> None:
    await page.goto(f"{site}/calm")
    assert await tab_order(page, 4) == ["Skip to content", "Caseload", "note", "Save"]


@in_module_loop
async def test_an_image_is_loaded_when_chromium_says_it_has_a_width(page: Page, site: str) -> None:
    await page.goto(f"{site}/broken")
    assert await page.locator("#chart").evaluate("img => img.complete && img.naturalWidth") == 1


def test_without_chromium_the_reason_names_where_it_was_looked_for(tmp_path: Path) -> None:
    missing = tmp_path / "chromium"
    reason = browser_unavailable_reason(chromium=missing)
    assert reason is not None and str(missing) in reason
    not_runnable = tmp_path / "chromium-file"
    not_runnable.write_text("")
    assert str(not_runnable) in (browser_unavailable_reason(chromium=not_runnable) or "")
    assert "axe-core" in (browser_unavailable_reason(chromium=Path("/bin/sh"), axe=tmp_path / "axe.js") or "")


def test_a_missing_browser_skips_with_the_reason_unless_it_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_BROWSER_ENV, raising=False)
    with pytest.raises(Skipped) as skipped:
        unavailable("no Chromium here")
    assert skipped.value.msg == SKIP_PREFIX + "no Chromium here"
    monkeypatch.setenv(REQUIRE_BROWSER_ENV, "0")
    with pytest.raises(Skipped):
        unavailable("no Chromium here")
    monkeypatch.setenv(REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(Failed) as failed:
        unavailable("no Chromium here")
    assert "COACHBOT_REQUIRE_BROWSER=1: no Chromium here" in str(failed.value)
