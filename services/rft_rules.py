"""Reinforcement fine-tuning (RFT): the data rules, the models, the hyperparameters and the grader
file, checked offline (no Textual, no HTTP).

Sources: the RFT doc (MicrosoftDocs azure-ai-docs `how-to/reinforcement-fine-tuning.md`: models,
"Requirements", graders, hyperparameters, the automatic pause), the older o4-mini RFT doc ("system
messages aren't supported"), the v1 REST reference (`AzureFineTuneReinforcementMethod`) and the
openai SDK (`types/graders`, `ReinforcementHyperparameters`). Kept in step with the emulator's
`emulator/reinforcement.py` and `emulator/graders.py`.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

RFT_MODELS = ("o4-mini-2025-04-16",)  # RFT doc, "Model support" (gpt-5 is private preview)
ROLES = ("developer", "user")
MESSAGE_KEYS = {"role", "content", "name"}
REASONING_EFFORTS = ("low", "medium", "high")
AUTO_PAUSE = ("Azure pauses a reinforcement fine-tuning job automatically once it has cost $5,000 (training + grading); "
              "deploy its latest checkpoint or resume it (no further cost limit then)")
GRADER_TYPES = ("string_check", "text_similarity", "score_model", "python", "multi")
SUB_GRADER_TYPES = ("string_check", "text_similarity", "score_model", "label_model", "python")
STRING_OPERATIONS = ("eq", "ne", "like", "ilike")
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
GRADER_MODELS = ("gpt-4o-2024-08-06", "o3-mini-2025-01-31")
FUNCTIONS = ("min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log")
TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class BadGrader(Exception):
    """The grader file is wrong; the message names the field and the fix."""


def supports_reinforcement(model: str | None) -> bool:
    return (model or "").split(".ft-", 1)[0] in RFT_MODELS


# ---------------------------------------------------------------- data


def is_reinforcement(record: dict) -> bool:
    """An RFT example: messages ending with a user turn and no assistant reply (the reference answer
    is in the example's other fields, which the grader reads as {{ item.<field> }})."""
    messages = record.get("messages")
    return (
        isinstance(messages, list) and bool(messages) and isinstance(messages[-1], dict)
        and messages[-1].get("role") == "user"
        and not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages)
    )


def problem_in(record: dict) -> str | None:
    """What is wrong with one RFT example (RFT doc, "Requirements"), or None."""
    for i, message in enumerate(record["messages"]):
        where = f"messages[{i}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            return f"{where} is a system message, which reinforcement fine-tuning does not take; give it the role 'developer'"
        if role not in ROLES:
            return f"{where} must be a developer or user message (RFT data ends with a user message; the answer goes in other fields, for the grader)"
        extra = message.keys() - MESSAGE_KEYS
        if extra:
            return f"{where} has an unknown key '{sorted(extra)[0]}'; RFT messages hold role, content and optionally name"
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return f"{where} ({role}) needs 'content': a non-empty string"
    return None


def missing_references(record: dict, fields: set[str]) -> list[str]:
    """The {{ item.x }} paths the grader reads that this example does not hold."""
    missing = []
    for path in sorted(fields):
        found: object = record
        for key in path.split("."):
            found = found.get(key) if isinstance(found, dict) else None
        if found is None:
            missing.append(path)
    return missing


# ---------------------------------------------------------------- the grader file


def load_grader(path: str | Path) -> dict:
    """The grader configuration from a JSON file, checked; BadGrader names what is wrong."""
    path = Path(path)
    try:
        grader = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadGrader(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadGrader(f"{path}: cannot read it ({exc})") from None
    except ValueError as exc:
        raise BadGrader(f"{path} is not JSON: {exc}") from None
    check_grader(grader, f"{path.name}")
    return grader


def check_grader(grader: object, where: str, *, inside_multi: bool = False) -> None:
    if not isinstance(grader, dict):
        raise BadGrader(f"{where} must be a JSON object with a 'type'")
    kind = grader.get("type")
    allowed = SUB_GRADER_TYPES if inside_multi else GRADER_TYPES
    if kind not in allowed:
        hint = " (label_model goes only inside a multi grader)" if kind == "label_model" else ""
        raise BadGrader(f"{where}: 'type' must be one of {', '.join(allowed)}{hint}")
    needed = {"string_check": ("name", "input", "reference", "operation"), "text_similarity": ("name", "input", "reference", "evaluation_metric"),
              "score_model": ("name", "model"), "label_model": ("name", "model"), "python": ("name", "source"),
              "multi": ("name", "calculate_output")}[kind]
    for key in needed:
        if not isinstance(grader.get(key), str):
            raise BadGrader(f"{where}: '{key}' is required for a {kind} grader and must be a string")
    if kind == "string_check" and grader["operation"] not in STRING_OPERATIONS:
        raise BadGrader(f"{where}: 'operation' must be one of {', '.join(STRING_OPERATIONS)}")
    if kind == "text_similarity" and grader["evaluation_metric"] not in METRICS:
        raise BadGrader(f"{where}: 'evaluation_metric' must be one of {', '.join(METRICS)}")
    if kind in ("score_model", "label_model"):
        if grader["model"] not in GRADER_MODELS:
            raise BadGrader(f"{where}: 'model' must be a grader model: {', '.join(GRADER_MODELS)}")
        if not isinstance(grader.get("input"), list) or not grader["input"]:
            raise BadGrader(f"{where}: 'input' must be a non-empty list of messages")
    if kind == "label_model":
        labels, passing = grader.get("labels"), grader.get("passing_labels")
        if not (isinstance(labels, list) and labels and isinstance(passing, list) and passing and set(passing) <= set(labels)):
            raise BadGrader(f"{where}: 'labels' and 'passing_labels' must be non-empty lists, the passing ones among the labels")
    if kind == "python" and len(grader["source"].encode()) >= 256 * 1024:
        raise BadGrader(f"{where}: 'source' must be less than 256 kB")
    if kind == "multi":
        graders = grader.get("graders")
        if not isinstance(graders, dict) or not graders:
            raise BadGrader(f"{where}: 'graders' must be an object of named graders")
        for key, sub in graders.items():
            check_grader(sub, f"{where}.graders.{key}", inside_multi=True)
        _check_formula(grader["calculate_output"], set(graders), where)


def item_fields(grader: dict) -> set[str]:
    """The `item.<field>` paths the grader's templates read."""
    text = json.dumps(grader)
    return {m.group(1)[len("item."):] for m in TEMPLATE.finditer(text) if m.group(1).startswith("item.")}


def _check_formula(formula: str, names: set[str], where: str) -> None:
    try:
        tree = ast.parse(formula.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise BadGrader(f"{where}: 'calculate_output' is not a formula: {formula[:80]!r}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names and node.id not in FUNCTIONS:
            raise BadGrader(f"{where}: 'calculate_output' uses '{node.id}', neither a grader ({', '.join(sorted(names))}) nor a function ({', '.join(FUNCTIONS)})")


# ---------------------------------------------------------------- `data validate --method reinforcement`


MAX_REFERENCE_ERRORS = 20


def check_for_reinforcement(report, path: str | Path, model: str | None, grader: dict | None) -> None:
    """Add to a `validate_dataset` report what RFT asks of the whole file: RFT data, an RFT model,
    and (with a grader) every {{ item.x }} the grader reads present in every example."""
    from services.datasets import Problem

    if report.examples and report.format != "reinforcement":
        report.errors.append(Problem(None, f"this file is {report.format} data; reinforcement fine-tuning takes examples whose "
                                           "messages end with a user message (developer and user roles, no assistant reply) "
                                           "and whose other fields hold the references the grader reads"))
        return
    if model and not supports_reinforcement(model):
        report.errors.append(Problem(None, f"{model} does not support reinforcement fine-tuning; use {', '.join(RFT_MODELS)}"))
    report.warnings.append(Problem(None, "reinforcement fine-tuning needs a validation file as well as this one"))
    fields = item_fields(grader) if grader else set()
    if not fields:
        return
    with Path(path).open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                record = json.loads(raw.decode("utf-8-sig") if number == 1 else raw.decode("utf-8"))
            except ValueError:
                continue  # reported by the scan
            if not isinstance(record, dict) or not is_reinforcement(record):
                continue
            missing = missing_references(record, fields)
            if missing and len(report.errors) < MAX_REFERENCE_ERRORS:
                report.errors.append(Problem(number, f"no '{missing[0]}', which the grader reads as {{{{ item.{missing[0]} }}}}"))
