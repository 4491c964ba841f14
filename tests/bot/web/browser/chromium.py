"""Headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright (never a browser
build Playwright downloads), axe-core's accessibility check in each page, and screenshots kept as artefacts.

`make test` installs the browser (as root with apt-get) and axe-core (`npm ci` here). Where either is missing the
tests skip with the reason, and the run's summary repeats it; with COACHBOT_REQUIRE_BROWSER=1 (CI) a missing
browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
REQUIRE_BROWSER_ENV = "COACHBOT_REQUIRE_BROWSER"  # CI sets it to 1: no browser fails the run, never skips
SKIP_PREFIX = "browser tests skipped: "

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
"""WCAG 2.2 level AA, as axe-core tags its rules."""
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER_ENV, "") not in ("", "0")


def browser_unavailable_reason(*, chromium: Path = CHROMIUM, axe: Path = AXE) -> str | None:
    """Why the browser tests can't run here, or None if they can."""
    if not (chromium.is_file() and os.access(chromium, os.X_OK)):
        how = ("run `make test` as root to install Debian's chromium package" if shutil.which("apt-get")
               else "install Chromium there")
        return f"no Chromium at {chromium}; {how}"
    try:
        import playwright.async_api  # noqa: F401
    except ModuleNotFoundError:
        return "the Python package playwright is not installed (pip install -e '.[dev]')"
    if not axe.is_file():
        return f"axe-core not installed: run `npm ci` in {HERE.relative_to(ROOT)}"
    return None


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason, or fail where the browser is required."""
    if browser_required():
        pytest.fail(f"{REQUIRE_BROWSER_ENV}={os.environ[REQUIRE_BROWSER_ENV]}: {reason}")
    pytest.skip(SKIP_PREFIX + reason)


@asynccontextmanager
async def chromium_browser() -> AsyncIterator[Browser]:
    """One headless Chromium; skips (or fails, where required) if it can't be had or won't start."""
    reason = browser_unavailable_reason()
    if reason is not None:
        unavailable(reason)
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except Error as exc:
            unavailable(f"{CHROMIUM} would not start ({str(exc).strip().splitlines()[0]})")
        try:
            yield browser
        finally:
            await browser.close()


class AxeViolation(BaseModel):
    """One axe-core rule a page breaks: the rule, how bad, and the elements (CSS selectors) that break it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def line(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets)}"


def _violation(raw: dict[str, Any]) -> AxeViolation:
    targets = tuple(" ".join(str(part) for part in node["target"]) for node in raw["nodes"])
    return AxeViolation(rule=raw["id"], impact=raw.get("impact") or "unknown", help=raw["help"], targets=targets)


async def axe_violations(page: Page) -> list[AxeViolation]:
    """Every WCAG 2.2 AA violation axe-core finds in the page as it is now."""
    await page.add_script_tag(path=AXE)
    found = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})).violations",
        list(WCAG_TAGS))
    return [_violation(raw) for raw in found]


async def assert_accessible(page: Page) -> None:
    """No serious or critical WCAG 2.2 AA violation in the page; the failure names each rule and element."""
    blocking = [v for v in await axe_violations(page) if v.impact in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n" + "\n".join(v.line() for v in blocking)


async def screenshot(page: Page, name: str, *, request: pytest.FixtureRequest) -> Path:
    """A full-page PNG kept in build/screenshots/ after the run; the run's summary names it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    request.node.user_properties.append(("screenshot", str(path.relative_to(ROOT))))
    return path


async def tab_order(page: Page, presses: int) -> list[str]:
    """What a keyboard user reaches, Tab by Tab from the top of the page: each focused element's text (or, for a
    form field, its name)."""
    reached: list[str] = []
    for _ in range(presses):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? ((e.innerText || '').trim() || e.getAttribute('name') || e.tagName) : ''; }"))
    return reached
