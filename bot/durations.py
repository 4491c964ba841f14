"""Config durations: ISO 8601 ("P3D", "PT24H", "P1DT2H30M") or a number of seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_ISO = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str | int | float) -> timedelta:
    """Read a duration; raises ValueError with a message fit for a config error line."""
    if isinstance(value, bool):
        raise ValueError("expected an ISO 8601 duration like 'P3D' or a number of seconds")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration can't be negative")
        return timedelta(seconds=value)
    text = value.strip().upper()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    match = _ISO.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{value!r} is not an ISO 8601 duration like 'P3D' or 'PT24H', nor a number of seconds")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)
