"""Fine-tuning the emulator's model, one batch at a time, with every metric measured on the data.

Each step measures the training batch *before* updating on it (as a forward pass would), then learns
from it; with a validation set it measures one rotating validation batch on the updated model, and at
each epoch end the whole validation set (what that epoch's checkpoint scores).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from emulator.catalog import COMPLETION, PREFERENCE
from emulator.language_model import Gradient, NGramModel, chat_tokens, text_of, tokenize

RATE = 10.0  # learning rate per trained token at learning_rate_multiplier 1 and batch size 1
SYSTEM_ROLES = ("system", "developer")


@dataclass
class TrainingExample:
    system: str  # the system message: learned replies are tied to it
    context: list[str]  # the other prompt tokens (user turns, weight-0 replies): conditioned on, never trained
    targets: list[list[str]]  # the assistant replies trained on, as tokens
    n_tokens: int  # every token of the example: what training is billed on
    rejected: list[list[str]] = field(default_factory=list)  # DPO: replies to move away from


@dataclass
class Hyperparameters:
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float


@dataclass
class StepMetrics:
    step: int  # 1-based
    epoch: int  # 1-based
    epoch_end: bool
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float | None
    valid_mean_token_accuracy: float | None
    full_valid_loss: float | None
    full_valid_mean_token_accuracy: float | None
    trained_tokens: int  # cumulative: every token of every example processed so far


# ---------------------------------------------------------------- data


def examples_from_records(records: list[dict], data_format: str) -> list[TrainingExample]:
    """Turn checked JSONL records (chat, prompt_completion or preference) into what training reads."""
    return [_example(record, data_format) for record in records]


def _example(record: dict, data_format: str) -> TrainingExample:
    if data_format == COMPLETION:
        prompt, completion = tokenize(str(record.get("prompt", ""))), tokenize(str(record.get("completion", "")))
        return TrainingExample("", prompt, [completion], len(prompt) + len(completion))
    rejected: list[dict] = []
    if data_format == PREFERENCE:
        messages = record["input"]["messages"]
        trained = [m for m in record.get("preferred_output", []) if m.get("role") == "assistant"]
        rejected = [m for m in record.get("non_preferred_output", []) if m.get("role") == "assistant"]
        billed = messages + record.get("preferred_output", []) + record.get("non_preferred_output", [])
    else:
        messages = billed = record["messages"]
        trained = [m for m in messages if m.get("role") == "assistant" and m.get("weight", 1) != 0]
    context = [m for m in messages if m.get("role") not in SYSTEM_ROLES and not any(m is t for t in trained)]
    return TrainingExample(
        system="\n".join(text_of(m) for m in messages if m.get("role") in SYSTEM_ROLES),
        context=[t for m in context for t in tokenize(text_of(m))],
        targets=[tokenize(text_of(m)) for m in trained],
        n_tokens=chat_tokens(billed),
        rejected=[tokenize(text_of(m)) for m in rejected],
    )


def auto_hyperparameters(n_examples: int, n_tokens: int) -> Hyperparameters:
    """What "auto" resolves to: 3 epochs (more when there is little data, fewer when there is a lot),
    a batch of ~0.2% of the examples, and a larger learning rate for larger batches. (n_tokens is
    accepted for callers; like the cookbook recipe, only the number of examples matters.)"""
    n_epochs = 3
    if n_examples * 3 < 30:  # at least ~30 example passes
        n_epochs = min(10, math.ceil(30 / max(n_examples, 1)))
    elif n_examples * 3 > 25_000:  # at most ~25,000
        n_epochs = max(1, 25_000 // n_examples)
    batch_size = min(256, max(1, round(n_examples * 0.002)))
    learning_rate = 0.1 if batch_size < 8 else 0.15 if batch_size < 64 else 0.2
    return Hyperparameters(n_epochs, batch_size, learning_rate)


def mean_token_accuracy(labels: list[list], predictions: list[list]) -> float:
    """Share of tokens predicted exactly, over every token of a batch (not a mean of per-example means)."""
    pairs = [(a, b) for row_a, row_b in zip(labels, predictions) for a, b in zip(row_a, row_b)]
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else 0.0


def measure(model: NGramModel, batch: list[TrainingExample]) -> tuple[float, float]:
    """(mean loss per target token, token accuracy) of a batch, without learning from it."""
    nll, tokens, correct = 0.0, 0, 0
    for example in batch:
        n, t, c = model.loss_and_accuracy(example)
        nll, tokens, correct = nll + n, tokens + t, correct + c
    return (nll / tokens, correct / tokens) if tokens else (0.0, 0.0)


# ---------------------------------------------------------------- training


class TrainingRun:
    """One job's training: `step()` until `done`; the same inputs always give the same steps."""

    def __init__(self, base: NGramModel, training: list[TrainingExample], validation: list[TrainingExample] | None,
                 n_epochs: int, batch_size: int, learning_rate_multiplier: float, seed: int,
                 start_from: NGramModel | None = None, beta: float = 0.1) -> None:
        if not training or n_epochs < 1 or batch_size < 1:
            raise ValueError("training needs examples, n_epochs >= 1 and batch_size >= 1")
        self._model = (start_from or base).copy()  # continuous fine-tuning starts from learned counts
        self.training, self.validation = training, validation or []
        self.n_epochs, self.batch_size = n_epochs, batch_size
        # Like an optimizer step, each step moves the model by the learning rate, shared by the batch.
        self._weight = RATE * learning_rate_multiplier / batch_size
        self._beta = beta
        self._rng = random.Random(seed)
        self.steps_per_epoch = math.ceil(len(training) / batch_size)
        self.total_steps = self.steps_per_epoch * n_epochs
        self.steps_done = 0
        self.trained_tokens = 0
        self._order: list[TrainingExample] = []

    @classmethod
    def resume(cls, *args: object, steps_done: int, **kwargs: object) -> TrainingRun:
        """The run as it was after `steps_done` steps (for a restarted emulator), without re-measuring them."""
        run = cls(*args, **kwargs)  # type: ignore[arg-type]
        for _ in range(steps_done):
            run._learn(run._next_batch())
        return run

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total_steps

    def model(self) -> NGramModel:
        """A copy of the model as trained so far, for checkpoints, generation and to_bytes."""
        return self._model.copy()

    def step(self) -> StepMetrics:
        if self.done:
            raise RuntimeError("training is finished")
        batch = self._next_batch()
        train_loss, train_accuracy = measure(self._model, batch)
        self._learn(batch)
        epoch_end = self.steps_done % self.steps_per_epoch == 0
        valid = full = (None, None)
        if self.validation:
            size = min(self.batch_size, len(self.validation))
            start = (self.steps_done - 1) * size % len(self.validation)
            valid = measure(self._model, (self.validation * 2)[start : start + size])
            if epoch_end:
                full = measure(self._model, self.validation)
        return StepMetrics(
            step=self.steps_done,
            epoch=(self.steps_done - 1) // self.steps_per_epoch + 1,
            epoch_end=epoch_end,
            train_loss=train_loss,
            train_mean_token_accuracy=train_accuracy,
            valid_loss=valid[0],
            valid_mean_token_accuracy=valid[1],
            full_valid_loss=full[0],
            full_valid_mean_token_accuracy=full[1],
            trained_tokens=self.trained_tokens,
        )

    def _next_batch(self) -> list[TrainingExample]:
        index = self.steps_done % self.steps_per_epoch
        if index == 0:  # a new epoch: a new seeded shuffle
            self._order = self.training[:]
            self._rng.shuffle(self._order)
        return self._order[index * self.batch_size : (index + 1) * self.batch_size]

    def _learn(self, batch: list[TrainingExample]) -> None:
        """One gradient step: the batch's gradients are all taken at the model before the step."""
        gradient = Gradient()
        for example in batch:
            for reply in example.targets:
                self._model.gradient(gradient, example.system, example.context, reply, self._weight)
                self._model.count_copies(example.context, reply, self._weight)
            for reply in example.rejected:  # DPO: push away from the non-preferred reply
                self._model.gradient(gradient, example.system, example.context, reply, -self._beta * self._weight)
            self.trained_tokens += example.n_tokens
        self._model.apply(gradient)
        self.steps_done += 1
