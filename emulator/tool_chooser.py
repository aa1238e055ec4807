"""The emulator's stand-in for a model's tool calling: a small deterministic chooser, not a language model.

It picks tools ONLY from the user's own words (the last `user` message) against each tool's name and
description, and fills arguments from ids in the user's text, or, for required ones it lacks, from the
context ftdeck sends (system/developer messages, or "Label: value" lines such as "Selected row: job
ftjob-..." in the user message). Tool results are never read for choosing a tool or an argument: a
result saying "delete all deployments" is quoted as data, nothing more. Once the tools chosen for the
question have answered, it answers in text by quoting their results.

This is issue 17's contract between the emulator and ftdeck's assistant; README ("The emulator", "Tool
calls") says plainly that it is not a language model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# Words that say nothing about which tool to call.
STOPWORDS = set(
    "a an the my me i i'm you your we our is are was were be been am do does did done to of for in on at by "
    "with from and or but if so as it its it's this that these those there here what which who whom whose how "
    "can could would will shall should may might must please tell give get let us have has had any some "
    "all one up out about into over again just also than then too very not no yes now many much".split()
)
# Plain-English cues that point at words tool descriptions use (question word -> words it implies).
CUES = {
    "why": ["error", "reason", "explain"],
    "fail": ["error", "failure", "failed"],
    "broke": ["error", "failure"],
    "wrong": ["error", "failure"],
    "lowest": ["compare", "best", "sort", "rank", "lowest"],
    "highest": ["compare", "best", "sort", "rank"],
    "best": ["compare", "sort", "rank"],
    "worst": ["compare", "sort", "rank"],
    "compare": ["comparison", "compare"],
    "versus": ["compare"],
    "ready": ["validate", "check", "problem"],
    "ok": ["validate", "check"],
    "valid": ["validate", "check"],
    "learning": ["hyperparameter"],
    "epoch": ["hyperparameter"],
    "batch": ["hyperparameter"],
    "try": ["suggest", "recommend"],
    "should": ["suggest", "recommend"],
    "recommend": ["suggest"],
    "stop": ["cancel"],
    "abort": ["cancel"],
    "kill": ["cancel"],
    "remove": ["delete"],
    "erase": ["delete"],
    "run": ["job"],
    "training": ["job"],
    "trained": ["job"],
    "list": ["list"],
    "happened": ["event"],
    "log": ["event"],
    "publish": ["deploy"],
    "serve": ["deploy"],
}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
MIN_SCORE = 0.4  # below this, no tool fits the question: an honest text answer instead
TOGETHER = 0.75  # tools scoring this share of the best one are called together (parallel calls)
MOST_CALLS = 3
NAMED_ID_BONUS = 0.25  # per required argument the user's own words fill

# Ids a user's text may hold, by the kind of thing they name (Azure's id shapes, spec sections 4-6).
ID_PATTERNS = {
    "job": re.compile(r"\bftjob-[A-Za-z0-9]+"),
    "file": re.compile(r"\bfile-[A-Za-z0-9]+"),
    "checkpoint": re.compile(r"\bftchkpt-[A-Za-z0-9]+"),
    "model": re.compile(r"(?<![\w.-])(?:ft:[\w.:-]+|(?:gpt|o\d|babbage|davinci)[\w.-]*[A-Za-z0-9](?:\.ft-[A-Za-z0-9]+)?)"),
    "path": re.compile(r"(?<![\w/])(?:~|\.{1,2})?/?[\w./-]*[\w-]\.(?:jsonl|json|csv|txt)\b"),
}
AS_NAME = re.compile(r"\b(?:as|named|called)\s+[\"'`]?([A-Za-z0-9][\w.-]*[A-Za-z0-9])")
# "deployment pirate-v2": a name after the kind of thing it names.
KIND_NAME = re.compile(r"\b(?:deployment|model|file|job|dataset)s?\s+[\"'`]?([A-Za-z0-9][\w.-]*[A-Za-z0-9])")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str = ""
    parameters: dict = field(default_factory=dict)

    @property
    def properties(self) -> dict[str, dict]:
        found = self.parameters.get("properties") if isinstance(self.parameters, dict) else None
        return {k: v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {}

    @property
    def required(self) -> list[str]:
        found = self.parameters.get("required") if isinstance(self.parameters, dict) else None
        return [r for r in found if isinstance(r, str)] if isinstance(found, list) else []


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict


@dataclass(frozen=True)
class Choice:
    """What the chooser answers: tool calls, or text (never both)."""

    calls: tuple[Call, ...] = ()
    text: str | None = None


# ---------------------------------------------------------------- words


def words(text: str) -> list[str]:
    """Lower-case words, ids and paths left out (they fill arguments, they do not pick tools)."""
    for pattern in ID_PATTERNS.values():
        text = pattern.sub(" ", text)
    return [w.removesuffix("'s") for w in re.findall(r"[a-z][a-z']*", text.lower().replace("_", " ").replace("-", " "))]


def stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def same_word(a: str, b: str) -> bool:
    """One word or its inflection: `fail`/`failed`/`failure`, `validation`/`validate`, `run`/`runs`."""
    a, b = stem(a), stem(b)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return (len(short) >= 4 and long.startswith(short)) or (len(short) >= 5 and long[:5] == short[:5])


CUE_WEIGHT = 0.5  # a word the question implies counts half a word it says


def question_words(text: str) -> dict[str, float]:
    """The question's telling words with their weights: said 1, implied by a cue CUE_WEIGHT."""
    said = words(text)
    weighted: dict[str, float] = {}
    for w in said:
        if w not in STOPWORDS and len(w) > 1:
            weighted[w] = 1.0
    for w in said:
        for key, implied in CUES.items():
            if same_word(w, key):
                for c in implied:
                    weighted.setdefault(c, CUE_WEIGHT)
    return weighted


def tool_words(tool: Tool) -> list[tuple[list[str], float]]:
    """A tool's words by weight: its name 2, its description 1, its parameters' names and descriptions 0.5."""
    parameters = " ".join(f"{k} {v.get('description', '')}" for k, v in tool.properties.items())
    return [(words(tool.name), 2.0), (words(tool.description), 1.0), (words(parameters), 0.5)]


def scores(question: str, tools: list[Tool], *, implied: bool = True) -> dict[str, float]:
    """How well each tool fits the question: each question word counts by where the tool has it (name,
    description, parameters), divided by how many tools have it (a word every tool has says little).
    `implied=False` counts only the words the user said, not those their cues imply."""
    asked = {w: weight for w, weight in question_words(question).items() if implied or weight == 1.0}
    vocab = {t.name: tool_words(t) for t in tools}
    result = {t.name: 0.0 for t in tools}
    for w, said in asked.items():
        hits = {}
        for name, places in vocab.items():
            weight = next((weight for found, weight in places if any(same_word(w, x) for x in found)), 0.0)
            if weight:
                hits[name] = weight
        for name, weight in hits.items():
            result[name] += said * weight / len(hits)
    return result


# ---------------------------------------------------------------- arguments


def found_ids(text: str) -> dict[str, list[str]]:
    """The ids, paths, model names and names (`as NAME`, `deployment NAME`) a text holds, by kind."""
    ids = {kind: list(dict.fromkeys(m.group(0).rstrip(".") for m in p.finditer(text))) for kind, p in ID_PATTERNS.items()}
    ids["path"] = [p for p in ids["path"] if "/" in p or p.endswith((".jsonl", ".json", ".csv"))]
    ids["model"] = [m for m in ids["model"] if not m.startswith("ftchkpt")]
    named = [m.group(1) for m in AS_NAME.finditer(text)] + [m.group(1) for m in KIND_NAME.finditer(text)]
    ids["name"] = [n for n in dict.fromkeys(named) if n.lower() not in STOPWORDS]
    return ids


def kinds_wanted(name: str, spec: dict) -> list[str]:
    """The kinds of id a parameter takes, from its name and description, most specific first."""
    said = set(stem(w) for w in words(f"{name} {spec.get('description', '')}"))
    wanted = []
    for kind, cue_words in (("checkpoint", {"checkpoint"}), ("model", {"model"}), ("job", {"job", "run"}),
                            ("file", {"file"}), ("path", {"path", "dataset", "jsonl"}), ("name", {"name"})):
        if said & {stem(c) for c in cue_words}:
            wanted.append(kind)
    if "file" in wanted and "path" in wanted:  # "the training file's path": a path, not a file id
        wanted.remove("file")
        wanted.insert(wanted.index("path") + 1, "file")
    if name.lower() in ("id", "ids", "target"):  # any id or name the user named
        wanted += [k for k in ("job", "file", "checkpoint", "model", "name") if k not in wanted]
    return wanted


def fill(tool: Tool, question: str, context: str) -> dict:
    """Arguments for `tool` from the question's ids; a required one the question lacks from the
    context's (the lines sharing the question's words first, then the selected row)."""
    asked = found_ids(question)
    around = found_ids(ranked_context(context, question))
    nothing: dict[str, list[str]] = {kind: [] for kind in around}
    args: dict = {}
    used: set[str] = set()
    for name, spec in tool.properties.items():
        # A nullable parameter is optional, even when listed in `required` (as strict schemas list all).
        needed = name in tool.required and not nullable(spec)
        value = _value(name, spec, question, asked, around if needed else nothing, used)
        if value is not None:
            args[name] = value
            used.update(value if isinstance(value, list) else [str(value)])
        elif name in tool.required and nullable(spec):
            args[name] = None
    return args


def nullable(spec: dict) -> bool:
    """`"type": ["string", "null"]` or `anyOf: [..., {"type": "null"}]`: how strict schemas say optional."""
    kinds = spec.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or any(
        isinstance(s, dict) and s.get("type") == "null" for s in spec.get("anyOf") or [])


def type_of(spec: dict) -> str | None:
    """A parameter's JSON type, the null of a nullable one left out."""
    kinds = spec.get("type")
    if isinstance(kinds, list):
        return next((k for k in kinds if k != "null"), None)
    if kinds is None:
        return next((s.get("type") for s in spec.get("anyOf") or [] if isinstance(s, dict) and s.get("type") != "null"), None)
    return kinds


def _value(name: str, spec: dict, question: str, asked: dict, around: dict, used: set[str]) -> object:
    """One parameter's value: an enum option the user said, a number they said, or an id of a kind
    the parameter takes (the question's first, then the context's), each id used once."""
    kind = type_of(spec)
    if isinstance(spec.get("enum"), list):
        said = words(question)
        options = [o for o in spec["enum"] if isinstance(o, str)]
        for option in options:
            if any(same_word(w, o) for o in words(option) for w in said):
                return option
        # "delete ftjob-abc": the kind of the id the user named.
        named = [k for k in ("job", "file", "checkpoint", "model") if asked[k]]
        return next((o for o in options for k in named if same_word(o, k)), None)
    if kind in ("integer", "number"):
        for w in re.findall(r"(?<![\w.-])(\d+|[a-z]+)(?![\w.-])", question.lower()):
            if w.isdigit() or w in NUMBER_WORDS:
                return int(w) if w.isdigit() else NUMBER_WORDS[w]
        return None
    if kind not in (None, "string", "array"):
        return None
    for source in (asked, around):
        for wanted in kinds_wanted(name, spec):
            fresh = [v for v in source[wanted] if v not in used]
            if fresh:
                return fresh if kind == "array" else fresh[0]
    return None


def ranked_context(context: str, question: str) -> str:
    """Context lines sharing the question's words come first ("my last failed job": the line saying
    "failed"), then the selected row ("cancel it" means that one)."""
    asked = [w for w, weight in question_words(question).items() if weight == 1.0]

    def rank(line: str) -> tuple[int, bool]:
        shared = sum(1 for w in asked if any(same_word(w, x) for x in words(line)))
        return -shared, "select" not in line.lower()

    return "\n".join(sorted(context.splitlines(), key=rank))


# ---------------------------------------------------------------- choosing


def choose(tools: list[Tool], messages: list[dict], *, tool_choice: object = "auto", parallel: bool = True) -> Choice:
    """The next step of a conversation: the tool calls the last user question needs that were not made
    yet, or, once they have answered (or none fits), a text answer; text None leaves the answer to the
    language model (no tool may be called and no result is there to quote)."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    question, told = split_question(text_of(messages[last_user]) if last_user >= 0 else "")
    context = "\n".join([text_of(m) for m in messages if m.get("role") in ("system", "developer")] + told)
    since = messages[last_user + 1:]
    called = {c.get("function", {}).get("name") for m in since if m.get("role") == "assistant" for c in m.get("tool_calls") or []}
    results = [m for m in since if m.get("role") == "tool"]
    by_name = {t.name: t for t in tools}

    if tool_choice == "none" or not tools:  # no tool may be called: quote the results, or let the model talk
        return Choice(text=quote(results, messages, question) if results else None)
    if isinstance(tool_choice, dict):  # {"type": "function", "function": {"name": ...}}: that tool, always
        tool = by_name[tool_choice["function"]["name"]]
        return Choice(calls=(Call(tool.name, fill(tool, question, context)),))

    fits = scores(question, tools)
    said = scores(question, tools, implied=False)
    for t in tools:  # a tool taking the ids the user named fits better than one that ignores them
        if fits[t.name] >= MIN_SCORE:
            named = fill(t, question, "")
            fits[t.name] += NAMED_ID_BONUS * sum(1 for r in t.required if named.get(r) is not None)
    ranked = sorted((t for t in tools if fits[t.name] >= MIN_SCORE), key=lambda t: -fits[t.name])
    ready = [t for t in ranked if all(r in fill(t, question, context) for r in t.required)]
    if ranked and (not ready or fits[ready[0].name] < fits[ranked[0].name] * 0.5) and tool_choice != "required":
        # The tool the question wants lacks an argument, and no tool nearly as good has them all: ask.
        best = ranked[0]
        missing = [r for r in best.required if r not in fill(best, question, context)]
        return Choice(text=ask_for(best, missing))
    chosen = []
    if ready:
        first = ready[0]
        # Called together: tools nearly as fitting as the first, by all words and by the words said.
        chosen = [t for t in ready if t is first or (fits[t.name] >= fits[first.name] * TOGETHER
                                                     and said[t.name] >= said[first.name] * TOGETHER)][:MOST_CALLS]
    pending = [t for t in chosen if t.name not in called]
    if tool_choice == "required" and not pending:
        pending = chosen or ranked or tools  # it must call one: the best it has
    if pending:
        batch = pending if parallel else pending[:1]
        return Choice(calls=tuple(Call(t.name, fill(t, question, context)) for t in batch))
    if results:
        return Choice(text=quote(results, messages, question))
    return Choice(text=no_tool_fits(tools))


CONTEXT_LINE = re.compile(r"^\s*[A-Za-z][A-Za-z ()/]{0,40}:\s+\S")  # "Selected row: job ftjob-...", "Jobs pane: ..."


def split_question(text: str) -> tuple[str, list[str]]:
    """A user message holding context lines ("Selected row: ...") besides the question: the question,
    and the context lines (read for ids like a system message's, not for choosing tools)."""
    lines = text.splitlines()
    told = [line for line in lines if CONTEXT_LINE.match(line)]
    asked = [line for line in lines if line.strip() and not CONTEXT_LINE.match(line)]
    return ("\n".join(asked), told) if asked and told else (text, [])


def ask_for(tool: Tool, missing: list[str]) -> str:
    wants = ", ".join(f"`{m}` ({tool.properties.get(m, {}).get('description') or 'no description'})" for m in missing)
    return f"To answer that I would call `{tool.name}`, which needs {wants}. Name it in your question or select it, and ask again."


def no_tool_fits(tools: list[Tool]) -> str:
    names = ", ".join(f"`{t.name}`" for t in tools[:12])
    return (f"None of my tools answers that, so I cannot say. I can use: {names}. "
            "(This is the emulator's tool chooser, not a language model.)")


# ---------------------------------------------------------------- answering from results

# Keys whose values usually are the answer, quoted first.
TELLING_KEYS = ("answer", "summary", "explanation", "error", "fix", "message", "status", "suggestion", "result", "best", "lowest")
MOST_LINES, MOST_CHARS = 8, 240


def quote(results: list[dict], messages: list[dict], question: str = "") -> str:
    """A short Markdown answer quoting the tool results: which tool said what, facts only (those
    answering the question first)."""
    names = {c.get("id"): c.get("function", {}).get("name", "tool")
             for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []}
    parts = []
    for result in results:
        name = names.get(result.get("tool_call_id"), "tool")
        said = summary_of(text_of(result))
        # A summary first, whole; then the other facts, fewer of them (the summary said the most).
        lines = said + [line for line in facts(text_of(result), question) if "summary: " not in line][: MOST_LINES // 2 if said else MOST_LINES]
        body = "\n".join(f"- {line}" for line in lines) if lines else "- (no result)"
        parts.append(f"From `{name}`:\n{body}")
    return "\n\n".join(parts)


def summary_of(text: str) -> list[str]:
    """A result that says its facts in a `summary` (at any depth) is quoted by it alone, line by line."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found = next((v for k, v in _flatten(data, "") if k.split(".")[-1] == "summary" and isinstance(v, str) and v.strip()), None)
    if found is None:
        return []
    lines = [" ".join(line.split()).removeprefix("- ") for line in found.splitlines() if line.strip()]
    return lines[:MOST_LINES]  # ftdeck's own words: whole


def facts(text: str, question: str = "") -> list[str]:
    """The result's facts as short lines: JSON flattened to `key: value`, or its text lines; the lines
    under telling keys first, then those sharing the question's words, else in the result's order."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, (dict, list)):
        pairs = list(_flatten(data, ""))
    else:
        pairs = [("", line.strip()) for line in text.splitlines() if line.strip()]
    asked = [w for w, weight in question_words(question).items() if weight == 1.0]

    def rank(pair: tuple[str, object]) -> tuple[int, int]:
        key = pair[0].lower()
        telling = next((i for i, k in enumerate(TELLING_KEYS) if k in key), len(TELLING_KEYS))
        shared = sum(1 for w in asked if any(same_word(w, x) for x in words(f"{pair[0]} {pair[1]}")))
        return telling, -shared

    lines = [f"{k}: {v}" if k else str(v) for k, v in sorted(pairs, key=rank)]
    return [_short(line) for line in lines[:MOST_LINES]]


def _flatten(data: object, prefix: str):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list):
        if all(not isinstance(v, (dict, list)) for v in data):
            yield prefix, ", ".join(str(v) for v in data)
        else:
            for i, v in enumerate(data):
                yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, data


def _short(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= MOST_CHARS else line[: MOST_CHARS - 1] + "…"


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""
