"""`ftdeck ask "..." [--yes] [--json]`: the console's assistant from the command line. Reading tools
run at once; a changing tool call is printed as a proposal and not made, unless --yes says to make it.
The conversation is the profile's, as in the TUI (`--new` starts over); "it" is the last job it was about."""

from __future__ import annotations

import argparse
import sys

from tui.commands.output import add_action, print_json


def register(commands: argparse._SubParsersAction) -> None:
    ask = add_action(commands, "ask", "ask the assistant in plain words; it answers from ftdeck's data through its commands", run, "question")
    ask.add_argument("--yes", action="store_true", help="make the changes it proposes (without --yes they are printed, not made)")
    ask.add_argument("--new", action="store_true", help="start the profile's conversation over first")
    ask.add_argument("--deployment", help="the deployment to ask (default: the profile's assistant_deployment, "
                                          "else the first deployed base chat model that takes tools)")


def context_for(ws, subject: dict | None) -> dict:
    """What the assistant is told about the deck from the command line: the newest jobs, and what
    "it" is. Ids and states only: never a key, never a file's content."""
    from services.jobs import list_jobs

    newest = [{"id": j["id"], "status": j["status"], "model": j["model"]} for j in list_jobs(ws, limit=5)]
    return {"where": "ftdeck ask (command line)", "profile": ws.profile_name, "selected": subject, "newest_jobs": newest}


def run(ws, args) -> int:
    from services import assistant_tools
    from services.assistant import Conversation, ask, choose_deployment, model_of_deployment
    from services.errors import FtdeckError
    from tui.registry import tools

    question = sys.stdin.read() if args.question == "-" else args.question
    if not question.strip():
        print("ftdeck: ask what? give a question in words", file=sys.stderr)
        return 2
    conversation = Conversation.load(ws.profile_name)
    if args.new:
        conversation.new()
    deployment, why = (args.deployment, "--deployment") if args.deployment else choose_deployment(ws, conversation)
    read_only = getattr(args, "read_only", False) or ws.profile.read_only
    live = not args.json
    if live:
        print(f"asking {deployment} ({why})", file=sys.stderr)
    selected = conversation.subject
    proposed: list[dict] = []

    def read(call) -> dict:
        return assistant_tools.read(ws, call.command, call.arguments, selected)

    def change(call) -> dict:
        try:
            proposal = assistant_tools.propose(ws, call.command, call.arguments, selected)
        except FtdeckError as exc:
            return {"done": False, "error": str(exc)}
        if not args.yes:
            proposed.append({"tool": proposal.command, "arguments": proposal.arguments, "question": proposal.question,
                             "detail": proposal.detail, "notes": proposal.notes})
            if live:
                notes = "".join(f" ({note})" for note in proposal.notes)
                print(f"\nproposed, not done: {proposal.question}{notes} {proposal.detail}\n"
                      "  run the question again with --yes to make this change")
            return {"done": False, "summary": "Proposed to the user and NOT done: without --yes nothing changes."}
        return assistant_tools.carry_out(ws, proposal, on_status=lambda s: live and print(f"  {s}", file=sys.stderr))

    def said(delta: str) -> None:
        if live:
            print(delta, end="", flush=True)

    def called(call) -> None:
        if live:
            print(call.line())

    answer = ask(ws, deployment, conversation, question, context_for(ws, selected), tools(read_only),
                 read=read, change=change, on_text=said, on_call=called, model=model_of_deployment(ws, deployment))
    if args.json:
        print_json({**answer.to_json(), "proposed": proposed})
    else:
        if answer.stopped:
            print(answer.text)
        elif answer.text and not answer.text.endswith("\n"):
            print()
        print(f"[{answer.stats()}]", file=sys.stderr)
    return 1 if answer.stopped else 0
