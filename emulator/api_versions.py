"""Which data-plane api-versions the emulator serves, and what each of them has.

Azure serves its GA versions and the previews its lifecycle page still lists; anything else, a retired
preview or a date that never was (`2099-01-01`), is refused with the answer Azure gives. Each operation
and request field exists from the version whose authoring spec first documents it, compared by date
(a `-preview` suffix alone says nothing: 2024-10-21 GA has no pause, 2025-04-01-preview has it).
Every rule names its source here and in emulator/SOURCES.md ("API versions").
"""

from __future__ import annotations

from emulator.errors import ServiceError

# GA versions with an authoring spec (Azure/azure-rest-api-specs
# specification/cognitiveservices/data-plane/AzureOpenAI/authoring/stable/<version>/). No source retires a
# GA version; api-version-lifecycle.md: "2024-10-21 ... is currently the latest GA API release".
GA = ("2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21")
# The previews MicrosoftDocs/azure-ai-docs articles/ai-foundry/openai/api-version-lifecycle.md still names
# (its "Changes between ..." sections), each with an authoring spec under .../authoring/preview/<version>/.
# Older previews are not served: the lifecycle page retired 2023-03-15, 2023-07-01, 2023-08-01, 2023-09-01
# and 2023-12-01-preview on July 1, 2024 ("will stop accepting API requests") and since then keeps "the latest
# three preview APIs ... older APIs will no longer be supported unless support is explicitly indicated"; the
# current page indicates none older than these (the stricter reading for 2023-06-01, 2023-10-01, 2024-02-15).
PREVIEWS = (
    "2024-03-01-preview",
    "2024-04-01-preview",
    "2024-05-01-preview",
    "2024-07-01-preview",
    "2024-08-01-preview",
    "2024-09-01-preview",
    "2024-10-01-preview",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-02-01-preview",
    "2025-03-01-preview",
    "2025-04-01-preview",
)
SERVED = frozenset(GA + PREVIEWS)

# Azure's answer to an api-version it does not serve, as users report it (GitHub issues
# hotovo/aider-desk#460, spring-projects/spring-ai#3873, mindsdb/mindshub#11563):
# 400 {"error": {"code": "BadRequest", "message": "API version not supported"}}.
UNSUPPORTED = ServiceError(400, "BadRequest", "API version not supported")

# First version (by date) whose authoring spec has each thing; the GA line and the preview line differ.
#   /fine_tuning/jobs (create, list, get, cancel, delete, events): stable/2024-02-01 (examples
#     get_finetuning_jobs.json...); stable/2023-05-15 and 2022-12-01 have only the legacy /fine-tunes.
#     Every served preview has them (preview/2024-03-01-preview on).
#   checkpoints: stable/2024-06-01 (examples/get_finetuning_job_checkpoints.json; none in 2024-02-01);
#     previews from 2024-05-01-preview (lifecycle page: "Fine-tuning checkpoints ... 2024-05-01-preview").
#   `method` (supervised / DPO): preview/2025-02-01-preview/examples/post_finetuning_job.yaml is the first
#     with `method`; 2024-12-01-preview's has none; no GA spec has it.
#   pause / resume (FineTuning_Pause, FineTuning_Resume): preview/2025-04-01-preview/azureopenai.yaml; absent
#     from 2025-03-01-preview/azureopenai.yaml and every GA spec.
#   `trainingType`: spec section 2 (the preview 2025-04-01-preview); not in any GA spec. Stricter reading.
#   Files_List paging (`limit`, `after`, `order`; `has_more`): preview/2025-04-01-preview/azureopenai.yaml
#     declares them; stable/2024-10-21 and preview/2025-03-01-preview take only `purpose` and answer
#     FileList {object, data}.
FINE_TUNING = ("2024-02-01", "2024-03-01")
CHECKPOINTS = ("2024-06-01", "2024-05-01")
METHOD = (None, "2025-02-01")
PAUSE = (None, "2025-04-01")
TRAINING_TYPE = (None, "2025-04-01")
FILE_PAGING = (None, "2025-04-01")


def check(version: str | None) -> str:
    """The api-version if the emulator serves it; else Azure's refusal. (A missing one is the caller's
    404 "Resource not found", spec section 2.)"""
    if version not in SERVED:
        raise UNSUPPORTED
    return version


def has(version: str, since: tuple[str | None, str | None]) -> bool:
    """Whether a served version has a thing first documented in `since` = (first GA, first preview)."""
    first = since[1] if version.endswith("-preview") else since[0]
    return first is not None and version[:10] >= first
