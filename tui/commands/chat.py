"""`ftdeck chat DEPLOYMENT "prompt"`: one turn with a deployed model, streamed to the terminal."""

from __future__ import annotations

import argparse
import sys

from tui.commands.output import add_action, print_json


def register(commands: argparse._SubParsersAction) -> None:
    chat = add_action(commands, "chat", "send one prompt to a deployment and stream the reply", run, "deployment")
    chat.add_argument("prompt", help="the user message ('-' reads it from stdin)")
    chat.add_argument("--system", help="system message (use the one the model was trained with)")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--seed", type=int)


def run(ws, args) -> int:
    from services.chat import chat

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = ([{"role": "system", "content": args.system}] if args.system else []) + [{"role": "user", "content": prompt}]
    write = (lambda delta: None) if args.json else (lambda delta: print(delta, end="", flush=True))
    reply = chat(ws, args.deployment, messages, temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed, on_text=write)
    if args.json:
        print_json({"text": reply.text, "finish_reason": reply.finish_reason, "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens, "first_token_seconds": reply.first_token_seconds,
                    "tokens_per_second": reply.tokens_per_second})
    else:
        print()
        speed = f", {reply.tokens_per_second:.0f} tok/s" if reply.tokens_per_second else ""
        print(f"[{reply.finish_reason}, {reply.prompt_tokens} prompt + {reply.completion_tokens} completion tokens{speed}]", file=sys.stderr)
    return 0
