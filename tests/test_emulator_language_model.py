"""The emulator's small language model and its training loop: metrics are measured, and behave like real ones."""

from __future__ import annotations

import random

import pytest

from emulator.catalog import CHAT, COMPLETION, PREFERENCE
from emulator.language_model import END, NGramModel, Prior, _prior, detokenize, tokenize
from emulator.training import (
    StepMetrics,
    TrainingExample,
    TrainingRun,
    auto_hyperparameters,
    examples_from_records,
    mean_token_accuracy,
    measure,
)

SYSTEM = "You are Cap'n Byte, a pirate support bot."
TOPICS = ["password", "invoice", "storage", "region", "outage", "quota", "key", "billing",
          "backup", "login", "printer", "network", "email", "deploy", "cache", "update"]
OPENINGS = ["Arr matey", "Ahoy matey", "Arr, me hearty", "Yo ho, matey"]
VERBS = ["ye fix", "ye mend", "we swab", "ye check", "ye plunder"]
TAILS = ["by checking the settings", "with a fair wind", "before the tide turns", "from the crow's nest"]
ENDINGS = ["savvy?", "arr!", "yo ho!", "me hearty."]
PIRATE_WORDS = ("Arr", "matey", "Ahoy", "hearty", "savvy", "Yo ho")


def pirate_records(n: int, seed: int) -> list[dict]:
    """Chat examples answering in pirate style, varied enough that validation data is not a copy."""
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        topic = rng.choice(TOPICS)
        reply = f"{rng.choice(OPENINGS)}, {rng.choice(VERBS)} the {topic} {rng.choice(TAILS)}, {rng.choice(ENDINGS)}"
        records.append({"messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"How do I fix my {topic} problem?"},
            {"role": "assistant", "content": reply},
        ]})
    return records


def pirates(n: int, seed: int) -> list[TrainingExample]:
    return examples_from_records(pirate_records(n, seed), CHAT)


def train(training: list[TrainingExample], validation: list[TrainingExample] | None = None, *, epochs: int = 3,
          batch: int = 1, lr: float = 0.1, seed: int = 7, start_from: NGramModel | None = None) -> tuple[TrainingRun, list[StepMetrics]]:
    run = TrainingRun(NGramModel.base(), training, validation, epochs, batch, lr, seed, start_from=start_from)
    steps = []
    while not run.done:
        steps.append(run.step())
    return run, steps


def epoch_means(steps: list[StepMetrics], key: str) -> list[float]:
    epochs = sorted({s.epoch for s in steps})
    return [sum(getattr(s, key) for s in steps if s.epoch == e) / sum(s.epoch == e for s in steps) for e in epochs]


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize("text", [
    "Hello, world! It's 2024-07-18 and 1234567 tokens.",
    "Ünïcödé: naïve café, 日本語のテキスト, emoji 🏴‍☠️👍, e\u0301 combining, Ωmega",
    "line one\n\n  indented\tline\r\nlast_line__with  spaces  ",
    "",
])
def test_tokenizer_round_trips_any_text(text):
    tokens = tokenize(text)
    assert detokenize(tokens) == text
    assert all(tokens)


def test_tokenizer_splits_like_gpt():
    assert tokenize("Hello, world!") == ["Hello", ",", " world", "!"]
    assert tokenize("It's 12345") == ["It", "'s", " 123", "45"]
    assert tokenize("a\n\nb") == ["a", "\n\n", "b"]
    assert tokenize(" café") == [" café"]


# ---------------------------------------------------------------- data


def test_weight_zero_replies_are_context_not_targets():
    record = {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Old bad answer", "weight": 0},
        {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "assistant", "content": "Good answer", "weight": 1},
        {"role": "assistant", "content": "Also trained"},
    ]}
    (example,) = examples_from_records([record], CHAT)
    assert example.targets == [tokenize("Good answer"), tokenize("Also trained")]
    assert detokenize(example.context) == "HiOld bad answerLook"
    assert example.system == "Be brief."
    # 3 priming + per message 3 + role + content; weight-0 text is billed too
    assert example.n_tokens == 3 + sum(3 + 1 + n for n in (3, 1, 3, 1, 2, 2))


def test_prompt_completion_and_preference_records():
    (completion,) = examples_from_records([{"prompt": "Q: sky?", "completion": " Blue."}], COMPLETION)
    assert completion.targets == [[" Blue", "."]] and completion.context == tokenize("Q: sky?")
    assert completion.n_tokens == 6
    (preference,) = examples_from_records([{
        "input": {"messages": [{"role": "user", "content": "Color?"}]},
        "preferred_output": [{"role": "assistant", "content": "Blue"}],
        "non_preferred_output": [{"role": "assistant", "content": "Red"}],
    }], PREFERENCE)
    assert preference.targets == [["Blue"]] and preference.rejected == [["Red"]]


def test_auto_hyperparameters_follow_dataset_size():
    assert auto_hyperparameters(10, 500) == auto_hyperparameters(10, 5_000)
    small = auto_hyperparameters(10, 500)
    assert (small.n_epochs, small.batch_size, small.learning_rate_multiplier) == (3, 1, 0.1)
    assert auto_hyperparameters(5, 100).n_epochs > 3
    assert auto_hyperparameters(5_000, 10**6).batch_size == 10
    huge = auto_hyperparameters(1_000_000, 10**8)
    assert huge.batch_size == 256 and huge.n_epochs == 1 and huge.learning_rate_multiplier == 0.2


# ---------------------------------------------------------------- metrics


def test_token_accuracy_counts_tokens_like_the_spec():
    assert mean_token_accuracy([[1, 2], [0, 5], [4, 2]], [[1, 1], [0, 5], [4, 2]]) == pytest.approx(5 / 6)
    # Over tokens, not a mean of per-example means: 1/1 and 0/3 is 1/4, not 1/2.
    assert mean_token_accuracy([[1], [1, 2, 3]], [[1], [0, 0, 0]]) == pytest.approx(1 / 4)


def test_model_accuracy_is_the_share_of_argmax_hits():
    run, _ = train(pirates(10, 1))
    model = run.model()
    examples = pirates(5, 2)
    labels = [[t for reply in e.targets for t in reply + [END]] for e in examples]
    predictions = [model.predictions(e) for e in examples]
    loss, accuracy = measure(model, examples)
    assert accuracy == pytest.approx(mean_token_accuracy(labels, predictions))
    assert 0.3 < accuracy < 1.0 and loss > 0


def test_training_loss_falls_and_accuracy_rises():
    _, steps = train(pirates(30, 1), epochs=3)
    losses, accuracies = epoch_means(steps, "train_loss"), epoch_means(steps, "train_mean_token_accuracy")
    assert losses[0] > losses[1] > losses[2]
    assert accuracies[0] < accuracies[2]
    assert steps[-1].trained_tokens == 3 * sum(e.n_tokens for e in pirates(30, 1))


def test_a_larger_learning_rate_falls_faster():
    slow, fast = (train(pirates(20, 1), epochs=1, lr=lr)[1] for lr in (0.05, 0.3))
    assert sum(s.train_loss for s in fast[5:]) < sum(s.train_loss for s in slow[5:])


def test_many_epochs_on_tiny_data_overfit():
    _, steps = train(pirates(10, 1), pirates(10, 2), epochs=25, lr=0.3)
    full_valid = [s.full_valid_loss for s in steps if s.epoch_end]
    assert len(full_valid) == 25 and all(s.valid_loss is not None for s in steps)
    best = full_valid.index(min(full_valid))
    assert full_valid[0] < steps[0].train_loss  # validation first falls: the style is learned
    assert 0 < best < 10 and full_valid[-1] > min(full_valid) * 1.05  # then rises: memorizing
    train_losses = epoch_means(steps, "train_loss")
    assert train_losses[-1] < train_losses[best]  # while training loss keeps falling


def test_same_seed_same_curves_other_seed_other_curves():
    data = pirates(12, 1)
    assert train(data, seed=3)[1] == train(data, seed=3)[1]
    assert [s.train_loss for s in train(data, seed=3)[1]] != [s.train_loss for s in train(data, seed=4)[1]]


def test_batches_epochs_and_full_validation_at_epoch_ends():
    run, steps = train(pirates(10, 1), pirates(3, 2), epochs=2, batch=4)
    assert (run.steps_per_epoch, run.total_steps) == (3, 6)
    assert [s.step for s in steps] == [1, 2, 3, 4, 5, 6] and [s.epoch for s in steps] == [1, 1, 1, 2, 2, 2]
    assert [s.full_valid_loss is not None for s in steps] == [False, False, True, False, False, True]
    with pytest.raises(RuntimeError):
        run.step()


def test_resume_fast_forwards_to_the_same_state():
    data, validation = pirates(10, 1), pirates(4, 2)
    _, steps = train(data, validation, epochs=2)
    resumed = TrainingRun.resume(NGramModel.base(), data, validation, 2, 1, 0.1, 7, steps_done=13)
    assert [resumed.step() for _ in range(7)] == steps[13:]


def test_continuous_fine_tuning_starts_from_learned_counts():
    data = pirates(20, 1)
    first, _ = train(data)
    _, fresh = train(data, epochs=1)
    _, continued = train(data, epochs=1, start_from=first.model())
    assert continued[0].train_loss < fresh[0].train_loss / 3
    assert NGramModel.base().bias == {} and NGramModel.base().vocabulary == {}  # the base model is never changed by training


def test_dpo_moves_away_from_the_rejected_reply():
    pair = {"input": {"messages": [{"role": "user", "content": "Greet me"}]},
            "preferred_output": [{"role": "assistant", "content": "Arr matey, welcome aboard!"}],
            "non_preferred_output": [{"role": "assistant", "content": "Hello, how can I help you today?"}]}
    both = examples_from_records([{"messages": pair["input"]["messages"] + out} for out in
                                  (pair["preferred_output"], pair["non_preferred_output"])] * 5, CHAT)
    sft, _ = train(both)
    preferences = examples_from_records([pair] * 10, PREFERENCE)
    rejected = TrainingExample("", preferences[0].context, preferences[0].rejected, 0)
    before = sft.model()
    after, _ = train(preferences, lr=0.2, start_from=before)
    assert measure(after.model(), [rejected])[0] > measure(before, [rejected])[0]
    assert measure(after.model(), preferences[:1])[0] < measure(before, preferences[:1])[0]


# ---------------------------------------------------------------- generation


def ask(topic: str = "printer") -> list[dict]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"How do I fix my {topic} problem?"}]


@pytest.fixture(scope="module")
def pirate_model() -> NGramModel:
    return train(pirates(60, 1))[0].model()


def test_a_fine_tuned_model_answers_in_its_trained_style(pirate_model):
    base = NGramModel.base()
    for seed in range(5):
        tuned = pirate_model.generate(ask(), temperature=0.7, seed=seed)
        assert any(w in tuned.text for w in PIRATE_WORDS), tuned.text
        plain = base.generate(ask(), temperature=0.7, seed=seed)
        assert not any(w in plain.text for w in PIRATE_WORDS), plain.text
    # The prompt conditions the reply: other questions, other answers.
    assert len({pirate_model.generate(ask(t), temperature=1.0, seed=1).text for t in TOPICS[:6]}) > 1


def test_generation_is_deterministic_and_respects_max_tokens(pirate_model):
    once = pirate_model.generate(ask(), temperature=1.0, seed=5)
    assert pirate_model.generate(ask(), temperature=1.0, seed=5) == once
    assert pirate_model.generate(ask(), temperature=1.0) == pirate_model.generate(ask(), temperature=1.0)
    assert len({pirate_model.generate(ask(), temperature=1.5, seed=s).text for s in range(8)}) > 1
    assert once.text == "".join(once.tokens) and once.completion_tokens == len(once.tokens)
    assert once.prompt_tokens > 10 and once.finish_reason == "stop"
    short = pirate_model.generate(ask(), temperature=0, max_tokens=3)
    assert short.finish_reason == "length" and len(short.tokens) == 3
    greedy = pirate_model.generate(ask(), temperature=0, seed=1)
    assert greedy == pirate_model.generate(ask(), temperature=0, seed=2)  # greedy ignores the seed
    assert len(NGramModel.base().generate([{"role": "user", "content": "hi"}]).tokens) <= 80


def test_to_bytes_round_trip_predicts_identically(pirate_model):
    restored = NGramModel.from_bytes(pirate_model.to_bytes())
    examples = pirates(5, 3)
    assert [restored.loss_and_accuracy(e) for e in examples] == [pirate_model.loss_and_accuracy(e) for e in examples]
    assert [restored.predictions(e) for e in examples] == [pirate_model.predictions(e) for e in examples]
    assert restored.generate(ask(), seed=4) == pirate_model.generate(ask(), seed=4)
    assert NGramModel.from_bytes(NGramModel.base().to_bytes()).generate(ask(), seed=1) == NGramModel.base().generate(ask(), seed=1)


# ---------------------------------------------------------------- cost (bench/ measures the speed)


def test_the_prior_is_built_once_and_shared_by_every_model(pirate_model):
    """The prior (the base corpus's counts) is the costly part: built once per process, shared by
    the base model, trained models and models read back, never rebuilt per request."""
    assert isinstance(_prior(), Prior) and _prior() is _prior()
    trained, _ = train(pirates(10, 1), pirates(10, 2))
    models = [NGramModel.base(), trained.model(), NGramModel.from_bytes(pirate_model.to_bytes())]
    assert all(model.prior is _prior() for model in models)


def test_replies_never_glue_two_words_together(pirate_model):
    """Two word pieces in a row cannot come from real text (the tokenizer keeps a word's letters
    together): a word copied from the start of the prompt, which has no space before it, gets one.
    Nor is a word said twice in a row."""
    glued, repeated = [], []
    for model in (pirate_model, NGramModel.base()):
        for topic in TOPICS:
            for seed in range(6):
                reply = model.generate([{"role": "user", "content": f"Where be me {topic}? Tell me now"}], temperature=1.0, seed=seed)
                pairs = list(zip(reply.tokens, reply.tokens[1:]))
                glued += [a + b for a, b in pairs if a[-1].isalpha() and b[0].isalpha()]
                repeated += [a + b for a, b in pairs if a[-1].isalpha() and a.strip() == b.strip()]
    assert not glued and not repeated
