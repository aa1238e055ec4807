"""Reinforcement fine-tuning of the emulator's model: rewards measured by the job's grader.

Each step samples a few replies per example of the batch from the model as it is, grades each with
the grader (emulator/graders.py) against the example's own fields, and moves the model toward the
replies that scored above their example's mean and away from those below (a group-relative policy
gradient). `train_reward_mean` is the mean reward of the step's samples; `valid_reward_mean` grades
the model's greedy reply to validation examples every `eval_interval` steps (RFT doc, "Reward").
The same seed and data give the same steps, so a restarted emulator replays them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from emulator.graders import grade
from emulator.language_model import Gradient, NGramModel, chat_tokens, text_of, tokenize
from emulator.training import RATE, SYSTEM_ROLES

SAMPLES_PER_EXAMPLE = 4  # at compute_multiplier 1
SAMPLE_TOKENS = 24  # the longest sampled reply: graded answers are short


@dataclass
class RewardMetrics:
    step: int
    epoch: int
    epoch_end: bool
    train_reward_mean: float
    valid_reward_mean: float | None
    trained_tokens: int

    def as_metrics(self) -> dict:
        """What events and checkpoints carry: a value not measured at this step is absent."""
        found = {"step": self.step, "train_reward_mean": self.train_reward_mean, "valid_reward_mean": self.valid_reward_mean}
        return {k: v for k, v in found.items() if v is not None}


class RewardRun:
    """One RFT job's training: `step()` until `done`, as `training.TrainingRun`."""

    def __init__(self, base: NGramModel, training: list[dict], validation: list[dict], grader: dict, *,
                 n_epochs: int, batch_size: int, learning_rate_multiplier: float, seed: int,
                 compute_multiplier: float = 1.0, eval_interval: int = 1, eval_samples: int | None = None,
                 start_from: NGramModel | None = None) -> None:
        if not training or n_epochs < 1 or batch_size < 1:
            raise ValueError("training needs examples, n_epochs >= 1 and batch_size >= 1")
        self._model = (start_from or base).copy()
        self.training, self.validation, self.grader = training, validation, grader
        self.n_epochs, self.batch_size = n_epochs, batch_size
        self._weight = RATE * learning_rate_multiplier / batch_size
        self.samples = max(2, round(SAMPLES_PER_EXAMPLE * compute_multiplier))
        self.eval_interval = eval_interval
        self.eval_samples = min(eval_samples or batch_size, len(validation)) if validation else 0
        self._rng = random.Random(seed)
        self.steps_per_epoch = math.ceil(len(training) / batch_size)
        self.total_steps = self.steps_per_epoch * n_epochs
        self.steps_done = 0
        self.trained_tokens = 0
        self._order: list[dict] = []

    @classmethod
    def resume(cls, *args: object, steps_done: int, **kwargs: object) -> RewardRun:
        """The run after `steps_done` steps: replayed, since learning depends on what was sampled."""
        run = cls(*args, **kwargs)  # type: ignore[arg-type]
        for _ in range(steps_done):
            run.step()
        return run

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total_steps

    def model(self) -> NGramModel:
        return self._model.copy()

    def step(self) -> RewardMetrics:
        if self.done:
            raise RuntimeError("training is finished")
        batch = self._next_batch()
        gradient, rewards = Gradient(), []
        for record in batch:
            system, prompt = _prompt(record)
            replies = [self._model.generate(record["messages"], temperature=1.0, max_tokens=SAMPLE_TOKENS,
                                            seed=self._rng.randrange(2**31)) for _ in range(self.samples)]
            scores = [grade(self.grader, reply.text, record) for reply in replies]
            rewards += scores
            mean = sum(scores) / len(scores)
            for reply, score in zip(replies, scores):
                if score != mean:  # only a reply better or worse than its siblings teaches anything
                    tokens = tokenize(reply.text)
                    self._model.gradient(gradient, system, prompt, tokens, self._weight * (score - mean))
                    if score > mean:
                        self._model.count_copies(prompt, tokens, self._weight * (score - mean))
                self.trained_tokens += reply.completion_tokens
            self.trained_tokens += chat_tokens(record["messages"]) * len(replies)
        self._model.apply(gradient)
        self.steps_done += 1
        valid = None
        if self.eval_samples and self.steps_done % self.eval_interval == 0:
            size = self.eval_samples
            start = (self.steps_done // self.eval_interval - 1) * size % len(self.validation)
            chosen = (self.validation * 2)[start : start + size]
            valid = sum(self.reward_of_greedy(r) for r in chosen) / len(chosen)
        return RewardMetrics(
            step=self.steps_done,
            epoch=(self.steps_done - 1) // self.steps_per_epoch + 1,
            epoch_end=self.steps_done % self.steps_per_epoch == 0,
            train_reward_mean=sum(rewards) / len(rewards),
            valid_reward_mean=valid,
            trained_tokens=self.trained_tokens,
        )

    def reward_of_greedy(self, record: dict) -> float:
        reply = self._model.generate(record["messages"], temperature=0, max_tokens=SAMPLE_TOKENS, seed=0)
        return grade(self.grader, reply.text, record)

    def _next_batch(self) -> list[dict]:
        index = self.steps_done % self.steps_per_epoch
        if index == 0:
            self._order = self.training[:]
            self._rng.shuffle(self._order)
        return self._order[index * self.batch_size : (index + 1) * self.batch_size]


def _prompt(record: dict) -> tuple[str, list[str]]:
    """(the developer/system text, the other prompt tokens): what generation conditions on."""
    messages = record["messages"]
    system = "\n".join(text_of(m) for m in messages if m.get("role") in SYSTEM_ROLES)
    return system, [t for m in messages if m.get("role") not in SYSTEM_ROLES for t in tokenize(text_of(m))]
