"""Seeded fault injection for the ``/api/`` routes, switchable at runtime for tests.

Each request to ``/api/`` draws once from a seeded random generator and may get, in this order
of precedence: a dropped connection, a 500, a 429 throttle, a malformed JSON body or a
truncated JSON body, or (blocking HogQL queries only) PostHog's 504 for a query over its
execution time, which a client answers by re-sending the query as async. ``latency_ms`` is added to every ``/api/`` response. All shares are
between 0 and 1 and default to 0, so without flags the emulator never injects a fault.
"""

import random
from dataclasses import asdict, dataclass, fields
from typing import Optional

FAULT_KINDS = ("drop", "error_500", "throttle_429", "malformed", "truncated", "timeout_504")


@dataclass
class FaultSettings:
    seed: int = 0
    latency_ms: float = 0.0
    drop: float = 0.0
    error_500: float = 0.0
    throttle_429: float = 0.0
    malformed: float = 0.0
    truncated: float = 0.0
    timeout_504: float = 0.0
    throttle_wait_seconds: int = 2

    def validate(self) -> None:
        for kind in FAULT_KINDS:
            share = getattr(self, kind)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"fault share {kind} must be between 0 and 1, got {share}")
        if sum(getattr(self, kind) for kind in FAULT_KINDS) > 1.0:
            raise ValueError("fault shares add up to more than 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


class FaultInjector:
    def __init__(self, settings: FaultSettings):
        settings.validate()
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.injected = {kind: 0 for kind in FAULT_KINDS}

    def update(self, changes: dict) -> FaultSettings:
        """Apply a partial update (unknown keys are an error); reseeds when ``seed`` is given."""
        known = {f.name for f in fields(FaultSettings)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        merged = FaultSettings(**{**asdict(self.settings), **changes})
        merged.validate()
        self.settings = merged
        if "seed" in changes:
            self.rng = random.Random(merged.seed)
        return merged

    def draw(self) -> Optional[str]:
        """The fault for the next request, or None."""
        roll = self.rng.random()
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += getattr(self.settings, kind)
            if roll < edge:
                self.injected[kind] += 1
                return kind
        return None

    def describe(self) -> dict:
        return {"settings": asdict(self.settings), "injected": dict(self.injected)}
