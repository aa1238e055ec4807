"""Reinforcement fine-tuning graders: the configuration Azure takes, checked, and the ones the
emulator can run, run.

Sources (see emulator/SOURCES.md, "Reinforcement fine-tuning"): the RFT doc (MicrosoftDocs
azure-ai-docs `how-to/reinforcement-fine-tuning.md`), the v1 REST reference's
`AzureFineTuneReinforcementMethod`, and the openai SDK's `types/graders`.

The emulator computes string_check, text_similarity (fuzzy_match, bleu, rouge_1..5, rouge_l) and
multi over them. It does not run model graders (score_model, label_model: no grader model here) nor
python graders (code from a request is never executed): those are checked like any grader, then
refused with a message saying it is the emulator's limit, not Azure's.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections import Counter
from typing import Any

from emulator.errors import invalid

STRING_OPERATIONS = ("eq", "ne", "like", "ilike")  # v1 reference and SDK; the doc's prose says "neq": its JSON says "ne"
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
COMPUTED_METRICS = ("fuzzy_match", "bleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
GRADER_MODELS = ("gpt-4o-2024-08-06", "o3-mini-2025-01-31")  # RFT doc, "Model graders"
MAX_PYTHON_SOURCE = 256 * 1024  # RFT doc: "less than 256 kB"
FUNCTIONS = {"min": min, "max": max, "abs": abs, "floor": math.floor, "ceil": math.ceil,
             "exp": math.exp, "sqrt": math.sqrt, "log": math.log}  # RFT doc, "Multigrader"
TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PARAM = "method.reinforcement.grader"


# ---------------------------------------------------------------- checking the configuration


def check_grader(grader: object, where: str = PARAM, *, inside_multi: bool = False) -> None:
    """Refuse a grader configuration Azure would refuse (400 naming the field)."""
    if not isinstance(grader, dict):
        raise invalid(f"{where} must be an object with a 'type'.", where)
    kind = grader.get("type")
    _text(grader, "name", where)
    if kind == "string_check":
        _text(grader, "input", where)
        _text(grader, "reference", where)
        if grader.get("operation") not in STRING_OPERATIONS:
            raise invalid(f"{where}.operation must be one of {', '.join(STRING_OPERATIONS)}.", f"{where}.operation")
    elif kind == "text_similarity":
        _text(grader, "input", where)
        _text(grader, "reference", where)
        if grader.get("evaluation_metric") not in METRICS:
            raise invalid(f"{where}.evaluation_metric must be one of {', '.join(METRICS)}.", f"{where}.evaluation_metric")
        _optional_number(grader, "pass_threshold", where)
    elif kind in ("score_model", "label_model"):
        if kind == "label_model" and not inside_multi:  # not among ReinforcementMethod's graders (SDK, v1 reference)
            raise invalid(f"{where}: a label_model grader can be used only inside a multi grader.", where)
        if grader.get("model") not in GRADER_MODELS:
            raise invalid(f"{where}.model must be a grader model: {', '.join(GRADER_MODELS)}.", f"{where}.model")
        if not isinstance(grader.get("input"), list) or not grader["input"]:
            raise invalid(f"{where}.input must be a non-empty list of messages.", f"{where}.input")
        if kind == "score_model":
            _optional_number(grader, "pass_threshold", where)
            bounds = grader.get("range")
            if bounds is not None and not (isinstance(bounds, list) and len(bounds) == 2 and all(_is_number(b) for b in bounds) and bounds[0] < bounds[1]):
                raise invalid(f"{where}.range must be two numbers, low then high.", f"{where}.range")
        else:
            labels = grader.get("labels")
            passing = grader.get("passing_labels")
            if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
                raise invalid(f"{where}.labels must be a non-empty list of strings.", f"{where}.labels")
            if not (isinstance(passing, list) and passing and set(passing) <= set(labels)):
                raise invalid(f"{where}.passing_labels must be a non-empty list of the labels.", f"{where}.passing_labels")
    elif kind == "python":
        source = _text(grader, "source", where)
        if len(source.encode()) >= MAX_PYTHON_SOURCE:
            raise invalid(f"{where}.source must be less than 256 kB.", f"{where}.source")
    elif kind == "multi" and not inside_multi:
        graders = grader.get("graders")
        if not isinstance(graders, dict) or not graders:
            raise invalid(f"{where}.graders must be an object of named graders.", f"{where}.graders")
        for key, sub in graders.items():
            check_grader(sub, f"{where}.graders.{key}", inside_multi=True)
        _check_formula(_text(grader, "calculate_output", where), set(graders), f"{where}.calculate_output")
    else:
        allowed = "string_check, text_similarity, score_model, label_model, python" if inside_multi else \
            "string_check, text_similarity, score_model, python or multi"
        raise invalid(f"{where}.type must be one of {allowed}.", f"{where}.type")


def emulator_cannot_run(grader: dict) -> str | None:
    """Why the emulator cannot compute this (valid) grader's reward, or None when it can."""
    kind = grader["type"]
    if kind in ("score_model", "label_model"):
        return f"the emulator has no grader model, so it cannot run {kind} graders; use string_check or text_similarity here"
    if kind == "python":
        return "the emulator never runs code sent in a request, so it cannot run python graders; use string_check or text_similarity here"
    if kind == "text_similarity" and grader["evaluation_metric"] not in COMPUTED_METRICS:
        return f"the emulator does not compute {grader['evaluation_metric']}; use one of {', '.join(COMPUTED_METRICS)}"
    if kind == "multi":
        return next(filter(None, (emulator_cannot_run(g) for g in grader["graders"].values())), None)
    return None


def item_fields(grader: dict) -> set[str]:
    """The `item.<field>` paths the grader's templates read (each example must hold them)."""
    texts: list[str] = []
    _collect_texts(grader, texts)
    return {m.group(1)[len("item."):] for text in texts for m in TEMPLATE.finditer(text) if m.group(1).startswith("item.")}


def _collect_texts(value: object, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_texts(v, into)
    elif isinstance(value, list):
        for v in value:
            _collect_texts(v, into)


def _text(grader: dict, key: str, where: str) -> str:
    value = grader.get(key)
    if not isinstance(value, str):
        raise invalid(f"{where}.{key} is required and must be a string.", f"{where}.{key}")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional_number(grader: dict, key: str, where: str) -> None:
    if key in grader and not _is_number(grader[key]):
        raise invalid(f"{where}.{key} must be a number.", f"{where}.{key}")


def _check_formula(formula: str, names: set[str], where: str) -> None:
    try:
        tree = ast.parse(formula.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise invalid(f"{where} is not a formula: {formula[:80]!r}.", where) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names and node.id not in FUNCTIONS:
            raise invalid(f"{where} uses '{node.id}', which is neither one of the graders ({', '.join(sorted(names))}) "
                          f"nor a function ({', '.join(FUNCTIONS)}).", where)
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.Call,
                                 ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)):
            raise invalid(f"{where} may use only + - * / ^, numbers, grader names and {', '.join(FUNCTIONS)}.", where)
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS and not node.keywords):
            raise invalid(f"{where} may call only {', '.join(FUNCTIONS)}.", where)


# ---------------------------------------------------------------- running it


def grade(grader: dict, output_text: str, item: dict) -> float:
    """The reward of one sampled output for one example (`item`: the example's fields)."""
    kind = grader["type"]
    if kind == "multi":
        scores = {key: grade(sub, output_text, item) for key, sub in grader["graders"].items()}
        return _formula(grader["calculate_output"], scores)
    given = render(grader["input"], output_text, item)
    reference = render(grader["reference"], output_text, item)
    if kind == "string_check":
        operation = grader["operation"]
        if operation == "eq":
            return float(given == reference)
        if operation == "ne":
            return float(given != reference)
        if operation == "like":
            return float(reference in given)
        return float(reference.lower() in given.lower())
    return similarity(grader["evaluation_metric"], given, reference)


def render(template: str, output_text: str, item: dict) -> str:
    """Substitute `{{ sample.output_text }}`, `{{ sample.output_json.x }}` and `{{ item.a.b }}`."""
    def value(match: re.Match) -> str:
        path = match.group(1).split(".")
        if path[:2] == ["sample", "output_text"]:
            return output_text
        if path[0] == "sample" and len(path) > 1 and path[1] == "output_json":
            try:
                found: Any = json.loads(output_text)
            except ValueError:
                return ""
            rest = path[2:]
        elif path[0] == "item":
            found, rest = item, path[1:]
        else:
            return match.group(0)
        for key in rest:
            found = found.get(key) if isinstance(found, dict) else None
        return found if isinstance(found, str) else "" if found is None else json.dumps(found)

    return TEMPLATE.sub(value, template)


def similarity(metric: str, text: str, reference: str) -> float:
    """A score from 0 to 1. fuzzy_match: RapidFuzz's ratio (the doc names RapidFuzz, not the
    function: assumed); bleu: sentence BLEU to 4-grams with add-one smoothing; rouge: F1."""
    if metric == "fuzzy_match":
        from rapidfuzz import fuzz

        return fuzz.ratio(text, reference) / 100.0
    words, ref = text.split(), reference.split()
    if metric == "bleu":
        return _bleu(words, ref)
    if metric == "rouge_l":
        return _f1(_lcs(words, ref), len(words), len(ref))
    n = int(metric.rsplit("_", 1)[1])
    overlap = sum((_ngrams(words, n) & _ngrams(ref, n)).values())
    return _f1(overlap, max(len(words) - n + 1, 0), max(len(ref) - n + 1, 0))


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _bleu(words: list[str], ref: list[str]) -> float:
    if not words or not ref:
        return 0.0
    logs = []
    for n in range(1, 5):
        candidate = _ngrams(words, n)
        matched = sum((candidate & _ngrams(ref, n)).values())
        total = sum(candidate.values())
        logs.append(math.log((matched + (n > 1)) / (total + (n > 1))) if total or n > 1 else float("-inf"))
        if n == 1 and matched == 0:
            return 0.0
    brevity = 1.0 if len(words) >= len(ref) else math.exp(1 - len(ref) / len(words))
    return brevity * math.exp(sum(logs) / 4)


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous = 0
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], previous + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not overlap or not candidate or not reference:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def _formula(formula: str, scores: dict[str, float]) -> float:
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return scores[node.id]
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        if isinstance(node, ast.Call):
            return float(FUNCTIONS[node.func.id](*(walk(a) for a in node.args)))  # type: ignore[attr-defined]
        left, right = walk(node.left), walk(node.right)  # type: ignore[attr-defined]
        op = node.op  # type: ignore[attr-defined]
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right if right else 0.0  # not documented: a division by zero scores 0
        return left**right

    try:
        value = walk(ast.parse(formula.replace("^", "**"), mode="eval"))
    except (ValueError, OverflowError, TypeError):  # log(0), sqrt(-1), min() of nothing: not documented, 0
        return 0.0
    return value if math.isfinite(value) else 0.0
