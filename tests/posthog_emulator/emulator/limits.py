"""PostHog's per-team query limits: the hourly query budget and the concurrency gate.

* Budget: DRF's sliding-window throttle (``SimpleRateThrottle``). A team may start
  ``budget`` queries per hour; the next one gets 429 with the wait until the oldest
  counted query leaves the window, rounded up. Throttled requests are not counted.
* Concurrency: at most ``max_concurrent`` queries of a team run at once; further ones
  wait for a slot up to ``queue_timeout`` seconds (PostHog retries for 30 s), then get
  PostHog's concurrency 429, which carries no wait time.
"""

import asyncio
import math
import secrets
import time
from collections import defaultdict, deque
from contextlib import asynccontextmanager
from typing import Callable, Optional

from . import api_errors

HOUR = 3600.0


class QueryBudget:
    """Sliding one-hour window of counted queries per team."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic):
        self.per_hour = per_hour
        self.clock = clock
        self.history: dict = defaultdict(deque)

    def check_and_count(self, team_id: int) -> None:
        """Count one query for the team or raise PostHog's throttled error."""
        now = self.clock()
        history = self.history[team_id]
        while history and history[0] <= now - HOUR:
            history.popleft()
        if len(history) >= self.per_hour:
            remaining = HOUR - (now - history[0])
            available = self.per_hour - len(history) + 1
            wait = remaining / available if available > 0 else remaining
            raise api_errors.throttled(max(1, math.ceil(wait)))
        history.append(now)

    def used(self, team_id: int) -> int:
        now = self.clock()
        return sum(1 for t in self.history[team_id] if t > now - HOUR)

    def reset(self, team_id: Optional[int] = None) -> None:
        if team_id is None:
            self.history.clear()
        else:
            self.history.pop(team_id, None)


class ConcurrencyGate:
    """At most ``max_concurrent`` running queries per team, with a bounded wait for a slot."""

    def __init__(self, max_concurrent: int, queue_timeout: float, organization_id: str):
        self.max_concurrent = max_concurrent
        self.queue_timeout = queue_timeout
        self.organization_id = organization_id
        self.running: dict = defaultdict(int)
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self, team_id: int, wait_forever: bool = False):
        """Hold one of the team's slots; async queries wait as long as needed (PostHog queues them)."""
        task_id = secrets.token_hex(8)
        deadline = float("inf") if wait_forever else time.monotonic() + self.queue_timeout
        async with self._changed:
            while self.running[team_id] >= self.max_concurrent:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise api_errors.concurrency_throttled(self.max_concurrent, self.organization_id, task_id)
                try:
                    await asyncio.wait_for(self._changed.wait(), None if wait_forever else remaining)
                except asyncio.TimeoutError:
                    pass
            self.running[team_id] += 1
        try:
            yield
        finally:
            async with self._changed:
                self.running[team_id] -= 1
                self._changed.notify_all()
