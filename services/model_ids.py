"""Which identifier stands for a checkpoint: its id `ftchkpt-...`, never its name.

Azure deploys a checkpoint "by passing the checkpoint ID which will appear in the format
`ftchkpt-e559c011...`" (MicrosoftDocs/azure-ai-docs how-to/fine-tuning-deploy), and a job's `model`
is "the identifier (model-id)" of what it starts from (the authoring REST spec): a checkpoint's name
`<model>:ckpt-step-N` is neither, so ftdeck never sends one where a model is expected.
"""

from __future__ import annotations

import re

CHECKPOINT_NAME = re.compile(r":ckpt-step-\d+$")


def is_checkpoint_id(model: str | None) -> bool:
    return bool(model) and str(model).startswith("ftchkpt-")


def checkpoint_name_problem(model: str | None) -> str | None:
    """What is wrong with sending `model`, when it is a checkpoint's name."""
    if model and CHECKPOINT_NAME.search(model):
        return (f"{model} is a checkpoint's name; Azure takes a checkpoint by its id (ftchkpt-..., "
                "listed by `ftdeck jobs checkpoints JOB`)")
    return None
