"""The training tiers a job can be created on (`trainingType`), and what each one costs you.

Sources: MicrosoftDocs azure-ai-docs `includes/fine-tuning-studio.md` ("Choose your training type":
Standard, Global Standard, Developer), `includes/fine-tune-models.md` (Global training: more
affordable, no data residency; which models) and `includes/fine-tuning-rest.md` (`trainingType`
sent in the body with api-version 2025-04-01-preview).
"""

from __future__ import annotations

# what ftdeck accepts (any case) -> what is sent
TRAINING_TYPES = {"standard": "standard", "globalstandard": "globalstandard", "developertier": "developerTier"}

CAVEATS = {
    "standard": "Standard training: dedicated capacity in your resource's region, with data residency.",
    "globalstandard": "Global training: cheaper per token, but no data residency: your training data and the "
                      "resulting model weights might be copied to another Azure region.",
    "developertier": "Developer training: cheap, on idle capacity, for experiments: the job might be preempted "
                     "and resumed later, so it can take much longer than the same job on Standard.",
}


def caveat(training_type: str | None) -> str | None:
    """What choosing this tier means, in one sentence (None for no choice or an unknown tier)."""
    return CAVEATS.get((training_type or "").lower())
