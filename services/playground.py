"""The playground's data and calls: the system message a deployment was trained with, conversations
(single or A/B) saved after every change, turns turned into training examples, and one prompt
streamed to several deployments at once.

A fine-tuned model behaves as trained only with the system message it was trained with (spec
section 3), so the playground looks it up: deployment → model → job → training file → the most
common system message in it.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Callable

from services.atomic_write import write_atomically
from services.chat import Reply, chat
from services.dataset_rules import BadExample, counted_messages, format_of
from services.deployments import get_deployment, is_fine_tuned, model_id
from services.errors import FtdeckError
from services.jobs import list_checkpoints, list_jobs
from services.paths import data_dir
from services.safe_names import safe_file_name
from services.workspace import Workspace, calling

SIDES = "AB"
PARAMETERS = ("temperature", "max_tokens", "seed")
OTHERS_LISTED = 10
INTERRUPTED = "interrupted: ftdeck stopped before the answer came; r asks again (R for both sides)"


def playground_dir() -> Path:
    return data_dir() / "playground"


def chat_dataset_path() -> Path:
    """Where chat-format examples go by default (chat and DPO examples cannot share a file)."""
    return playground_dir() / "chat-examples.jsonl"


def preference_dataset_path() -> Path:
    return playground_dir() / "preference-examples.jsonl"


# ------------------------------------------------------------ the training system message


@dataclass
class SystemMessages:
    """The system messages of a deployment's training data, most common first."""

    most_common: str | None  # None: no training data found, or trained without one
    others: list[tuple[str, int]] = field(default_factory=list)  # "" stands for "no system message"
    source: str = ""  # where this came from, in words
    examples: int = 0  # examples read; 0 for a base model or when the data was not found
    count: int = 0  # examples with the most common one

    def differs(self, system: str) -> bool:
        """True when `system` is not the one the model was trained with (never for base models)."""
        return self.examples > 0 and system != (self.most_common or "")


def training_system_messages(ws: Workspace, deployment_name: str) -> SystemMessages:
    """Follow deployment → model → job → training file and tally the file's system messages."""
    model = get_deployment(ws, deployment_name)["properties"]["model"]["name"]
    if not is_fine_tuned(model):
        return SystemMessages(None, source=f"{deployment_name} serves the base model {model}: no training data")
    job = _job_of(ws, model)
    if job is None:
        return SystemMessages(None, source=f"no fine-tuning job in this resource made {model}")
    try:
        counts = _tally_system_messages(ws, job["training_file"])
    except FtdeckError as exc:
        return SystemMessages(None, source=f"cannot read {job['training_file']}, the training file of {job['id']}: {exc}")
    ranked = counts.most_common()
    if not ranked:
        return SystemMessages(None, source=f"{job['training_file']} of {job['id']} holds no chat examples")
    (text, count), others = ranked[0], ranked[1 : 1 + OTHERS_LISTED]
    total = sum(counts.values())
    source = f"{count} of {total} examples in {job['training_file']}, the training file of {job['id']}"
    return SystemMessages(text or None, others, source, total, count)


def _job_of(ws: Workspace, model: str) -> dict | None:
    """The job that made a fine-tuned model or checkpoint."""
    jobs = list_jobs(ws, limit=100)
    if model.startswith("ftchkpt-"):
        finished = (job for job in jobs if job["status"] == "succeeded")
        return next((job for job in finished if any(c["id"] == model for c in list_checkpoints(ws, job["id"]))), None)
    model = model.split(":ckpt-")[0]  # "<model>:ckpt-step-N" names a checkpoint of that model
    return next((job for job in jobs if job.get("fine_tuned_model") == model), None)


def _tally_system_messages(ws: Workspace, file_id: str) -> Counter:
    """System message text → examples (streamed: training files can be large)."""
    counts: Counter = Counter()
    with calling(), ws.openai().files.with_streaming_response.content(file_id) as response:
        for line in response.iter_lines():
            try:
                record = json.loads(line.lstrip("\ufeff"))
                messages = counted_messages(record, format_of(record))
            except (ValueError, BadExample, KeyError, TypeError, AttributeError):
                continue  # not a chat or DPO example: nothing to tally
            system = next((m for m in messages if isinstance(m, dict) and m.get("role") == "system"), None)
            counts[_text_of(system.get("content")) if system else ""] += 1
    return counts


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def sides_for(models: dict[str, str | tuple[str, str | None]], name: str,
              checkpoints: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(left, right) to open the playground with. `models` maps deployment name → model, or → the
    model's (name, version) as ARM shows it; `name` is a deployment, or a model or checkpoint id
    (the deployment serving it is used). A fine-tuned model goes on the right, against a deployment
    of its base model when there is one: the fair comparison. On Azure a base model is deployed as
    name + version (`gpt-4o-mini` + `2024-07-18`) and matches the fine-tuned model's dated base
    (`gpt-4o-mini-2024-07-18.ft-...`) on both. A checkpoint is deployed by its id `ftchkpt-...`,
    which does not say its base: `checkpoints` (id → `fine_tuned_model_checkpoint`) does, for the
    ones known. (None, None) when nothing serves it."""
    models = {deployment: model_id(*model) if isinstance(model, tuple) else model for deployment, model in models.items()}
    if name not in models:
        name = next((deployment for deployment, model in models.items() if model == name), "")
    if not name:
        return None, None
    model = (checkpoints or {}).get(models[name], models[name])
    base = model.split(".ft-")[0] if ".ft-" in model else None
    against = next((deployment for deployment, model in models.items() if model == base), None)
    return (against, name) if against else (name, None)


# ------------------------------------------------------------ conversations


@dataclass
class Side:
    """One side of a conversation: a deployment and what it is sent with."""

    deployment: str
    system: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None

    def params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PARAMETERS}


@dataclass
class Turn:
    prompt: str
    replies: list[Reply | None]  # one per side
    vote: str | None = None  # "A", "B" or "tie"
    blind_vote: bool = False  # chosen while the sides were hidden


@dataclass
class Conversation:
    id: str
    sides: list[Side]  # one (single chat) or two (A/B)
    linked: bool = True  # both sides use side A's system message and parameters
    turns: list[Turn] = field(default_factory=list)
    blind: bool = False
    blind_order: list[int] = field(default_factory=lambda: [0, 1])  # label "1"/"2" → side index
    blind_since: int = 0  # the first turn of the blind round: the turns before it show who is who
    draft: str = ""  # the prompt being typed
    created: float = field(default_factory=time.time)

    def settings(self, side: int) -> Side:
        """What `side` is sent with: its own settings, or side A's while linked."""
        if self.linked and side:
            return replace(self.sides[0], deployment=self.sides[side].deployment)
        return self.sides[side]

    def messages(self, side: int, turn: int) -> list[dict]:
        """What `side` is sent for `turn`: the system message, the earlier turns it answered, the prompt."""
        system = self.settings(side).system
        messages = [{"role": "system", "content": system}] if system.strip() else []
        for earlier in self.turns[:turn]:
            reply = earlier.replies[side]
            if reply and reply.text.strip():
                messages += [{"role": "user", "content": earlier.prompt}, {"role": "assistant", "content": reply.text}]
        return messages + [{"role": "user", "content": self.turns[turn].prompt}]

    def recover_interrupted(self) -> bool:
        """After ftdeck stopped while the last turn was being answered (no reply came on any side):
        its prompt goes back in the box when the box is empty; otherwise the turn stays, its replies
        marked interrupted (`r` asks again), and the prompt being typed stays the draft. Nothing the
        user typed is lost either way. True when something changed (and needs saving)."""
        last = self.turns[-1] if self.turns else None
        if last is None or any(last.replies):
            return False
        if self.draft.strip():
            last.replies = [Reply(deployment=side.deployment, error=INTERRUPTED) for side in self.sides]
        else:
            self.turns.pop()
            self.draft = last.prompt
        return True

    def set_linked(self, linked: bool) -> None:
        if not linked and self.linked and len(self.sides) == 2:
            self.sides[1] = replace(self.sides[0], deployment=self.sides[1].deployment)  # B starts as A was
        self.linked = linked

    def add_side(self, deployment: str) -> None:
        self.sides.append(replace(self.sides[0], deployment=deployment))
        for turn in self.turns:
            turn.replies.append(None)

    def remove_side(self) -> None:
        """Back to a single chat; refused when side B has replies (they would be lost)."""
        if any(turn.replies[1] for turn in self.turns):
            raise FtdeckError("side B has replies in this conversation: start a new one for a single chat")
        self.sides.pop()
        for turn in self.turns:
            turn.replies.pop()
            turn.vote = None

    def swap(self) -> None:
        """A becomes B and B A, replies and votes with them; settings stay put while linked."""
        a, b = self.sides
        if self.linked:
            a.deployment, b.deployment = b.deployment, a.deployment
        else:
            self.sides.reverse()
        for turn in self.turns:
            turn.replies.reverse()
            turn.vote = {"A": "B", "B": "A"}.get(turn.vote or "", turn.vote)

    def set_blind(self, blind: bool) -> None:
        """Hide which side is which; the random order is kept once votes were cast blind, so the
        labels keep meaning the same side."""
        if blind and not self.blind and not self.tally():
            self.blind_order = random.sample([0, 1], 2)
        if blind and not self.blind:
            self.blind_since = len(self.turns)
        self.blind = blind

    def shown_turns(self) -> list[Turn]:
        """The turns on screen: while blind, only the blind round's (a fresh view: earlier replies,
        seen with their names, would tell which side is which)."""
        return self.turns[self.blind_since :] if self.blind else self.turns

    def vote(self, turn: int, choice: str) -> None:
        self.turns[turn].vote, self.turns[turn].blind_vote = choice, self.blind

    def tally(self) -> Counter:
        """Blind votes: "A", "B", "tie" → turns."""
        return Counter(turn.vote for turn in self.turns if turn.vote and turn.blind_vote)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        turns = [Turn(t["prompt"], [Reply(**r) if r else None for r in t["replies"]], t.get("vote"), t.get("blind_vote", False))
                 for t in data.get("turns", [])]
        sides = [Side(**s) for s in data["sides"]]
        return cls(**{**data, "sides": sides, "turns": turns})


def new_conversation(deployments: list[str]) -> Conversation:
    conversation_id = time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(2).hex()
    return Conversation(conversation_id, [Side(name) for name in deployments[:2]])


def save(conversation: Conversation) -> Path:
    """Write the conversation atomically: a crash mid-write leaves the previous version."""
    path = _file_of(conversation, ".json")
    write_atomically(path, json.dumps(conversation.to_json(), ensure_ascii=False, default=str))
    return path


def _file_of(conversation: Conversation, suffix: str) -> Path:
    """Its file in the playground folder. The id comes from the saved JSON when it was loaded,
    so it is an outside name like any other."""
    folder = playground_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / safe_file_name(conversation.id + suffix, "the conversation id made it").name


def _saved() -> list[Path]:
    """Saved conversations, newest change first."""
    paths = playground_dir().glob("*.json") if playground_dir().is_dir() else []
    return sorted(paths, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def load(path: Path) -> Conversation:
    return Conversation.from_json(json.loads(path.read_text(encoding="utf-8")))


def list_conversations() -> list[Conversation]:
    """Every saved conversation, the most recently changed first (unreadable files skipped)."""
    found = []
    for path in _saved():
        try:
            found.append(load(path))
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return found


def load_last() -> Conversation | None:
    return next(iter(list_conversations()), None)


# ------------------------------------------------------------ training examples and export


def append_chat_example(path: str | os.PathLike, conversation: Conversation, turn: int, side: int,
                        edited_text: str | None = None) -> dict:
    """Append one chat-format example: the system message, that side's history, and its answer
    (or `edited_text`, a corrected answer)."""
    reply = conversation.turns[turn].replies[side]
    answer = edited_text if edited_text is not None else (reply.text if reply else "")
    if not answer.strip():
        raise FtdeckError("that answer is empty: there is nothing to train on", exit_code=2)
    example = {"messages": conversation.messages(side, turn) + [{"role": "assistant", "content": answer}]}
    _append_line(Path(path), example)
    return example


def append_preference_example(path: str | os.PathLike, conversation: Conversation, turn: int, preferred_side: int) -> dict:
    """Append one DPO example from an A/B choice. The input is the preferred side's conversation
    (on a first turn both sides saw the same one)."""
    replies = conversation.turns[turn].replies
    if len(replies) != 2:
        raise FtdeckError("a preference example needs two answers: compare two deployments (A/B)", exit_code=2)
    preferred, other = replies[preferred_side], replies[1 - preferred_side]
    if not (preferred and preferred.text.strip() and other and other.text.strip()):
        raise FtdeckError("both sides need a non-empty answer for a preference example", exit_code=2)
    example = {
        "input": {"messages": conversation.messages(preferred_side, turn)},
        "preferred_output": [{"role": "assistant", "content": preferred.text}],
        "non_preferred_output": [{"role": "assistant", "content": other.text}],
    }
    _append_line(Path(path), example)
    return example


def _append_line(path: Path, record: dict) -> None:
    """One whole line per write, flushed to disk: a crash never leaves half an example."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    if path.exists() and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # a hand-edited file without a final newline
                line = "\n" + line
    with path.open("a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def export_markdown(conversation: Conversation) -> str:
    """The conversation (or comparison) as a Markdown document."""
    names = [f"{SIDES[i]} `{side.deployment}`" for i, side in enumerate(conversation.sides)]
    lines = [f"# Playground {conversation.id}", "", " vs ".join(names), ""]
    for i in range(len(conversation.sides) if not conversation.linked else 1):
        s = conversation.settings(i)
        who = "Both sides" if conversation.linked and len(conversation.sides) == 2 else names[i]
        params = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.params().items() if v is not None) or "service defaults"
        lines += [f"{who}: {params}; system message:", "", *[f"> {line}" for line in (s.system or "(none)").splitlines()], ""]
    for number, turn in enumerate(conversation.turns, start=1):
        lines += [f"## Turn {number}", "", f"**User:** {turn.prompt}", ""]
        for i, reply in enumerate(turn.replies):
            if reply:
                heading = f"### {names[i]}" if len(turn.replies) > 1 else "### Assistant"
                lines += [heading, "", reply.text or "_(no text)_", "", f"_{reply.describe()}_", ""]
        if turn.vote:
            lines += [f"**Preferred:** {turn.vote}{' (blind)' if turn.blind_vote else ''}", ""]
    tally = conversation.tally()
    if tally:
        lines += ["## Blind votes", "", ", ".join(f"{k}: {tally[k]}" for k in ("A", "B", "tie")), ""]
    return "\n".join(lines)


def save_markdown(conversation: Conversation) -> Path:
    path = _file_of(conversation, ".md")
    write_atomically(path, export_markdown(conversation))
    return path


# ------------------------------------------------------------ streaming to several deployments


def compare(
    ws: Workspace,
    deployments: list[str],
    messages_per_side: list[list[dict]],
    params: dict[str, Any] | list[dict[str, Any]],
    on_text: Callable[[int, str], None] = lambda side, delta: None,
    cancel: threading.Event | None = None,
) -> list[Reply]:
    """Stream one reply from each deployment at once (a thread per side). `params` is one dict of
    temperature/max_tokens/seed for all sides, or one per side. A side that fails gets a Reply
    with `error` (and what text had arrived); the others carry on."""
    per_side = params if isinstance(params, list) else [params] * len(deployments)
    cancel = cancel or threading.Event()
    replies: list[Reply] = [Reply(deployment=name) for name in deployments]

    def run(side: int) -> None:
        arrived: list[str] = []

        def text(delta: str) -> None:
            arrived.append(delta)
            on_text(side, delta)

        try:
            replies[side] = chat(ws, deployments[side], messages_per_side[side], **per_side[side], on_text=text, cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - mid-stream network errors too: one side failing must not stop the other
            replies[side] = Reply("".join(arrived), deployment=deployments[side], cancelled=cancel.is_set(),
                                  error=str(exc) or type(exc).__name__)

    threads = [threading.Thread(target=run, args=(side,), daemon=True) for side in range(len(deployments))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies
