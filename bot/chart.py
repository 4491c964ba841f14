"""The scaling chart in the coach's digest: a PNG drawn off-screen with matplotlib's Agg backend, legible on a phone.

Each reading is marked by where it came from (the questions before a session, a check-in, after a session) and each
session is a labelled line, so the coach sees the trend against the sessions. Readings and sessions on the same day
take slots side by side in the order they happened, so none is drawn over another. The alt text says in words what
the chart shows, for a screen reader and for Telegram, which has no alt text and shows it as the caption.

No pyplot: its global state is not thread-safe and would open windows; a Figure with its own canvas is neither.
matplotlib is imported on first use so that importing the engine stays quick.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from bot.wording import ChartWording, ReadingSources

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 896, 576, 160
"""896 by 576 pixels: 5.6 by 3.6 inches at 160 dots per inch, so 11-point text is 24 pixels high."""
FONT_SIZE = 12  # points: no text on the chart is smaller than MIN_FONT_SIZE
MIN_FONT_SIZE = 11
LINE_COLOUR = "#7a7a7a"
SESSION_COLOUR = "#444444"
SLOT = 0.045
"""How far apart, as a share of the chart's width, two things on the same day are drawn: wider than a marker."""
DATE_GAP = 0.14
"""The least distance, as a share of the chart's width, between two dated ticks, so their dates don't collide."""
SESSION_GAP = 0.17
"""The least distance, as a share of the chart's width, between two sessions for each to be named in full."""

# Where a reading came from, by flow: colour (Okabe-Ito, told apart with colour-blindness too) and marker shape.
STYLES: dict[str, tuple[str, str]] = {
    "pre_session": ("#0072B2", "o"),
    "checkin": ("#009E73", "s"),
    "post_session": ("#E69F00", "^"),
    "follow_up": ("#CC79A7", "D"),
    "final_review": ("#D55E00", "P"),
}
OTHER_STYLE = ("#56B4E9", "X")


class Reading(BaseModel):
    """One scaling answer the coachee shared: when, where they were on 1 to 10, and the flow that asked."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    value: int = Field(ge=1, le=10)
    source: str = "checkin"


class SessionMark(BaseModel):
    """A session drawn on the chart as a line: its number and when it is."""

    model_config = ConfigDict(frozen=True)

    number: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each reading and each session line goes across the chart, in days from the first day shown."""

    readings: tuple[float, ...]  # in the order of the readings given
    sessions: tuple[float, ...]  # in the order of the sessions given
    first_day: date
    day_span: int  # days from the first day shown to the last
    span: float  # the width shown, padding included
    pad: float


def source_label(source: str, sources: ReadingSources) -> str:
    """Where a reading came from, in words ("check-in"); a flow without a label is named by its own name."""
    return sources.model_dump().get(source) or source.replace("_", " ")


def layout(readings: Sequence[Reading], sessions: Sequence[SessionMark] = (), *, zone: str = "UTC") -> Layout:
    """Each reading on its day, and the day's readings and sessions in slots side by side in the order they
    happened. Deterministic: the same readings always land in the same places."""
    if not readings:
        raise ValueError("no readings to chart")
    tz = ZoneInfo(zone)
    events: list[tuple[datetime, int, int]] = [(r.at, 0, i) for i, r in enumerate(readings)]
    events += [(s.at, 1, i) for i, s in enumerate(sessions)]
    days = {(kind, index): moment.astimezone(tz).date() for moment, kind, index in events}
    first = min(days.values())
    day_span = (max(days.values()) - first).days
    pad = max(1.0, day_span * 0.06)  # at least a day either side, so a lone reading is not on the edge
    span = day_span + 2 * pad
    step = span * SLOT
    by_day: dict[date, list[tuple[datetime, int, int]]] = {}
    for event in sorted(events):  # by time; a reading and a session at the same moment: the reading first
        by_day.setdefault(days[event[1:]], []).append(event)
    places: dict[tuple[int, int], float] = {}
    for day, group in by_day.items():
        centre = (day - first).days
        for slot, (_, kind, index) in enumerate(group):
            places[(kind, index)] = centre + (slot - (len(group) - 1) / 2) * step
    return Layout(readings=tuple(places[(0, i)] for i in range(len(readings))),
                  sessions=tuple(places[(1, i)] for i in range(len(sessions))),
                  first_day=first, day_span=day_span, span=span, pad=pad)


def chart_figure(readings: Sequence[Reading], sessions: Sequence[SessionMark] = (), *, zone: str = "UTC",
                 words: ChartWording, sources: ReadingSources) -> Figure:
    """Days (in the coachee's time zone) across, 1 to 10 up; each reading marked by its source and labelled with
    its value, each session a dashed line named above the chart."""
    from matplotlib.figure import Figure

    places = layout(readings, sessions, zone=zone)
    tz = ZoneInfo(zone)
    order = sorted(range(len(readings)), key=lambda i: (places.readings[i], readings[i].at))
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.plot([places.readings[i] for i in order], [readings[i].value for i in order], color=LINE_COLOUR,
              linewidth=1.5, zorder=2)
    for source in dict.fromkeys(readings[i].source for i in order):
        colour, marker = STYLES.get(source, OTHER_STYLE)
        mine = [i for i in order if readings[i].source == source]
        label = source_label(source, sources)
        axes.scatter([places.readings[i] for i in mine], [readings[i].value for i in mine], color=colour,
                     marker=marker, s=60, zorder=3, label=label[:1].upper() + label[1:])
    for i in order:
        axes.annotate(str(readings[i].value), (places.readings[i], readings[i].value), xytext=(0, 7),
                      textcoords="offset points", ha="center", fontsize=MIN_FONT_SIZE, zorder=4,
                      bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    for x in places.sessions:
        axes.axvline(x, color=SESSION_COLOUR, linestyle="--", linewidth=1.2, zorder=1)
    if sessions:
        # Above the chart, clear of the readings: "Session 2", or "S2" where sessions are too close for that.
        gaps = [b - a for a, b in zip(sorted(places.sessions), sorted(places.sessions)[1:], strict=False)]
        label = words.session if min(gaps, default=places.span) >= places.span * SESSION_GAP else words.session_short
        top = axes.secondary_xaxis("top")
        top.set_xticks(list(places.sessions), labels=[label.format(number=s.number) for s in sessions])
        top.tick_params(labelsize=MIN_FONT_SIZE, colors=SESSION_COLOUR)
    low = min([*places.readings, *places.sessions])
    high = max([*places.readings, *places.sessions])
    axes.set_xlim(min(low, 0) - places.pad, max(high, places.day_span) + places.pad)
    axes.set_ylim(0.5, 11.2)  # room above 10 for its label
    axes.set_yticks(range(1, 11))
    ticks = _date_ticks(places, readings, sessions, zone=tz)
    axes.set_xticks([x for x, _ in ticks], labels=[label for _, label in ticks])
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_ylabel(words.axis, fontsize=FONT_SIZE)
    axes.grid(axis="y", alpha=0.3)
    figure.legend(loc="outside lower center", ncols=3, fontsize=FONT_SIZE, frameon=False)  # not said: a placement
    return figure


def _date_ticks(places: Layout, readings: Sequence[Reading], sessions: Sequence[SessionMark], *,
                zone: ZoneInfo) -> list[tuple[float, str]]:
    """A date under each day that has a session or a reading, unless so close to one already dated that the dates
    would overlap. Sessions' dates come first: those are the ones a coach looks for."""
    session_days = sorted({s.at.astimezone(zone).date() for s in sessions})
    reading_days = sorted({r.at.astimezone(zone).date() for r in readings} - set(session_days))
    ticks: list[tuple[float, str]] = []
    for day in [*session_days, *reading_days]:
        x = float((day - places.first_day).days)
        if all(abs(x - other) >= places.span * DATE_GAP for other, _ in ticks):
            ticks.append((x, f"{day:%-d %b}"))
    return sorted(ticks)


def chart_png(readings: Sequence[Reading], sessions: Sequence[SessionMark] = (), *, zone: str = "UTC",
              words: ChartWording, sources: ReadingSources) -> bytes:
    """The chart as PNG bytes, WIDTH by HEIGHT pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = chart_figure(readings, sessions, zone=zone, words=words, sources=sources)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def chart_alt(readings: Sequence[Reading], sessions: Sequence[SessionMark] = (), *, zone: str = "UTC",
              words: ChartWording, sources: ReadingSources) -> str:
    """What the chart shows, in words: every reading oldest first with its date and source, then the sessions."""
    tz = ZoneInfo(zone)
    said = ", ".join(words.alt_reading.format(value=r.value, day=f"{r.at.astimezone(tz):%-d %b}",
                                              source=source_label(r.source, sources))
                     for r in sorted(readings, key=lambda r: r.at))
    text = (words.alt_one if len(readings) == 1 else words.alt).format(count=len(readings), readings=said)
    if sessions:
        text += words.alt_sessions.format(sessions=", ".join(
            words.alt_session.format(number=s.number, day=f"{s.at.astimezone(tz):%-d %b}")
            for s in sorted(sessions, key=lambda s: s.at)))
    return text


def chart_svg(readings: Sequence[Reading], sessions: Sequence[SessionMark] = (), *, zone: str = "UTC",
              words: ChartWording, sources: ReadingSources) -> bytes:
    """The same chart as SVG, for the coach's web view: sharp at any size and in print."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    figure = chart_figure(readings, sessions, zone=zone, words=words, sources=sources)
    FigureCanvasSVG(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
