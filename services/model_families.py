"""What ftdeck knows of each base model family: its training-data format and example token limit
(spec section 3). Fine-tuned models (`<base>.ft-...`) and checkpoints inherit their base's."""

from __future__ import annotations

from dataclasses import dataclass

CHAT = "chat"
COMPLETION = "prompt_completion"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"  # RFT: services/rft_rules.py


@dataclass(frozen=True)
class Family:
    prefix: str
    data_format: str
    example_token_limit: int


FAMILIES = [  # most specific prefix first
    Family("gpt-35-turbo-0613", CHAT, 4_096),
    Family("gpt-35-turbo", CHAT, 16_385),
    Family("gpt-4o", CHAT, 65_536),
    Family("gpt-4.1", CHAT, 65_536),
    Family("gpt-4", CHAT, 8_192),
    Family("babbage-002", COMPLETION, 16_384),
    Family("davinci-002", COMPLETION, 16_384),
]
DEFAULT = Family("", CHAT, 65_536)
# Exactly the models the DPO page lists ("gpt-4o-2024-08-06, gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14
# supports direct preference optimization": MicrosoftDocs/azure-ai-docs how-to/fine-tuning-direct-
# preference-optimization), and models fine-tuned from them ("as long as they are of a supported
# model/version"). Not a prefix match: gpt-4.1-nano is not on it.
DPO_MODELS = frozenset({"gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"})


def base_of(model: str | None) -> str:
    """`gpt-4o-mini-2024-07-18.ft-abc...` (or a checkpoint name of it) -> `gpt-4o-mini-2024-07-18`."""
    return (model or "").split(".ft-", 1)[0]


def family_of(model: str | None) -> Family:
    base = base_of(model)
    return next((f for f in FAMILIES if base.startswith(f.prefix)), DEFAULT)


def supports_dpo(model: str | None) -> bool:
    return base_of(model) in DPO_MODELS


def formats_for(model: str | None) -> set[str]:
    """The data formats a model can be trained on (DPO where the DPO page lists the model)."""
    from services.rft_rules import supports_reinforcement

    if supports_reinforcement(model):  # o4-mini: reinforcement fine-tuning only (RFT doc)
        return {REINFORCEMENT}
    family = family_of(model)
    return {family.data_format, PREFERENCE} if supports_dpo(model) else {family.data_format}
