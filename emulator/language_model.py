"""The emulator's language model: a small word-level trigram model, honestly trained.

The base model (the prior) counts trigrams in `base_corpus.txt`, general assistant text shipped with
the emulator. Fine-tuning adds learned counts on top: each trained token adds a weight (scaled by the
learning rate) to its contexts, and a prediction blends the learned counts with the prior, shortest
context first (Dirichlet smoothing). As counts grow, trained text takes over and text never trained
on is squeezed out: that is why many epochs on little data overfit, as real fine-tunes do.

A reply is conditioned on the conversation two ways. The system message keys the most specific
learned context, so a different system message at inference weakens what was learned (the spec
warns about exactly this). And words of the prompt can be copied, at a rate learned from how often
the trained replies reuse their prompt's words.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from emulator.training import TrainingExample

# GPT-like pieces: contractions, words and numbers with their leading space, punctuation runs,
# newlines, other spaces. Every character falls in one alternative, so detokenize(tokenize(t)) == t.
TOKEN = re.compile(r"'(?:s|t|re|ve|m|ll|d)\b| ?[^\W\d_]+| ?\d{1,3}| ?[^\w\s]+| ?_+|\n+|[^\S\n]+")
START, END = "<|start|>", "<|end|>"  # reply boundaries; the tokenizer can never produce them
VOCABULARY = 50_000  # the prior gives a never-seen token 1/VOCABULARY before smoothing
PRIOR_SMOOTHING = 2.0  # how much the prior's shorter contexts smooth its longer ones
PRIOR_STRENGTH = 1.0  # learned weight a context needs before it outweighs the prior
COPY_PRIOR, COPY_STRENGTH = 0.05, 5.0  # the base rate of copying a prompt word, and its pseudo-count
DEFAULT_MAX_TOKENS = 80
TOP_FOLLOWERS = 8  # the prior's likeliest next tokens per context, kept as argmax candidates

Context = tuple[str, ...]


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def chat_tokens(messages: list[dict]) -> int:
    """The spec's recipe: 3 for reply priming, and per message 3 + role + content (+ 1 + name)."""
    total = 3
    for m in messages:
        total += 3 + count_tokens(str(m.get("role", ""))) + count_tokens(text_of(m))
        if m.get("name"):
            total += 1 + count_tokens(str(m["name"]))
    return total


def text_of(message: dict) -> str:
    """A message's text: a string content, or the text parts of a list content (images are skipped)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


@lru_cache(maxsize=256)
def style_key(system: str) -> str:
    """A short token standing for a system message in the model's contexts."""
    return "<|system:" + hashlib.blake2b(system.strip().encode(), digest_size=6).hexdigest() + "|>"


def copy_source(tokens: list[str]) -> dict[str, float]:
    """The prompt's words as a distribution to copy from (punctuation is not worth copying)."""
    words = [t for t in tokens if any(ch.isalnum() for ch in t)]
    return {w: n / len(words) for w, n in Counter(words).items()}


def contexts(style: str, history: tuple[str, str]) -> tuple[Context, ...]:
    """The learned contexts of the next token, shortest first; the longest is keyed by the system message."""
    return ((), history[1:], history, (style, *history))


@dataclass
class Generation:
    text: str
    tokens: list[str]  # the reply's tokens, so a server can stream them one by one
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int


class Prior:
    """Trigram counts over the shipped corpus, smoothed down to a uniform floor. Never changes."""

    def __init__(self, passages: list[str]) -> None:
        counts: dict[Context, Counter[str]] = {}
        for passage in passages:
            history = (START, START)
            for token in tokenize(passage) + [END]:
                for ctx in (history, history[1:], ()):
                    counts.setdefault(ctx, Counter())[token] += 1
                history = (history[1], token)
        self.counts = counts
        self.totals = {ctx: sum(c.values()) for ctx, c in counts.items()}
        self.top = {ctx: [t for t, _ in c.most_common(TOP_FOLLOWERS)] for ctx, c in counts.items()}
        self._memo: dict[tuple[tuple[str, str], str], float] = {}
        self._leaders: dict[tuple[str, str], str] = {}

    def probability(self, token: str, history: tuple[str, str]) -> float:
        key = (history, token)
        p = self._memo.get(key)
        if p is None:
            p = 1.0 / VOCABULARY
            for ctx in ((), history[1:], history):
                counts = self.counts.get(ctx)
                if counts:
                    p = (counts.get(token, 0) + PRIOR_SMOOTHING * p) / (self.totals[ctx] + PRIOR_SMOOTHING)
            if len(self._memo) > 1_000_000:  # bound memory in a long-running emulator
                self._memo.clear()
                self._leaders.clear()
            self._memo[key] = p
        return p

    def leader(self, history: tuple[str, str]) -> str:
        """The prior's likeliest next token."""
        found = self._leaders.get(history)
        if found is None:
            candidates = {t for ctx in ((), history[1:], history) for t in self.top.get(ctx, ())}
            found = self._leaders[history] = min(candidates, key=lambda t: (-self.probability(t, history), t))
        return found


def _most_frequent(counts: dict[str, float]) -> str:
    """The key with the highest value; ties go to the smallest key, so the choice never depends on order."""
    return min(counts, key=lambda t: (-counts[t], t))


@lru_cache(maxsize=1)
def _prior() -> Prior:
    text = resources.files("emulator").joinpath("base_corpus.txt").read_text(encoding="utf-8")
    return Prior([line.strip() for line in text.splitlines() if line.strip()])


class NGramModel:
    """The prior plus learned counts: the base model when nothing is learned, else a fine-tuned one."""

    def __init__(self, prior: Prior, counts: dict[Context, dict[str, float]] | None = None,
                 totals: dict[Context, float] | None = None, copied: float = 0.0, seen: float = 0.0) -> None:
        self.prior = prior
        self.counts = counts if counts is not None else {}
        self.totals = totals if totals is not None else {}
        self.copied, self.seen = copied, seen  # trained tokens found in their prompt, of all trained
        # Each context's most frequent follower, kept up to date so the argmax stays cheap.
        self.leaders = {ctx: _most_frequent(c) for ctx, c in self.counts.items() if c}
        self._tops: dict[Context, list[str]] = {}  # generation's candidates, dropped whenever we learn

    @classmethod
    def base(cls) -> NGramModel:
        """The untrained general model (what base-model deployments answer with); the prior is built once."""
        return cls(_prior())

    def copy(self) -> NGramModel:
        counts = {ctx: dict(c) for ctx, c in self.counts.items()}
        return NGramModel(self.prior, counts, dict(self.totals), self.copied, self.seen)

    @property
    def copy_rate(self) -> float:
        return (COPY_PRIOR * COPY_STRENGTH + self.copied) / (COPY_STRENGTH + self.seen)

    # ------------------------------------------------------------ learning

    def learn(self, system: str, prompt: list[str], reply: list[str], weight: float) -> None:
        """Add `weight` to every token of a reply in its contexts; a negative weight unlearns (never below 0)."""
        style, words = style_key(system), set(copy_source(prompt))
        self._tops.clear()
        history = (START, START)
        for token in reply + [END]:
            for ctx in contexts(style, history):
                counts = self.counts.get(ctx)
                if counts is None:
                    if weight <= 0:
                        continue
                    counts = self.counts[ctx] = {}
                old = counts.get(token)
                if old is None and weight <= 0:
                    continue
                new = counts[token] = max(0.0, (old or 0.0) + weight)
                self.totals[ctx] = self.totals.get(ctx, 0.0) + new - (old or 0.0)
                leader = self.leaders.get(ctx)
                if weight <= 0 and token == leader:
                    self.leaders[ctx] = _most_frequent(counts)
                elif leader is None or new > counts[leader] or (new == counts[leader] and token < leader):
                    self.leaders[ctx] = token
            if weight > 0 and token != END:
                self.seen += weight
                self.copied += weight if token in words else 0.0
            history = (history[1], token)

    # ------------------------------------------------------------ predicting

    def _blend(self, style: str, history: tuple[str, str]) -> tuple[list[tuple[Context, dict[str, float], float]], float]:
        """The learned contexts that apply, each with its weight in the blend, and the prior's weight.

        Smoothing is linear: p = sum of weight * count over the learned contexts + weight * prior."""
        levels, rest = [], 1.0
        for ctx in reversed(contexts(style, history)):  # longest first: it gets the most say
            counts = self.counts.get(ctx)
            if counts:
                share = self.totals[ctx] + PRIOR_STRENGTH
                levels.append((ctx, counts, rest / share))
                rest *= PRIOR_STRENGTH / share
        return levels, rest

    def _predictor(self, style: str, history: tuple[str, str], copy_from: dict[str, float]) -> Callable[[str], float]:
        """The next-token probability function at one position."""
        levels, prior_weight = self._blend(style, history)
        rate = self.copy_rate if copy_from else 0.0
        prior = self.prior.probability

        def p(token: str) -> float:
            total = prior_weight * prior(token, history)
            for _, counts, weight in levels:
                total += weight * counts.get(token, 0.0)
            return (1.0 - rate) * total + rate * copy_from.get(token, 0.0)

        return p

    def _scored(self, example: TrainingExample) -> Iterator[tuple[str, float, str]]:
        """For each target token of an example, END included: (token, its probability, the likeliest token).

        The likeliest is searched among each context's most frequent follower, the prior's and the
        prompt's likeliest, and the actual token: nearly always the true argmax, and cheap."""
        style, copy_from = style_key(example.system), copy_source(example.context)
        copy_leader = [_most_frequent(copy_from)] if copy_from else []
        for reply in example.targets:
            history = (START, START)
            for token in reply + [END]:
                p = self._predictor(style, history, copy_from)
                leaders = [self.leaders[ctx] for ctx in contexts(style, history) if ctx in self.leaders]
                scores = {t: p(t) for t in {token, self.prior.leader(history), *leaders, *copy_leader}}
                yield token, scores[token], min(scores, key=lambda t: (-scores[t], t))
                history = (history[1], token)

    def loss_and_accuracy(self, example: TrainingExample) -> tuple[float, int, int]:
        """(sum of -ln p, target tokens, tokens where the likeliest prediction was the actual token)."""
        nll, n, correct = 0.0, 0, 0
        for token, p, best in self._scored(example):
            nll -= math.log(p)
            n += 1
            correct += best == token
        return nll, n, correct

    def predictions(self, example: TrainingExample) -> list[str]:
        """The likeliest token at every target position (the labels are each reply's tokens + END)."""
        return [best for _, _, best in self._scored(example)]

    def distribution(self, style: str, history: tuple[str, str], copy_from: dict[str, float]) -> dict[str, float]:
        """Probabilities of the likely next tokens: each context's top followers and the prompt's words."""
        candidates = set(copy_from)
        for ctx in ((), history[1:], history):
            candidates.update(self.prior.top.get(ctx, ()))
        for ctx in contexts(style, history):
            if ctx in self.counts:
                if ctx not in self._tops:
                    self._tops[ctx] = heapq.nsmallest(TOP_FOLLOWERS, self.counts[ctx], key=lambda t: (-self.counts[ctx][t], t))
                candidates.update(self._tops[ctx])
        p = self._predictor(style, history, copy_from)
        return {t: p(t) for t in candidates}

    def generate(self, messages: list[dict], *, temperature: float = 1.0, max_tokens: int | None = None,
                 seed: int | None = None) -> Generation:
        """Sample a reply to a conversation; temperature 0 is greedy, and the same seed gives the same reply."""
        system = "\n".join(text_of(m) for m in messages if m.get("role") in ("system", "developer"))
        prompt = [t for m in messages if m.get("role") not in ("system", "developer") for t in tokenize(text_of(m))]
        style, copy_from = style_key(system), copy_source(prompt)
        if seed is None:  # reproducible anyway: the conversation picks the seed
            seed = int(hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)
        limit = max_tokens or DEFAULT_MAX_TOKENS
        out: list[str] = []
        said: set[tuple[str, ...]] = set()
        history, finish = (START, START), "length"
        while len(out) < limit:
            dist = self.distribution(style, history, copy_from)
            # Never repeat a trigram (like no_repeat_ngram_size=3), so greedy replies do not loop,
            # nor the word just said ("Where Where"): the copied prompt words offer it often.
            last_word = history[1].strip() if history[1][-1:].isalpha() else None
            fresh = {t: p for t, p in dist.items() if (*history, t) not in said and t.strip() != last_word} or dist
            token = _pick(fresh, temperature, rng)
            if token == END:
                finish = "stop"
                break
            if last_word and token[0].isalpha():
                token = " " + token  # a word copied from the start of a message has no space before it
            said.add((*history, token))
            out.append(token)
            history = (history[1], token)
        return Generation(detokenize(out), out, finish, chat_tokens(messages), len(out))

    # ------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        """The learned state only (the prior is rebuilt from the corpus): zlib-compressed JSON."""
        rows = [[list(ctx), counts, self.totals[ctx]] for ctx, counts in self.counts.items()]
        return zlib.compress(json.dumps({"counts": rows, "copied": self.copied, "seen": self.seen}).encode())

    @classmethod
    def from_bytes(cls, blob: bytes) -> NGramModel:
        data = json.loads(zlib.decompress(blob))
        counts = {tuple(ctx): c for ctx, c, _ in data["counts"]}
        totals = {tuple(ctx): total for ctx, _, total in data["counts"]}
        return cls(_prior(), counts, totals, data["copied"], data["seen"])


def _pick(dist: dict[str, float], temperature: float, rng: random.Random) -> str:
    ranked = sorted(dist.items(), key=lambda kv: (-kv[1], kv[0]))  # sorted: set order varies by process
    if temperature <= 0:
        return ranked[0][0]
    top = ranked[0][1]
    weights = [(p / top) ** (1.0 / temperature) for _, p in ranked]
    return rng.choices([t for t, _ in ranked], weights=weights)[0]
