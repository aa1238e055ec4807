"""`--faults "429=0.2,500=0.1,reset=0.05,slow=0.1,lost=0.05"`: misbehave on a share of the requests
to either plane (the data plane and ARM deployments; never the /_emulator controls), so clients can
be tested against throttling, server errors, dropped connections, slowness and lost answers.

All but `lost` strike before the request is handled: nothing was done. `lost` does the request's
work and then drops the connection without answering, the case where a client that sends a
non-idempotent POST again makes two of everything."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS = ("429", "500", "reset", "slow", "lost")
SLOW_SECONDS = 3.0
RETRY_AFTER_SECONDS = 1


@dataclass
class Faults:
    rates: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def parse(cls, spec: str | None, seed: int | None = None) -> "Faults":
        """Parse `kind=rate,...`; a clear ValueError names anything malformed."""
        rates: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            kind, sep, rate = part.partition("=")
            if not sep or kind not in KINDS:
                raise ValueError(f"bad fault '{part}': use KIND=RATE with KIND one of {', '.join(KINDS)}")
            try:
                value = float(rate)
            except ValueError:
                raise ValueError(f"bad fault rate '{rate}' for {kind}: use a number from 0 to 1") from None
            if not 0 <= value <= 1:
                raise ValueError(f"bad fault rate '{rate}' for {kind}: use a number from 0 to 1")
            rates[kind] = value
        if sum(rates.values()) > 1:
            raise ValueError("fault rates add up to more than 1")
        return cls(rates, random.Random(seed))

    def pick(self) -> str | None:
        """The fault for this request, if any."""
        roll = self.rng.random()
        for kind, rate in self.rates.items():
            if roll < rate:
                return kind
            roll -= rate
        return None
