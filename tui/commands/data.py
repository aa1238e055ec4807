"""`ftdeck data validate FILE`: check a training file offline before uploading it.

Exit codes: 0 the file is fine, 1 it has errors, 2 it cannot be read (or the arguments are wrong).
"""

from __future__ import annotations

import argparse

from services.wording import count
from tui.commands.output import add_json_flag, fail, print_json

SHOWN_WARNINGS = 30


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("data", help="check training data offline", description="Check training data offline.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    validate = actions.add_parser(
        "validate",
        help="check a JSONL training file: format, every rule, token counts",
        description="Check a JSONL training file against the service's rules, with the line number and a fix for "
        "each problem, and count its tokens exactly (offline). Exit 0 when the file is fine, 1 when it has "
        "errors, 2 when it cannot be read.",
    )
    validate.add_argument("file", help="the JSONL file")
    validate.add_argument("--model", help="base model it is for: checks the format and token limit, picks the encoding")
    validate.add_argument("--method", choices=("supervised", "dpo", "reinforcement"),
                          help="the training method it is for: reinforcement checks the RFT rules (final user turn, developer role, references)")
    validate.add_argument("--grader", metavar="GRADER_JSON", help="with --method reinforcement: the grader file; every {{ item.x }} it reads must be in every example")
    validate.add_argument("--epochs", type=positive_int, help="epochs, for the billed tokens (default: auto, 3)")
    validate.add_argument("--price-per-million", type=non_negative_float, metavar="PRICE", help="training price per 1M tokens, for a cost estimate")
    add_json_flag(validate)
    validate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from services.datasets import DatasetUnreadable, validate_dataset
    from services.tokens import TableUnavailable

    from services import rft_rules

    if args.grader and args.method != "reinforcement":
        return fail("--grader goes with --method reinforcement", 2)
    try:
        grader = rft_rules.load_grader(args.grader) if args.grader else None
        report = validate_dataset(args.file, model=args.model, epochs=args.epochs, price_per_million=args.price_per_million)
        if args.method == "reinforcement":
            rft_rules.check_for_reinforcement(report, args.file, args.model, grader)
        elif args.method and report.format == "reinforcement":
            from services.datasets import Problem

            report.errors.append(Problem(None, f"this file is reinforcement data (messages ending with a user turn, no "
                                               f"assistant reply); {args.method} fine-tuning trains on written replies"))
    except rft_rules.BadGrader as exc:
        return fail(str(exc), 2)
    except DatasetUnreadable as exc:
        return fail(str(exc), 2)
    except TableUnavailable as exc:
        return fail(f"cannot count tokens: {exc}", 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report) -> None:
    """A short report for people: verdict, size, tokens, then each problem with its line."""
    data = report.to_json()
    tokens, systems = data["tokens"], data["system_messages"]
    verdict = "OK" if report.ok else f"{len(report.errors) + report.more_errors} error(s)"
    print(f"{report.path}: {verdict}")
    print(f"  format    {data['format'] or '-'}, {count(data['examples'], 'example')}")
    print(f"  tokens    total {tokens['total']:,}  min {tokens['min']:,}  mean {tokens['mean']:,}  "
          f"p95 {tokens['p95']:,}  max {tokens['max']:,}")
    cost = f" (about {data['estimated_cost']:,.2f} at the given price)" if "estimated_cost" in data else ""
    print(f"  billed    ~{data['estimated_billed_tokens']:,} tokens for {report.epochs} epochs{cost}")
    if systems["distinct"]:
        print(f"  system    {systems['distinct']} distinct, {systems['missing']} missing; most common: {_short(systems['most_common'])}")
    for problem in report.listed_errors():
        print(f"  error     {_where(problem)}{problem.message}")
    for problem in report.warnings[:SHOWN_WARNINGS]:
        print(f"  warning   {_where(problem)}{problem.message}")
    if len(report.warnings) > SHOWN_WARNINGS:
        print(f"  warning   and {len(report.warnings) - SHOWN_WARNINGS} more (see --json)")


def _short(text: str | None, width: int = 70) -> str:
    if text is None:
        return "(text not kept)"
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _where(problem) -> str:
    return f"line {problem.line}: " if problem.line else ""
