"""What a project's ``posthog.ai_events`` holds, as PostHog's rollout and retention leave it.

PostHog writes ``$ai_*`` events to ``ai_events`` only for teams in its rollout, strips the large
payload properties (``AI_LARGE_PROPERTIES``) from ``events`` for those, and drops ``ai_events``
rows after about 30 days. Modes, per project (``--ai-events PROJECT=MODE`` or
``POST /_emulator/ai_events``):

* ``mirror`` (default): ``ai_events`` holds every ``$ai_*`` event and ``events`` keeps its payloads;
* ``empty``: the team is not in the rollout: ``ai_events`` is empty, ``events`` whole;
* ``full``: in the rollout since before the data: ``ai_events`` holds every event, and ``events``
  reads its payload properties as missing;
* ``partial:SINCE``: in the rollout since ``SINCE`` (an ISO time, or ``Nd`` for N days before
  now, as after the TTL): events from ``SINCE`` on are in ``ai_events`` and stripped from
  ``events``; older ones are only in ``events``, whole;
* ``absent``: an older self-hosted PostHog without the table ("Unknown table ...").
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

AI_LARGE_PROPERTIES = ("$ai_input", "$ai_output", "$ai_output_choices", "$ai_input_state", "$ai_output_state", "$ai_tools")
KINDS = ("mirror", "empty", "full", "partial", "absent")


@dataclass(frozen=True)
class AiEventsMode:
    kind: str = "mirror"
    since: Optional[datetime] = None

    @staticmethod
    def parse(text: str) -> "AiEventsMode":
        kind, _, arg = text.strip().partition(":")
        if kind not in KINDS:
            raise ValueError(f"an ai_events mode is one of {', '.join(KINDS)}, not {text!r}")
        if kind != "partial":
            if arg:
                raise ValueError(f"ai_events mode {kind!r} takes no argument")
            return AiEventsMode(kind)
        days = re.fullmatch(r"(\d+)d", arg)
        if days:
            return AiEventsMode(kind, datetime.now(timezone.utc) - timedelta(days=int(days.group(1))))
        try:
            since = datetime.fromisoformat(arg.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"partial:SINCE needs an ISO time or Nd, not {arg!r}") from None
        return AiEventsMode(kind, since if since.tzinfo else since.replace(tzinfo=timezone.utc))

    def describe(self) -> str:
        return self.kind if self.since is None else f"{self.kind}:{self.since.isoformat()}"

    def holds(self, timestamp_sql: str) -> str:
        """SQL: whether an ``$ai_*`` event with this timestamp is in ``ai_events``."""
        if self.kind == "empty":
            return "0"
        if self.kind == "partial":
            return f"greaterOrEquals({timestamp_sql}, toDateTime64('{self.since.strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC'))"
        return "1"

    @property
    def strips_events(self) -> bool:
        """Whether ``events`` lost the payloads of the events ``ai_events`` holds."""
        return self.kind in ("full", "partial")


def parse_flag(text: str, default_project: int) -> tuple:
    """``[PROJECT=]MODE`` -> (project id, mode)."""
    head, sep, tail = text.partition("=")
    if sep and head.strip().isdigit():
        return int(head), AiEventsMode.parse(tail)
    return default_project, AiEventsMode.parse(text)
