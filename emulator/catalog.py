"""The base models the emulator knows, as listed in the spec (section 3 and 6).

Each entry says which training-data format the model takes (chat, prompt/completion),
whether it can be fine-tuned, whether DPO is allowed, and its token encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHAT = "chat"
COMPLETION = "prompt_completion"
PREFERENCE = "preference"  # DPO
REINFORCEMENT = "reinforcement"  # RFT: prompts ending with a user turn, references for the grader


@dataclass(frozen=True)
class BaseModel:
    id: str
    data_format: str  # CHAT or COMPLETION: what a supervised job's file must hold
    fine_tunable: bool = True
    dpo: bool = False
    encoding: str = "o200k_base"
    created_at: int = 1_720_000_000
    max_example_tokens: int = 65_536

    @property
    def capabilities(self) -> dict[str, bool]:
        return {
            "fine_tune": self.fine_tunable,
            "inference": True,
            "chat_completion": self.data_format in (CHAT, REINFORCEMENT),
            "completion": self.data_format == COMPLETION,
            "embeddings": False,
        }


BASE_MODELS: dict[str, BaseModel] = {
    m.id: m
    for m in [
        BaseModel("gpt-35-turbo-0613", CHAT, encoding="cl100k_base", created_at=1_686_614_400, max_example_tokens=4_096),
        BaseModel("gpt-35-turbo-1106", CHAT, encoding="cl100k_base", created_at=1_699_228_800, max_example_tokens=16_385),
        BaseModel("gpt-35-turbo-0125", CHAT, encoding="cl100k_base", created_at=1_706_140_800, max_example_tokens=16_385),
        BaseModel("gpt-4-0613", CHAT, encoding="cl100k_base", created_at=1_686_614_400, max_example_tokens=8_192),
        BaseModel("gpt-4o-2024-08-06", CHAT, dpo=True, created_at=1_722_902_400),
        BaseModel("gpt-4o-mini-2024-07-18", CHAT, created_at=1_721_260_800),
        BaseModel("gpt-4.1-2025-04-14", CHAT, dpo=True, created_at=1_744_588_800),
        BaseModel("gpt-4.1-mini-2025-04-14", CHAT, dpo=True, created_at=1_744_588_800),
        # DPO: "gpt-4o-2024-08-06, gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14 supports direct preference
        # optimization" (MicrosoftDocs/azure-ai-docs how-to/fine-tuning-direct-preference-optimization):
        # gpt-4.1-nano is not on the list.
        BaseModel("gpt-4.1-nano-2025-04-14", CHAT, created_at=1_744_588_800),
        # RFT only (emulator/reinforcement.py); its data is REINFORCEMENT, not chat.
        BaseModel("o4-mini-2025-04-16", REINFORCEMENT, created_at=1_744_761_600),
        BaseModel("babbage-002", COMPLETION, encoding="cl100k_base", created_at=1_692_576_000, max_example_tokens=16_384),
        BaseModel("davinci-002", COMPLETION, encoding="cl100k_base", created_at=1_692_576_000, max_example_tokens=16_384),
        # Deployable for chat but not fine-tunable: "does not support fine-tuning".
        BaseModel("gpt-4o-2024-05-13", CHAT, fine_tunable=False, created_at=1_715_558_400),
        BaseModel("gpt-4o-2024-11-20", CHAT, fine_tunable=False, created_at=1_732_060_800),
    ]
}


def base_model_of(model_id: str) -> str:
    """The base model a model id descends from: `gpt-4o-mini-2024-07-18.ft-abc...` -> `gpt-4o-mini-2024-07-18`."""
    return model_id.split(".ft-", 1)[0]


def name_and_version(model_id: str) -> tuple[str, str]:
    """How ARM names a base model: `gpt-4o-mini-2024-07-18` is `gpt-4o-mini` version `2024-07-18`,
    `gpt-35-turbo-0613` is `gpt-35-turbo` version `0613` (spec section 7: name + version, as the az
    CLI and SDK samples deploy them). An id without a date (`babbage-002`) is its own name; its
    version was not found in the sources read: `1`, the version every fine-tuned model has."""
    found = re.match(r"^(?P<name>.+?)-(?P<version>\d{4}-\d{2}-\d{2}|0\d{3}|1\d{3})$", model_id)
    return (found["name"], found["version"]) if found else (model_id, "1")


# ARM (name, version) -> the base model id, for every base model the emulator knows.
DEPLOYABLE_BASE = {name_and_version(model_id): model_id for model_id in BASE_MODELS}
