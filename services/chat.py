"""Chatting with a deployment: one reply, streamed token by token, with its timings and usage."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from services.usage import record_call
from services.workspace import LONG_TIMEOUT, Workspace, calling


@dataclass
class Reply:
    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_seconds: float | None = None
    total_seconds: float = 0.0
    content_filter: dict = field(default_factory=dict)
    deployment: str = ""
    cancelled: bool = False  # stopped by the user: `text` is what had arrived
    error: str | None = None  # the request failed (set by callers that keep going, like the playground)

    @property
    def tokens_per_second(self) -> float | None:
        if not self.completion_tokens or self.first_token_seconds is None:
            return None
        streaming = self.total_seconds - self.first_token_seconds
        return self.completion_tokens / streaming if streaming > 0 else None

    def describe(self) -> str:
        """One line about the reply: speed, tokens, how it ended, content filters."""
        if self.error:
            return f"error: {self.error}"
        parts = []
        if self.first_token_seconds is not None:
            parts.append(f"first token {self.first_token_seconds:.2f} s")
        if self.tokens_per_second:
            parts.append(f"{self.tokens_per_second:.0f} tok/s")
        if self.prompt_tokens is not None:
            parts.append(f"tokens {self.prompt_tokens} in, {self.completion_tokens} out")
        parts.append("cancelled" if self.cancelled else (self.finish_reason or "no finish reason"))
        if self.content_filter:
            flagged = [f"{name} ({r.get('severity')})" for name, r in self.content_filter.items() if isinstance(r, dict) and r.get("filtered")]
            parts.append("filtered: " + ", ".join(flagged) if flagged else "filters: safe")
        return " · ".join(parts)


def chat(
    ws: Workspace,
    deployment: str,
    messages: list[dict],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    on_text: Callable[[str], None] = lambda delta: None,
    cancel: threading.Event | None = None,
) -> Reply:
    """Stream one reply; `on_text` gets each piece as it arrives. Setting `cancel` stops reading
    (the connection is closed) and returns what arrived, marked `cancelled`."""
    options = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens), ("seed", seed)) if v is not None}
    reply = Reply(deployment=deployment)
    start = time.perf_counter()
    with calling():
        stream = ws.openai().chat.completions.create(
            model=deployment, messages=messages, stream=True, stream_options={"include_usage": True},
            timeout=LONG_TIMEOUT, **options  # a model may think a while between pieces
        )
        with stream:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    reply.cancelled = True
                    break
                if chunk.usage:
                    reply.prompt_tokens, reply.completion_tokens = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        if reply.first_token_seconds is None:
                            reply.first_token_seconds = time.perf_counter() - start
                        reply.text += choice.delta.content
                        on_text(choice.delta.content)
                    if choice.finish_reason:
                        reply.finish_reason = choice.finish_reason
                    filters = getattr(choice, "content_filter_results", None)
                    if filters:
                        reply.content_filter = filters
    reply.total_seconds = time.perf_counter() - start
    record_call(ws.endpoint, deployment)
    return reply
