"""Chatting with a deployment: one reply, streamed token by token, with its timings and usage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from services.usage import record_call
from services.workspace import Workspace, calling


@dataclass
class Reply:
    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_seconds: float | None = None
    total_seconds: float = 0.0
    content_filter: dict = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float | None:
        if not self.completion_tokens or self.first_token_seconds is None:
            return None
        streaming = self.total_seconds - self.first_token_seconds
        return self.completion_tokens / streaming if streaming > 0 else None


def chat(
    ws: Workspace,
    deployment: str,
    messages: list[dict],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    on_text: Callable[[str], None] = lambda delta: None,
) -> Reply:
    """Stream one reply; `on_text` gets each piece as it arrives."""
    options = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens), ("seed", seed)) if v is not None}
    reply = Reply()
    start = time.perf_counter()
    with calling():
        stream = ws.openai().chat.completions.create(
            model=deployment, messages=messages, stream=True, stream_options={"include_usage": True}, **options
        )
        for chunk in stream:
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
