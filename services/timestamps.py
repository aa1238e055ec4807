"""Timestamps from a service shown as local time. What the service sends is data: a time that is
not a number of seconds since 1970 a computer can show (`1e20`, `"yesterday"`, NaN) is shown as
it came, marked, rather than crashing whatever displays it."""

from __future__ import annotations

import time

DAY_AND_MINUTE = "%Y-%m-%d %H:%M"


def local_time(value: object, fmt: str = DAY_AND_MINUTE) -> str:
    """`value` (seconds since the epoch) in local time; "-" when absent; `?(value)` when unusable."""
    if value is None or value == 0 or value == "":
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"?({str(value)[:20]})"
    try:
        return time.strftime(fmt, time.localtime(value))
    except (OverflowError, OSError, ValueError):
        return f"?({value:g})"
