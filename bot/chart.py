"""The scaling chart in the coach's digest: a small PNG drawn off-screen with matplotlib's Agg backend.

No pyplot: its global state is not thread-safe and would open windows; a Figure with its own canvas is neither.
matplotlib is imported on first use so that importing the engine stays quick.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 480, 240, 100
LINE_COLOUR = "#2a6f97"


class Reading(BaseModel):
    """One scaling answer the coachee shared: when, and where they were on 1 to 10."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    value: int = Field(ge=1, le=10)


def chart_figure(readings: Sequence[Reading], *, zone: str = "UTC") -> Figure:
    """Dates (in the coachee's time zone) across, 1 to 10 up, every reading marked and labelled with its value."""
    from matplotlib.figure import Figure

    if not readings:
        raise ValueError("no readings to chart")
    tz = ZoneInfo(zone)
    # Days from the first reading, on the coachee's wall clock; the tick labels name the dates.
    ordered = sorted(readings, key=lambda r: r.at)
    local = [r.at.astimezone(tz).replace(tzinfo=None) for r in ordered]
    xs = [(moment - local[0]).total_seconds() / 86400 for moment in local]
    ys = [r.value for r in ordered]
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(xs, ys, marker="o", color=LINE_COLOUR, linewidth=1.5, markersize=5)
    for x, y in zip(xs, ys, strict=True):
        axes.annotate(str(y), (x, y), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
    pad = max(1.0, xs[-1] * 0.08)  # at least a day either side, so a lone reading is not on the edge
    axes.set_xlim(-pad, xs[-1] + pad)
    axes.set_ylim(0.5, 10.9)  # room above 10 for its label
    axes.set_yticks(range(1, 11))
    ticks = _date_ticks(xs, pad=pad)
    axes.set_xticks([xs[i] for i in ticks], labels=[f"{local[i]:%-d %b}" for i in ticks])
    axes.tick_params(labelsize=8)
    axes.set_ylabel("Scaling (1 to 10)", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    return figure


def _date_ticks(xs: Sequence[float], *, pad: float) -> list[int]:
    """Which readings get a date under them: each one, unless so close to the last dated one that they'd overlap."""
    span = xs[-1] - xs[0] + 2 * pad
    ticks: list[int] = []
    for i, x in enumerate(xs):
        if not ticks or x - xs[ticks[-1]] >= span * 0.12:
            ticks.append(i)
    return ticks


def chart_png(readings: Sequence[Reading], *, zone: str = "UTC") -> bytes:
    """The chart as PNG bytes, 480 by 240 pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = chart_figure(readings, zone=zone)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
