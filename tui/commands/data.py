"""`ftdeck data validate FILE`: check a training file offline before uploading it."""

from __future__ import annotations

import argparse

from tui.commands.output import add_json_flag, fail, print_json


def register(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="check training data offline")
    actions = data.add_subparsers(dest="action", metavar="ACTION", required=True)
    validate = actions.add_parser(
        "validate",
        help="check a JSONL training file: format, every rule, token counts",
        description="Exit 0 when the file is fine, 1 when it has errors, 2 when it cannot be read.",
    )
    validate.add_argument("file", help="the JSONL file")
    validate.add_argument("--model", help="base model it is for (checks the format and token limit; picks the encoding)")
    validate.add_argument("--epochs", type=int, help="epochs, for billed tokens (default: auto, 3)")
    validate.add_argument("--price-per-million", type=float, metavar="USD", help="training price per 1M tokens, for a cost estimate")
    add_json_flag(validate)
    validate.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    from services.datasets import DatasetUnreadable, validate_dataset

    if args.epochs is not None and args.epochs < 1:
        return fail("--epochs must be 1 or more", 2)
    try:
        report = validate_dataset(args.file, model=args.model, epochs=args.epochs, price_per_million=args.price_per_million)
    except DatasetUnreadable as exc:
        return fail(str(exc), 2)
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report) -> None:
    data = report.to_json()
    tokens = data["tokens"]
    print(f"{report.path}: {'OK' if report.ok else 'ERRORS'}")
    print(f"  format    {data['format'] or '-'}, {data['examples']} examples")
    print(f"  tokens    total {tokens['total']:,}  min {tokens['min']}  mean {tokens['mean']}  p95 {tokens['p95']}  max {tokens['max']}")
    print(f"  billed    ~{data['estimated_billed_tokens']:,} tokens for {report.epochs} epochs"
          + (f" (~${data['estimated_cost']:.2f})" if "estimated_cost" in data else ""))
    systems = data["system_messages"]
    if systems["distinct"]:
        print(f"  system    {systems['distinct']} distinct, most common: {systems['most_common'][:70]!r}")
    for problem in report.errors:
        print(f"  error     {_where(problem)}{problem.message}")
    if report.more_errors:
        print(f"  error     ... and {report.more_errors} more")
    for problem in report.warnings[:20]:
        print(f"  warning   {_where(problem)}{problem.message}")
    if len(report.warnings) > 20:
        print(f"  warning   ... and {len(report.warnings) - 20} more")


def _where(problem) -> str:
    return f"line {problem.line}: " if problem.line else ""
