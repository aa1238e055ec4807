"""`ftdeck chat DEPLOYMENT "prompt" [--compare OTHER]`: one turn with a deployed model (or two side
by side), streamed to the terminal. A fine-tuned deployment is sent the system message it was
trained with unless --system says otherwise."""

from __future__ import annotations

import argparse
import sys

from tui.commands.output import add_action, print_json


def register(commands: argparse._SubParsersAction) -> None:
    chat = add_action(commands, "chat", "send one prompt to a deployment (or two) and stream the reply", run, "deployment")
    chat.add_argument("prompt", help="the user message ('-' reads it from stdin)")
    chat.add_argument("--compare", metavar="OTHER_DEPLOYMENT", help="send the same prompt to this deployment too, at the same time")
    chat.add_argument("--system", help="system message (default: the one a fine-tuned deployment was trained with)")
    chat.add_argument("--system-from-training", action=argparse.BooleanOptionalAction, default=True,
                      help="without --system, use the training data's most common system message (default: yes)")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--seed", type=int)


def training_system(ws, deployments: list[str]) -> str | None:
    """The system message the first fine-tuned deployment was trained with, said on stderr."""
    from services.errors import FtdeckError
    from services.playground import training_system_messages

    for name in deployments:
        try:
            found = training_system_messages(ws, name)
        except FtdeckError as exc:
            print(f"ftdeck: cannot look up the system message {name} was trained with ({exc}); sending none (use --system)", file=sys.stderr)
            return None
        if found.examples:
            said = f"the system message {name} was trained with" if found.most_common else f"no system message, as {name} was trained"
            print(f"using {said} ({found.source}; --system overrides)", file=sys.stderr)
            if found.others:
                print(f"  note: its training data has {len(found.others) + 1} different system messages", file=sys.stderr)
            return found.most_common
    return None


def run(ws, args) -> int:
    from services.playground import compare

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    deployments = [args.deployment] + ([args.compare] if args.compare else [])
    system = args.system if args.system is not None or not args.system_from_training else training_system(ws, deployments)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    params = {"temperature": args.temperature, "max_tokens": args.max_tokens, "seed": args.seed}
    live = not args.json

    def show(side: int, delta: str) -> None:
        if live and side == 0:  # the first side streams; the others are printed when done
            print(delta, end="", flush=True)

    if live and args.compare:
        print(f"── A: {args.deployment}")
    replies = compare(ws, deployments, [messages] * len(deployments), params, show)
    if args.json:
        # One shape with or without --compare: the system message sent (None: none), then each reply.
        print_json({"system": system, "replies": [{"deployment": r.deployment, **_flat(r)} for r in replies]})
    else:
        for side, reply in enumerate(replies):
            if side:
                print(f"── B: {reply.deployment}\n{reply.text}")
            elif reply.text:
                print()  # ends the streamed line
            if not reply.error:
                print(f"[{reply.describe()}]", file=sys.stderr)
    for reply in replies:
        if reply.error:
            print(f"ftdeck: {reply.deployment}: {reply.error}", file=sys.stderr)
    return 1 if any(r.error for r in replies) else 0


def _flat(reply) -> dict:
    return {"text": reply.text, "finish_reason": reply.finish_reason, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "first_token_seconds": reply.first_token_seconds,
            "tokens_per_second": reply.tokens_per_second, "content_filter": reply.content_filter, "error": reply.error}
