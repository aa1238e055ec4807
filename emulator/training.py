"""Fine-tuning the emulator's model, one batch at a time, with every metric measured on the data.

Each step measures the training batch *before* updating on it (as a forward pass would), and a
validation batch when there is a validation set; at each epoch end the whole validation set.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from emulator.catalog import COMPLETION, PREFERENCE
from emulator.language_model import NGramModel, count_tokens, style_of, text_of, tokenize

RATE = 4.0  # learned weight per token occurrence at learning_rate_multiplier 1 and batch size 1


@dataclass
class TrainingExample:
    style: str  # the system message's key
    targets: list[list[str]]  # assistant turns trained on (weight 1), as tokens
    n_tokens: int  # every token of the example: what training is billed on


@dataclass
class Hyperparameters:
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float


@dataclass
class StepMetrics:
    step: int
    epoch: int
    epoch_end: bool
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float | None
    valid_mean_token_accuracy: float | None
    full_valid_loss: float | None
    full_valid_mean_token_accuracy: float | None
    trained_tokens: int


def examples_from_records(records: list[dict], data_format: str) -> list[TrainingExample]:
    """Turn checked JSONL records into what training reads."""
    examples = []
    for record in records:
        if data_format == COMPLETION:
            examples.append(TrainingExample(style_of(None), [tokenize(record["completion"])],
                                            count_tokens(record["prompt"]) + count_tokens(record["completion"])))
            continue
        if data_format == PREFERENCE:
            context = record["input"]["messages"]
            trained = [m for m in record["preferred_output"] if m.get("role") == "assistant"]
        else:
            context = record["messages"]
            trained = [m for m in context if m.get("role") == "assistant" and m.get("weight", 1) == 1]
        system = next((text_of(m) for m in context if m.get("role") == "system"), None)
        every = context + (record["preferred_output"] if data_format == PREFERENCE else [])
        examples.append(TrainingExample(style_of(system), [tokenize(text_of(m)) for m in trained],
                                        sum(3 + count_tokens(text_of(m)) for m in every) + 3))
    return examples


def auto_hyperparameters(n_examples: int, n_tokens: int) -> Hyperparameters:
    """What "auto" resolves to: 3 epochs, a batch of ~0.2% of the examples."""
    n_epochs = 3
    batch_size = min(256, max(1, round(n_examples * 0.002)))
    return Hyperparameters(n_epochs=n_epochs, batch_size=batch_size, learning_rate_multiplier=0.1 if batch_size < 8 else 0.2)


def measure(model: NGramModel, batch: list[TrainingExample]) -> tuple[float, float]:
    """(mean loss per token, token accuracy) of a batch, without learning from it."""
    nll = tokens = correct = 0.0
    for example in batch:
        for target in example.targets:
            n, t, c = model.loss_and_accuracy(example.style, target)
            nll, tokens, correct = nll + n, tokens + t, correct + c
    return (nll / tokens, correct / tokens) if tokens else (0.0, 0.0)


class TrainingRun:
    def __init__(
        self,
        base: NGramModel,
        training: list[TrainingExample],
        validation: list[TrainingExample] | None,
        *,
        n_epochs: int,
        batch_size: int,
        learning_rate_multiplier: float,
        seed: int,
        start_from: NGramModel | None = None,
    ) -> None:
        if not training:
            raise ValueError("no training examples")
        self.model = (start_from or base).copy()
        self.training = training
        self.validation = validation or []
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.rate = RATE * learning_rate_multiplier / batch_size
        self.rng = random.Random(seed)
        self.steps_per_epoch = math.ceil(len(training) / batch_size)
        self.total_steps = self.steps_per_epoch * n_epochs
        self.steps_done = 0
        self.trained_tokens = 0
        self._order: list[TrainingExample] = []

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total_steps

    def step(self) -> StepMetrics:
        if self.done:
            raise RuntimeError("training is finished")
        index = self.steps_done % self.steps_per_epoch
        if index == 0:  # a new epoch: a new seeded shuffle
            self._order = self.training[:]
            self.rng.shuffle(self._order)
        batch = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        train_loss, train_accuracy = measure(self.model, batch)
        for example in batch:
            for target in example.targets:
                self.model.learn(example.style, target, self.rate)
            self.trained_tokens += example.n_tokens
        self.steps_done += 1
        epoch_end = self.steps_done % self.steps_per_epoch == 0
        valid = full = (None, None)
        if self.validation:
            start = ((self.steps_done - 1) * self.batch_size) % len(self.validation)
            valid_batch = (self.validation * 2)[start : start + min(self.batch_size, len(self.validation))]
            valid = measure(self.model, valid_batch)
            if epoch_end:
                full = measure(self.model, self.validation)
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

    def snapshot(self) -> NGramModel:
        return self.model.copy()

