"""The emulator's language model: a small word-level trigram model, honestly trained.

The base model (the prior) counts trigrams in `base_corpus.txt`, general assistant text shipped with
the emulator. Fine-tuning learns biases on top, in log-probability, by gradient descent on the
cross-entropy of the trained replies (like an adapter on a frozen network): each step moves the model
a little, so the loss falls gradually from the first steps rather than all at once when an example
comes round again. Biases on the words the data uses generalise to examples not yet seen; biases on
the exact last two tokens memorise. Trained long on little data, the trained continuations take the
probability that text never trained on needs: validation loss turns up, as real fine-tunes overfit.

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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from emulator.training import TrainingExample

# GPT-like pieces: contractions, words and numbers with their leading space, punctuation runs,
# newlines, other spaces. Every character falls in one alternative, so detokenize(tokenize(t)) == t.
TOKEN = re.compile(r"'(?:s|t|re|ve|m|ll|d)\b| ?[^\W\d_]+| ?\d{1,3}| ?[^\w\s]+| ?_+|\n+|[^\S\n]+")
START, END = "<|start|>", "<|end|>"  # reply boundaries; the tokenizer can never produce them
COPY = "<|copy|>"  # in a context's biases: how much more likely the prompt's words are there
VOCABULARY = 50_000  # the prior gives a never-seen token 1/VOCABULARY before smoothing
PRIOR_SMOOTHING = 2.0  # how much the prior's shorter contexts smooth its longer ones
MAX_STEP = 1.0  # the most one training step moves a bias (in nats)
MAX_BIAS = 50.0  # exp() of a bias stays finite however long a run overfits
LEGACY_COUNT = 5.0  # models saved when the emulator learned counts: bias per count, in the contexts still used
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
    """The contexts of the next token with learned biases: the last two tokens, and the same keyed by
    the system message. (The last token alone has too many followers to renormalise at every step;
    the vocabulary biases generalise instead.)"""
    return (history, (style, *history))


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
        # Longer contexts lean on their counts (fluent text); the unigram leaves room for words the
        # corpus lacks as Witten-Bell does, in proportion to how many different words it has.
        self.backoff = {ctx: PRIOR_SMOOTHING if ctx else len(c) for ctx, c in counts.items()}
        self.top = {ctx: [t for t, _ in c.most_common(TOP_FOLLOWERS)] for ctx, c in counts.items()}
        self._memo: dict[tuple[str, str], tuple[list[tuple[Counter[str], float, float]], float]] = {}
        self._leaders: dict[tuple[str, str], str] = {}

    def probability(self, token: str, history: tuple[str, str]) -> float:
        above, share = self.split(token, history)
        return above + share * self.unigram(token)

    def unigram(self, token: str) -> float:
        counts, backoff = self.counts[()], self.backoff[()]
        return (counts.get(token, 0) + backoff / VOCABULARY) / (self.totals[()] + backoff)

    def split(self, token: str, history: tuple[str, str]) -> tuple[float, float]:
        """probability = above + share * unigram(token): what the longer contexts give, and the share
        they leave to the unigram (where fine-tuning shifts the vocabulary)."""
        levels, share = self.levels(history)
        above = 0.0
        for counts, count_weight, backoff_weight in levels:
            above = counts.get(token, 0) * count_weight + backoff_weight * above
        return above, share

    def levels(self, history: tuple[str, str]) -> tuple[list[tuple[Counter[str], float, float]], float]:
        """The history's contexts that have counts, each with 1/(total + backoff) and backoff/(total + backoff)."""
        found = self._memo.get(history)
        if found is None:
            levels, share = [], 1.0
            for ctx in (history[1:], history):
                counts = self.counts.get(ctx)
                if counts:
                    total = self.totals[ctx] + self.backoff[ctx]
                    levels.append((counts, 1.0 / total, self.backoff[ctx] / total))
                    share *= self.backoff[ctx] / total
            if len(self._memo) > 100_000:  # bound memory in a long-running emulator
                self._memo.clear()
                self._leaders.clear()
            found = self._memo[history] = (levels, share)
        return found

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


@dataclass
class Gradient:
    """One step's descent direction, summed over a batch (the model is updated once, after)."""
    bias: dict[tuple[Context, str], float] = field(default_factory=dict)
    unigram: dict[str, float] = field(default_factory=dict)
    spread: float = 0.0  # taken from every vocabulary bias in proportion to its word's probability


class NGramModel:
    """The prior, reweighted by learned biases: the base model when nothing is learned, else a fine-tuned one.

    Biases are log-probabilities trained by gradient descent on the cross-entropy:
    - vocabulary biases shift the prior's unigram (its fallback for every history): the data's words
      get likelier everywhere, renormalised over the whole vocabulary;
    - context biases reweight the next token after the last two tokens, and after the same keyed by
      the system message; their COPY entry raises the prompt's words there.
    p = base * exp(sum of context biases) / Z, where only tokens with a bias differ from the base, so
    Z over every token is exact and cheap."""

    def __init__(self, prior: Prior, bias: dict[Context, dict[str, float]] | None = None,
                 vocabulary: dict[str, float] | None = None, copied: float = 0.0, seen: float = 0.0) -> None:
        self.prior = prior
        self.bias = bias if bias is not None else {}
        self.vocabulary = vocabulary if vocabulary is not None else {}
        self.copied, self.seen = copied, seen  # trained tokens found in their prompt, of all trained
        # Dropped whenever we learn: the vocabulary's normaliser and shifted unigram, its likeliest
        # words (argmax and generation candidates), and each position's scores (a step measures its
        # batch, then takes the gradient, at the same model).
        self._z: float | None = None
        self._unigrams: dict[str, float] = {}
        self._likeliest: list[str] | None = None
        self._positions: dict[tuple[str, tuple[str, str]], tuple[dict[str, float], float]] = {}

    @classmethod
    def base(cls) -> NGramModel:
        """The untrained general model (what base-model deployments answer with); the prior is built once."""
        return cls(_prior())

    def copy(self) -> NGramModel:
        bias = {ctx: dict(table) for ctx, table in self.bias.items()}
        return NGramModel(self.prior, bias, dict(self.vocabulary), self.copied, self.seen)

    @property
    def copy_rate(self) -> float:
        return (COPY_PRIOR * COPY_STRENGTH + self.copied) / (COPY_STRENGTH + self.seen)

    # ------------------------------------------------------------ predicting

    def _unigram(self, token: str) -> float:
        """The prior's unigram shifted by the vocabulary biases."""
        found = self._unigrams.get(token)
        if found is None:
            if self._z is None:
                self._z = 1.0 + sum(self.prior.unigram(w) * (math.exp(b) - 1.0) for w, b in self.vocabulary.items())
            b = self.vocabulary.get(token)
            found = self._unigrams[token] = self.prior.unigram(token) * (1.0 if b is None else math.exp(b)) / self._z
        return found

    def _base(self, token: str, history: tuple[str, str]) -> float:
        above, share = self.prior.split(token, history)
        return above + share * self._unigram(token)

    def _likeliest_words(self) -> list[str]:
        if self._likeliest is None:
            self._likeliest = heapq.nsmallest(TOP_FOLLOWERS, self.vocabulary, key=lambda w: (-self._unigram(w), w))
        return self._likeliest

    def _position(self, style: str, history: tuple[str, str]) -> tuple[dict[str, float], float]:
        """At one position: each context-biased token's unnormalised probability (base * exp(B)),
        and the normaliser Z over every token."""
        found = self._positions.get((style, history))
        if found is None:
            summed: dict[str, float] = {}
            for ctx in contexts(style, history):
                for token, b in self.bias.get(ctx, {}).items():
                    summed[token] = summed.get(token, 0.0) + b
            summed.pop(COPY, None)
            levels, share = self.prior.levels(history)
            unigram = self._unigram
            scores, z = {}, 1.0
            for token, b in summed.items():  # self._base inlined: this loop is most of training's time
                base = 0.0
                for counts, count_weight, backoff_weight in levels:
                    base = counts.get(token, 0) * count_weight + backoff_weight * base
                base += share * unigram(token)
                scores[token] = base * math.exp(b)
                z += scores[token] - base
            if len(self._positions) > 100_000:  # bound memory when a deployed model answers for long
                self._positions.clear()
                self._unigrams.clear()
            found = self._positions[(style, history)] = (scores, z)
        return found

    def _with_prompt(self, style: str, history: tuple[str, str], words: dict[str, float]) -> tuple[dict[str, float], float]:
        """The position's biased tokens' scores and Z, with the prompt's words raised by the contexts'
        learned copy bias (so "the {topic}" can learn to take the topic from the question)."""
        scores, z = self._position(style, history)
        boost = sum(self.bias[ctx].get(COPY, 0.0) for ctx in contexts(style, history) if ctx in self.bias)
        if not boost or not words:
            return scores, z
        scores = dict(scores)
        for w in words:
            old = scores[w] if w in scores else self._base(w, history)
            scores[w] = old * math.exp(boost)
            z += scores[w] - old
        return scores, z

    def _predictor(self, style: str, history: tuple[str, str], copy_from: dict[str, float]) -> tuple[Callable[[str], float], dict[str, float]]:
        """The next-token probability function at one position (and the biased tokens' scores)."""
        scores, z = self._with_prompt(style, history, copy_from)
        rate = self.copy_rate if copy_from else 0.0

        def p(token: str) -> float:
            score = scores.get(token)
            model = (self._base(token, history) if score is None else score) / z
            return (1.0 - rate) * model + rate * copy_from.get(token, 0.0)

        return p, scores

    def _scored(self, example: TrainingExample) -> Iterator[tuple[str, float, str]]:
        """For each target token of an example, END included: (token, its probability, the likeliest token).

        The likeliest is searched among the likeliest of the context-biased tokens, of the prior, of the
        biased vocabulary and of the prompt, and the actual token: nearly always the true argmax, and cheap."""
        style, copy_from = style_key(example.system), copy_source(example.context)
        leaders = [_most_frequent(copy_from)] if copy_from else []
        leaders += self._likeliest_words()[:3]
        for reply in example.targets:
            history = (START, START)
            for token in reply + [END]:
                p, scores = self._predictor(style, history, copy_from)
                candidates = {token, self.prior.leader(history), *leaders}
                if scores:  # the likeliest biased token, and the biased ones the prompt offers to copy
                    candidates.add(max(scores, key=scores.__getitem__))
                    candidates.update(t for t in copy_from if t in scores)
                probabilities = {t: p(t) for t in candidates}
                yield token, probabilities[token], min(probabilities, key=lambda t: (-probabilities[t], t))
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

    # ------------------------------------------------------------ learning

    def gradient(self, into: Gradient, system: str, prompt: list[str], reply: list[str], rate: float) -> None:
        """Add `rate` times the descent direction of the reply's cross-entropy to `into` (a negative rate
        ascends: DPO's rejected replies). For a context's biases the gradient of -ln p(token) is
        p(w) - [w == token]; tokens without a bias there get none (a sparse update); the copy bias's is
        p(prompt words) - [token in prompt]. A vocabulary bias learns in proportion to the share of
        the token's probability that came through the unigram."""
        style, words = style_key(system), copy_source(prompt)
        history = (START, START)
        for token in reply + [END]:
            scores, z = self._with_prompt(style, history, words)
            base = self._base(token, history)
            p = scores.get(token, base) / z
            copied = float(token in words) - sum(scores[w] for w in words if w in scores) / z
            for ctx in contexts(style, history):
                for w in self.bias.get(ctx, ()):
                    if w != token and w != COPY:
                        into.bias[ctx, w] = into.bias.get((ctx, w), 0.0) - rate * scores[w] / z
                into.bias[ctx, token] = into.bias.get((ctx, token), 0.0) + rate * (1.0 - p)
                if words:
                    into.bias[ctx, COPY] = into.bias.get((ctx, COPY), 0.0) + rate * copied
            through_unigram = self.prior.split(token, history)[1] * self._unigram(token) / base
            into.unigram[token] = into.unigram.get(token, 0.0) + rate * through_unigram
            into.spread += rate * through_unigram
            history = (history[1], token)

    def apply(self, gradient: Gradient) -> None:
        """Take the step, each bias moving at most MAX_STEP (clipping, so a large learning rate
        makes training fast and jumpy rather than blow up)."""
        steps = {w: -gradient.spread * self._unigram(w) for w in self.vocabulary}
        for w, step in gradient.unigram.items():
            steps[w] = steps.get(w, 0.0) + step
        for w, step in steps.items():
            self.vocabulary[w] = min(MAX_BIAS, self.vocabulary.get(w, 0.0) + _clip(step))
        for (ctx, token), step in gradient.bias.items():
            table = self.bias.setdefault(ctx, {})
            table[token] = min(MAX_BIAS, table.get(token, 0.0) + _clip(step))
        self._z = self._likeliest = None
        self._unigrams.clear()
        self._positions.clear()

    def count_copies(self, prompt: list[str], reply: list[str], weight: float) -> None:
        """Learn how often trained replies reuse their prompt's words."""
        words = copy_source(prompt)
        self.seen += weight * len(reply)
        self.copied += weight * sum(token in words for token in reply)

    # ------------------------------------------------------------ generating

    def distribution(self, style: str, history: tuple[str, str], copy_from: dict[str, float]) -> dict[str, float]:
        """Probabilities of the likely next tokens: the prior's and the vocabulary's likeliest, the
        context-biased tokens and the prompt's words."""
        p, scores = self._predictor(style, history, copy_from)
        candidates = set(copy_from) | set(scores) | set(self._likeliest_words())
        for ctx in ((), history[1:], history):
            candidates.update(self.prior.top.get(ctx, ()))
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
        rows = [[list(ctx), table] for ctx, table in self.bias.items()]
        learned = {"bias": rows, "vocabulary": self.vocabulary, "copied": self.copied, "seen": self.seen}
        return zlib.compress(json.dumps(learned).encode())

    @classmethod
    def from_bytes(cls, blob: bytes) -> NGramModel:
        data = json.loads(zlib.decompress(blob))
        if "bias" in data:
            bias, vocabulary = {tuple(ctx): table for ctx, table in data["bias"]}, data["vocabulary"]
        else:  # saved by an older emulator as learned counts: more counted, more bias
            bias = {tuple(ctx): {t: min(MAX_BIAS, c * LEGACY_COUNT) for t, c in counts.items()}
                    for ctx, counts, _ in data["counts"] if len(ctx) >= 2}
            vocabulary = {}
        return cls(_prior(), bias, vocabulary, data["copied"], data["seen"])


def _clip(step: float) -> float:
    return max(-MAX_STEP, min(MAX_STEP, step))


def _pick(dist: dict[str, float], temperature: float, rng: random.Random) -> str:
    ranked = sorted(dist.items(), key=lambda kv: (-kv[1], kv[0]))  # sorted: set order varies by process
    if temperature <= 0:
        return ranked[0][0]
    top = ranked[0][1]
    weights = [(p / top) ** (1.0 / temperature) for _, p in ranked]
    return rng.choices([t for t, _ in ranked], weights=weights)[0]
