"""Reinforcement fine-tuning (RFT): which examples are RFT data, and what a job create must hold.

Sources (emulator/SOURCES.md, "Reinforcement fine-tuning"): the RFT doc (MicrosoftDocs azure-ai-docs
`articles/ai-foundry/openai/how-to/reinforcement-fine-tuning.md`), the older o4-mini RFT doc (system
messages not supported), the v1 REST reference (`AzureFineTuneReinforcementMethod`,
`OpenAI.FineTuneReinforcementHyperparameters`) and the openai SDK (`ReinforcementHyperparameters`).
"""

from __future__ import annotations

from emulator import graders
from emulator.errors import invalid

# RFT doc, "Model support": o4-mini 2025-04-16; gpt-5 2025-08-07 is private preview ("might not be
# available in your subscription"): refused here, the stricter reading.
RFT_MODELS = ("o4-mini-2025-04-16",)
PRIVATE_PREVIEW = ("gpt-5-2025-08-07",)
ROLES = ("developer", "user")  # the doc's example; system messages "aren't supported" (o4-mini RFT doc)
MESSAGE_KEYS = {"role", "content", "name"}
REASONING_EFFORTS = ("low", "medium", "high")  # RFT doc's hyperparameter table
# trainingType per model (fine-tune-models include: the "Global training" column; o4-mini has "-").
# Developer training: the studio doc describes the tier without a model list; assumed to be the
# models with global training (a sample reports the create call refusing it for o-series RFT).
GLOBAL_TRAINING = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14",
                   "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14")


# ---------------------------------------------------------------- data (on upload)


def is_reinforcement(record: dict) -> bool:
    """An RFT example: chat messages ending with a user turn and holding no assistant reply (the
    reference answer lives in the example's other fields, for the grader)."""
    messages = record.get("messages")
    return (
        isinstance(messages, list) and bool(messages) and isinstance(messages[-1], dict)
        and messages[-1].get("role") == "user"
        and not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages)
    )


def problem_in(record: dict) -> str | None:
    """What is wrong with an RFT example, or None (RFT doc, "Requirements")."""
    for i, message in enumerate(record["messages"], start=1):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            return f"message {i} is a system message, which reinforcement fine-tuning does not take; give it the role 'developer'."
        if role not in ROLES:
            return f"message {i} must be a developer or user message (reinforcement data ends with a user message; the answer goes in other fields, for the grader)."
        extra = message.keys() - MESSAGE_KEYS
        if extra:
            return f"message {i} has an unknown key {sorted(extra)[0]!r}; RFT messages hold role, content and optionally name."
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return f"message {i} ({role}) needs 'content': a non-empty string."
    return None


# ---------------------------------------------------------------- job create


def check_model(base_id: str, method: str) -> None:
    """RFT only on the RFT models, and those models only by RFT (the studio doc: supervised is for
    non-reasoning models; DPO has its own list)."""
    if method == "reinforcement" and base_id not in RFT_MODELS:
        if base_id in PRIVATE_PREVIEW:
            raise invalid(f"Reinforcement fine-tuning of '{base_id}' is in private preview and not available to this resource.", "model")
        raise invalid(f"The model '{base_id}' does not support reinforcement fine-tuning; use {', '.join(RFT_MODELS)}.", "method")
    if method != "reinforcement" and base_id in RFT_MODELS:
        raise invalid(f"The model '{base_id}' supports only reinforcement fine-tuning (method.type 'reinforcement').", "method")


def check_training_type(base_id: str, training_type: str | None) -> None:
    if training_type and training_type.lower() in ("globalstandard", "developertier") and base_id not in GLOBAL_TRAINING:
        tier = "Global" if training_type.lower() == "globalstandard" else "Developer"
        raise invalid(f"{tier} training is not available for '{base_id}'; use trainingType 'standard'.", "trainingType")


def check_method(method: dict, validation_id: str | None) -> dict:
    """The `method.reinforcement` object: the grader (checked, and runnable here), the RFT
    hyperparameters; a validation file is required (RFT doc, "Requirements")."""
    config = method.get("reinforcement")
    if not isinstance(config, dict):
        raise invalid("method.reinforcement is required: an object holding the 'grader'.", "method.reinforcement")
    if "grader" not in config:
        raise invalid("method.reinforcement.grader is required: reinforcement fine-tuning needs a grader.", graders.PARAM)
    graders.check_grader(config["grader"])
    why = graders.emulator_cannot_run(config["grader"])
    if why:
        raise invalid(f"{graders.PARAM}: {why} (a limit of the emulator; Azure accepts this grader).", graders.PARAM)
    response_format = config.get("response_format")
    if response_format is not None and not (isinstance(response_format, dict) and response_format.get("type") in ("json_schema", "text")):
        raise invalid("method.reinforcement.response_format must be an object with type 'json_schema'.", "method.reinforcement.response_format")
    if not validation_id:
        raise invalid("Reinforcement fine-tuning needs a validation file too: set validation_file.", "validation_file")
    return config


def check_hyperparameters(hp: dict) -> dict:
    """The RFT-only hyperparameters, each "auto"/absent (None here) or in range. Ranges are not
    documented beyond the types: integers of 1 or more, a compute_multiplier above 0 (stricter: at most 10)."""
    checked: dict = {}
    for name in ("eval_interval", "eval_samples"):
        value = hp.get(name, "auto")
        if value in ("auto", None, -1):
            checked[name] = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            checked[name] = value
        else:
            raise invalid(f"hyperparameters.{name} must be 'auto' or an integer of 1 or more; got {value!r}.", f"hyperparameters.{name}")
    value = hp.get("compute_multiplier", "auto")
    if value in ("auto", None, -1):
        checked["compute_multiplier"] = None
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 10:
        checked["compute_multiplier"] = float(value)
    else:
        raise invalid(f"hyperparameters.compute_multiplier must be 'auto' or a number above 0 and at most 10; got {value!r}.",
                      "hyperparameters.compute_multiplier")
    effort = hp.get("reasoning_effort", "medium")
    if effort not in REASONING_EFFORTS:
        raise invalid(f"hyperparameters.reasoning_effort must be low, medium or high; got {effort!r}.", "hyperparameters.reasoning_effort")
    checked["reasoning_effort"] = effort
    return checked


RFT_HYPERPARAMETERS = ("eval_interval", "eval_samples", "compute_multiplier", "reasoning_effort")
