"""The emulator's language model: a small word-level trigram model, honestly trained.

The base model is built from `base_corpus.txt` (general assistant text shipped with ftdeck).
Fine-tuning adds *learned* counts on top of it: each training token adds `rate` to the counts of its
trigram, bigram and unigram contexts, and a prediction blends learned counts with the base model
(Dirichlet smoothing). Learning is conditioned on the training data's system message, so, as with
real fine-tuned models, a different system message at inference weakens what was learned.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

TOKEN = re.compile(r" ?[^\W_]+| ?[^\w\s]+| ?_+|\n|[^\S\n]+")
START, END = "<s>", "</s>"
VOCABULARY_FLOOR = 100_000  # unseen tokens share this much of the probability space
BASE_STRENGTH = 2.0  # how strongly the base model's lower orders smooth its higher ones
PRIOR_STRENGTH = 1.0  # how much learned counts must grow to outweigh the base model
UNKNOWN_STYLE_DAMPING = 4.0  # a system message never trained on sees learned counts 4x weaker
DEFAULT_MAX_TOKENS = 80
TOP_FOLLOWERS = 6
ANY_STYLE = "*"


def tokenize(text: str) -> list[str]:
    """Words with their leading space, punctuation runs, newlines: detokenize(tokenize(t)) == t."""
    return TOKEN.findall(text)


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def style_of(system_message: str | None) -> str:
    """A short key for a system message: learned counts are kept per training system message."""
    return hashlib.blake2b((system_message or "").strip().encode(), digest_size=6).hexdigest()


def contexts(history: tuple[str, str]) -> tuple[tuple[str, ...], ...]:
    """Trigram, bigram and unigram contexts of the next token, most specific first."""
    return (history, history[1:], ())


@dataclass
class Generation:
    text: str
    tokens: list[str]
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int


class _BaseModel:
    """Trigram counts over the shipped corpus, smoothed down to a uniform floor."""

    def __init__(self, lines: list[str]) -> None:
        self.counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for line in lines:
            history = (START, START)
            for token in tokenize(line.strip()) + [END]:
                for ctx in contexts(history):
                    self.counts[ctx][token] += 1
                history = (history[1], token)
        self.totals = {ctx: sum(c.values()) for ctx, c in self.counts.items()}
        self.top = {ctx: [t for t, _ in c.most_common(TOP_FOLLOWERS)] for ctx, c in self.counts.items()}

    def probability(self, token: str, history: tuple[str, str]) -> float:
        p = 1.0 / VOCABULARY_FLOOR
        for ctx in reversed(contexts(history)):  # unigram up to trigram
            counts = self.counts.get(ctx)
            if counts:
                p = (counts.get(token, 0) + BASE_STRENGTH * p) / (self.totals[ctx] + BASE_STRENGTH)
        return p

    def candidates(self, history: tuple[str, str]) -> set[str]:
        found: set[str] = set()
        for ctx in contexts(history):
            found.update(self.top.get(ctx, ()))
        return found


@lru_cache(maxsize=1)
def _base() -> _BaseModel:
    text = resources.files("emulator").joinpath("base_corpus.txt").read_text(encoding="utf-8")
    return _BaseModel([line for line in text.splitlines() if line.strip()])


class NGramModel:
    """A base model plus learned counts per training style (system message)."""

    def __init__(self, learned: dict[str, dict[tuple[str, ...], Counter[str]]] | None = None) -> None:
        self.general = _base()
        self.learned: dict[str, dict[tuple[str, ...], Counter[str]]] = learned or {}
        self.totals = {s: {ctx: sum(c.values()) for ctx, c in t.items()} for s, t in self.learned.items()}

    @staticmethod
    def base() -> "NGramModel":
        """The untrained general model (what base-model deployments answer with)."""
        return NGramModel()

    def copy(self) -> "NGramModel":
        return NGramModel({s: {ctx: Counter(c) for ctx, c in table.items()} for s, table in self.learned.items()})

    # ------------------------------------------------------------ learning

    def learn(self, style: str, tokens: list[str], rate: float) -> None:
        """Add `rate` to the counts of every token of one target sequence, in its style and in any style."""
        for table_key in (style, ANY_STYLE):
            table = self.learned.setdefault(table_key, {})
            totals = self.totals.setdefault(table_key, {})
            history = (START, START)
            for token in tokens + [END]:
                for ctx in contexts(history):
                    table.setdefault(ctx, Counter())[token] += rate
                    totals[ctx] = totals.get(ctx, 0.0) + rate
                history = (history[1], token)

    # ------------------------------------------------------------ predicting

    def _table(self, style: str) -> tuple[str, float]:
        """Which learned table answers for a style, and how strongly the base model holds against it."""
        if style in self.learned:
            return style, PRIOR_STRENGTH
        return ANY_STYLE, PRIOR_STRENGTH * UNKNOWN_STYLE_DAMPING

    def probability(self, token: str, history: tuple[str, str], style: str) -> float:
        key, strength = self._table(style)
        table, totals = self.learned.get(key, {}), self.totals.get(key, {})
        p = self.general.probability(token, history)
        for ctx in reversed(contexts(history)):
            counts = table.get(ctx)
            if counts:
                p = (counts.get(token, 0.0) + strength * p) / (totals[ctx] + strength)
        return p

    def _distribution(self, history: tuple[str, str], style: str, extra: set[str] = frozenset()) -> dict[str, float]:  # type: ignore[assignment]
        table = self.learned.get(self._table(style)[0], {})
        candidates = self.general.candidates(history) | set(extra)
        for ctx in contexts(history)[:2]:
            candidates.update(table.get(ctx, ()))
        unigram = table.get(())
        if unigram:
            candidates.update(t for t, _ in unigram.most_common(TOP_FOLLOWERS))
        return {t: self.probability(t, history, style) for t in candidates}

    def loss_and_accuracy(self, style: str, tokens: list[str]) -> tuple[float, int, int]:
        """(sum of -ln p, tokens predicted, tokens whose most likely prediction was right) over one target."""
        nll, correct = 0.0, 0
        history = (START, START)
        for token in tokens + [END]:
            dist = self._distribution(history, style, {token})
            nll -= math.log(dist[token])
            correct += max(dist, key=lambda t: (dist[t], t)) == token
            history = (history[1], token)
        return nll, len(tokens) + 1, correct

    def generate(
        self,
        messages: list[dict],
        *,
        temperature: float = 1.0,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Generation:
        """Sample a reply conditioned on the conversation: its system message picks the learned style,
        and words of the last user message are favoured."""
        system = next((text_of(m) for m in messages if m.get("role") in ("system", "developer")), None)
        style = style_of(system)
        user = next((text_of(m) for m in reversed(messages) if m.get("role") == "user"), "")
        prompt_tokens = sum(3 + count_tokens(text_of(m)) for m in messages) + 3
        topic = {t for t in tokenize(user) if len(t.strip()) > 3}
        if seed is None:
            seed = int(hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)
        limit = max_tokens or DEFAULT_MAX_TOKENS
        out: list[str] = []
        history = (START, START)
        finish = "length"
        while len(out) < limit:
            dist = self._distribution(history, style, topic)
            for t in topic & dist.keys():
                dist[t] *= 3.0
            token = _pick(dist, temperature, rng)
            if token == END:
                finish = "stop"
                break
            out.append(token)
            history = (history[1], token)
        return Generation(detokenize(out), out, finish, prompt_tokens, len(out))

    # ------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        data = {s: [[list(ctx), dict(c)] for ctx, c in table.items()] for s, table in self.learned.items()}
        return zlib.compress(json.dumps(data).encode())

    @classmethod
    def from_bytes(cls, blob: bytes) -> "NGramModel":
        data = json.loads(zlib.decompress(blob))
        return cls({s: {tuple(ctx): Counter(c) for ctx, c in rows} for s, rows in data.items()})


def _pick(dist: dict[str, float], temperature: float, rng: random.Random) -> str:
    ranked = sorted(dist.items(), key=lambda kv: (-kv[1], kv[0]))
    if temperature <= 0:
        return ranked[0][0]
    weights = [p ** (1.0 / temperature) for _, p in ranked]
    return rng.choices([t for t, _ in ranked], weights=weights)[0]


def text_of(message: dict) -> str:
    """A message's text: a string content, or the text parts of a list content."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""
