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
    dpo: bool = False


FAMILIES = [  # most specific prefix first
    Family("gpt-35-turbo-0613", CHAT, 4_096),
    Family("gpt-35-turbo", CHAT, 16_385),
    Family("gpt-4o-2024-08-06", CHAT, 65_536, dpo=True),
    Family("gpt-4o", CHAT, 65_536),
    Family("gpt-4.1", CHAT, 65_536, dpo=True),
    Family("gpt-4", CHAT, 8_192),
    Family("babbage-002", COMPLETION, 16_384),
    Family("davinci-002", COMPLETION, 16_384),
]
DEFAULT = Family("", CHAT, 65_536)


def family_of(model: str | None) -> Family:
    base = (model or "").split(".ft-", 1)[0]
    return next((f for f in FAMILIES if base.startswith(f.prefix)), DEFAULT)


def formats_for(model: str | None) -> set[str]:
    """The data formats a model can be trained on (DPO where the family supports it)."""
    from services.rft_rules import supports_reinforcement

    if supports_reinforcement(model):  # o4-mini: reinforcement fine-tuning only (RFT doc)
        return {REINFORCEMENT}
    family = family_of(model)
    return {family.data_format, PREFERENCE} if family.dpo else {family.data_format}
