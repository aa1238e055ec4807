"""The emulator's clock: real time scaled by `--speed`, plus whatever tests advanced it by.

Everything the emulator stamps (created_at, events, deployments' last use) reads this clock, so
`--speed 100` makes a job finish a hundred times sooner and `POST /_emulator/clock` can jump days
ahead to reach the 15-day inactivity rule. The clock never runs backwards across restarts: it
starts at the later of the real time and the last time it showed.
"""

from __future__ import annotations

import math
import time

LAST_TIME = 253402300799.0  # 9999-12-31T23:59:59Z: the last moment a timestamp can be written in ISO form


def is_valid_time(value: float) -> bool:
    """Whether a clock may show this: finite, and writable as a date."""
    return math.isfinite(value) and 0 <= value <= LAST_TIME


class Clock:
    """`speed` 0 with a `start` is a frozen clock: it moves only when advanced (reproducible
    screenshots and snapshot tests)."""

    def __init__(self, speed: float = 1.0, floor: float = 0.0, start: float | None = None) -> None:
        if speed < 0 or (speed == 0 and start is None):
            raise ValueError("speed must be positive (0 only for a frozen clock with a start)")
        self.speed = speed
        self._origin = start if start is not None else max(time.time(), floor)
        self._started = time.monotonic()
        self._advanced = 0.0

    def now(self) -> float:
        """Emulator time, in unix seconds."""
        return self._origin + (time.monotonic() - self._started) * self.speed + self._advanced

    def advance(self, seconds: float) -> float:
        """Jump ahead (never back); returns the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        if not is_valid_time(self.now() + seconds):
            raise ValueError("the clock cannot go past the year 9999")
        self._advanced += seconds
        return self.now()

    def real_seconds(self, emulated_seconds: float) -> float:
        """How long to really wait for `emulated_seconds` to pass on this clock."""
        if self.speed == 0:
            return 1.0  # frozen: look again soon, in case someone advanced it
        return max(0.0, emulated_seconds / self.speed)
